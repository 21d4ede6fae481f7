# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""The plan file a check run of ``purge_plan`` writes (``purge-plan.json``, see ``docs/purge.md``)."""

import json
import os

from ansible_collections.gdpr.azureml.plugins.module_utils._client import COLLECTION_VERSION
from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import utc_now, write_atomic
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import DELETABLE_KINDS

PLAN_FORMAT_VERSION = 1
PLAN_NAME = 'purge-plan.json'


def plan_document(workspace, kinds, objects, **extra):
    """The plan file's content (see ``docs/purge.md``)."""
    doc = {
        'format_version': PLAN_FORMAT_VERSION,
        'collection_version': COLLECTION_VERSION,
        'created': utc_now(precise=True),
        'workspace': workspace,
        'kinds': list(kinds),
        'counts': {k: len(objects.get(k) or []) for k in kinds},
        'total': sum(len(objects.get(k) or []) for k in kinds),
        'objects': {k: sorted(objects.get(k) or []) for k in kinds},
    }
    doc.update(extra)
    return doc


def _comparable(doc):
    return {k: v for k, v in doc.items() if k != 'created'} if isinstance(doc, dict) else doc


def write_plan(path, doc):
    """Write ``doc`` to ``path`` atomically (0600) unless the file already holds the same plan; return True if written."""
    path = os.path.abspath(os.path.expanduser(str(path)))
    try:
        with open(path, encoding='utf-8') as f:
            if _comparable(json.load(f)) == _comparable(doc):
                return False
    except (OSError, ValueError):
        pass
    data = (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + '\n').encode('utf-8')
    write_atomic(path, data)
    return True


def read_plan(path, workspace_id):
    """``(plan, problems)``: the plan file at ``path`` and what makes it unusable for ``workspace_id``."""
    path = os.path.abspath(os.path.expanduser(str(path)))
    try:
        with open(path, encoding='utf-8') as f:
            plan = json.load(f)
    except FileNotFoundError:
        return None, [f'plan_file {path} does not exist (a check run writes it: run with --check first)']
    except (OSError, ValueError) as exc:
        return None, [f'plan_file {path} cannot be read: {exc}']
    if not isinstance(plan, dict) or not isinstance(plan.get('objects'), dict):
        return None, [f'plan_file {path} is not a purge plan (no objects map)']
    problems = []
    if plan.get('format_version') != PLAN_FORMAT_VERSION:
        problems.append(f"plan_file {path} has format_version {plan.get('format_version')!r}, expected {PLAN_FORMAT_VERSION}")
    plan_ws = str((plan.get('workspace') or {}).get('id') or '')
    if plan_ws.lower() != str(workspace_id).lower():
        problems.append(f'plan_file {path} is a plan of workspace {plan_ws or "(none)"}, not {workspace_id}')
    for kind_name, ids in plan['objects'].items():
        if kind_name not in DELETABLE_KINDS or not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            problems.append(f'plan_file {path}: objects.{kind_name} is not a list of ids of a deletable kind')
    return (plan if not problems else None), problems
