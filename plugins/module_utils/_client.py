# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""A thin REST client on ``requests`` for every family of the route table.

One :class:`Client` per module run: one ``requests.Session`` whose connection pool holds
``concurrency`` connections, a bearer token from an ``_auth`` source, an
``x-ms-client-request-id`` (uuid4) on every request.

Retries. ``requests``' adapter-level retries (``HTTPAdapter(max_retries=Retry(...))``) are
not used, on purpose: they do not cover errors raised while the body is read
(``ChunkedEncodingError``), they cannot tell a ``POST ...:query`` read from a write, and they
cannot renew a token after a 401. Instead :meth:`Client.send` runs a small loop that drives a
``urllib3.util.Retry`` object: ``Retry.increment()`` counts attempts (``total=retries``) and
raises ``MaxRetryError`` when they are spent, ``Retry.is_retry()`` matches the statuses
(429, 500, 502, 503, 504), ``Retry.parse_retry_after()`` reads ``Retry-After``. The wait is
``Retry-After`` when the service sends one (capped at :data:`RETRY_AFTER_MAX`), else a
jittered exponential backoff (``factor * 2**(n-1)`` capped at ``backoff_max``, half of it
random). Only idempotent requests are retried (GET, DELETE and the ``POST :query`` reads
the route table marks idempotent); a connection or read error on anything else fails at once,
never replayed. A 401 renews the token once (credential sources) and resends.
"""

import hashlib
import json
import random
import re
import threading
import time
import traceback
import uuid
from collections import namedtuple
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urljoin, urlsplit, urlunsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import MaxRetryError
    from urllib3.util.retry import Retry
except ImportError:
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    REQUESTS_IMPORT_ERROR = None

from ansible_collections.gdpr.azureml.plugins.module_utils._clouds import ARM, DATA_PLANE_FAMILIES, family_base
from ansible_collections.gdpr.azureml.plugins.module_utils._errors import GdprAzureMLError
from ansible_collections.gdpr.azureml.plugins.module_utils._routes import build_url, get_route, split_base_url

HAS_REQUESTS = REQUESTS_IMPORT_ERROR is None
# Request errors that the same request would meet again: never retried (an invalid header or URL).
NOT_RETRIED = ((requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema,
                requests.exceptions.URLRequired) if HAS_REQUESTS else ())
COLLECTION_VERSION = '2.0.0'
RETRY_STATUSES = (429, 500, 502, 503, 504)
RETRY_AFTER_MAX = 600  # seconds; ARM sends 10 s to 10 min
LRO_SUCCEEDED = ('succeeded',)
LRO_FAILED = ('failed', 'canceled', 'cancelled', 'timedout')
REDACTED = '********'
# Query parameters of an Azure Storage SAS URL that make it a credential (the signature above all).
SAS_PARAMETER = re.compile(r'([?&](?:sig|skoid|sktid|skt|ske|sks|skv|sdd)=)[^&\s\'"]*', re.IGNORECASE)

LroResult = namedtuple('LroResult', ['status', 'response', 'polls'])


def secret_forms(secret):
    """The ways ``secret`` can appear in a message: as is, without its outer whitespace, JSON-escaped, repr-escaped
    (``'Bearer abc\\n'`` in an exception text) and URL-encoded; only forms of at least 4 characters, longest first."""
    secret = str(secret)
    forms = set()
    for value in (secret, secret.strip()):
        forms.update((value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1], repr(value)[1:-1],
                      quote(value, safe=''), quote_plus(value)))
    return sorted((f for f in forms if len(f) >= 4), key=len, reverse=True)


def redact_text(text, secrets):
    """``text`` with every form (:func:`secret_forms`) of every secret replaced by :data:`REDACTED`."""
    text = str(text)
    forms = {form for secret in secrets if secret and len(str(secret).strip()) >= 4 for form in secret_forms(secret)}
    for form in sorted(forms, key=len, reverse=True):  # the longest first: an escaped form holds the raw one
        text = text.replace(form, REDACTED)
    return text


class DeleteResult(namedtuple('DeleteResult', ['outcome', 'status', 'request_id', 'error', 'response', 'attempts'])):
    """What a DELETE did: ``outcome`` is ``deleted``, ``absent`` or ``failed`` (``error``: the one-line message).

    ``attempts`` > 1 means the DELETE was retried: an ``absent`` then may be the object the
    first attempt deleted (a caller that listed the object just before can count it as deleted).
    """

    __slots__ = ()

    def as_dict(self):
        """``{outcome, status, request_id[, error]}`` for a module result or an audit line."""
        result = {'outcome': self.outcome, 'status': self.status, 'request_id': self.request_id}
        if self.error:
            result['error'] = self.error
        return result


class AzureMLError(GdprAzureMLError):
    """A failed call: what was being done, what the service said, the HTTP status, its code, the request id.

    ``str(error)`` is one line (``_errors.error_line``): ``"<what>: the service said The Resource ... was not found
    (HTTP 404, code ResourceNotFound, request id 1234)"``; a call that got no usable answer (a connection error, a
    body that is not JSON) reads ``"<what>: <problem>"``. ``service`` (what the service said, not a local problem)
    defaults to true for an error status (400 or more) or a code.
    """

    def __init__(self, what, message=None, *, status=None, code=None, request_id=None, correlation_id=None, hint=None, service=None):
        if service is None:
            service = bool(code) or bool(status and status >= 400)
        super().__init__(message, doing=what, status=status, code=code, request_id=request_id, correlation_id=correlation_id,
                         hint=hint, service=service)

    @property
    def what(self):
        return self.doing


class PagingError(AzureMLError):
    """A list cannot be followed safely: a repeated token or link, a link to a foreign host."""


class LroTimeoutError(AzureMLError):
    """A long-running operation did not finish before ``wait_timeout``."""


def request_id_of(response):
    """``x-ms-request-id`` of ``response``, else the ``x-ms-client-request-id`` we sent."""
    rid = response.headers.get('x-ms-request-id')
    if not rid and response.request is not None:
        rid = response.request.headers.get('x-ms-client-request-id')
    return rid


def parse_error(response):
    """``(code, message, correlation_id)`` from an error response of any family.

    ARM ``{"error": {code, message, details}}``; model management flat ``{code, statusCode,
    message}``; run history ``{"error": {...}, "correlation": {...}}``; else the text or reason.
    """
    code = message = correlation = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get('error', body)
        if isinstance(error, dict):
            code, message = error.get('code'), error.get('message')
            details = error.get('details')
            if not message and isinstance(details, list) and details and isinstance(details[0], dict):
                message = details[0].get('message')
        elif isinstance(error, str):
            message = error
        corr = body.get('correlation')
        if isinstance(corr, dict):
            correlation = corr.get('operation') or corr.get('request')
        elif isinstance(corr, str):
            correlation = corr
    if not message:
        text = (response.text or '').strip()
        message = ' '.join(text.split())[:300] if text and not text.startswith('<') else response.reason
    return code, message, correlation


def _origin(url):
    """``(scheme, host, port)`` with the default port filled in, for host comparisons."""
    parts = urlsplit(url)
    scheme = (parts.scheme or '').lower()
    return scheme, (parts.hostname or '').lower(), parts.port or {'https': 443, 'http': 80}.get(scheme)


def with_query(url, **params):
    """``url`` with query parameters set (replaced when present)."""
    parts = urlsplit(url)
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    pairs.extend(params.items())
    return urlunsplit(parts._replace(query=urlencode(pairs, quote_via=quote)))


def map_concurrent(fn, items, concurrency):
    """``[fn(item) for item in items]`` with at most ``concurrency`` calls in flight, in order.

    The first error (in item order, among the calls that failed before the pool stopped) is
    raised once the running calls end; calls not started yet are cancelled.
    """
    items = list(items)
    workers = max(1, min(int(concurrency or 1), len(items)))
    if workers == 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(fn, item) for item in items]
        dummy, pending = wait(futures, return_when=FIRST_EXCEPTION)
        failed = [f for f in futures if f.done() and not f.cancelled() and f.exception() is not None]
        if failed:
            for future in pending:
                future.cancel()
            raise failed[0].exception()
        return [f.result() for f in futures]


def new_session(concurrency):
    """A ``requests`` session with a pool of ``concurrency`` connections (the REST client's and the storage transport's)
    that reads the environment (proxies and ``no_proxy``, the CA bundle variables) and ``~/.netrc`` once per origin instead
    of on every request: neither changes during a module run, and reading them cost more CPU than the rest of
    ``requests`` per call (about 0.2 ms; 15,000 calls in a large export)."""
    session = _EnvOncePerOrigin()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=concurrency, max_retries=0)
    session.mount('https://', adapter)
    session.mount('http://', adapter)
    return session


if HAS_REQUESTS:
    class _EnvOncePerOrigin(requests.Session):
        def merge_environment_settings(self, url, proxies, stream, verify, cert):
            if not self.trust_env or proxies:
                return super().merge_environment_settings(url, proxies, stream, verify, cert)
            parts = urlsplit(url)
            key = (parts.scheme, parts.netloc, stream, verify, cert)
            cache = self.__dict__.setdefault('_env_settings', {})
            found = cache.get(key)
            if found is None:
                found = cache[key] = super().merge_environment_settings(url, proxies, stream, verify, cert)
            return dict(found, proxies=dict(found['proxies']))

        def prepare_request(self, request):
            # requests looks ~/.netrc up (two stats and a parse when present) for every request without auth: once per
            # origin here, with the same outcome (its credentials, or none: then a no-op auth that skips the lookup)
            if self.trust_env and not request.auth and not self.auth:
                try:
                    parts = urlsplit(request.url)
                except ValueError:  # an invalid URL: requests' own error, as before
                    return super().prepare_request(request)
                key = (parts.scheme, parts.netloc)
                cache = self.__dict__.setdefault('_netrc_auth', {})
                if key not in cache:
                    cache[key] = requests.utils.get_netrc_auth(request.url) or _no_auth
                request.auth = cache[key]
            return super().prepare_request(request)

    def _no_auth(prepared):
        return prepared


def describe_call(op, params):
    """Default ``what`` of a call: ``models.get id=abc in workspace rg/ws``."""
    params = params or {}
    own = ', '.join(f'{k}={v}' for k, v in sorted(params.items())
                    if k not in ('subscription_id', 'resource_group', 'workspace_name') and v is not None)
    text = op + (' ' + own if own else '')
    if params.get('workspace_name'):
        text += f" in workspace {params.get('resource_group')}/{params['workspace_name']}"
    elif params.get('resource_group'):
        text += f" in resource group {params['resource_group']}"
    return text


class Client:
    """REST client of one module run.

    :param auth: an ``_auth.AuthSource`` (``get_token()``, ``invalidate()``, ``refreshable``,
        ``secrets()``, ``describe()``).
    :param cloud: a ``_clouds.Cloud``.
    :param defaults: route params merged under every call's params (the workspace coordinates).
    :param location: the workspace region; when None and a data-plane call needs it,
        ``resolver()`` is called once and must return ``{'location': ..., 'hosts': {...}}``.
    :param base_url: ``scheme://host[:port]`` receiving every request (emulator, proxy).
    :param api_profile: ``documented`` or ``current`` (which route table).
    :param hosts: ``{family: 'https://host'}`` overriding the cloud's data-plane hosts.
    :param timeout: seconds per request. :param retries: retries after the first attempt.
    :param concurrency: connection pool size and fan-out width.
    :param validate_certs: / :param ca_path: TLS verification (``ca_path`` wins).
    :param sleep: / :param clock: injectable for tests (``time.sleep``, ``time.monotonic``).
    """

    def __init__(self, auth, cloud, *, defaults=None, location=None, resolver=None, base_url=None, api_profile='documented',
                 hosts=None, timeout=30, retries=6, concurrency=8, validate_certs=True, ca_path=None,
                 sleep=time.sleep, clock=time.monotonic, backoff_factor=1.0, backoff_max=60.0, session=None):
        self.auth = auth
        self.cloud = cloud
        self.defaults = dict(defaults or {})
        self.location = location
        self.hosts = dict(hosts or {})
        self.base_url = base_url
        self.api_profile = api_profile
        self.timeout = timeout
        self.retries = retries
        self.concurrency = max(1, int(concurrency))
        # at most ``concurrency`` requests in flight, whatever the threads sending them (the deletes of several kinds and
        # the listings of the next ones): a slot is held while a request is sent and answered, never while waiting
        # between polls or retries; a streamed body (a download) is read after its slot is given back
        self._slots = threading.BoundedSemaphore(self.concurrency)
        self.verify = ca_path if ca_path else bool(validate_certs)
        self.backoff_factor = backoff_factor
        self.backoff_max = backoff_max
        self._resolver = resolver
        self._resolve_lock = threading.Lock()
        self._resolved = False
        self._sleep = sleep
        self._clock = clock
        self.session = session or self._make_session()

    def _make_session(self):
        session = new_session(self.concurrency)
        session.headers.update({
            'User-Agent': f'gdpr.azureml/{COLLECTION_VERSION} {session.headers.get("User-Agent", "")}'.strip(),
            'Accept': 'application/json',
        })
        return session

    def close(self):
        self.session.close()

    # -- URLs ---------------------------------------------------------------------------

    def params(self, params=None):
        """The call's params over :attr:`defaults`."""
        merged = dict(self.defaults)
        merged.update({k: v for k, v in (params or {}).items() if v is not None})
        return merged

    def resolve_location(self):
        """Look the location (and hosts) up through ``resolver`` once; return the location.

        Under ``api_profile: current`` the resolver also reads the workspace's discovery document,
        so it runs once even when the location is known (a given ``location`` is kept).
        """
        with self._resolve_lock:
            if not self._resolved and self._resolver is not None and (self.location is None or self.api_profile == 'current'):
                found = self._resolver() or {}
                self.hosts = dict(found.get('hosts') or {}, **self.hosts)
                if self.location is None:
                    self.location = found.get('location')
                self._resolved = True
        return self.location

    def _needs_lookup(self, family):
        """True when a data-plane call of ``family`` must first run the resolver.

        ``documented``: only for a host it would otherwise miss (no base_url, no location, no host).
        ``current``: once per run (workspace + discovery document, as azureml-core does).
        With base_url, never: base_url replaces every host, so neither the location nor the hosts a
        discovery document names would be used (two wasted requests per module run).
        """
        if self._resolved or self._resolver is None or self.base_url or family not in DATA_PLANE_FAMILIES:
            return False
        if self.api_profile == 'current':
            return True
        return not self.location and family not in self.hosts

    def url(self, op, params=None, query=None):
        """Absolute URL of ``op`` (see ``_routes.build_url``), the location looked up when needed."""
        route = get_route(op, self.api_profile)
        if self._needs_lookup(route.family):
            self.resolve_location()
        return build_url(op, self.params(params), self.cloud, self.location, base_url=self.base_url,
                         api_profile=self.api_profile, hosts=self.hosts, query=query)

    # -- sending ------------------------------------------------------------------------

    def redact(self, text):
        """``text`` with every secret of the auth source replaced (escaped forms too: :func:`secret_forms`)."""
        return redact_text(text, self.auth.secrets() if self.auth is not None else ())

    def _error(self, what, response, hint=None):
        code, message, correlation = parse_error(response)
        if response.status_code in (401, 403) and self.auth is not None and hint is None:
            hint = f'authenticated as {self.auth.describe()}'
        return AzureMLError(self.redact(what), self.redact(message), status=response.status_code, code=code,
                            request_id=request_id_of(response), correlation_id=correlation, hint=hint, service=True)

    def _backoff(self, attempt):
        """Jittered exponential backoff for retry number ``attempt`` (1-based): half fixed, half random."""
        base = min(self.backoff_max, self.backoff_factor * (2 ** (attempt - 1)))
        return base / 2 + random.uniform(0, base / 2)  # noqa: S311 - jitter, not cryptography

    def retry_after(self, response, retry=None):
        """Seconds from ``Retry-After`` (integer or HTTP date), capped; None when absent or invalid."""
        value = response.headers.get('Retry-After')
        if value is None:
            return None
        try:
            seconds = (retry or Retry(0)).parse_retry_after(value)
        except Exception:
            return None
        return min(float(seconds), RETRY_AFTER_MAX)

    def send(self, method, url, *, what, idempotent, auth=True, json_body=None, headers=None, stream=False):
        """Send one request (with retries when ``idempotent``); return the final ``requests.Response``.

        Raises :class:`AzureMLError` on connection errors once retries are spent (or at once when
        not idempotent). HTTP error statuses are returned, not raised: see :meth:`call`. The
        response's ``attempts`` attribute counts the requests sent (token renewal excluded).
        With ``stream`` the body is not read (``requests``' ``stream=True``): the caller reads
        and closes the response (see :meth:`download`).
        """
        retry = Retry(total=self.retries if idempotent else 0, connect=None, read=None, redirect=None, status=None, other=None,
                      status_forcelist=RETRY_STATUSES, allowed_methods=None, respect_retry_after_header=True, raise_on_status=False)
        renewed = False
        while True:
            token = self.auth.get_token() if auth and self.auth is not None else None
            sent = {'x-ms-client-request-id': str(uuid.uuid4()), 'x-ms-return-client-request-id': 'true'}
            if token:
                sent['Authorization'] = 'Bearer ' + token
            sent.update(headers or {})
            try:
                with self._slots:
                    response = self.session.request(method, url, headers=sent, json=json_body, timeout=self.timeout,
                                                    verify=self.verify, allow_redirects=False, stream=stream)
            except requests.exceptions.InvalidHeader:
                # requests quotes the header value in its message (the bearer token): never shown, never retried
                raise AzureMLError(self.redact(what), 'a request header is invalid (a header value holds a line break or a '
                                                      'control character; its value is not shown): not sent, not retried') from None
            except NOT_RETRIED as exc:
                reason = self.redact(f'{type(exc).__name__}: {exc}')
                raise AzureMLError(self.redact(what), f'{reason} (an invalid URL: not sent, not retried)') from None
            except requests.exceptions.RequestException as exc:
                reason = self.redact(f'{type(exc).__name__}: {exc}')
                if isinstance(exc, requests.exceptions.SSLError):  # a certificate problem does not go away: never retried
                    raise AzureMLError(self.redact(what), f'{reason} (TLS failed, not retried)',
                                       hint='trust the CA with ca_path (or REQUESTS_CA_BUNDLE)') from None
                if not idempotent:
                    raise AzureMLError(self.redact(what), f'{reason} (not retried: {method} is not idempotent)') from None
                try:
                    retry = retry.increment(method, url, error=exc)
                except MaxRetryError:
                    raise AzureMLError(self.redact(what), f'{reason} (after {self.retries} retries)') from None
                self._sleep(self._backoff(len(retry.history)))
                continue
            if response.status_code == 401 and token and not renewed and self.auth.refreshable:
                self.auth.invalidate(token)
                renewed = True
                response.close()
                continue
            wait_for = self.retry_after(response, retry)
            if idempotent and retry.is_retry(method, response.status_code, wait_for is not None):
                try:
                    retry = retry.increment(method, url, response=_Status(response.status_code))
                except MaxRetryError:
                    response.attempts = len(retry.history) + 1
                    return response
                response.close()  # releases the connection of a streamed response
                self._sleep(wait_for if wait_for is not None else self._backoff(len(retry.history)))
                continue
            response.attempts = len(retry.history) + 1
            response.answered_at = self._clock()  # when a long-running operation's first poll may come (wait_operations)
            return response

    def call(self, op, params=None, *, what=None, query=None, json_body=None, ok=(200, 201, 202, 204), missing_ok=False,
             headers=None):
        """Send ``op``; return the ``requests.Response`` when its status is in ``ok``.

        With ``missing_ok`` a 404 is returned too (the caller checks ``status_code``).
        Anything else raises :class:`AzureMLError` (with a hint for ``auth_source: token``).
        """
        route = get_route(op, self.api_profile)
        params = self.params(params)
        what = what or describe_call(op, params)
        url = self.url(op, params, query)
        response = self.send(route.method, url, what=what, idempotent=route.idempotent, auth=route.auth, json_body=json_body,
                             headers=headers)
        if response.status_code in ok or (missing_ok and response.status_code == 404):
            return response
        raise self._error(what, response, self._hint(response))

    def _hint(self, response):
        if response.status_code == 401 and self.auth is not None and not self.auth.refreshable:
            return 'the access_token is expired or invalid (auth_source token cannot renew it)'
        return None

    def delete(self, op, params=None, *, what=None, query=None, absent=(404,), raise_errors=False, client_request_id=None):
        """DELETE ``op`` (retried as an idempotent call); return a :class:`DeleteResult`.

        2xx is ``deleted``, a status in ``absent`` is ``absent`` (pass ``(204, 404)`` for ARM,
        whose 204 means "did not exist"); anything else is ``failed`` with the error line, or
        raises :class:`AzureMLError` with ``raise_errors``. A 202 is ``deleted`` once accepted:
        follow it with :meth:`wait_lro`. ``client_request_id``: the ``x-ms-client-request-id`` every attempt carries
        (the one the audit log recorded before the DELETE), instead of a new one per attempt.
        """
        params = self.params(params)
        what = what or describe_call(op, params)
        headers = {'x-ms-client-request-id': client_request_id} if client_request_id else None
        try:
            response = self.call(op, params, what=what, query=query, ok=tuple(range(200, 300)) + tuple(absent), headers=headers)
        except AzureMLError as exc:
            if raise_errors:
                raise
            return DeleteResult('failed', exc.status, exc.request_id, str(exc), None, None)
        outcome = 'absent' if response.status_code in absent else 'deleted'
        return DeleteResult(outcome, response.status_code, request_id_of(response), None, response, getattr(response, 'attempts', 1))

    def get_json(self, op, params=None, *, what=None, query=None, missing_ok=False):
        """GET ``op`` and return the JSON body (None on 404 with ``missing_ok``)."""
        response = self.call(op, params, what=what, query=query, ok=(200,), missing_ok=missing_ok)
        if response.status_code == 404:
            return None
        return self._json(response, what or describe_call(op, self.params(params)))

    def download(self, url, fileobj, *, what, chunk_size=1024 * 1024, received=None):
        """GET the pre-signed URL ``url`` (an Azure Storage SAS URL) into ``fileobj``; return ``(size, sha256 hex)``.
        A dict ``received`` gets ``etag``: the ``ETag`` header of the answer whose bytes were written (None without one).

        The request carries NO Authorization header: the URL's signature is its credential, and
        the token must never reach a storage host. The body streams in ``chunk_size`` pieces
        (bounded memory). Statuses and connection errors are retried as for any read; a body cut
        short restarts the download (``fileobj`` is rewound and truncated). Error messages never
        show the URL's query string (its signature): ``what`` must not hold the URL either.
        """
        query = urlsplit(url).query

        def clean(text):
            text = str(text)
            if query:
                text = text.replace(query, '<query removed>')
            return SAS_PARAMETER.sub(r'\1<removed>', text)

        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.send('GET', url, what=what, idempotent=True, auth=False, stream=True)
            except AzureMLError as exc:
                raise AzureMLError(what, clean(exc.message)) from None
            try:
                if response.status_code != 200:
                    error = self._error(what, response)
                    raise AzureMLError(what, clean(error.message), status=error.status, code=error.code, request_id=error.request_id)
                if received is not None:
                    received['etag'] = response.headers.get('ETag')
                fileobj.seek(0)
                fileobj.truncate()
                digest, size = hashlib.sha256(), 0
                for chunk in response.iter_content(chunk_size):
                    fileobj.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                return size, digest.hexdigest()
            except requests.exceptions.RequestException as exc:
                if attempt > self.retries:
                    raise AzureMLError(what, clean(f'{type(exc).__name__}: {exc}') + f' (after {self.retries} retries)') from None
                self._sleep(self._backoff(attempt))
            finally:
                response.close()

    def _json(self, response, what):
        try:
            return response.json()
        except ValueError:
            raise AzureMLError(what, 'the response is not JSON', status=response.status_code,
                               request_id=request_id_of(response)) from None

    # -- paging -------------------------------------------------------------------------

    def _natural_origin(self, family):
        """The family's own Azure host (nextLinks to it are rewritten to base_url), or None."""
        try:
            return family_base(self.cloud, family, self.location, self.api_profile) if family == ARM or self.location else None
        except ValueError:
            return None

    def follow(self, link, request_url, family, what, kind='nextLink'):
        """``link`` made safe to send our token to: same origin as ``request_url`` (or rewritten to base_url).

        Raises :class:`PagingError` for any other host: the token never leaves the configured host.
        """
        link = urljoin(request_url, link)
        if _origin(link) == _origin(request_url):
            return link
        natural = self._natural_origin(family)
        if self.base_url and natural and _origin(link) == _origin(natural):
            parts = urlsplit(link)
            return split_base_url(self.base_url) + urlunsplit(('', '', parts.path, parts.query, ''))
        raise PagingError(self.redact(what), f'refusing to follow the {kind} to {urlsplit(link).netloc}: '
                                             f'the request went to {urlsplit(request_url).netloc}')

    def iter_pages(self, op, params=None, *, what=None, query=None, body=None):
        """Yield each page (a dict) of ``op``, following the route's paging style."""
        route = get_route(op, self.api_profile)
        params = self.params(params)
        what = what or describe_call(op, params)
        first = url = self.url(op, params, query)
        body = dict(route.body, **(body or {})) if route.method == 'POST' else None
        seen = set()
        while True:
            response = self.send(route.method, url, what=what, idempotent=route.idempotent, auth=route.auth, json_body=body)
            if response.status_code != 200:
                raise self._error(what, response, self._hint(response))
            page = self._json(response, what)
            if not isinstance(page, dict):
                raise PagingError(what, 'a page of the list is not a JSON object', request_id=request_id_of(response))
            yield page
            link, token = page.get('nextLink'), page.get('continuationToken')
            if route.paging is None:
                return
            if link and body is None:  # arm, mms, continuation over GET: the absolute nextLink as is
                marker = ('link', link)
                url = self.follow(link, url, route.family, what)
            elif token and route.paging == 'continuation':  # resend with the token (JSON body for POST :query)
                marker = ('token', token)
                if body is not None:
                    body = dict(body, continuationToken=token)
                else:
                    url = with_query(first, continuationToken=token)
            else:
                return
            if marker in seen:
                raise PagingError(what, f'the service repeated the {"continuation token" if marker[0] == "token" else "nextLink"} '
                                        f'of a previous page; stopping instead of looping', request_id=request_id_of(response))
            seen.add(marker)

    def iter_items(self, op, params=None, *, what=None, query=None, body=None):
        """Yield every item (``value`` of every page) of the list ``op``."""
        for page in self.iter_pages(op, params, what=what, query=query, body=body):
            items = page.get('value')
            if items is None:
                items = []
            if not isinstance(items, list):
                raise PagingError(what or describe_call(op, self.params(params)), 'the page value is not a list')
            yield from items

    def list_items(self, op, params=None, **kwargs):
        """``list(iter_items(...))``."""
        return list(self.iter_items(op, params, **kwargs))

    def map_concurrent(self, fn, items):
        """:func:`map_concurrent` bounded by this client's ``concurrency``."""
        return map_concurrent(fn, items, self.concurrency)

    # -- long-running operations ---------------------------------------------------------

    def wait_lro(self, response, *, what, wait_timeout, family=ARM, poll_interval=10, first_poll=None):
        """Wait for the operation ``response`` (a 201/202) started; return an :data:`LroResult`.

        One operation of :meth:`wait_operations`: raises :class:`LroTimeoutError` naming ``what`` after ``wait_timeout``
        seconds, :class:`AzureMLError` when the operation fails or cannot be followed.
        """
        outcome, = self.wait_operations([(response, what)], wait_timeout=wait_timeout, family=family, poll_interval=poll_interval,
                                        first_poll=first_poll)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def _operation(self, response, what, family):
        """``(url, mode)`` to poll for the operation ``response`` started, None when it is done already."""
        headers = response.headers
        for header, mode in (('Azure-AsyncOperation', 'status'), ('Location', 'location'), ('Operation-Location', 'status')):
            if headers.get(header):
                return self.follow(headers[header], response.url, family, what, kind='operation URL'), mode
        if response.status_code == 201:
            return None
        raise AzureMLError(what, 'the answer has no Azure-AsyncOperation, Location or Operation-Location header to follow',
                           status=response.status_code, request_id=request_id_of(response))

    def _first_poll(self, response, poll_interval, first_poll, now):
        """``(interval, due)`` of the first poll of the operation ``response`` started: its ``Retry-After``, else
        ``first_poll`` (at most ``poll_interval``), else ``poll_interval``, counted from the answer (``now`` when its time
        is not known), not from the start of the wait."""
        interval = self.retry_after(response) or (min(first_poll, poll_interval) if first_poll is not None else poll_interval)
        answered = getattr(response, 'answered_at', None)
        return interval, (now if answered is None else answered) + interval

    def sleep_until_pollable(self, responses, *, poll_interval=10, first_poll=None):
        """Sleep until every operation that ``responses`` (202 answers) started may be polled a first time, as
        :meth:`wait_operations` would poll it; no sleep when that time has passed."""
        now = self._clock()
        due = max((self._first_poll(r, poll_interval, first_poll, now)[1] for r in responses), default=now)
        if due > now:
            self._sleep(due - now)

    def wait_operations(self, started, *, wait_timeout, family=ARM, poll_interval=10, first_poll=None):
        """Wait for the long-running operations ``started`` (``[(response, what), ...]``) under one deadline.

        Returns, in order, an :data:`LroResult` per operation that succeeded (or was done already: not a 201/202) and
        the :class:`AzureMLError` of each that failed, could not be followed (a foreign or missing operation URL) or was
        still running after ``wait_timeout`` seconds (:class:`LroTimeoutError`); nothing is raised for one operation.

        Polls ``Azure-AsyncOperation`` (200 with ``status``), else ``Location`` (202 while running, then 200/204), else
        ``Operation-Location`` (model management, ``state``). Each operation keeps its own pace: the ``Retry-After`` of
        its last answer (else of the answer that started it), else ``poll_interval``; with ``first_poll`` and no
        ``Retry-After`` the first poll comes that soon and the interval doubles up to ``poll_interval`` (a quick operation
        is not kept waiting a whole interval). The polls that are due go out together with the client's bounded
        concurrency; nothing holds a request slot while it waits, and no sleep goes past the deadline.
        """
        clock = self._clock
        deadline = clock() + wait_timeout
        outcomes, pending = {}, []  # index in started: LroResult or error
        for index, (response, what) in enumerate(started):
            if response.status_code not in (201, 202):
                outcomes[index] = LroResult('Succeeded', response, 0)
                continue
            try:
                target = self._operation(response, what, family)
            except AzureMLError as exc:
                outcomes[index] = exc
                continue
            if target is None:
                outcomes[index] = LroResult('Succeeded', response, 0)
                continue
            ramp = not self.retry_after(response) and first_poll is not None
            interval, due = self._first_poll(response, poll_interval, first_poll, clock())
            pending.append({'index': index, 'what': what, 'url': target[0], 'mode': target[1], 'started': response,
                            'interval': interval, 'ramp': ramp, 'state': 'InProgress', 'polls': 0, 'due': min(due, deadline)})

        def poll(op):
            """Poll ``op`` once: its outcome when it ended (an :data:`LroResult` or the error), else None."""
            what = op['what']
            try:
                op['polls'] += 1
                response = self.send('GET', op['url'], what=f'{what} (polling)', idempotent=True)
                asked = self.retry_after(response)
                if asked:
                    op['interval'], op['ramp'] = asked, False
                elif op['ramp']:
                    op['interval'] = min(op['interval'] * 2, poll_interval)
                if op['mode'] == 'location':
                    if response.status_code in (200, 201, 204):
                        return LroResult('Succeeded', response, op['polls'])
                    if response.status_code != 202:
                        return self._error(what, response)
                    return None
                if response.status_code != 200:
                    return self._error(what, response)
                body = self._json(response, what)
                body = body if isinstance(body, dict) else {}
                op['state'] = str(body.get('status') or body.get('state') or 'InProgress')
                if op['state'].lower() in LRO_SUCCEEDED:
                    return LroResult(op['state'], response, op['polls'])
                if op['state'].lower() in LRO_FAILED:
                    error = body.get('error') if isinstance(body.get('error'), dict) else {}
                    return AzureMLError(what, self.redact(error.get('message') or f"the operation ended {op['state']}"),
                                        status=response.status_code, code=error.get('code') or op['state'],
                                        request_id=request_id_of(op['started']))
                return None
            except AzureMLError as exc:
                return exc

        while pending:
            now = clock()
            due = [op for op in pending if op['due'] <= now]
            if due:
                ended = self.map_concurrent(poll, due)
                now = clock()
                for op, outcome in zip(due, ended):
                    op['due'] = min(now + op['interval'], deadline)
                    if outcome is not None:
                        outcomes[op['index']] = outcome
                pending = [op for op in pending if op['index'] not in outcomes]
            if pending and now >= deadline:
                for op in pending:
                    outcomes[op['index']] = LroTimeoutError(
                        op['what'], f"the operation is still {op['state']} after {wait_timeout} s (wait_timeout)",
                        request_id=request_id_of(op['started']))
                break
            if pending:
                self._sleep(max(0.0, min(op['due'] for op in pending) - now))
        return [outcomes[index] for index in range(len(started))]


class _Status:
    """The part of a urllib3 response ``Retry.increment()`` reads (works on urllib3 1.26 and 2.x)."""

    def __init__(self, status):
        self.status = status

    @staticmethod
    def get_redirect_location():
        return False
