# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""Authentication: one class per ``auth_source``, on azure-identity (imported lazily).

``auto`` tries, in this order, and uses the first that is configured:

1. ``token``: ``access_token`` is set;
2. a service principal: ``client_id``, ``secret`` and ``tenant`` are all set (options or
   their environment variables) -- the ``env`` source;
3. ``credential_file``: ``~/.azure/credentials`` has the section ``profile`` (or ``default``)
   with ``client_id``, ``secret`` and ``tenant``;
4. ``cli``: the Azure CLI's login (``AzureCliCredential``), if it has one;
5. ``msi``: the managed identity of the host (``ManagedIdentityCredential``; ``client_id``
   selects a user-assigned identity).

Each source has ``validate()`` (raises :class:`AuthError` naming the missing option and its
environment variables), ``get_token()`` (the bearer string, cached for the module run: one
grant per run unless the token nears expiry) and ``invalidate(token)`` (after a 401, drop the
token and the credential so the next ``get_token()`` makes a fresh grant). ``token`` cannot be
refreshed (``refreshable`` is False). azure-identity is only imported when a credential is
built, so ``auth_source: token`` works without it.

Scopes. A source gets tokens for ONE scope: the cloud's ARM scope by default, or the one given
(``build_auth(..., scope=STORAGE_SCOPE)`` for Azure Storage). A module run keeps one source per
scope, so each scope costs one grant. The ``token`` source reads the option of its scope
(:data:`TOKEN_OPTIONS`): ``access_token`` for ARM, ``storage_access_token`` for storage; an ARM
token is never sent to storage.
"""

import configparser
import os
import threading
import time
import traceback
import unicodedata

from ansible_collections.gdpr.azureml.plugins.module_utils._clouds import STORAGE_SCOPE, token_scope
from ansible_collections.gdpr.azureml.plugins.module_utils._errors import GdprAzureMLError

AUTH_SOURCES = ('auto', 'env', 'credential_file', 'cli', 'msi', 'token')

# Environment variables of the auth options, first wins (docs/user-guide.md, "Authentication").
AUTH_ENV = {
    # AZUREML_AUTH_SOURCE: the name an AWX / Automation Platform credential type can inject (they refuse ANSIBLE_*).
    'auth_source': ('ANSIBLE_AZURE_AUTH_SOURCE', 'AZUREML_AUTH_SOURCE'),
    'subscription_id': ('AZURE_SUBSCRIPTION_ID',),
    'tenant': ('AZURE_TENANT', 'AZURE_TENANT_ID'),
    'client_id': ('AZURE_CLIENT_ID',),
    'secret': ('AZURE_SECRET', 'AZURE_CLIENT_SECRET'),
    'profile': ('AZURE_PROFILE',),
    'cloud_environment': ('AZURE_CLOUD_ENVIRONMENT',),
    'authority_host': ('AZURE_AUTHORITY_HOST',),
    'access_token': ('AZUREML_ACCESS_TOKEN',),
}
# The storage token of auth_source token (the modules' option; the inventory plugin reaches ARM only).
STORAGE_AUTH_ENV = {'storage_access_token': ('AZUREML_STORAGE_ACCESS_TOKEN',)}
_ENV = dict(AUTH_ENV, **STORAGE_AUTH_ENV)

# The option the ``token`` source reads, by scope (any other scope: access_token).
TOKEN_OPTIONS = {STORAGE_SCOPE: 'storage_access_token'}
TOKEN_OPTION_NAMES = ('access_token', 'storage_access_token')

DEFAULT_CREDENTIAL_FILE = '~/.azure/credentials'
# Refresh a cached token this long before it expires (at most half its lifetime).
REFRESH_MARGIN = 300


class AuthError(GdprAzureMLError):
    """Authentication cannot work: a missing option, a rejected grant, no credential found."""


class CredentialUnavailable(AuthError):
    """The source has no credential on this host (no CLI login, no managed identity)."""


class MissingLibraryError(AuthError):
    """A Python library the chosen auth_source needs is not installed."""

    def __init__(self, library, reason, tb=None):
        super().__init__(f'{library} is required {reason}')
        self.library = library
        self.reason = reason
        self.traceback = tb


def import_identity(reason='to get an Azure AD token'):
    """Import and return ``azure.identity``; MissingLibraryError (naming the package) when absent."""
    try:
        import azure.identity
    except ImportError:
        raise MissingLibraryError('azure-identity', reason, traceback.format_exc()) from None
    return azure.identity


def clean_token(value, option='access_token'):
    """``value`` without its outer whitespace (a YAML ``|`` block or ``ansible-vault encrypt_string`` fed from standard input
    ends it with a line break); :class:`AuthError` naming ``option``, never the value, when a control character is left
    inside (it would make an invalid ``Authorization`` header)."""
    text = str(value).strip()
    if any(unicodedata.category(ch) == 'Cc' for ch in text):
        raise AuthError(f'{option} holds a control character (a line break, a tab, ...) inside it: give the token on one line, '
                        'without anything else (its value is not shown)')
    return text


class AuthOptions:
    """Option adapter (as community.hashi_vault's): the options, then their environment variables.

    :param options: a dict (module params, plugin options); None values are unset.
    :param environ: a mapping to read :data:`AUTH_ENV` fallbacks from, or None when the
        caller has applied them already (AnsibleModule's ``env_fallback`` does).
    """

    def __init__(self, options, environ=None):
        self._options = dict(options or {})
        self._environ = environ

    def get(self, name, default=None):
        value = self._options.get(name)
        if value in (None, '') and self._environ is not None:
            for var in _ENV.get(name, ()):
                if self._environ.get(var):
                    value = self._environ[var]
                    break
        return default if value in (None, '') else value

    @staticmethod
    def describe(name):
        """``client_id (option client_id or env AZURE_CLIENT_ID)``: how a user sets ``name``."""
        envs = _ENV.get(name, ())
        where = f"option {name}" + (f" or env {' / '.join(envs)}" if envs else '')
        return f'{name} ({where})'

    def require(self, source, *names):
        missing = [n for n in names if not self.get(n)]
        if missing:
            raise AuthError(f"auth_source {source} needs {', '.join(self.describe(n) for n in missing)}")


class AuthSource:
    """Base class: token caching, invalidation and error wrapping around ``_build_credential``."""

    name = None
    refreshable = True

    def __init__(self, options, cloud, *, ca_path=None, validate_certs=True, clock=time.time, scope=None):
        self.options = options
        self.cloud = cloud
        self.scope = scope or token_scope(cloud)
        self.token_option = TOKEN_OPTIONS.get(self.scope, 'access_token')
        self.ca_path = ca_path
        self.validate_certs = validate_certs
        self.subscription_id = None  # a subscription the source knows (credential file)
        self._clock = clock
        self._lock = threading.RLock()
        self._credential = None
        self._token = None
        self._refresh_at = 0
        self.expires_on = None  # epoch seconds of the current token, when known
        self._issued = []  # every token of this run (all of them stay secret)
        self.grants = 0  # tokens obtained from Azure AD during this run

    def validate(self):
        """Raise AuthError naming what is missing; never touches the network."""

    def describe(self):
        """What authenticates, for logs and errors (never a secret)."""
        return self.name

    def _build_credential(self):
        raise NotImplementedError

    def _transport_kwargs(self):
        if self.ca_path:
            return {'connection_verify': self.ca_path}
        if not self.validate_certs:
            return {'connection_verify': False}
        return {}

    def _grant(self):
        """Ask the credential for a token; return ``(token, expires_on)``."""
        if self._credential is None:
            self._credential = self._build_credential()
        try:
            access = self._credential.get_token(self.scope)
        except AuthError:
            raise
        except Exception as exc:  # azure.core ClientAuthenticationError, azure.identity CredentialUnavailableError
            message = (getattr(exc, 'message', None) or str(exc) or type(exc).__name__).strip().splitlines()[0]
            error = CredentialUnavailable if type(exc).__name__ == 'CredentialUnavailableError' else AuthError
            raise error(f'{self.describe()}: could not get a token for {self.scope}: {message}') from None
        return access.token, access.expires_on

    def get_token(self):
        """The bearer token (without ``Bearer``); cached until it nears expiry."""
        with self._lock:
            now = self._clock()
            if self._token is None or now >= self._refresh_at:
                self.validate()
                token, expires_on = self._grant()
                self.grants += 1
                lifetime = max(0, (expires_on or now) - now)
                self._token = token
                self.expires_on = expires_on
                self._issued.append(token)
                self._refresh_at = now + lifetime - min(REFRESH_MARGIN, lifetime / 2)
            return self._token

    def invalidate(self, token):
        """After a 401 with ``token``: forget it (and the credential's cache) so the next call re-grants."""
        with self._lock:
            if token is not None and token == self._token:
                self._token = None
                self._credential = None

    def secrets(self):
        """Values that must never appear in output: the tokens of this run and the source's secrets."""
        return [v for v in self._issued if v]


class _ServicePrincipal(AuthSource):
    """Client-secret grant shared by ``env`` and ``credential_file``."""

    def _sp(self):
        """Return ``(tenant, client_id, secret)``."""
        raise NotImplementedError

    def _build_credential(self):
        identity = import_identity(f'for auth_source {self.name} (service principal)')
        tenant, client_id, secret = self._sp()
        kwargs = self._transport_kwargs()
        override = self.options.get('authority_host')
        kwargs['authority'] = normalize_authority(override or self.cloud.authority_host)
        if override:
            kwargs['disable_instance_discovery'] = True
        return identity.ClientSecretCredential(tenant, client_id, secret, **kwargs)

    def describe(self):
        tenant, client_id, dummy = self._sp()
        return f'{self.name} (service principal {client_id} in tenant {tenant})'

    def secrets(self):
        return super().secrets() + [v for v in (self._sp()[2],) if v]


class EnvAuth(_ServicePrincipal):
    """``auth_source: env``: a service principal from the options or ``AZURE_*`` variables."""

    name = 'env'

    def validate(self):
        self.options.require(self.name, 'client_id', 'secret', 'tenant')

    def _sp(self):
        return self.options.get('tenant'), self.options.get('client_id'), self.options.get('secret')


class CredentialFileAuth(_ServicePrincipal):
    """``auth_source: credential_file``: a profile of ``~/.azure/credentials`` (INI)."""

    name = 'credential_file'
    KEYS = ('subscription_id', 'client_id', 'secret', 'tenant')

    def __init__(self, options, cloud, *, credential_file=DEFAULT_CREDENTIAL_FILE, **kwargs):
        super().__init__(options, cloud, **kwargs)
        self.path = os.path.expanduser(credential_file)
        self.section = options.get('profile') or 'default'
        self._values = None

    def read(self):
        """The section's values (a dict); AuthError when the file or the section is missing."""
        if self._values is None:
            if not os.path.isfile(self.path):
                raise AuthError(f'auth_source credential_file: {self.path} does not exist')
            parser = configparser.ConfigParser(interpolation=None)
            try:
                parser.read(self.path, encoding='utf-8')
            except configparser.Error as exc:
                raise AuthError(f'auth_source credential_file: cannot parse {self.path}: {exc}') from None
            if not parser.has_section(self.section):
                raise AuthError(f'auth_source credential_file: {self.path} has no [{self.section}] section '
                                f'(set {AuthOptions.describe("profile")})')
            self._values = {k: parser.get(self.section, k, fallback='').strip() or None for k in self.KEYS}
            self.subscription_id = self._values['subscription_id']
        return self._values

    def validate(self):
        values = self.read()
        missing = [k for k in ('client_id', 'secret', 'tenant') if not values.get(k)]
        if missing:
            raise AuthError(f"auth_source credential_file: section [{self.section}] of {self.path} lacks {', '.join(missing)}")

    def usable(self):
        """True when the file holds a complete service principal for the profile (auto's test)."""
        try:
            self.validate()
        except AuthError:
            return False
        return True

    def _sp(self):
        values = self.read()
        return values['tenant'], values['client_id'], values['secret']

    def describe(self):
        tenant, client_id, dummy = self._sp()
        return f'credential_file (profile {self.section}: service principal {client_id} in tenant {tenant})'


class CliAuth(AuthSource):
    """``auth_source: cli``: the Azure CLI's current login."""

    name = 'cli'

    def _build_credential(self):
        return import_identity('for auth_source cli').AzureCliCredential()

    def describe(self):
        return 'cli (Azure CLI login)'


class MsiAuth(AuthSource):
    """``auth_source: msi``: the host's managed identity; ``client_id`` picks a user-assigned one."""

    name = 'msi'

    def _build_credential(self):
        identity = import_identity('for auth_source msi')
        client_id = self.options.get('client_id')
        kwargs = {'client_id': client_id} if client_id else {}
        return identity.ManagedIdentityCredential(**kwargs)

    def describe(self):
        client_id = self.options.get('client_id')
        return f'msi (user-assigned identity {client_id})' if client_id else 'msi (system-assigned identity)'


class TokenAuth(AuthSource):
    """``auth_source: token``: the token option of the scope used as is; a 401 means it is expired or invalid."""

    name = 'token'
    refreshable = False

    def validate(self):
        if self.scope in TOKEN_OPTIONS and not self.options.get(self.token_option):
            raise AuthError(f'auth_source token: access_token is a token for Azure Resource Manager only; '
                            f'the calls to {self.scope} need {AuthOptions.describe(self.token_option)}')
        self.options.require(self.name, self.token_option)

    def _grant(self):
        return clean_token(self.options.get(self.token_option), self.token_option), None

    def get_token(self):
        with self._lock:
            if self._token is None:
                self.validate()
                self._token = clean_token(self.options.get(self.token_option), self.token_option)
            return self._token

    def invalidate(self, token):
        """A static token cannot be renewed."""

    def describe(self):
        return f'token ({self.token_option})'

    def secrets(self):
        given = [v for v in (self.options.get(n) for n in TOKEN_OPTION_NAMES) if v]
        return list(dict.fromkeys(given + [str(v).strip() for v in given]))


class AutoAuth(AuthSource):
    """``auth_source: auto``: the first configured source (see the module docstring for the order)."""

    name = 'auto'

    def __init__(self, options, cloud, *, credential_file=DEFAULT_CREDENTIAL_FILE, **kwargs):
        super().__init__(options, cloud, **kwargs)
        # The sources auto picks share its transport settings, its scope and (for tests) its clock.
        self._kwargs = dict(kwargs, clock=self._now, scope=self.scope)
        self._credential_file = credential_file
        self.chosen = None  # the source that gave (or will give) the token
        self._configured = None
        self._reasons = []

    def _now(self):
        return self._clock()

    def _select(self):
        """The configured source, without network: token, service principal, credential file; else None.

        ``token`` when ``access_token`` or the scope's own token option (``storage_access_token``)
        is set: with ``access_token`` every scope uses static tokens (storage then needs its own one).
        """
        if self.options.get('access_token') or self.options.get(self.token_option):
            return TokenAuth(self.options, self.cloud, **self._kwargs)
        self._reasons.append('access_token is not set')
        if all(self.options.get(n) for n in ('client_id', 'secret', 'tenant')):
            return EnvAuth(self.options, self.cloud, **self._kwargs)
        self._reasons.append('no service principal (client_id, secret and tenant)')
        from_file = CredentialFileAuth(self.options, self.cloud, credential_file=self._credential_file, **self._kwargs)
        if from_file.usable():
            self.subscription_id = from_file.subscription_id
            return from_file
        self._reasons.append(f'no complete [{from_file.section}] profile in {from_file.path}')
        return None

    def _resolve(self):
        if self._configured is None:
            self._configured = self._select() or False
            self.chosen = self._configured or None
        return self._configured or None

    @property
    def refreshable(self):
        return self.chosen is None or self.chosen.refreshable

    @property
    def grants(self):
        return self.chosen.grants if self.chosen is not None else 0

    @property
    def expires_on(self):
        return self.chosen.expires_on if self.chosen is not None else None

    @expires_on.setter
    def expires_on(self, value):
        """Known by the chosen source."""

    @grants.setter
    def grants(self, value):
        """Counted by the chosen source."""

    def validate(self):
        source = self._resolve()
        if source is not None:
            source.validate()

    def describe(self):
        self._resolve()
        return 'auto: ' + (self.chosen.describe() if self.chosen is not None else 'Azure CLI, then managed identity')

    def get_token(self):
        with self._lock:
            if self._resolve() is None and self.chosen is None:
                self.chosen = self._chain()
            return self.chosen.get_token()

    def _chain(self):
        """No configured source: the Azure CLI, then the managed identity (the first with a credential)."""
        reasons = list(self._reasons)
        for source in (CliAuth(self.options, self.cloud, **self._kwargs), MsiAuth(self.options, self.cloud, **self._kwargs)):
            try:
                source.get_token()
            except CredentialUnavailable as exc:
                reasons.append(f'{source.name}: {str(exc).rsplit(": ", 1)[-1]}')
                continue
            return source
        raise AuthError('auth_source auto found no credential: ' + '; '.join(reasons))

    def invalidate(self, token):
        if self.chosen is not None:
            self.chosen.invalidate(token)

    def secrets(self):
        found = [self.options.get(n) for n in TOKEN_OPTION_NAMES + ('secret',) if self.options.get(n)]
        found += [str(v).strip() for v in found]
        return found + (self.chosen.secrets() if self.chosen is not None else [])


SOURCES = {
    'env': EnvAuth,
    'credential_file': CredentialFileAuth,
    'cli': CliAuth,
    'msi': MsiAuth,
    'token': TokenAuth,
    'auto': AutoAuth,
}


def normalize_authority(value):
    """``login.example`` -> ``https://login.example``; AuthError unless https (azure-identity's rule)."""
    value = str(value).strip().rstrip('/')
    if '://' not in value:
        value = 'https://' + value
    if not value.lower().startswith('https://'):
        raise AuthError(f'authority_host must be an https:// URL, got {value!r}')
    return value


def build_auth(options, cloud, *, auth_source=None, ca_path=None, validate_certs=True, credential_file=DEFAULT_CREDENTIAL_FILE,
               scope=None):
    """The :class:`AuthSource` for ``auth_source`` (default: the ``auth_source`` option, else ``auto``).

    :param options: an :class:`AuthOptions` or a dict of options (no environment fallback then).
    :param cloud: a ``_clouds.Cloud`` (token scope, authority).
    :param scope: the scope of the tokens (default: the cloud's ARM scope; ``_clouds.STORAGE_SCOPE``).
    """
    if not isinstance(options, AuthOptions):
        options = AuthOptions(options)
    name = auth_source or options.get('auth_source') or 'auto'
    cls = SOURCES.get(name)
    if cls is None:
        raise AuthError(f"auth_source must be one of {', '.join(AUTH_SOURCES)}, got {name!r}")
    kwargs = {'ca_path': ca_path, 'validate_certs': validate_certs, 'scope': scope}
    if cls in (CredentialFileAuth, AutoAuth):
        kwargs['credential_file'] = credential_file
    return cls(options, cloud, **kwargs)
