# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""Where the files of a data or model version are: its URI resolved to blobs of a storage account. Pure functions.

A v2 data version names its files in ``properties.dataUri`` (``dataType`` ``uri_file``: one file; ``uri_folder`` or
``mltable``: a folder), a model version in ``properties.modelUri`` (``modelType`` ``custom_model``, ``mlflow_model``,
``triton_model``: a folder; a URI of a single file is that file). :func:`resolve` turns the URI into a :data:`Target`
(account, container, path, and whether the path is a folder prefix or one blob's name) through the workspace's
datastores (:func:`datastore_locations`: their account and container names, never their credentials), or says why the
files are not reachable. The forms understood:

- ``azureml://datastores/<name>/paths/<path>`` and the long form
  ``azureml://subscriptions/<s>/resourcegroups/<rg>/[providers/Microsoft.MachineLearningServices/]workspaces/<ws>/datastores/<name>/paths/<path>``
  (of this workspace only);
- ``https://<account>.blob.<suffix>/<container>/<path>`` and ``https://<account>.dfs.<suffix>/<filesystem>/<path>``;
- ``wasbs://<container>@<account>.blob.<suffix>/<path>`` (and ``wasb://``);
- ``abfss://<filesystem>@<account>.dfs.<suffix>/<path>`` (and ``abfs://``): ADLS Gen2 is reachable through the blob
  endpoint, the file system being the container;
- a bare ``LocalUpload/<hash>/...`` path: an upload on the workspace's blob store (``workspaceblobstore``).

Anything else is not guessed: ADLS Gen1 (``adl://``), another cloud's suffix, public ``http(s)`` hosts, registries
(``azureml://registries/...``), job outputs, data references, a datastore this workspace does not have or that is not
blob storage (file shares, Gen1, OneLake), a path with ``.``/``..`` segments, a folder that is a whole container. The
query string of a URI (a SAS token is a credential) is dropped before anything, and never repeated.
"""

import re
from collections import namedtuple
from urllib.parse import unquote, urlsplit

Target = namedtuple('Target', ['account', 'container', 'path', 'folder'])
Target.__doc__ = '''Blobs of ``account``/``container``: every blob under the prefix ``path`` (ends with ``/``) when ``folder``; the
one blob named ``path`` when not; with ``folder`` None (a model URI without a final ``/``) the blob ``path`` and every blob
under ``path/``.'''
Resolved = namedtuple('Resolved', ['target', 'reason'])
Resolved.__doc__ = '''What :func:`resolve` found: a :data:`Target`, or None and ``reason`` (why it is not reachable).'''
Location = namedtuple('Location', ['account', 'container', 'suffix', 'reason'])
Location.__doc__ = '''A datastore's blob location (``account``, ``container``, endpoint ``suffix``), or ``reason`` why it has none.'''

FILE_TYPES = ('uri_file',)
MODEL_TYPES = ('custom_model', 'mlflow_model', 'triton_model')
FOLDER_TYPES = ('uri_folder', 'mltable') + MODEL_TYPES
UPLOAD_DATASTORE = 'workspaceblobstore'
ACCOUNT_RE = re.compile(r'^[a-z0-9]{3,24}$')
CONTAINER_RE = re.compile(r'^(\$root|\$web|[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62})$')
_LONG = re.compile(r'^subscriptions/([^/]+)/resourcegroups/([^/]+)/(?:providers/microsoft\.machinelearningservices/)?'
                   r'workspaces/([^/]+)/datastores/([^/]+)/paths/(.*)$', re.IGNORECASE | re.DOTALL)
_SHORT = re.compile(r'^datastores/([^/]+)/paths/(.*)$', re.IGNORECASE | re.DOTALL)
_BLOB_DATASTORES = {'azureblob': 'blob', 'azuredatalakegen2': 'dfs'}

# The properties of a version: its URI field and its type field, by kind.
URI_FIELDS = {'data_versions': ('dataUri', 'dataType'), 'model_versions': ('modelUri', 'modelType')}


def version_uri(kind_name, obj):
    """``(uri, type)`` of a data or model version (``properties.dataUri``/``dataType``, ``properties.modelUri``/``modelType``)."""
    uri_field, type_field = URI_FIELDS[kind_name]
    props = (obj or {}).get('properties') if isinstance(obj, dict) else None
    props = props if isinstance(props, dict) else {}
    uri, kind_ = props.get(uri_field), props.get(type_field)
    return (str(uri) if uri is not None else None), (str(kind_) if kind_ is not None else None)


def datastore_locations(datastores, suffix):
    """``{datastore name (lower case): Location}`` of the workspace's datastores (v2 ``Datastore`` objects; v1 objects with
    ``azureStorageSection`` too). Only names are read: a datastore's credentials never are."""
    found = {}
    for ds in datastores or ():
        if not isinstance(ds, dict) or not ds.get('name'):
            continue
        name = str(ds['name'])
        props = ds.get('properties') if isinstance(ds.get('properties'), dict) else None
        if props is not None and props.get('datastoreType'):  # v2
            kind_ = str(props.get('datastoreType'))
            account = props.get('accountName')
            container = props.get('containerName') if kind_.lower() == 'azureblob' else props.get('filesystem')
            endpoint = props.get('endpoint') or suffix
        else:  # v1
            kind_ = str(ds.get('dataStoreType') or '')
            section = ds.get('azureStorageSection') if isinstance(ds.get('azureStorageSection'), dict) else {}
            account, container = section.get('accountName'), section.get('containerName')
            endpoint = section.get('endpoint') or suffix
            kind_ = {'azureblob': 'AzureBlob', 'azuredatalakegen2': 'AzureDataLakeGen2'}.get(kind_.lower(), kind_)
        if kind_.lower() not in _BLOB_DATASTORES:
            found[name.lower()] = Location(None, None, None, f'datastore {name} is of type {kind_ or "unknown"}, not blob storage '
                                                             '(file shares, ADLS Gen1 and OneLake are not read)')
            continue
        account, container = str(account or '').lower(), str(container or '')
        if not ACCOUNT_RE.match(account) or not CONTAINER_RE.match(container):
            found[name.lower()] = Location(None, None, None, f'datastore {name} names no usable storage account and container')
            continue
        found[name.lower()] = Location(account, container, str(endpoint).strip().strip('.').lower(), None)
    return found


def _path(raw):
    """The blob path of a URI's path part, decoded; ``(path, None)`` or ``(None, why)``."""
    path = unquote(raw)
    if any(part in ('.', '..') for part in path.split('/')):
        return None, "the path has a '.' or '..' segment"
    if '//' in path.rstrip('/') or path.startswith('/'):
        return None, 'the path has an empty segment'
    if '\\' in path or any(ord(c) < 32 for c in path):
        return None, 'the path has a backslash or a control character'
    return path, None


def _target(account, container, path, type_, what):
    if type_ is None:  # no type (an older model version): a folder when the path says so, else one file
        type_ = FOLDER_TYPES[0] if path.endswith('/') else FILE_TYPES[0]
    if type_ in FILE_TYPES:
        if not path or path.endswith('/'):
            return Resolved(None, f'a uri_file whose path is a folder ({what})')
        return Resolved(Target(account, container, path, False), None)
    if type_ in MODEL_TYPES and path and not path.endswith('/'):
        return Resolved(Target(account, container, path, None), None)  # a model's file, or its folder
    if type_ in FOLDER_TYPES:
        path = path.rstrip('/')
        if not path:
            return Resolved(None, f"the folder is a whole container ({what}): its files are not taken as the version's")
        return Resolved(Target(account, container, path + '/', True), None)
    return Resolved(None, f'unknown type {type_!r}: whether it is one file or a folder is not guessed')


def _unreachable(reason):
    return Resolved(None, reason)


def resolve(uri, type_, datastores, *, suffix, workspace=None):
    """A version's URI as a :data:`Resolved`.

    :param uri: ``properties.dataUri`` / ``properties.modelUri``.
    :param type_: ``dataType`` / ``modelType`` (``uri_file`` is one blob; the folder types a prefix).
    :param datastores: :func:`datastore_locations` of the workspace.
    :param suffix: the cloud's storage endpoint suffix (``core.windows.net``): other hosts are not reachable.
    :param workspace: ``(subscription id, resource group, workspace name)``: the long ``azureml://`` form must name it.
    """
    if not uri or not isinstance(uri, str) or not uri.strip():
        return _unreachable('the version names no URI')
    suffix = str(suffix).strip('.').lower()
    raw = uri.strip()
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    # the path part, without a query (a SAS token is a credential) or fragment
    if scheme == 'azureml':
        rest = (parts.netloc + parts.path).lstrip('/')
        return _resolve_azureml(rest, type_, datastores, suffix, workspace)
    if not scheme:
        path, why = _path(parts.path)
        if why:
            return _unreachable(why)
        if path.startswith('LocalUpload/'):
            return _from_datastore(UPLOAD_DATASTORE, path, type_, datastores, suffix, what='an upload on the workspace blob store')
        return _unreachable('a relative path that is not an upload (LocalUpload/...): its datastore is unknown')
    if scheme in ('https', 'http'):
        host = (parts.hostname or '').lower()
        account, service = _host(host, suffix)
        if account is None:
            return _unreachable(f'host {host or "(none)"} is not a storage account of this cloud (*.blob.{suffix} or *.dfs.{suffix})')
        if scheme == 'http':
            return _unreachable('plain http to a storage account: not read')
        container, dummy, path = parts.path.lstrip('/').partition('/')
        return _blob(account, unquote(container), path, type_, f'{service} endpoint of {account}')
    if scheme in ('wasbs', 'wasb', 'abfss', 'abfs'):
        container, at, host = parts.netloc.rpartition('@')
        account, service = _host(host.lower(), suffix)
        if not at or account is None or service != ('blob' if scheme.startswith('wasb') else 'dfs'):
            return _unreachable(f'{scheme}:// to host {host.lower() or "(none)"}: not a storage account of this cloud')
        return _blob(account, unquote(container), parts.path.lstrip('/'), type_, f'{scheme} on {account}')
    if scheme == 'adl':
        return _unreachable('Azure Data Lake Storage Gen1 (adl://) is not read')
    return _unreachable(f'URI scheme {scheme}:// is not storage this collection reads')


def _host(host, suffix):
    """``(account, 'blob'|'dfs')`` of ``<account>.blob|dfs.<suffix>``, else ``(None, None)``."""
    for service in ('blob', 'dfs'):
        tail = f'.{service}.{suffix}'
        if host.endswith(tail) and ACCOUNT_RE.match(host[:-len(tail)]):
            return host[:-len(tail)], service
    return None, None


def _blob(account, container, raw_path, type_, what):
    if not CONTAINER_RE.match(container or ''):
        return _unreachable(f'{container!r} is not a container name ({what})')
    path, why = _path(raw_path)
    if why:
        return _unreachable(why)
    return _target(account, container, path, type_, what)


def _resolve_azureml(rest, type_, datastores, suffix, workspace):
    found = _SHORT.match(rest)
    if found:
        name, raw = found.groups()
    else:
        found = _LONG.match(rest)
        if not found:
            head = rest.split('/', 1)[0].lower()
            if head == 'registries':
                return _unreachable('a registry asset (azureml://registries/...): the registry is shared, its storage not read')
            return _unreachable(f'azureml://{head}/... does not name a datastore path')
        sub, rg, ws_name, name, raw = found.groups()
        if workspace is not None and (sub.lower(), rg.lower(), ws_name.lower()) != tuple(str(w).lower() for w in workspace):
            return _unreachable(f'a datastore of another workspace ({rg}/{ws_name})')
    path, why = _path(raw)
    if why:
        return _unreachable(why)
    return _from_datastore(unquote(name), path, type_, datastores, suffix, what=f'datastore {unquote(name)}')


def _from_datastore(name, path, type_, datastores, suffix, *, what):
    location = (datastores or {}).get(name.lower())
    if location is None:
        return _unreachable(f'the workspace has no datastore {name}')
    if location.reason:
        return _unreachable(location.reason)
    if location.suffix and location.suffix != suffix:
        return _unreachable(f'datastore {name} is in another cloud (endpoint {location.suffix}, not {suffix})')
    return _target(location.account, location.container, path, type_, what)


def covers(target, name):
    """True when blob ``name`` of the target's container is one of the target's files."""
    if target.folder is None:
        return name == target.path or name.startswith(target.path + '/')
    return name.startswith(target.path) if target.folder else name == target.path


def describe(target):
    """``<account>/<container>/<path>`` (``/*`` after a folder)."""
    tail = '*' if target.folder else ('[/*]' if target.folder is None else '')
    return f'{target.account}/{target.container}/{target.path}{tail}'


def shown_uri(uri):
    """``uri`` without its query and fragment (a SAS token is a credential): what a report may repeat."""
    return str(uri or '').split('?', 1)[0].split('#', 1)[0]


def version_targets(versions, datastores, *, suffix, workspace=None):
    """``(targets, unreachable)`` of ``versions`` (``[(kind, id, object)]`` of kinds ``data_versions``/``model_versions``):
    ``targets`` ``[(kind, id, Target)]``, ``unreachable`` ``[{kind, id, uri, reason}]`` (the URI without its query), both
    sorted. ``datastores`` are the workspace's datastore objects."""
    locations = datastore_locations(datastores, suffix)
    targets, unreachable = [], []
    for kind_name, obj_id, obj in versions:
        uri, type_ = version_uri(kind_name, obj)
        found = resolve(uri, type_, locations, suffix=suffix, workspace=workspace)
        if found.target is not None:
            targets.append((kind_name, obj_id, found.target))
        else:
            unreachable.append({'kind': kind_name, 'id': obj_id, 'uri': shown_uri(uri) or None, 'reason': found.reason})
    return sorted(targets), sorted(unreachable, key=lambda u: (u['kind'], u['id']))
