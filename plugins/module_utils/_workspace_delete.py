# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""The module ``workspace`` (state=absent): delete a workspace, soft or permanently, audited (``docs/purge.md``)."""

import uuid

from ansible_collections.gdpr.azureml.plugins.module_utils._audit import audit_log, audit_record
from ansible_collections.gdpr.azureml.plugins.module_utils._client import AzureMLError
from ansible_collections.gdpr.azureml.plugins.module_utils._purge import PurgeError, require_absolute, settle_pending
from ansible_collections.gdpr.azureml.plugins.module_utils._routes import PURGE_QUERY

WORKSPACE_POLL_INTERVAL = 10  # seconds between polls without Retry-After


def workspace_argument_spec():
    return {
        'state': {'type': 'str', 'required': True, 'choices': ['absent']},
        'workspace_name': {'type': 'str', 'required': True},
        'resource_group': {'type': 'str', 'required': True},
        'wait': {'type': 'bool', 'default': True},
        'wait_timeout': {'type': 'int', 'default': 1800},
        'permanently_delete': {'type': 'bool', 'default': False},
        'audit_log': {'type': 'path'},
    }


def run_workspace_delete(module):
    require_absolute(module, 'audit_log')
    if module.params['wait_timeout'] <= 0:
        module.fail(f"wait_timeout must be more than 0 seconds, got {module.params['wait_timeout']}", option='wait_timeout')
    module.run(_workspace_delete)


def _workspace_delete(module):
    p, client, ws = module.params, module.client, module.workspace
    permanent = p['permanently_delete']
    before = client.get_json('workspaces.get', what=f'get workspace {ws}', missing_ok=True)
    state_before = 'present' if before is not None else 'absent'
    gone_state = 'absent' if permanent else 'soft_deleted'
    workspace = before or {}

    def diff(before_state, after_state):
        return module.diff({'id': ws.id, 'state': before_state}, {'id': ws.id, 'state': after_state})

    if module.check_mode:
        if before is None:
            if permanent:
                module.warn(f'workspace {ws} is not visible: if it is soft-deleted, a real run purges it (DELETE with forceToPurge=true); '
                            'Azure tells a soft-deleted workspace from a purged one only in answer to that DELETE, which check mode '
                            'does not send')
            return dict(changed=False, workspace=workspace, **diff('absent', 'absent'))
        return dict(changed=True, workspace=workspace, **diff('present', gone_state))

    what = f'{"permanently " if permanent else ""}delete workspace {ws}'
    with audit_log(p.get('audit_log')) as audit:
        settle_pending(module, audit)
        cid = str(uuid.uuid4())
        audit.pending(audit_record(ws.id, 'workspace', ws.id, status=None, request_id=None, outcome='pending', client_request_id=cid))
        res = client.delete('workspaces.delete', what=what, query=PURGE_QUERY if permanent else None, absent=(204, 404),
                            client_request_id=cid)
        outcome, error = res.outcome, res.error
        try:
            if res.outcome == 'deleted' and res.status in (201, 202) and p['wait']:
                client.wait_lro(res.response, what=what, wait_timeout=p['wait_timeout'],
                                poll_interval=WORKSPACE_POLL_INTERVAL)
                still = client.get_json('workspaces.get', what=f'confirm the delete of workspace {ws}', missing_ok=True)
                if still is not None:
                    state = (still.get('properties') or {}).get('provisioningState')
                    raise AzureMLError(what, f'the delete operation succeeded but the workspace is still there (provisioningState {state})')
        except AzureMLError as exc:
            outcome, error = 'failed', str(exc)
            raise
        finally:
            audit.write(audit_record(ws.id, 'workspace', ws.id, status=res.status, request_id=res.request_id, outcome=outcome, error=error,
                                     client_request_id=cid))
    if res.outcome == 'failed':
        raise PurgeError(res.error, status=res.status, request_id=res.request_id, changed=False, workspace=workspace)
    changed = res.outcome == 'deleted'
    if not changed:
        return dict(changed=False, workspace=workspace, status=res.status, request_id=res.request_id, **diff('absent', 'absent'))
    if not p['wait']:
        module.warn(f'the delete of workspace {ws} was accepted (HTTP {res.status}) and not waited for (wait is false)')
    if not permanent:
        module.warn(f'workspace {ws} is soft-deleted: Azure keeps its data for the retention period; set permanently_delete '
                    'to purge it now (a GDPR erasure usually needs that)')
    return dict(changed=True, workspace=workspace, status=res.status, request_id=res.request_id,
                **diff(state_before if before is not None else 'soft_deleted', gone_state))
