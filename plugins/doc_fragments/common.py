# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The options every gdpr.azureml module takes (docs/user-guide.md, "Authentication" and "Transport").

``gdpr.azureml.common`` documents them all (auth, transport, workspace coordinates; the
argument spec is ``_module.common_argument_spec()``); ``gdpr.azureml.common.dest`` documents
the ``dest`` option of the ``*_info`` modules. (ansible-test wants literal strings here.)
"""


class ModuleDocFragment:

    DOCUMENTATION = r'''
options:
  auth_source:
    description:
      - Where the Azure AD token comes from.
      - V(auto) uses the first that is configured, in this order.
        V(token) when O(access_token) is set;
        a service principal when O(client_id), O(secret) and O(tenant) are all set;
        V(credential_file) when C(~/.azure/credentials) has the O(profile) section (default C(default))
        with C(client_id), C(secret) and C(tenant);
        V(cli), the login of the Azure CLI;
        V(msi), the managed identity of the host.
      - V(env) uses the service principal of O(client_id), O(secret) and O(tenant) (from the options or their environment variables).
      - V(credential_file) uses the O(profile) section of C(~/.azure/credentials)
        (keys C(subscription_id), C(client_id), C(secret), C(tenant)).
      - V(cli) uses the Azure CLI's login (C(az login)).
      - V(msi) uses the managed identity of the host; O(client_id) selects a user-assigned identity.
      - V(token) sends O(access_token) as is; it cannot be renewed, so an expired token fails the task.
      - Every source except V(token) needs the C(azure-identity) Python library.
      - If not set, the environment variable E(ANSIBLE_AZURE_AUTH_SOURCE) is used, then E(AZUREML_AUTH_SOURCE)
        (the one an AWX or Automation Platform credential type can set, as they refuse variables named C(ANSIBLE_*)).
    type: str
    choices: [auto, env, credential_file, cli, msi, token]
    default: auto
  subscription_id:
    description:
      - The Azure subscription (a GUID).
      - If not set, the environment variable E(AZURE_SUBSCRIPTION_ID) is used,
        then (with O(auth_source=auto) or O(auth_source=credential_file)) C(subscription_id) of the credentials file profile.
    type: str
  tenant:
    description:
      - The Azure AD tenant of the service principal.
      - If not set, the environment variable E(AZURE_TENANT) is used, then E(AZURE_TENANT_ID).
    type: str
  client_id:
    description:
      - The application (client) id of the service principal, or of the user-assigned managed identity with O(auth_source=msi).
      - If not set, the environment variable E(AZURE_CLIENT_ID) is used.
    type: str
  secret:
    description:
      - The client secret of the service principal.
      - If not set, the environment variable E(AZURE_SECRET) is used, then E(AZURE_CLIENT_SECRET).
    type: str
  profile:
    description:
      - The section of C(~/.azure/credentials) to read (V(default) when not set).
      - If not set, the environment variable E(AZURE_PROFILE) is used.
    type: str
  cloud_environment:
    description:
      - The Azure cloud. It sets the Resource Manager host, the Azure AD authority,
        the token scope (the cloud's Resource Manager resource followed by C(/.default)) and the data-plane hosts.
      - For V(AzureChinaCloud) and V(AzureUSGovernment) the data-plane hosts are inferred
        (the document this collection implements names only the public cloud's hosts);
        set O(base_url) to a proxy if your cloud differs.
      - If not set, the environment variable E(AZURE_CLOUD_ENVIRONMENT) is used.
    type: str
    choices: [AzureCloud, AzureChinaCloud, AzureUSGovernment]
    default: AzureCloud
  authority_host:
    description:
      - Use this Azure AD host (an C(https://) URL) instead of the cloud's, for service principals.
        Azure AD instance discovery is then turned off.
      - If not set, the environment variable E(AZURE_AUTHORITY_HOST) is used.
    type: str
  access_token:
    description:
      - A bearer token for the Resource Manager resource of the cloud, sent as is (O(auth_source=token); V(auto) uses it when set).
      - If not set, the environment variable E(AZUREML_ACCESS_TOKEN) is used.
    type: str
  storage_access_token:
    description:
      - A bearer token for Azure Storage (scope C(https://storage.azure.com/.default)), sent as is to the workspace's
        storage account with O(auth_source=token) (V(auto) uses it when set).
      - The other auth sources get a storage token themselves (a grant of its own, once per task);
        O(access_token) is never sent to storage, so with O(auth_source=token) the storage operations need this option.
      - If not set, the environment variable E(AZUREML_STORAGE_ACCESS_TOKEN) is used.
    type: str
  storage_account_key:
    description:
      - The key of the workspace's storage account, used instead of a token for the storage operations.
      - Only what you pass here is used; the collection never reads a datastore's credentials.
    type: str
  storage_base_url:
    description:
      - Reach the workspace's storage account at C(<storage_base_url>/<account>) (path style, as Azurite serves several accounts)
        instead of C(https://<account>.blob.<cloud storage suffix>) (C(core.windows.net), C(core.chinacloudapi.cn), C(core.usgovcloudapi.net)).
      - It must be C(https://) unless O(storage_account_key) is set (Azure Storage accepts tokens over HTTPS only). O(ca_path) applies to it too.
      - If not set, the environment variable E(AZUREML_STORAGE_BASE_URL) is used.
    type: str
  base_url:
    description:
      - Send every request to this C(scheme://host[:port]) instead of the Azure hosts, with the paths unchanged
        (an emulator, a proxy).
      - If not set, the environment variable E(AZUREML_BASE_URL) is used.
    type: str
  validate_certs:
    description:
      - Verify TLS certificates. Set to V(false) only for tests; the module warns when it is.
      - If not set, the environment variable E(AZUREML_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - A CA bundle to verify TLS certificates with (TLS inspection proxies, test CAs). Proxies come from E(HTTPS_PROXY) as usual.
      - If not set, the environment variable E(REQUESTS_CA_BUNDLE) is used.
    type: path
  timeout:
    description:
      - Seconds to wait for each request.
    type: int
    default: 30
  retries:
    description:
      - How many times a read or a delete is retried after its first attempt, on HTTP 429, 500, 502, 503 and 504
        and on connection errors, honouring C(Retry-After) (else waiting with a jittered exponential backoff).
      - Other requests are never retried.
    type: int
    default: 6
  concurrency:
    description:
      - Requests in flight at once inside one module run.
    type: int
    default: 8
  api_profile:
    description:
      - V(current) sends what Microsoft's SDK (azureml-core) sends today, to the hosts of the workspace's discovery document.
      - V(documented) sends the requests of the Azure Machine Learning export and delete document (2020), with the calls that
        document lacks added (the v2 metrics service, C(viewType=All) on the experiment list, artifacts in each run's data
        container).
      - If not set, the environment variable E(AZUREML_API_PROFILE) is used.
      - The default was V(documented) before version 2.0.0.
    type: str
    choices: [documented, current]
    default: current
  resource_group:
    description:
      - The resource group of the workspace.
    type: str
  workspace_name:
    description:
      - The Azure Machine Learning workspace the module works on.
    type: str
  location:
    description:
      - The Azure region of the workspace (for example V(eastus)), which names its data-plane hosts.
      - When not set, it is read once from the workspace (Azure Resource Manager).
    type: str
requirements:
  - requests >= 2.25.0
  - azure-identity >= 1.13.0 (not needed with auth_source=token)
  - azure-storage-blob >= 12.14.0 (only for the storage operations)
'''

    DEST = r'''
options:
  dest:
    description:
      - Write the items to this file as a JSON array instead of returning them.
      - The file is written atomically with mode C(0600); items are sorted, so the same service state gives the same bytes.
      - The module then returns RV(count), RV(dest) and RV(sha256), and reports a change only when the file's content changed.
      - In check mode the file is not written.
    type: path
'''
