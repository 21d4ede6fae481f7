# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""What the collection cannot see or erase: one declaration (:data:`NOT_COVERED`, data not code).

Everything else derives from it: the manifest's ``not_covered`` record (each entry's ``name`` and the linked resource ids
read from the exported workspace object, :func:`record`), the report's section "Not covered by this export"
(:func:`describe`) and the table of ``docs/subjects.md`` "What the collection cannot see or erase" (a unit test fails when
that table drifts from this one, :func:`docs_rows`).

Each entry: ``name`` (the stable key of the manifest), ``title``, ``holds`` (what it holds about people), ``fields`` (the
JSON paths of the workspace object, api-version 2025-12-01, that name the linked Azure resource; none when nothing of
the workspace names it) and ``remedy`` (where to look and erase instead). Plain text: no Markdown, no ``|``.
"""

import os

from ansible_collections.gdpr.azureml.plugins.module_utils._bundle import BundleError, iter_objects

NOT_COVERED = (
    {'name': 'application_insights',
     'title': 'Application Insights and Log Analytics',
     'holds': 'request logs and traces of online endpoints (scoring inputs and outputs when logged), telemetry with user '
              'ids, ip addresses and names',
     'fields': ('properties.applicationInsights',),
     'remedy': 'Azure Monitor has its own purge API: POST .../providers/microsoft.insights/components/{name}/purge '
               '(Application Insights) and POST .../providers/Microsoft.OperationalInsights/workspaces/{name}/purge '
               '(the Log Analytics workspace behind it), by table and filter'},
    {'name': 'notebooks',
     'title': 'Notebooks and files of the workspace file share',
     'holds': 'the notebooks, scripts and outputs under Users/{name}/ of the code-{guid} file share (Azure Files) of the '
              'workspace storage account',
     'fields': ('properties.storageAccount',),
     'remedy': 'Azure Files of the storage account (the studio\'s Notebooks page, az storage file, Storage Explorer): '
               'export and delete the person\'s Users/{name}/ folder'},
    {'name': 'key_vault',
     'title': 'Key Vault secrets',
     'holds': 'secrets that people and the service stored (connection and datastore credentials, tokens), named after '
              'their owners at times',
     'fields': ('properties.keyVault', 'properties.encryption.keyVaultProperties.keyVaultArmId'),
     'remedy': 'the Key Vault: list and delete the secrets, then purge them (soft-deleted secrets stay for the retention '
               'period)'},
    {'name': 'container_registry',
     'title': 'Container registry images',
     'holds': 'images built for environments and deployments: their layers can hold code, data and names',
     'fields': ('properties.containerRegistry',),
     'remedy': 'the container registry: az acr repository delete (deleting an environment or a deployment leaves its '
               'image)'},
    {'name': 'activity_log',
     'title': 'The Azure activity log',
     'holds': 'who did what on the workspace (the caller\'s name or object id on every write and delete, this '
              'collection\'s too)',
     'fields': (),
     'remedy': 'none: the subscription\'s activity log cannot be edited; it expires after 90 days, and copies exported to '
               'Log Analytics or storage follow those services\' purge'},
    {'name': 'feature_stores',
     'title': 'Feature stores (workspaces of kind featurestore)',
     'holds': 'feature sets and their materialized data (offline store in storage, online store in Redis)',
     'fields': (),
     'remedy': 'the feature store\'s own storage and Redis: the collection exports and purges workspaces, not feature '
               'set data'},
    {'name': 'serverless_endpoints',
     'title': 'Serverless endpoints',
     'holds': 'models as a service deployed by people, with their request logs',
     'fields': (),
     'remedy': 'DELETE W/serverlessEndpoints/{name} (ARM, Microsoft.MachineLearningServices) and the endpoint\'s Azure Monitor '
               'logs'},
    {'name': 'data_contents',
     'title': 'People named inside data files',
     'holds': 'names, addresses and other personal data inside training data, registered data and the files of '
              'datastores',
     'fields': (),
     'remedy': 'search the data itself: the export holds metadata (and, when asked, the run files), never the contents of '
               'data'},
)
NAMES = tuple(entry['name'] for entry in NOT_COVERED)
BY_NAME = {entry['name']: entry for entry in NOT_COVERED}
MANIFEST_KEY = 'not_covered'


def _value(obj, path):
    for part in path.split('.'):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def linked_ids(entry, workspace_object):
    """The resource ids of ``workspace_object`` that ``entry`` names (its ``fields``), without duplicates (case-insensitive)."""
    found, seen = [], set()
    for path in entry['fields']:
        value = _value(workspace_object, path)
        if isinstance(value, str) and value.strip() and value.lower() not in seen:
            seen.add(value.lower())
            found.append(value)
    return found


def record(workspace_object):
    """The manifest's ``not_covered``: ``[{name, resource_ids}]`` in the declaration's order."""
    return [{'name': entry['name'], 'resource_ids': linked_ids(entry, workspace_object)} for entry in NOT_COVERED]


def describe(recorded):
    """The report's rows: the declaration with the resource ids of ``recorded`` (a manifest's ``not_covered``, else the
    :func:`record` of the bundle's workspace object)."""
    ids = {}
    for item in recorded or []:
        if isinstance(item, dict) and item.get('name') in BY_NAME:
            ids[item['name']] = [str(i) for i in item.get('resource_ids') or [] if i]
    return [dict(name=e['name'], title=e['title'], holds=e['holds'], remedy=e['remedy'], fields=list(e['fields']),
                 resource_ids=ids.get(e['name'], [])) for e in NOT_COVERED]


def docs_rows():
    """The rows of the docs table: name, title, what it holds, the workspace fields (or a dash), the remedy."""
    return [[f"`{e['name']}`", e['title'], e['holds'], ', '.join(f'`{f}`' for f in e['fields']) or '-', e['remedy']]
            for e in NOT_COVERED]


def of_bundle(bundle_dir, manifest):
    """:func:`describe` of a bundle: its manifest's ``not_covered`` record, or (a bundle written before the record) the
    same record computed from its ``workspace.json``."""
    recorded = (manifest or {}).get(MANIFEST_KEY)
    if not isinstance(recorded, list):
        entry = ((manifest or {}).get('kinds') or {}).get('workspace')
        workspace_object = None
        if isinstance(entry, dict) and entry.get('file'):
            try:
                workspace_object = next(iter(iter_objects(os.path.join(bundle_dir, os.path.basename(str(entry['file']))))), None)
            except (BundleError, OSError, ValueError):
                workspace_object = None
        recorded = record(workspace_object if isinstance(workspace_object, dict) else {})
    return describe(recorded)
