# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""Remove credentials from exported objects before they reach a result or a file.

Datastores are the one kind whose API returns credentials: ``includeSecret`` defaults to true
(the ``DataStores_List`` operation of the official datastore spec, 2019-09-30). The export always sends ``includeSecret=false`` *and* removes the
fields below from whatever comes back, wherever they appear in the object (any section,
nested objects such as ``clientCredentials``, sections this code does not know yet), compared
case-insensitively. Web services with TLS return their certificate's private key (``sslKey`` of ACI services,
azureml-core ``core/webservice/aci.py``): it is removed the same way; so are the credentials of v2 workspace connections.
Documented field by field in ``docs/export.md``.
"""

# Datastore fields holding credentials (DataStore sections of datastore.json 2019-09-30 and azureml-core):
#   azureStorageSection: credential (the account key or SAS token), accountKey, sasToken,
#                        clientCredentials.clientSecret, clientCredentials.certificate
#   azureDataLakeSection / azureSqlDatabaseSection: clientSecret, certificate
#   azurePostgreSqlSection / azureMySqlSection: userPassword
#   hdfsSection: kerberosPassword, kerberosKeytab
# plus the generic names password and secret.
DATASTORE_CREDENTIAL_FIELDS = (
    'accountKey', 'certificate', 'clientSecret', 'credential', 'kerberosKeytab', 'kerberosPassword',
    'password', 'sasToken', 'secret', 'userPassword',
)
_DATASTORE_NAMES = frozenset(name.lower() for name in DATASTORE_CREDENTIAL_FIELDS)


def _without(value, names):
    if isinstance(value, dict):
        return {k: _without(v, names) for k, v in value.items() if not (isinstance(k, str) and k.lower() in names)}
    if isinstance(value, list):
        return [_without(v, names) for v in value]
    return value


def scrub_datastore(obj):
    """A copy of the datastore ``obj`` without any credential field (:data:`DATASTORE_CREDENTIAL_FIELDS`)."""
    return _without(obj, _DATASTORE_NAMES)


# Web service fields holding secrets: the TLS private key (sslKey; the certificate, sslCertificate, is public).
SERVICE_SECRET_FIELDS = ('sslKey',)
_SERVICE_NAMES = frozenset(name.lower() for name in SERVICE_SECRET_FIELDS)


def scrub_service(obj):
    """A copy of the web service ``obj`` without its TLS private key (:data:`SERVICE_SECRET_FIELDS`)."""
    return _without(obj, _SERVICE_NAMES)


# Workspace connections (v2, 2025-12-01 ``WorkspaceConnectionPropertiesV2``): the credentials (``credentials``: key, PAT,
# SAS, username/password, service principal secret, access keys) come only from ``POST .../listsecrets``, which the export
# never sends; should a body hold them anyway, the whole ``credentials`` object goes, and the datastore credential names.
CONNECTION_SECRET_FIELDS = ('credentials',) + DATASTORE_CREDENTIAL_FIELDS
_CONNECTION_NAMES = frozenset(name.lower() for name in CONNECTION_SECRET_FIELDS)


def scrub_connection(obj):
    """A copy of the connection ``obj`` without credentials (:data:`CONNECTION_SECRET_FIELDS`)."""
    return _without(obj, _CONNECTION_NAMES)


# kind name -> scrubber; kinds not listed are exported as the service returned them.
SCRUBBERS = {'datastores': scrub_datastore, 'services': scrub_service, 'connections': scrub_connection}


def scrub(kind_name, obj):
    """``obj`` of kind ``kind_name`` with its credentials removed (the object itself when the kind has none)."""
    scrubber = SCRUBBERS.get(kind_name)
    return scrubber(obj) if scrubber is not None else obj
