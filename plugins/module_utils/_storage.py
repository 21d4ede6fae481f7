# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""The workspace's storage account (Azure Blob Storage) through ``azure-storage-blob``, imported lazily.

One :class:`StorageClient` per module run: one ``BlobServiceClient`` per account, all of them on one
``requests`` session (pool of ``concurrency`` connections, ``ca_path``/``validate_certs`` honoured),
the storage SDK's ``ExponentialRetry`` (azure-core's retry policy for the storage pipeline: a plain
``azure.core`` ``RetryPolicy`` leaves the storage pipeline's ``hosts``/``location_mode`` options to the
transport and fails) configured from the module's ``retries`` (408, 429, 5xx, connection and read errors;
backoff ``backoff_factor`` + 2**n seconds, jittered; the calls here are reads and deletes, all idempotent)
and ``timeout`` per request.

Credentials. A bearer token for :data:`~._clouds.STORAGE_SCOPE` from the module's auth source (an
``_auth`` source built with that scope: one grant per run; with ``auth_source: token`` the
``storage_access_token`` option), or the account key when the operator passes ``storage_account_key``.
A datastore's credentials are never read (no ``listSecrets``). The account comes from the workspace's
``storageAccount`` ARM id (:func:`account_from_id`); its endpoint is
``https://<account>.blob.<cloud storage suffix>``, or ``<storage_base_url>/<account>`` (path style, as
Azurite serves several accounts).

Primitives (what the storage export and purge call):

- :meth:`StorageClient.iter_blobs` -- every blob (and snapshot) under a prefix, page by page;
- :meth:`StorageClient.download` -- a blob (or snapshot) streamed into a file object, bounded memory:
  ``(size, sha256, etag)``;
- :meth:`StorageClient.delete` -- a blob with its snapshots (or one snapshot), absent is fine:
  a ``_client.DeleteResult``;
- :meth:`StorageClient.delete_retention` -- the service's delete retention policy.

:func:`run_blob_prefix` is the ONE place where a run maps to its files (``ExperimentRun/dcid.<runId>/``
in the ``azureml`` container of ``workspaceartifactstore``). Errors are ``_client.AzureMLError``
(what was being done, HTTP status, storage error code, message, request id), secrets redacted.
"""

import hashlib
import re
import time
import traceback
from collections import namedtuple
from urllib.parse import urlsplit

from ansible_collections.gdpr.azureml.plugins.module_utils._auth import MissingLibraryError
from ansible_collections.gdpr.azureml.plugins.module_utils._client import COLLECTION_VERSION, REDACTED, AzureMLError, DeleteResult, new_session
from ansible_collections.gdpr.azureml.plugins.module_utils._clouds import STORAGE_SCOPE, storage_endpoint

ARTIFACT_CONTAINER = 'azureml'  # the container of the workspaceartifactstore datastore
CHUNK_SIZE = 4 * 1024 * 1024  # bytes per download request: the memory a download holds at most
# Bytes per read of a response body. azure-core's default, 4 KiB, makes a loop of Python calls (azure-core, requests,
# urllib3) per 4 KiB: 16 per 64 KiB blob, 1,024 per 4 MiB chunk, 11% of the export's CPU per blob (profiled,
# docs/performance.md). A chunk is held whole anyway (the SDK joins its reads), so larger reads cost no memory.
READ_BLOCK_SIZE = 256 * 1024
AUTH_CODES = ('AuthenticationFailed', 'InvalidAuthenticationInfo', 'AuthorizationFailure', 'AuthorizationPermissionMismatch')
PAGE_SIZE = 5000  # blobs per list page (the service's maximum)
ACCOUNT_RE = re.compile(r'^[a-z0-9]{3,24}$')
_STORAGE_ID = re.compile(r'^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Storage/storageAccounts/([^/]+)/?$', re.IGNORECASE)

Blob = namedtuple('Blob', ['account', 'container', 'name', 'snapshot', 'etag', 'size', 'last_modified', 'content_md5'])
Blob.__doc__ = '''A listed blob (``snapshot`` is None for the base blob). ``etag`` without quotes, ``content_md5`` hex or None.'''
Download = namedtuple('Download', ['size', 'sha256', 'etag'])
Retention = namedtuple('Retention', ['enabled', 'days', 'error'])
Retention.__doc__ = '''The delete retention policy: ``enabled`` (None when it could not be read: ``error`` says why), ``days``.'''


def import_blob(reason='to read and delete blobs in the workspace storage account'):
    """Import and return ``azure.storage.blob``; MissingLibraryError (naming the package) when absent."""
    try:
        import azure.storage.blob
    except ImportError:
        raise MissingLibraryError('azure-storage-blob', reason, traceback.format_exc()) from None
    return azure.storage.blob


def run_blob_prefix(run):
    """``ExperimentRun/<dataContainerId>/``: the prefix of a run's files in the ``azureml`` container.

    ``run`` is a run history ``Run`` (its ``dataContainerId``, else ``dcid.<runId>``) or a run id.
    The ONE place the collection maps a run to its storage: everything else calls this.
    """
    if isinstance(run, str):
        run = {'runId': run}
    container = run.get('dataContainerId') or 'dcid.' + run['runId']
    return f'ExperimentRun/{container}/'


def account_from_id(storage_account_id):
    """The account name of a ``.../Microsoft.Storage/storageAccounts/<name>`` ARM id; ValueError otherwise."""
    found = _STORAGE_ID.match(str(storage_account_id or '').strip())
    name = found.group(1).lower() if found else None
    if not name or not ACCOUNT_RE.match(name):
        raise ValueError(f'not a storage account ARM id: {storage_account_id!r}')
    return name


def normalize_storage_base_url(value):
    """``https://host[:port][/path]`` without a trailing slash; ValueError unless http(s) with a host."""
    value = str(value).strip().rstrip('/')
    parts = urlsplit(value)
    if parts.scheme not in ('https', 'http') or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f'storage_base_url must be an http(s)://host[:port] URL, got {value!r}')
    return value


def account_url(cloud, account, storage_base_url=None):
    """The blob endpoint of ``account``: ``<storage_base_url>/<account>`` or the cloud's ``https://<account>.blob.<suffix>``."""
    if not ACCOUNT_RE.match(account or ''):
        raise ValueError(f'invalid storage account name {account!r} (3-24 lower-case letters and digits)')
    if storage_base_url:
        return f'{normalize_storage_base_url(storage_base_url)}/{account}'
    return storage_endpoint(cloud, account)


class _Credential:
    """azure-core's ``TokenCredential`` protocol over an ``_auth`` source (its cache: one grant per run)."""

    def __init__(self, auth):
        self._auth = auth

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken

        token = self._auth.get_token()
        # azure-core asks again when less than 300 s remain: with an unknown expiry (a static token) it asks
        # again a second later, and the source answers from its cache.
        expires_on = self._auth.expires_on or time.time() + 301
        return AccessToken(token, int(expires_on))


def _etag(value):
    return str(value).strip('"') if value else None


class StorageClient:
    """Azure Blob Storage of one module run.

    :param auth: an ``_auth`` source for :data:`STORAGE_SCOPE` (None with ``account_key``).
    :param cloud: a ``_clouds.Cloud`` (blob endpoint suffix).
    :param account_key: the account key the operator gave (used instead of a token).
    :param storage_base_url: ``scheme://host[:port]`` replacing ``https://<account>.blob.<suffix>`` by ``<it>/<account>``.
    :param timeout: / :param retries: / :param concurrency: / :param validate_certs: / :param ca_path: as ``_client.Client``.
    """

    def __init__(self, auth, cloud, *, account_key=None, storage_base_url=None, timeout=30, retries=6, concurrency=8,
                 validate_certs=True, ca_path=None, backoff_factor=1.0, chunk_size=CHUNK_SIZE, session=None):
        if auth is None and not account_key:
            raise ValueError('StorageClient needs an auth source or an account key')
        self.auth = auth
        self.cloud = cloud
        self.account_key = account_key
        self.storage_base_url = normalize_storage_base_url(storage_base_url) if storage_base_url else None
        if not account_key and self.storage_base_url and not self.storage_base_url.startswith('https://'):
            raise ValueError(f'storage_base_url must be https:// to send a token to it (Azure Storage accepts bearer tokens '
                             f'over HTTPS only), got {self.storage_base_url}')
        self.timeout = timeout
        self.retries = retries
        self.concurrency = max(1, int(concurrency))
        self.verify = ca_path if ca_path else bool(validate_certs)
        self.backoff_factor = backoff_factor
        self.chunk_size = chunk_size
        self._session = session
        self._transport = None
        self._services = {}

    # -- clients ----------------------------------------------------------------------------

    def account_url(self, account):
        return account_url(self.cloud, account, self.storage_base_url)

    def _make_transport(self):
        from azure.core.pipeline.transport import RequestsTransport

        if self._session is None:
            self._session = new_session(self.concurrency)
        return RequestsTransport(session=self._session, session_owner=False, connection_verify=self.verify,
                                 connection_timeout=self.timeout, read_timeout=self.timeout,
                                 connection_data_block_size=READ_BLOCK_SIZE)

    def service(self, account):
        """The ``BlobServiceClient`` of ``account`` (one per account and run)."""
        client = self._services.get(account)
        if client is None:
            blob = import_blob()

            url = self.account_url(account)
            if self.account_key:
                credential = {'account_name': account, 'account_key': self.account_key}
            else:
                credential = _Credential(self.auth)
            if self._transport is None:
                self._transport = self._make_transport()
            retry = blob.ExponentialRetry(initial_backoff=self.backoff_factor, increment_base=2 if self.backoff_factor else 0,
                                          random_jitter_range=self.backoff_factor / 2, retry_total=self.retries,
                                          retry_connect=self.retries, retry_read=self.retries, retry_status=self.retries)
            client = blob.BlobServiceClient(url, credential=credential, transport=self._transport, retry_policy=retry,
                                            max_single_get_size=self.chunk_size, max_chunk_get_size=self.chunk_size,
                                            user_agent=f'gdpr.azureml/{COLLECTION_VERSION}')
            self._services[account] = client
        return client

    def close(self):
        for client in self._services.values():
            client.close()
        self._services.clear()
        if self._session is not None:
            self._session.close()

    # -- errors -----------------------------------------------------------------------------

    def secrets(self):
        found = [self.account_key] if self.account_key else []
        if self.auth is not None:
            found.extend(self.auth.secrets())
        return found

    def redact(self, text):
        text = str(text)
        for secret in self.secrets():
            if secret and len(secret) >= 4:
                text = text.replace(secret, REDACTED)
        return text

    def error(self, what, exc):
        """``exc`` (azure-core's) as an :class:`AzureMLError` naming ``what``."""
        if isinstance(exc, AzureMLError):
            return exc
        response = getattr(exc, 'response', None)
        status = getattr(exc, 'status_code', None) or getattr(response, 'status_code', None)
        headers = getattr(response, 'headers', None) or {}
        code = getattr(exc, 'error_code', None)
        code = getattr(code, 'value', code)
        message = (getattr(exc, 'message', None) or str(exc) or type(exc).__name__).strip().splitlines()
        message = message[0] if message else type(exc).__name__
        if status is None:
            message = f'{type(exc).__name__}: {message}'
        hint = None
        if status in (401, 403) or code in AUTH_CODES:
            if self.account_key:
                hint = 'authenticated with storage_account_key'
            elif self.auth is not None:
                hint = f'authenticated as {self.auth.describe()} for {STORAGE_SCOPE}'
                if not self.auth.refreshable:
                    hint += ' (is storage_access_token expired, or not a storage token?)'
        return AzureMLError(self.redact(what), self.redact(message), status=status, code=code,
                            request_id=headers.get('x-ms-request-id'), hint=hint)

    def _call(self, what, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if _is_azure_error(exc):
                raise self.error(what, exc) from None
            raise

    # -- primitives -------------------------------------------------------------------------

    def iter_blobs(self, account, container, prefix=None, *, snapshots=True, page_size=PAGE_SIZE):
        """Yield a :data:`Blob` for every blob of ``container`` whose name starts with ``prefix``.

        Page by page (``page_size`` blobs a request; only one page in memory), in the service's
        order (by name, then the snapshots of a blob before it). With ``snapshots`` every snapshot is
        an item of its own. A missing container yields nothing.
        """
        what = f'list the blobs of {account}/{container}' + (f' under {prefix}' if prefix else '')
        include = ['snapshots'] if snapshots else None
        client = self.service(account).get_container_client(container)
        pages = self._call(what, lambda: client.list_blobs(name_starts_with=prefix or None, include=include,
                                                           results_per_page=page_size).by_page())
        while True:
            try:
                page = next(pages)
                items = list(page)
            except StopIteration:
                return
            except Exception as exc:
                if _is_azure_error(exc) and getattr(exc, 'status_code', None) == 404 and \
                        str(getattr(getattr(exc, 'error_code', None), 'value', getattr(exc, 'error_code', ''))) == 'ContainerNotFound':
                    return
                if _is_azure_error(exc):
                    raise self.error(what, exc) from None
                raise
            for item in items:
                md5 = getattr(getattr(item, 'content_settings', None), 'content_md5', None)
                yield Blob(account, container, item.name, item.snapshot, _etag(item.etag), item.size,
                           item.last_modified.isoformat() if item.last_modified else None, bytes(md5).hex() if md5 else None)

    def download(self, account, container, name, fileobj, *, snapshot=None):
        """Stream the blob (or its ``snapshot``) into ``fileobj``; return a :data:`Download` ``(size, sha256, etag)``.

        At most ``chunk_size`` bytes are in memory: one ranged GET per chunk, every chunk pinned to the
        first response's etag (a blob changed mid-download fails instead of mixing versions).
        ``fileobj`` is written from its current position; on error it holds a partial file.
        """
        what = f'download blob {account}/{container}/{name}' + (f' (snapshot {snapshot})' if snapshot else '')
        client = self.service(account).get_blob_client(container, name, snapshot=snapshot)
        stream = self._call(what, client.download_blob, max_concurrency=1)
        digest, size = hashlib.sha256(), 0
        try:
            for chunk in stream.chunks():
                fileobj.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        except Exception as exc:
            if _is_azure_error(exc):
                raise self.error(what, exc) from None
            raise
        return Download(size, digest.hexdigest(), _etag(stream.properties.etag))

    def delete(self, account, container, name, *, snapshot=None, etag=None):
        """Delete the blob with its snapshots (or only ``snapshot``); return a ``_client.DeleteResult``.

        ``deleted`` (202), ``absent`` (404: the blob or its container does not exist), or ``failed``
        with the error line. Retried like any delete (idempotent). With ``etag`` (the one the export
        holds) the delete is conditional (``If-Match``): a blob written since then answers 412 and is
        not deleted (``failed``), so bytes no bundle holds are never erased.
        """
        what = f'delete blob {account}/{container}/{name}' + (f' (snapshot {snapshot})' if snapshot else ' and its snapshots')
        client = self.service(account).get_blob_client(container, name, snapshot=snapshot)
        seen = []
        condition = {}
        if etag and not snapshot:
            from azure.core import MatchConditions
            condition = {'etag': f'"{_etag(etag)}"', 'match_condition': MatchConditions.IfNotModified}
        try:
            client.delete_blob(delete_snapshots=None if snapshot else 'include', **condition,
                               raw_response_hook=lambda response: seen.append(response.http_response.headers.get('x-ms-request-id')))
        except Exception as exc:
            if not _is_azure_error(exc):
                raise
            error = self.error(what, exc)
            if error.status == 404:  # attempts > 1: the first attempt may have deleted it (see DeleteResult)
                return DeleteResult('absent', 404, error.request_id, None, None, len(seen) or 1)
            if error.status == 412 and condition:
                return DeleteResult('failed', 412, error.request_id,
                                    f'{what}: not deleted, the blob changed since the export (its etag is no longer '
                                    f'{_etag(etag)}): export again', None, len(seen) or None)
            return DeleteResult('failed', error.status, error.request_id, str(error), None, len(seen) or None)
        return DeleteResult('deleted', 202, seen[-1] if seen else None, None, None, len(seen) or 1)

    def delete_retention(self, account):
        """The blob service's delete retention policy: a :data:`Retention`.

        Reading it needs more than a data role on real accounts (``blobServices/read``): a 403 gives
        ``Retention(None, None, <error line>)`` instead of failing; other errors raise.
        """
        what = f'read the delete retention policy of storage account {account}'
        try:
            props = self.service(account).get_service_properties()
        except Exception as exc:
            if not _is_azure_error(exc):
                raise
            error = self.error(what, exc)
            if error.status == 403:
                return Retention(None, None, str(error))
            raise error from None
        policy = props.get('delete_retention_policy')
        enabled = bool(getattr(policy, 'enabled', False))
        return Retention(enabled, getattr(policy, 'days', None) if enabled else None, None)


def _is_azure_error(exc):
    """True for azure-core's exceptions (HttpResponseError, ServiceRequestError, ...), without importing it."""
    return any(cls.__module__ == 'azure.core.exceptions' for cls in type(exc).__mro__)
