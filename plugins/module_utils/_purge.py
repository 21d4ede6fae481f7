# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""What every part of the purge shares (``docs/purge.md``).

- :func:`references` / :func:`blocking_holders`: which images and services hold a model or an
  image (the service answers 412 ``DeletionRequired`` for those), computed from the listings,
  so that check mode refuses exactly where the real run would be refused.
- :class:`PurgeError`: a refused purge, a module failure with its result keys (``_module.AzureMLModule.fail_from``).
- :func:`settle_pending`: what an interrupted run left ``pending`` in the audit log (``_audit``) is
  settled by listing again.

The jobs live beside it: ``_purge_delete`` (the modules ``model``, ``asset``, ``image``, ``service``),
``_purge_plan`` (``purge_plan`` mode=plan), ``_purge_apply`` (mode=apply and mode=verify), ``_plan_file``
(``purge-plan.json``), ``_workspace_delete`` (the module ``workspace``).
"""

import os

from ansible_collections.gdpr.azureml.plugins.module_utils._audit import settle_by_relist
from ansible_collections.gdpr.azureml.plugins.module_utils._client import AzureMLError
from ansible_collections.gdpr.azureml.plugins.module_utils._errors import GdprAzureMLError
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import DELETABLE_KINDS, HOLDER_KINDS, HOLDING_KINDS, KINDS, SINGULAR, references
from ansible_collections.gdpr.azureml.plugins.module_utils import _storage_purge


class PurgeError(GdprAzureMLError):
    """A purge cannot go on (a refused plan, deletes that failed); ``result`` holds the failure's extra keys (the plan,
    what was deleted before it stopped)."""

    def __init__(self, message, **result):
        super().__init__(message)
        self.result = result


def singular(kind_name):
    return SINGULAR.get(kind_name, kind_name)


def describe_holders(holders):
    """``["image i:1", "service s"]`` -> ``"image i:1 and service s"``."""
    holders = list(holders)
    if len(holders) <= 1:
        return ''.join(holders)
    return ', '.join(holders[:-1]) + ' and ' + holders[-1]


# -- listing and references -----------------------------------------------------------------------------------------------

def list_objects(client, kind_name, ws):
    """Every object of ``kind_name`` in the workspace (every page)."""
    return client.list_items(KINDS[kind_name].list_op, what=f'list the {kind_name} of workspace {ws}')


def list_kinds(client, kind_names, ws):
    """``{kind: [objects]}`` for ``kind_names``, the lists fetched concurrently (each one page after another)."""
    names = list(dict.fromkeys(kind_names))
    lists = client.map_concurrent(lambda name: list_objects(client, name, ws), names)
    return dict(zip(names, lists))


def with_holders(kind_names):
    """``kind_names`` and the kinds whose objects can hold theirs (images and services hold models, services hold images):
    what a plan must list to tell whether its deletes would be refused."""
    return list(dict.fromkeys(list(kind_names) + [h for k in kind_names for h in HOLDER_KINDS.get(k, ())]))


def holder_index(listed):
    """``{(kind, id): [(holder kind, holder id), ...]}`` from the listings of images and services."""
    index = {}
    for holder_kind in HOLDING_KINDS:
        for obj in listed.get(holder_kind) or []:
            holder_id = KINDS[holder_kind].object_id(obj)
            for ref in references(holder_kind, obj):
                index.setdefault(ref, []).append((holder_kind, holder_id))
    return index


def blocking_holders(targets, listed):
    """The targets still held by something this purge does not delete.

    :param targets: ``{kind: iterable of ids}`` that would be deleted.
    :param listed: ``{kind: [objects]}`` holding at least the images and services of the workspace.
    :returns: ``{kind: {id: ["image i:1", "service s"]}}`` (only kinds and ids with a holder).
    """
    index = holder_index(listed)
    deleting = {kind: set(ids) for kind, ids in targets.items()}
    blocked = {}
    for kind_name in HOLDER_KINDS:
        for obj_id in sorted(deleting.get(kind_name, ())):
            holders = sorted({f'{singular(hk)} {hid}' for hk, hid in index.get((kind_name, obj_id), ())
                              if hid not in deleting.get(hk, ())})
            if holders:
                blocked.setdefault(kind_name, {})[obj_id] = holders
    return blocked


def holders_message(blocked, ws, limit=10):
    """One sentence naming what holds what (at most ``limit`` objects spelled out)."""
    parts, count = [], 0
    for kind_name in HOLDER_KINDS:
        for obj_id, holders in sorted((blocked.get(kind_name) or {}).items()):
            count += 1
            if len(parts) < limit:
                parts.append(f'{singular(kind_name)} {obj_id} is used by {describe_holders(holders)}')
    more = f' (and {count - limit} more)' if count > limit else ''
    return (f'{count} object(s) of workspace {ws} are still used by images or services that are not being deleted, so Azure '
            f'would refuse to delete them (HTTP 412 DeletionRequired): {"; ".join(parts)}{more}. Delete the services, then '
            f'the images, then the models (the role gdpr.azureml.purge_workspace does it in that order)')


def settle_pending(module, audit):
    """Settle what an interrupted run left ``pending`` in the audit log (``_audit.settle_by_relist``): list each such kind
    again (get the workspace), ``deleted`` when the object is gone, ``failed`` when it is still there."""
    client, ws = module.client, module.workspace

    def present(kind_name):
        if kind_name == 'workspace':
            found = client.get_json('workspaces.get', what=f'get workspace {ws} (to settle the audit log)', missing_ok=True)
            return set() if found is None else {str(found.get('id') or ws.id).lower(), ws.id.lower()}
        if kind_name == _storage_purge.KIND and module.params.get('storage'):
            found = client.get_json('workspaces.get', what=f'get workspace {ws} (to settle the audit log)', missing_ok=True)
            return None if found is None else _storage_purge.present_ids(module, found)
        if kind_name in DELETABLE_KINDS:
            try:
                return {KINDS[kind_name].object_id(o) for o in list_objects(client, kind_name, ws)}
            except AzureMLError as exc:
                if exc.status == 404:  # the workspace is gone, and its objects with it
                    return set()
                raise
        return None

    return settle_by_relist(audit, ws.id, present)


def require_absolute(module, *options):
    """Fail, naming the option, when one of the path ``options`` is set but relative: a relative audit log or plan lands
    wherever the module happens to run (for a playbook of the collection: inside the collection), so it is refused."""
    for option in options:
        value = module.params.get(option)
        if value and not os.path.isabs(str(value)):
            module.fail(f'{option} must be an absolute path, got {value}', option=option)
