# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Connection options of the gdpr.azureml inventory plugins (``gdpr.azureml.inventory``).

The same options and environment variables as the modules (``gdpr.azureml.common``,
docs/user-guide.md), written the way plugin options are: with ``env:`` entries that Ansible's
configuration reads. Where two variables are listed the FIRST one wins, as for the modules (the
plugin resolves them itself; Ansible alone would let the last one win). A unit test checks these
entries against ``_auth.AUTH_ENV`` and ``_module.TRANSPORT_ENV``. (ansible-test wants literal strings here.)
"""


class ModuleDocFragment:

    DOCUMENTATION = r'''
options:
  auth_source:
    description:
      - Where the Azure AD token comes from, as for the modules.
      - V(auto) uses the first that is configured, in this order.
        V(token) when O(access_token) is set;
        a service principal when O(client_id), O(secret) and O(tenant) are all set;
        V(credential_file) when C(~/.azure/credentials) has the O(profile) section (default C(default))
        with C(client_id), C(secret) and C(tenant);
        V(cli), the login of the Azure CLI;
        V(msi), the managed identity of the controller.
      - V(env) uses the service principal of O(client_id), O(secret) and O(tenant).
      - V(credential_file) uses the O(profile) section of C(~/.azure/credentials).
      - V(cli) uses the Azure CLI's login (C(az login)).
      - V(msi) uses the managed identity of the controller; O(client_id) selects a user-assigned identity.
      - V(token) sends O(access_token) as is.
      - Every source except V(token) needs the C(azure-identity) Python library on the controller.
      - When both environment variables are set, E(ANSIBLE_AZURE_AUTH_SOURCE) wins (an AWX credential type can only set E(AZUREML_AUTH_SOURCE)).
    type: str
    choices: [auto, env, credential_file, cli, msi, token]
    default: auto
    env:
      - name: ANSIBLE_AZURE_AUTH_SOURCE
      - name: AZUREML_AUTH_SOURCE
  tenant:
    description:
      - The Azure AD tenant of the service principal.
      - When both environment variables are set, E(AZURE_TENANT) wins.
    type: str
    env:
      - name: AZURE_TENANT
      - name: AZURE_TENANT_ID
  client_id:
    description:
      - The application (client) id of the service principal, or of the user-assigned managed identity with O(auth_source=msi).
    type: str
    env:
      - name: AZURE_CLIENT_ID
  secret:
    description:
      - The client secret of the service principal.
      - Keep it out of inventory files in clear text; use the environment, or a vault-encrypted value.
        It never appears in the inventory's output nor in its cache.
      - When both environment variables are set, E(AZURE_SECRET) wins.
    type: str
    env:
      - name: AZURE_SECRET
      - name: AZURE_CLIENT_SECRET
  profile:
    description:
      - The section of C(~/.azure/credentials) to read (V(default) when not set).
    type: str
    env:
      - name: AZURE_PROFILE
  cloud_environment:
    description:
      - The Azure cloud. It sets the Resource Manager host, the Azure AD authority and the token scope.
    type: str
    choices: [AzureCloud, AzureChinaCloud, AzureUSGovernment]
    default: AzureCloud
    env:
      - name: AZURE_CLOUD_ENVIRONMENT
  authority_host:
    description:
      - Use this Azure AD host (an C(https://) URL) instead of the cloud's, for service principals.
        Azure AD instance discovery is then turned off.
    type: str
    env:
      - name: AZURE_AUTHORITY_HOST
  access_token:
    description:
      - A bearer token for the Resource Manager resource of the cloud, sent as is (O(auth_source=token); V(auto) uses it when set).
      - It never appears in the inventory's output nor in its cache.
    type: str
    env:
      - name: AZUREML_ACCESS_TOKEN
  base_url:
    description:
      - Send every request to this C(scheme://host[:port]) instead of the Azure hosts, with the paths unchanged
        (an emulator, a proxy).
      - This does not reach the hosts' tasks; set C(base_url) in O(azureml_options) (or in the environment) for them.
    type: str
    env:
      - name: AZUREML_BASE_URL
  validate_certs:
    description:
      - Verify TLS certificates. Set to V(false) only for tests; the plugin warns when it is.
    type: bool
    default: true
    env:
      - name: AZUREML_VALIDATE_CERTS
  ca_path:
    description:
      - A CA bundle to verify TLS certificates with (TLS inspection proxies, test CAs). Proxies come from E(HTTPS_PROXY) as usual.
    type: path
    env:
      - name: REQUESTS_CA_BUNDLE
  timeout:
    description:
      - Seconds to wait for each request.
    type: int
    default: 30
  retries:
    description:
      - How many times a list request is retried after its first attempt, on HTTP 429, 500, 502, 503 and 504
        and on connection errors, honouring C(Retry-After).
    type: int
    default: 6
  concurrency:
    description:
      - Subscriptions listed at once (each one's pages are read in order).
    type: int
    default: 8
requirements:
  - requests >= 2.25.0
  - azure-identity >= 1.13.0 (not needed with auth_source=token)
'''
