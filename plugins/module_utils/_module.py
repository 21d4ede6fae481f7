# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""``AzureMLModule``: the wrapper every gdpr.azureml module is built on (as amazon.aws's AnsibleAWSModule).

It merges the common options (``plugins/doc_fragments/common.py``) into the module's argument
spec, validates them before any request (each message names the option), and builds the
auth source and the REST client lazily::

    def main():
        module = AzureMLModule(argument_spec=dict(id=dict(type='str')), supports_check_mode=True)
        module.run(lambda m: {'changed': False, 'model': m.client.get_json('models.get', {'id': m.params['id']})})
"""

import re
import threading
import traceback
from collections import namedtuple

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.gdpr.azureml.plugins.module_utils._auth import (
    AUTH_ENV, AUTH_SOURCES, STORAGE_AUTH_ENV, TOKEN_OPTION_NAMES, AuthError, AuthOptions, MissingLibraryError, build_auth,
    clean_token, normalize_authority,
)
from ansible_collections.gdpr.azureml.plugins.module_utils._client import (
    HAS_REQUESTS, REQUESTS_IMPORT_ERROR, AzureMLError, Client, redact_text,
)
from ansible_collections.gdpr.azureml.plugins.module_utils._clouds import (
    API_PROFILES, CLOUDS, DEFAULT_CLOUD, MODEL_MANAGEMENT, STORAGE_SCOPE, discovery_hosts, family_base, get_cloud, normalize_location,
)
from ansible_collections.gdpr.azureml.plugins.module_utils._errors import GdprAzureMLError
from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import sort_items, write_json_array
from ansible_collections.gdpr.azureml.plugins.module_utils._routes import GUID_RE, WS, RouteError, parse_base_url
from ansible_collections.gdpr.azureml.plugins.module_utils._storage import StorageClient, account_from_id, normalize_storage_base_url

RESOURCE_GROUP_RE = re.compile(r'^[-\w\._\(\)]{1,90}$')
WORKSPACE_NAME_RE = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$')

# Environment fallbacks of the transport options (the auth ones are _auth.AUTH_ENV).
TRANSPORT_ENV = {
    'base_url': ('AZUREML_BASE_URL',),
    'validate_certs': ('AZUREML_VALIDATE_CERTS',),
    'ca_path': ('REQUESTS_CA_BUNDLE',),
    'api_profile': ('AZUREML_API_PROFILE',),
    'storage_base_url': ('AZUREML_STORAGE_BASE_URL',),
}
# Options whose values are secrets (redacted from every message).
SECRET_OPTIONS = ('secret', 'access_token', 'storage_access_token', 'storage_account_key')


def _env(name):
    return (env_fallback, list(AUTH_ENV.get(name) or STORAGE_AUTH_ENV.get(name) or TRANSPORT_ENV[name]))


def common_argument_spec():
    """The options every module takes (doc fragment ``gdpr.azureml.common``), with their environment fallbacks."""
    return {
        'auth_source': {'type': 'str', 'choices': list(AUTH_SOURCES), 'default': 'auto', 'fallback': _env('auth_source')},
        'subscription_id': {'type': 'str', 'fallback': _env('subscription_id')},
        'tenant': {'type': 'str', 'fallback': _env('tenant')},
        'client_id': {'type': 'str', 'fallback': _env('client_id')},
        'secret': {'type': 'str', 'no_log': True, 'fallback': _env('secret')},
        'profile': {'type': 'str', 'fallback': _env('profile')},
        'cloud_environment': {'type': 'str', 'choices': sorted(CLOUDS), 'default': DEFAULT_CLOUD, 'fallback': _env('cloud_environment')},
        'authority_host': {'type': 'str', 'fallback': _env('authority_host')},
        'access_token': {'type': 'str', 'no_log': True, 'fallback': _env('access_token')},
        'storage_access_token': {'type': 'str', 'no_log': True, 'fallback': _env('storage_access_token')},
        'storage_account_key': {'type': 'str', 'no_log': True},
        'base_url': {'type': 'str', 'fallback': _env('base_url')},
        'storage_base_url': {'type': 'str', 'fallback': _env('storage_base_url')},
        'validate_certs': {'type': 'bool', 'default': True, 'fallback': _env('validate_certs')},
        'ca_path': {'type': 'path', 'fallback': _env('ca_path')},
        'timeout': {'type': 'int', 'default': 30},
        'retries': {'type': 'int', 'default': 6},
        'concurrency': {'type': 'int', 'default': 8},
        'api_profile': {'type': 'str', 'choices': list(API_PROFILES), 'default': 'current', 'fallback': _env('api_profile')},
        'resource_group': {'type': 'str'},
        'workspace_name': {'type': 'str'},
        'location': {'type': 'str'},
    }


class Workspace(namedtuple('Workspace', ['subscription_id', 'resource_group', 'workspace_name'])):
    """Workspace coordinates; ``id`` is the ARM id, ``params`` the route parameters."""

    __slots__ = ()

    @property
    def id(self):
        return WS.format(**self._asdict())

    @property
    def params(self):
        return {k: v for k, v in self._asdict().items() if v}

    def __str__(self):
        return f'{self.resource_group}/{self.workspace_name}'


def validate_common(params):
    """Check the common options without any request; return ``(option, message)`` or None."""
    sub = params.get('subscription_id')
    if sub and not GUID_RE.match(sub):
        return 'subscription_id', f'subscription_id must be a GUID (00000000-0000-0000-0000-000000000000), got {sub!r}'
    group = params.get('resource_group')
    if group is not None and (not RESOURCE_GROUP_RE.match(group) or group.endswith('.')):
        return 'resource_group', ('resource_group must be 1 to 90 letters, digits, underscores, hyphens, periods or '
                                  f'parentheses, not ending with a period, got {group!r}')
    name = params.get('workspace_name')
    if name is not None and not WORKSPACE_NAME_RE.match(name):
        return 'workspace_name', ('workspace_name must be 3 to 33 letters, digits, underscores or hyphens, '
                                  f'starting with a letter or digit, got {name!r}')
    checks = (
        ('concurrency', lambda v: v >= 1, 'concurrency must be at least 1'),
        ('retries', lambda v: v >= 0, 'retries must be 0 or more'),
        ('timeout', lambda v: v > 0, 'timeout must be more than 0 seconds'),
    )
    for option, test, message in checks:
        if params.get(option) is not None and not test(params[option]):
            return option, f'{message}, got {params[option]}'
    if params.get('cloud_environment'):
        try:
            get_cloud(params['cloud_environment'])
        except ValueError as exc:
            return 'cloud_environment', str(exc)
    for option, check in (('base_url', parse_base_url), ('authority_host', normalize_authority), ('location', normalize_location),
                          ('storage_base_url', normalize_storage_base_url)):
        if params.get(option):
            try:
                check(params[option])
            except (ValueError, AuthError) as exc:
                return option, str(exc)
    return None


def default_sort_key(item):
    """Items sort by ``id``, by ``name`` where there is no id (docs/export.md, "Kind files")."""
    if not isinstance(item, dict):
        return ''
    value = item.get('id')
    return str(value if value is not None else item.get('name') or '')


class AzureMLModule:
    """An AnsibleModule with the common options, validation, auth, client and error formatting.

    :param argument_spec: the module's own options (merged over the common ones).
    :param requires_workspace: fail unless ``resource_group`` and ``workspace_name`` are set.
    :param kwargs: passed to ``AnsibleModule`` (``supports_check_mode``, ``mutually_exclusive``, ...).
    """

    def __init__(self, argument_spec=None, requires_workspace=True, **kwargs):
        spec = common_argument_spec()
        spec.update(argument_spec or {})
        kwargs.setdefault('supports_check_mode', True)
        self._module = AnsibleModule(argument_spec=spec, **kwargs)
        self.params = self._module.params
        self._auth = None
        self._client = None
        self._storage = None
        self._workspace_resource = None  # the ARM workspace, once read
        self._given_tokens = []  # the token options as given (before _clean_tokens), masked too
        # The workspace's ARM object when the module already got it (export_bundle): the resolver then needs no GET of its own.
        self.workspace_object = None
        self._lock = threading.Lock()
        if not HAS_REQUESTS:
            self._module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        problem = validate_common(self.params)
        if problem:
            self.fail(problem[1], option=problem[0])
        self._clean_tokens()
        if requires_workspace:
            missing = [n for n in ('resource_group', 'workspace_name') if not self.params.get(n)]
            if missing:
                self.fail(f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} required by this module", option=missing[0])
        self.cloud = get_cloud(self.params['cloud_environment'])
        self.subscription_id = self._subscription_id()
        if not self.params.get('validate_certs'):
            self.warn('validate_certs is false: TLS certificates are not verified, so tokens and data can be intercepted')

    # -- what modules read ----------------------------------------------------------------

    @property
    def ansible_module(self):
        """The wrapped ``AnsibleModule`` (for what this wrapper does not expose)."""
        return self._module

    @property
    def check_mode(self):
        return self._module.check_mode

    @property
    def diff_mode(self):
        return self._module._diff

    @property
    def workspace(self):
        """:class:`Workspace` coordinates (``resource_group`` / ``workspace_name`` may be None)."""
        return Workspace(self.subscription_id, self.params.get('resource_group'), self.params.get('workspace_name'))

    @property
    def auth(self):
        """The ``_auth`` source (built on first use; no network)."""
        if self._auth is None:
            self._auth = self._build_auth()
        return self._auth

    @property
    def client(self):
        """The ``_client.Client`` of this run (built on first use; the location is looked up lazily)."""
        with self._lock:
            if self._client is None:
                p = self.params
                location = normalize_location(p['location']) if p.get('location') else None
                self._client = Client(
                    self.auth, self.cloud, defaults=self.workspace.params, location=location, resolver=self._resolve_location,
                    base_url=p.get('base_url'), api_profile=p['api_profile'], timeout=p['timeout'], retries=p['retries'],
                    concurrency=p['concurrency'], validate_certs=p['validate_certs'], ca_path=p.get('ca_path'))
                self._module.debug(f'gdpr.azureml: authenticating with {self.auth.describe()}')
        return self._client

    def location(self):
        """The workspace region: the ``location`` option, else looked up once from ARM ``workspaces.get``."""
        client = self.client
        return client.location or client.resolve_location()

    @property
    def storage(self):
        """The ``_storage.StorageClient`` of this run (built on first use; no network).

        Credentials: ``storage_account_key`` when given, else a token for the storage scope from the
        auth source (its own grant; with ``auth_source: token``, ``storage_access_token``). Raises
        AuthError before any request when that token cannot be had (the message names the option).
        """
        with self._lock:
            if self._storage is None:
                p = self.params
                auth = None
                if not p.get('storage_account_key'):
                    auth = build_auth(AuthOptions(p), self.cloud, ca_path=p.get('ca_path'), validate_certs=p['validate_certs'],
                                      scope=STORAGE_SCOPE)
                    auth.validate()
                self._storage = StorageClient(
                    auth, self.cloud, account_key=p.get('storage_account_key'), storage_base_url=p.get('storage_base_url'),
                    timeout=p['timeout'], retries=p['retries'], concurrency=p['concurrency'],
                    validate_certs=p['validate_certs'], ca_path=p.get('ca_path'))
                self._module.debug('gdpr.azureml: storage with ' + ('storage_account_key' if auth is None else auth.describe()))
        return self._storage

    def workspace_resource(self):
        """The workspace as ARM returns it (``workspaces.get``, read once per run)."""
        if self._workspace_resource is None:
            self._workspace_resource = self.client.get_json('workspaces.get', what=f'read workspace {self.workspace}')
        return self._workspace_resource

    def storage_account(self):
        """The name of the workspace's storage account, from its ``storageAccount`` ARM id."""
        found = self.workspace_resource()
        value = ((found or {}).get('properties') or {}).get('storageAccount')
        try:
            return account_from_id(value)
        except ValueError:
            raise RouteError(f'workspace {self.workspace} names no storage account (properties.storageAccount is {value!r})') from None

    # -- results ----------------------------------------------------------------------------

    def warn(self, msg):
        self._module.warn(self.redact(msg))

    def redact(self, text):
        """``text`` without any secret of the options, the auth source or the storage client, escaped forms included
        (``_client.redact_text``)."""
        secrets = [self.params.get(name) for name in SECRET_OPTIONS] + self._given_tokens
        if self._auth is not None:
            secrets.extend(self._auth.secrets())
        if self._storage is not None:
            secrets.extend(self._storage.secrets())
        return redact_text(text, [s for s in secrets if s])

    def fail(self, msg, **kwargs):
        """``fail_json`` with ``msg`` (secrets redacted) and extra result keys."""
        self._module.fail_json(msg=self.redact(msg), **kwargs)

    def fail_from(self, exc, what=None):
        """Fail with ``exc`` formatted: an error of the collection's one line (``_errors``) and its extra keys
        (status, code, request id; a refused purge's plan), a missing library through ``missing_required_lib``,
        anything unexpected with its traceback."""
        prefix = f'{what}: ' if what else ''
        if isinstance(exc, MissingLibraryError):
            self._module.fail_json(msg=missing_required_lib(exc.library, reason=exc.reason), exception=exc.traceback)
        elif isinstance(exc, GdprAzureMLError):
            self.fail(prefix + str(exc), **exc.to_result())
        elif isinstance(exc, ValueError):
            self.fail(prefix + str(exc))
        elif isinstance(exc, OSError):
            self.fail(f'{prefix}{exc.strerror or exc}' + (f': {exc.filename}' if getattr(exc, 'filename', None) else ''))
        else:
            self.fail(f'{prefix or "unexpected error: "}{type(exc).__name__}: {exc}', exception=traceback.format_exc())

    def exit(self, **result):
        result.setdefault('changed', False)
        self._module.exit_json(**result)

    def run(self, fn, what=None):
        """``exit(**fn(self))``; any error goes through :meth:`fail_from`."""
        try:
            result = fn(self)
        except Exception as exc:
            self.fail_from(exc, what)
        self.exit(**result)

    def diff(self, before, after):
        """``{'diff': {...}}`` in diff mode, else ``{}`` (to ``**``-merge into a result)."""
        return {'diff': {'before': before, 'after': after}} if self.diff_mode else {}

    def items_result(self, key, items, sort_key=default_sort_key):
        """The result of an ``*_info`` module: ``items`` sorted under ``key``, or written to ``dest``.

        With the ``dest`` option the items stream to the file (``_jsonfile``: bounded memory,
        atomic, 0600) and the result holds ``dest``, ``count``, ``sha256`` and an honest
        ``changed`` (nothing is written in check mode); without it,
        ``{key: sorted items, 'count': n, 'changed': False}``. ``items`` may be a generator
        (``client.iter_items``): errors surface while it is consumed, inside :meth:`run`.
        """
        dest = self.params.get('dest')
        if dest:
            return write_json_array(dest, items, sort_key, check_mode=self.check_mode)
        ordered = sort_items(items, sort_key)
        return {'changed': False, key: ordered, 'count': len(ordered)}

    # -- internals ----------------------------------------------------------------------

    def _clean_tokens(self):
        """The token options (``access_token``, ``storage_access_token``) without their outer whitespace, masked in every
        output as given and as sent (Ansible masks only the value as given); refused before any request, naming the option
        and never the value, when a control character is left inside one."""
        for name in TOKEN_OPTION_NAMES:
            given = self.params.get(name)
            if not given:
                continue
            self._given_tokens.append(given)
            try:
                token = clean_token(given, name)
            except AuthError as exc:
                self.fail(str(exc), option=name)
            self._module.no_log_values.add(token)
            self.params[name] = token

    def _build_auth(self):
        p = self.params
        try:
            return build_auth(AuthOptions(p), self.cloud, ca_path=p.get('ca_path'), validate_certs=p['validate_certs'])
        except AuthError as exc:
            self.fail_from(exc)

    def _subscription_id(self):
        sub = self.params.get('subscription_id')
        if not sub and self.params['auth_source'] in ('auto', 'credential_file'):
            try:
                self.auth.validate()
            except AuthError:
                pass  # reported with its own message when a token is needed
            sub = self.auth.subscription_id
            if sub and not GUID_RE.match(sub):
                self.fail(f'subscription_id of the credentials file profile must be a GUID, got {sub!r}', option='subscription_id')
        if not sub:
            self.fail('subscription_id is required: set the option subscription_id or the environment variable '
                      'AZURE_SUBSCRIPTION_ID (or subscription_id in the credentials file profile)', option='subscription_id')
        return sub

    def _resolve_location(self):
        """Client resolver: the workspace's region (and, for api_profile current, its discovery hosts)."""
        ws = self.workspace
        if not ws.resource_group or not ws.workspace_name:
            if self._client.location:  # api_profile current with a known location: no workspace to discover
                return {}
            raise RouteError('location is required to reach the data plane without resource_group and workspace_name')
        found = self.workspace_object or self._client.get_json('workspaces.get', what=f'look up the location of workspace {ws}')
        self._workspace_resource = found
        if not isinstance(found, dict) or not found.get('location'):
            raise RouteError(f'workspace {ws} has no location in Azure Resource Manager; set the location option')
        location = normalize_location(found['location'])
        hosts = {}
        discovery = (found.get('properties') or {}).get('discoveryUrl')
        if self.params['api_profile'] == 'current' and discovery:
            try:
                document = self._client.get_json('discovery.get', {'discovery_url': discovery},
                                                 what=f'read the service discovery document of workspace {ws}')
            except (AzureMLError, RouteError) as exc:  # the cloud's {location}.api host serves the same routes
                fallback = 'base_url' if self.params.get('base_url') else family_base(self.cloud, MODEL_MANAGEMENT, location, 'current')
                self.warn(f'{exc}; the data-plane calls go to {fallback}')
                document = None
            hosts, rejected = discovery_hosts(self.cloud, document)
            # with base_url every data-plane call goes to base_url (an emulator, a proxy): a host the document
            # names is not used, so rejecting it is nothing to warn about
            for value in ([] if self.params.get('base_url') else rejected):
                self.warn(f'ignored the discovery host {value}: not an https host of {self.cloud.name}')
        return {'location': location, 'hosts': hosts}
