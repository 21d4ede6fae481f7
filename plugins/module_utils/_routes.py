# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""The route table: operation name -> family, method, path template, query, paging.

``ROUTES['documented']`` is the table of ``docs/architecture.md`` (the seed document's
calls of ``docs/endpoints.md``, its URL defects fixed); ``ROUTES['current']`` holds the routes
of today's service specs (``docs/api-routes.md``). A profile is a dict, never a branch.

Path templates use ``{name}`` placeholders filled from the call's params, each value
percent-encoded as one segment (``quote(value, safe='')``); ``{name*}`` takes a path of several
segments (an artifact path in the URL, as azureml-core sends it), each segment encoded, ``.`` and
``..`` segments too (so that no client or proxy resolves them); ``{ws}`` is the workspace's ARM
id template. Query values may be templates too (``{'path': '{path}'}``). ``body`` is the JSON body
of a POST read (merged under the caller's).

Paging styles: ``arm`` / ``mms`` (absolute ``nextLink``), ``continuation``
(``nextLink``, else resend with ``continuationToken``: as a query parameter for GET, in the
JSON body for POST ``:query`` reads), ``None`` (a single object).
"""

import re
from collections import namedtuple

from urllib.parse import quote, unquote, urlencode, urlsplit

from ansible_collections.gdpr.azureml.plugins.module_utils._clouds import (
    ARM, ARTIFACT, DATASTORE, DISCOVERY, HISTORY, MODEL_MANAGEMENT, NOTIFICATION, PIPELINES, family_base,
)
from ansible_collections.gdpr.azureml.plugins.module_utils._errors import GdprAzureMLError

# A subscription, tenant or object id (the one GUID pattern of the collection).
GUID_RE = re.compile(r'^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$')

WS = ('/subscriptions/{subscription_id}/resourceGroups/{resource_group}'
      '/providers/Microsoft.MachineLearningServices/workspaces/{workspace_name}')

ARM_API_VERSION = '2019-11-01'
MMS_API_VERSION = '2019-11-01'
# workspaces.delete with permanently_delete: skip the soft delete (newer ARM api-version).
PURGE_QUERY = {'api-version': '2024-04-01', 'forceToPurge': 'true'}

Route = namedtuple('Route', ['family', 'method', 'path', 'query', 'paging', 'idempotent', 'auth', 'body'])


def _r(family, method, path, query=None, paging=None, *, idempotent=None, auth=True, body=None):
    """One row. ``idempotent`` defaults to True for GET and DELETE (the verbs that may be retried)."""
    if idempotent is None:
        idempotent = method in ('GET', 'DELETE')
    return Route(family, method, path, dict(query or {}), paging, idempotent, auth, dict(body or {}))


_ARM = {'api-version': ARM_API_VERSION}
_MMS = {'api-version': MMS_API_VERSION}
# Experiments can be archived; the lists leave them out unless asked for every view (azureml-core ViewType).
_ALL_VIEWS = {'viewType': 'All'}
# The v2 metrics service (azureml-core 1.61 metric_operations.py): POST reads, paged by continuationToken in the body.
_METRIC2 = '/metric/v2.0{ws}/runs/{run_id}'
_ART1 = '/artifact/v1.0{ws}/artifacts/origins/ExperimentRun/containers/{container}'
_RG = '/subscriptions/{subscription_id}/resourceGroups/{resource_group}'

DOCUMENTED = {
    'workspaces.list_subscription': _r(ARM, 'GET', '/subscriptions/{subscription_id}/providers/Microsoft.MachineLearningServices/workspaces',
                                       _ARM, 'arm'),
    'workspaces.list': _r(ARM, 'GET', _RG + '/providers/Microsoft.MachineLearningServices/workspaces', _ARM, 'arm'),
    'workspaces.get': _r(ARM, 'GET', '{ws}', _ARM),
    'workspaces.delete': _r(ARM, 'DELETE', '{ws}', _ARM),
    'computes.list': _r(ARM, 'GET', '{ws}/computes', _ARM, 'arm'),
    'computes.get': _r(ARM, 'GET', '{ws}/computes/{compute_name}', _ARM),

    'experiments.list': _r(HISTORY, 'GET', '/history/v1.0{ws}/experiments', _ALL_VIEWS, 'continuation'),
    'runs.list': _r(HISTORY, 'GET', '/history/v1.0{ws}/experiments/{experiment_name}/runs', paging='continuation'),
    'runs.get': _r(HISTORY, 'GET', '/history/v1.0{ws}/experiments/{experiment_name}/runs/{run_id}'),
    # A run by its id alone (azureml-core RunOperations.get_workspace_run): artifact_info learns the run's data container.
    'runs.get_by_id': _r(HISTORY, 'GET', '/history/v1.0{ws}/runs/{run_id}'),
    'metrics.list': _r(HISTORY, 'GET', '/history/v1.0{ws}/experiments/{experiment_name}/metrics', paging='continuation'),
    # azureml-core 1.61 WorkspaceClient.delete_experiment: an empty experiment, by id; 200, or 202 + Location (polled)
    'experiments.delete': _r(HISTORY, 'DELETE', '/history/v1.0{ws}/experimentids/{experiment_id}'),
    'metrics.get': _r(HISTORY, 'GET', '/history/v1.0{ws}/experiments/{experiment_name}/metrics/{metric_id}'),

    'metrics_v2.list': _r(HISTORY, 'POST', _METRIC2 + '/list', paging='continuation', idempotent=True),
    'metrics_v2.full': _r(HISTORY, 'POST', _METRIC2 + '/full', paging='continuation', idempotent=True),

    # {container}: the run's dataContainerId (dcid.<runId> for runs of the SDK), where its artifacts live.
    'artifacts.list': _r(ARTIFACT, 'GET', _ART1, paging='continuation'),
    'artifacts.contentinfo': _r(ARTIFACT, 'GET', _ART1 + '/contentinfo', {'path': '{path}'}),

    'tasks.list': _r(NOTIFICATION, 'GET', '/notification/v1.0{ws}/tasks', paging='continuation'),
    'tasks.get': _r(NOTIFICATION, 'GET', '/notification/v1.0{ws}/tasks/{task_id}'),

    'datastores.list': _r(DATASTORE, 'GET', '/datastore/v1.0{ws}/datastores', paging='continuation'),
    'datastores.get': _r(DATASTORE, 'GET', '/datastore/v1.0{ws}/datastores/{name}'),

    'models.list': _r(MODEL_MANAGEMENT, 'GET', '/api{ws}/models', _MMS, 'mms'),
    'models.get': _r(MODEL_MANAGEMENT, 'GET', '/api{ws}/models/{id}', _MMS),
    'models.delete': _r(MODEL_MANAGEMENT, 'DELETE', '/api{ws}/models/{id}', _MMS),
    'assets.list': _r(MODEL_MANAGEMENT, 'GET', '/api{ws}/assets', _MMS, 'mms'),
    'assets.get': _r(MODEL_MANAGEMENT, 'GET', '/api{ws}/assets/{id}', _MMS),
    'assets.delete': _r(MODEL_MANAGEMENT, 'DELETE', '/api{ws}/assets/{id}', _MMS),
    'images.list': _r(MODEL_MANAGEMENT, 'GET', '/api{ws}/images', _MMS, 'mms'),
    'images.get': _r(MODEL_MANAGEMENT, 'GET', '/api{ws}/images/{id}', _MMS),
    'images.delete': _r(MODEL_MANAGEMENT, 'DELETE', '/api{ws}/images/{id}', _MMS),
    'services.list': _r(MODEL_MANAGEMENT, 'GET', '/api{ws}/services', _MMS, 'mms'),
    'services.get': _r(MODEL_MANAGEMENT, 'GET', '/api{ws}/services/{id}', _MMS),
    'services.delete': _r(MODEL_MANAGEMENT, 'DELETE', '/api{ws}/services/{id}', _MMS),
    'mms_operations.get': _r(MODEL_MANAGEMENT, 'GET', '/api{ws}/operations/{operation_id}', _MMS),

    'pipeline_experiments.get': _r(PIPELINES, 'GET', '/api/v1.0{ws}/Experiments/{id}'),
    'pipeline_graphs.get': _r(PIPELINES, 'GET', '/api/v1.0{ws}/Graphs/{id}'),
    'pipeline_modules.get': _r(PIPELINES, 'GET', '/api/v1.0{ws}/Modules/{id}'),
    'pipeline_templates.get': _r(PIPELINES, 'GET', '/api/v1.0{ws}/Templates/{id}'),
    'pipeline_datasources.get': _r(PIPELINES, 'GET', '/api/v1.0{ws}/DataSources/{id}'),

    # Absolute URL from the workspace's properties.discoveryUrl; unauthenticated, as azureml-core does.
    'discovery.get': _r(DISCOVERY, 'GET', '{discovery_url}', auth=False),
}

# The v2 resources (ARM, Microsoft.MachineLearningServices 2025-12-01, mfe.json): the same in both profiles (the
# api_profile switches the v1 data-plane routes only). Lists are paged by ARM's absolute nextLink; the lists that have
# a listViewType ask for every view (their defaults leave archived jobs and assets, and disabled schedules, out).
# Secrets are never requested: no connections/{name}/listsecrets, no endpoint listKeys, no getBlobReferenceSAS.
V2_API_VERSION = '2025-12-01'
_V2 = {'api-version': V2_API_VERSION}
_V2_ALL = dict(_V2, listViewType='All')


def _v2_rows(op, path, *, view=True, long_running=False):
    """``{op}.list``, ``.get`` and ``.delete`` of a v2 resource at ``path`` (under ``{ws}``); the get and delete of one
    object take its ``{name}`` (a version its ``{version}``)."""
    one = path + ('/{version}' if path.endswith('/versions') else '/{name}')
    return {
        op + '.list': _r(ARM, 'GET', '{ws}/' + path, _V2_ALL if view else _V2, 'arm'),
        op + '.get': _r(ARM, 'GET', '{ws}/' + one, _V2),
        # Asset versions and containers, connections: synchronous; jobs, endpoints, deployments, schedules: long-running
        # (202 + Location): the purge polls them.
        op + '.delete': _r(ARM, 'DELETE', '{ws}/' + one, _V2),
    }


V2 = {}
V2.update(_v2_rows('jobs', 'jobs'))
for _prefix, _path in (('data', 'data'), ('model', 'models'), ('environment', 'environments'), ('component', 'components'),
                       ('code', 'codes')):
    _view = _prefix != 'code'  # codes have no listViewType in the spec: their lists hold every code
    V2.update(_v2_rows(_prefix + '_containers', _path, view=_view))
    V2.update(_v2_rows(_prefix + '_versions', _path + '/{name}/versions', view=_view))
V2.update(_v2_rows('online_endpoints', 'onlineEndpoints', view=False))
V2.update(_v2_rows('online_deployments', 'onlineEndpoints/{endpoint_name}/deployments', view=False))
V2.update(_v2_rows('batch_endpoints', 'batchEndpoints', view=False))
V2.update(_v2_rows('batch_deployments', 'batchEndpoints/{endpoint_name}/deployments', view=False))
V2.update(_v2_rows('schedules', 'schedules'))  # listViewType: EnabledOnly by default
V2.update(_v2_rows('connections', 'connections', view=False))
V2.update({
    # The v2 view of the datastores (account and container names of the files of data and model versions); their
    # credentials are never asked for (no POST .../listSecrets).
    'datastores_v2.list': _r(ARM, 'GET', '{ws}/datastores', _V2, 'arm'),
    'computes.delete': _r(ARM, 'DELETE', '{ws}/computes/{compute_name}', _V2),
    # The v2 view of a datastore (the v1 datastore of the same name): the delete removes the registration, not the storage.
    'datastores.delete': _r(ARM, 'DELETE', '{ws}/datastores/{name}', _V2),
    # Registries are resource-group level, shared by workspaces: read, never deleted by this collection.
    'registries.list': _r(ARM, 'GET', _RG + '/providers/Microsoft.MachineLearningServices/registries', _V2, 'arm'),
    'registries.get': _r(ARM, 'GET', _RG + '/providers/Microsoft.MachineLearningServices/registries/{name}', _V2),
})
DOCUMENTED.update(V2)

_MM = '/modelmanagement/v1.0{ws}'
_ART2 = '/artifact/v2.0{ws}/artifacts/ExperimentRun/{container}'

# Today's service (api_profile: current): MMS under /modelmanagement/v1.0 without api-version,
# run-history lists as POST :query reads (continuationToken in the body), artifacts v2.0.
CURRENT = dict(DOCUMENTED)
CURRENT.update({
    'experiments.list': _r(HISTORY, 'POST', '/history/v1.0{ws}/experiments:query', _ALL_VIEWS, 'continuation', idempotent=True,
                           body=_ALL_VIEWS),
    'runs.list': _r(HISTORY, 'POST', '/history/v1.0{ws}/experiments/{experiment_name}/runs:query', paging='continuation', idempotent=True),
    'metrics.list': _r(HISTORY, 'POST', '/history/v1.0{ws}/experiments/{experiment_name}/metrics:query', paging='continuation',
                       idempotent=True),
    'artifacts.list': _r(ARTIFACT, 'GET', _ART2, paging='continuation'),
    # azureml-core 1.61 ArtifactOperations.get_content_information: the path in the URL, not the 2019 swagger's ?path=
    'artifacts.contentinfo': _r(ARTIFACT, 'GET', '/artifact/v2.0{ws}/artifacts/contentinfo/ExperimentRun/{container}/{path*}'),
    'models.list': _r(MODEL_MANAGEMENT, 'GET', _MM + '/models', paging='mms'),
    'models.get': _r(MODEL_MANAGEMENT, 'GET', _MM + '/models/{id}'),
    'models.delete': _r(MODEL_MANAGEMENT, 'DELETE', _MM + '/models/{id}'),
    'assets.list': _r(MODEL_MANAGEMENT, 'GET', _MM + '/assets', paging='mms'),
    'assets.get': _r(MODEL_MANAGEMENT, 'GET', _MM + '/assets/{id}'),
    'assets.delete': _r(MODEL_MANAGEMENT, 'DELETE', _MM + '/assets/{id}'),
    'images.list': _r(MODEL_MANAGEMENT, 'GET', _MM + '/images', paging='mms'),
    'images.get': _r(MODEL_MANAGEMENT, 'GET', _MM + '/images/{id}'),
    'images.delete': _r(MODEL_MANAGEMENT, 'DELETE', _MM + '/images/{id}'),
    'services.list': _r(MODEL_MANAGEMENT, 'GET', _MM + '/services', paging='mms'),
    'services.get': _r(MODEL_MANAGEMENT, 'GET', _MM + '/services/{id}'),
    'services.delete': _r(MODEL_MANAGEMENT, 'DELETE', _MM + '/services/{id}'),
    'mms_operations.get': _r(MODEL_MANAGEMENT, 'GET', _MM + '/operations/{operation_id}'),
    # Compute instances (and their assignedUser) exist from api-version 2020-01-01 on: today's computes API.
    'computes.list': _r(ARM, 'GET', '{ws}/computes', _V2, 'arm'),
    'computes.get': _r(ARM, 'GET', '{ws}/computes/{compute_name}', _V2),
})

ROUTES = {'documented': DOCUMENTED, 'current': CURRENT}

_PLACEHOLDER = re.compile(r'\{([a-z_]+)(\*?)\}')


class RouteError(GdprAzureMLError, ValueError):
    """A route cannot be built: unknown operation, missing parameter, bad base_url."""


def get_route(op, api_profile='documented'):
    """The :data:`Route` of ``op`` in ``api_profile``; RouteError names the problem."""
    table = ROUTES.get(api_profile)
    if table is None:
        raise RouteError(f"api_profile must be one of {', '.join(sorted(ROUTES))}, got {api_profile!r}")
    route = table.get(op)
    if route is None:
        raise RouteError(f'unknown operation {op!r} (api_profile {api_profile})')
    return route


def split_base_url(url, what='base_url'):
    """Return ``scheme://host[:port]`` of ``url`` (lower-cased); RouteError unless http(s) with a host."""
    parts = urlsplit(str(url or '').strip())
    if parts.scheme.lower() not in ('http', 'https') or not parts.hostname:
        raise RouteError(f'{what} must be an http:// or https:// URL with a host, got {url!r}')
    if '@' in parts.netloc:
        raise RouteError(f'{what} must not carry credentials')
    try:
        parts.port  # noqa: B018 - urlsplit checks the port lazily
    except ValueError:
        raise RouteError(f'{what} has an invalid port: {url!r}') from None
    return f'{parts.scheme.lower()}://{parts.netloc.lower()}'


def parse_base_url(base_url):
    """Validate the ``base_url`` option: ``scheme://host[:port]``, nothing after it but ``/``."""
    base = split_base_url(base_url)
    parts = urlsplit(str(base_url).strip())
    if parts.path not in ('', '/') or parts.query or parts.fragment:
        raise RouteError(f'base_url must be scheme://host[:port] without a path, got {base_url!r}')
    return base


def _value(op, params, name):
    value = params.get(name)
    if value is None or value == '':
        raise RouteError(f'operation {op} needs the parameter {name!r}')
    return value if isinstance(value, str) else str(value)


def expand_path(op, template, params):
    """Fill the placeholders of ``template``: ``{name}`` percent-encoded as one segment (``/`` too), ``{name*}`` segment
    by segment; a value of dots only (``.``, ``..``) is encoded too, so that no HTTP stack resolves it."""
    template = template.replace('{ws}', WS)

    def fill(match):
        value = _value(op, params, match.group(1))
        if match.group(2):
            return '/'.join(segment(part) for part in value.split('/'))
        return segment(value)
    return _PLACEHOLDER.sub(fill, template)


def segment(value):
    """``value`` percent-encoded as one path segment; a value of dots only (``.``, ``..``) too (``%2E``), which URL
    normalisers (urllib3, proxies, servers) would otherwise take for the current or the parent folder:
    ``DELETE .../models/..`` must never become a request for the workspace."""
    return quote(value, safe='') if value.strip('.') else value.replace('.', '%2E')


def path_params(op, path, api_profile='documented'):
    """The parameters of ``op``'s path template that the path ``path`` (an ARM id) fills, ``{name: value}`` (values
    percent-decoded; compared case-insensitively, as ARM compares ids); None when ``path`` is not a path of ``op``."""
    template = get_route(op, api_profile).path.replace('{ws}', WS)
    pattern, last = [], 0
    for match in _PLACEHOLDER.finditer(template):
        pattern.append(re.escape(template[last:match.start()]))
        pattern.append(f'(?P<{match.group(1)}>.+)' if match.group(2) else f'(?P<{match.group(1)}>[^/]+)')
        last = match.end()
    pattern.append(re.escape(template[last:]))
    found = re.fullmatch(''.join(pattern), str(path or ''), re.IGNORECASE)
    return None if found is None else {k: unquote(v) for k, v in found.groupdict().items()}


def placeholders(op, api_profile='documented'):
    """The names of the parameters of ``op``'s path, in order (``{ws}``'s three first)."""
    return [m.group(1) for m in _PLACEHOLDER.finditer(get_route(op, api_profile).path.replace('{ws}', WS))]


def build_query(op, route_query, params, query=None):
    """The route's query (templates filled from ``params``) updated by ``query``; a None value drops a key."""
    result = {}
    for key, value in route_query.items():
        match = _PLACEHOLDER.fullmatch(value) if isinstance(value, str) else None
        result[key] = _value(op, params, match.group(1)) if match else value
    for key, value in (query or {}).items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def build_url(op, params, cloud, location, *, base_url=None, api_profile='documented', hosts=None, query=None):
    """Absolute URL of ``op``.

    :param op: an operation name of the table (``models.get``).
    :param params: dict of path and query parameters (``subscription_id``, ``resource_group``,
        ``workspace_name``, ``id``, ...); each value is percent-encoded as one path segment.
    :param cloud: a ``_clouds.Cloud``.
    :param location: the workspace region (needed by data-plane families only).
    :param base_url: ``scheme://host[:port]`` replacing the host of every family, paths unchanged.
    :param api_profile: ``documented`` or ``current``.
    :param hosts: ``{family: 'https://host'}`` overriding the cloud's patterns (a discovery document).
    :param query: extra query parameters, overriding the route's (a None value removes one).
    """
    route = get_route(op, api_profile)
    params = params or {}
    if route.family == DISCOVERY:
        url = _value(op, params, 'discovery_url')
        base = split_base_url(url, 'discovery URL')
        parts = urlsplit(url)
        path = (parts.path or '/') + ('?' + parts.query if parts.query else '')
    else:
        path = expand_path(op, route.path, params)
        if base_url:
            base = None  # replaced below; the family's own host (and the location) are not needed
        else:
            base = (hosts or {}).get(route.family) or family_base(cloud, route.family, location, api_profile)
    if base_url:
        base = parse_base_url(base_url)
    url = base.rstrip('/') + path
    query_items = build_query(op, route.query, params, query)
    if query_items:
        url += ('&' if '?' in path else '?') + urlencode(query_items, quote_via=quote)
    return url
