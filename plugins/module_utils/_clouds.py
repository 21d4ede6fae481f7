# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""Azure clouds: ARM host, Azure AD authority, token scopes, data-plane host patterns, storage suffix.

Data only. One :class:`Cloud` per ``cloud_environment`` value. Host patterns are
``https://`` URLs without a path; ``{location}`` is the workspace's region
(``eastus``, ``chinaeast2``, ...).

Sources: the cloud tables of azureml-core (``_vendor/azure_cli_core/cloud.py``,
``_base_sdk_common/service_discovery.py``) and azure-ai-ml (``_azure_environments.py``). The public-cloud ``documented`` hosts are the
ones the 2020 export/delete document names. For the sovereign clouds the document names
nothing: their ``documented`` hosts are INFERRED. China's model-management host is the one
azureml-core uses (``{location}.modelmanagement.ml.azure.cn``); every other sovereign
data-plane family falls back to the region's current API host
(``{location}.api.ml.azure.cn`` / ``{location}.api.ml.azure.us``), which serves the same
paths in today's service. Set ``base_url`` (a proxy) if your cloud differs.
"""

import re
from collections import namedtuple
from urllib.parse import urlsplit

# Host families of the route table (see docs/architecture.md).
ARM = 'arm'
MODEL_MANAGEMENT = 'modelmanagement'
HISTORY = 'history'
ARTIFACT = 'artifact'
NOTIFICATION = 'notification'
DATASTORE = 'datastore'
PIPELINES = 'pipelines'
DISCOVERY = 'discovery'  # absolute URL taken from the workspace's properties.discoveryUrl

DATA_PLANE_FAMILIES = (MODEL_MANAGEMENT, HISTORY, ARTIFACT, NOTIFICATION, DATASTORE, PIPELINES)

Cloud = namedtuple('Cloud', [
    'name',             # the cloud_environment value
    'arm_endpoint',     # https://management.azure.com (no trailing slash)
    'authority_host',   # Azure AD authority, https://login.microsoftonline.com
    'arm_resource',     # ARM token resource (v1 form, trailing slash)
    'data_hosts',       # {api_profile: {family: 'https://{location}.<host>'}}
    'trusted_suffixes',  # host suffixes a discovery document may point data-plane calls to
    'inferred',         # True when the documented data-plane hosts are inferred
    'storage_suffix',   # blob endpoints are https://<account>.blob.<storage_suffix>
])

# The OAuth2 scope of Azure Storage's data plane: the same resource in every cloud (azure-storage-blob's
# STORAGE_OAUTH_SCOPE); the account's cloud is in its host, not in the token's audience.
STORAGE_SCOPE = 'https://storage.azure.com/.default'


def _hosts(mms, experiments, aether):
    return {
        MODEL_MANAGEMENT: mms,
        HISTORY: experiments,
        ARTIFACT: experiments,
        NOTIFICATION: experiments,
        DATASTORE: experiments,
        PIPELINES: aether,
    }


def _current(api):
    return _hosts(api, api, api)


CLOUDS = {
    'AzureCloud': Cloud(
        name='AzureCloud',
        arm_endpoint='https://management.azure.com',
        authority_host='https://login.microsoftonline.com',
        arm_resource='https://management.core.windows.net/',
        data_hosts={
            'documented': _hosts('https://{location}.modelmanagement.azureml.net',
                                 'https://{location}.experiments.azureml.net',
                                 'https://{location}.aether.ms'),
            'current': _current('https://{location}.api.azureml.ms'),
        },
        trusted_suffixes=('.azureml.ms', '.azureml.net', '.aether.ms'),
        inferred=False,
        storage_suffix='core.windows.net',
    ),
    'AzureChinaCloud': Cloud(
        name='AzureChinaCloud',
        arm_endpoint='https://management.chinacloudapi.cn',
        authority_host='https://login.chinacloudapi.cn',
        arm_resource='https://management.core.chinacloudapi.cn/',
        data_hosts={
            # INFERRED: MMS host from azureml-core's service discovery; the rest use the API host.
            'documented': _hosts('https://{location}.modelmanagement.ml.azure.cn',
                                 'https://{location}.api.ml.azure.cn',
                                 'https://{location}.api.ml.azure.cn'),
            'current': _current('https://{location}.api.ml.azure.cn'),
        },
        trusted_suffixes=('.ml.azure.cn',),
        inferred=True,
        storage_suffix='core.chinacloudapi.cn',
    ),
    'AzureUSGovernment': Cloud(
        name='AzureUSGovernment',
        arm_endpoint='https://management.usgovcloudapi.net',
        authority_host='https://login.microsoftonline.us',
        arm_resource='https://management.core.usgovcloudapi.net/',
        data_hosts={
            # INFERRED: no legacy host is known for US Government; every family uses the API host.
            'documented': _current('https://{location}.api.ml.azure.us'),
            'current': _current('https://{location}.api.ml.azure.us'),
        },
        trusted_suffixes=('.ml.azure.us',),
        inferred=True,
        storage_suffix='core.usgovcloudapi.net',
    ),
}

DEFAULT_CLOUD = 'AzureCloud'
API_PROFILES = ('documented', 'current')

_LOCATION_RE = re.compile(r'^[a-z0-9]{1,40}$')


def get_cloud(name=None):
    """Return the :class:`Cloud` called ``name`` (default ``AzureCloud``); ValueError names the choices."""
    name = name or DEFAULT_CLOUD
    try:
        return CLOUDS[name]
    except KeyError:
        raise ValueError(f"cloud_environment must be one of {', '.join(sorted(CLOUDS))}, got {name!r}") from None


def token_scope(cloud):
    """The OAuth2 v2 scope of the ARM token: resource + ``/.default`` (double slash intended)."""
    return cloud.arm_resource + '/.default'


def storage_endpoint(cloud, account):
    """``https://<account>.blob.<cloud storage suffix>``: the blob endpoint of a storage account."""
    return f'https://{account}.blob.{cloud.storage_suffix}'


def normalize_location(location):
    """``'East US'`` -> ``'eastus'``; ValueError when the result is not a plain region name."""
    value = re.sub(r'\s+', '', str(location or '')).lower()
    if not _LOCATION_RE.match(value):
        raise ValueError(f'location must be an Azure region name such as eastus, got {location!r}')
    return value


def family_base(cloud, family, location=None, api_profile='documented'):
    """``scheme://host`` of ``family`` in ``cloud`` for ``api_profile`` (data-plane families need ``location``)."""
    if family == ARM:
        return cloud.arm_endpoint
    try:
        pattern = cloud.data_hosts[api_profile][family]
    except KeyError:
        raise ValueError(f'no {api_profile} host for family {family!r} in {cloud.name}') from None
    if not location:
        raise ValueError(f'the {family} host of {cloud.name} needs the workspace location')
    return pattern.format(location=normalize_location(location))


def is_trusted_host(cloud, host):
    """True when ``host`` (no port) belongs to ``cloud``'s Azure ML domains."""
    host = (host or '').lower().rstrip('.')
    return any(host.endswith(suffix) for suffix in cloud.trusted_suffixes)


# Keys of a workspace's discovery document that give each data-plane family's host, best first
# (api_profile current; azureml-core maps run history, artifacts and datastores to "history" and
# model management to "modelmanagement"; pipelines use "pipelines" (the 2020 document's aether
# host) when the document has it, else "api", where azureml-core 1.50 sends them).
DISCOVERY_KEYS = {
    MODEL_MANAGEMENT: ('modelmanagement', 'api'),
    HISTORY: ('history', 'api'),
    ARTIFACT: ('history', 'api'),
    NOTIFICATION: ('history', 'api'),
    DATASTORE: ('history', 'api'),
    PIPELINES: ('pipelines', 'api'),
}


def discovery_hosts(cloud, document):
    """``({family: 'https://host'}, [rejected values])`` from a discovery document.

    Only ``https`` hosts within the cloud's Azure ML domains are taken: the bearer token is
    never sent to a host a document names outside them.
    """
    hosts, rejected = {}, []
    if not isinstance(document, dict):
        return hosts, rejected
    for family, keys in DISCOVERY_KEYS.items():
        for key in keys:
            value = document.get(key)
            if not isinstance(value, str) or not value:
                continue
            parts = urlsplit(value)
            if parts.scheme == 'https' and parts.hostname and is_trusted_host(cloud, parts.hostname):
                hosts[family] = f'https://{parts.netloc.lower()}'
                break
            if value not in rejected:
                rejected.append(value)
    return hosts, rejected
