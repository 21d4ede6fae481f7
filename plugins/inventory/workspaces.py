# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r'''
name: workspaces
short_description: Azure Machine Learning workspaces as an inventory
version_added: "1.0.0"
description:
  - Lists the Azure Machine Learning workspaces of the subscriptions in O(subscriptions) (every page of Azure Resource Manager's
    subscription-level list) and adds one host per workspace, with the variables the roles of gdpr.azureml read.
  - Host variables C(azureml_subscription_id), C(azureml_resource_group) (from the workspace's id, as written there),
    C(azureml_workspace_name), C(azureml_location), C(azureml_workspace_id) (the Azure Resource Manager id), C(azureml_tags)
    and C(azureml_workspace_kind);
    with O(set_connection_vars) also C(ansible_connection=local) and C(ansible_python_interpreter={{ ansible_playbook_python }}),
    because the modules run on the controller.
  - C(azureml_workspace_kind) labels the workspace by the C(kind) Azure gives it, in lower case, one of V(default) (a workspace of
    its own; also when Azure gives none, as for workspaces created before kinds existed), V(hub) (an Azure AI Foundry hub,
    it shares connections, computes and storage with its projects), V(project) (a Foundry project, whose hub is in
    C(azureml_hub_id)) or V(featurestore). Each project is a host of its own, exported and purged as any workspace; use
    O(keyed_groups) with C(key=azureml_workspace_kind) to run a play on one kind only.
  - The expressions of O(compose), O(groups), O(keyed_groups) and O(hostnames) can read those variables and two more,
    C(azureml_properties) (the workspace's properties) and C(azureml_sku); values from Azure are never rendered as templates.
  - A failed request fails the whole inventory source (no partial inventory that silently misses workspaces). Ansible then warns
    and goes on without it, unless C(inventory_any_unparsed_is_failed) (E(ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED)) is set.
  - The inventory file name must end with C(azureml.yml) or C(azureml.yaml).
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
  - gdpr.azureml.inventory
options:
  plugin:
    description: Marks the file as a source for this plugin.
    type: str
    required: true
    choices: [gdpr.azureml.workspaces]
  subscriptions:
    description:
      - The subscriptions (GUIDs) whose workspaces to list.
      - When not set, E(AZURE_SUBSCRIPTION_ID) is used (a comma-separated list is accepted), then (with O(auth_source=auto)
        or O(auth_source=credential_file)) C(subscription_id) of the credentials file profile.
    type: list
    elements: str
    env:
      - name: AZURE_SUBSCRIPTION_ID
  resource_groups:
    description:
      - Only the workspaces of these resource groups (compared without regard to case, as Azure does).
    type: list
    elements: str
    default: []
  tags:
    description:
      - Only the workspaces that carry every one of these tags.
      - Tag names are compared without regard to case, values exactly (as Azure does). A V(null) value matches any value.
    type: dict
    default: {}
  hostnames:
    description:
      - How to name the hosts. The first entry giving a non-empty name is used.
      - V(default) is C(<resource group>_<workspace name>), V(name) the workspace name alone,
        V(subscription_resource_group_name) C(<subscription id>_<resource group>_<workspace name>).
        Any other entry is a Jinja expression over the host variables, for example C(azureml_tags.owner | default('')).
      - Characters other than letters, digits, C(_), C(.) and C(-) become C(_), and a leading C(.) or C(-) too
        (a host name is also the name of the workspace's bundle folder).
      - Names are unique without regard to case. A workspace whose name is taken (the same resource group and workspace names
        in two subscriptions) gets C(_<first 8 characters of its subscription id>) appended, and a warning says so.
    type: list
    elements: str
    default: [default]
  set_connection_vars:
    description:
      - Set C(ansible_connection=local) and C(ansible_python_interpreter={{ ansible_playbook_python }}) on every host.
      - O(compose) can override either of them.
    type: bool
    default: true
  azureml_options:
    description:
      - Set this dict as the host variable C(azureml_options) of every host (options the roles pass to every module,
        for example C(base_url), C(cloud_environment), C(concurrency)).
      - It must not hold O(secret) or O(access_token) (they would show in the inventory); use the environment or vaulted variables.
    type: dict
    default: {}
'''

EXAMPLES = r'''
# fleet.azureml.yml: every workspace of two subscriptions, grouped by resource group, location and tag
plugin: gdpr.azureml.workspaces
subscriptions:
  - 00000000-1111-2222-3333-444444444444
  - 55555555-6666-7777-8888-999999999999
keyed_groups:
  - key: azureml_resource_group | lower
    prefix: rg
  - key: azureml_location
    prefix: location
  - key: azureml_tags.costCenter | default('none')
    prefix: cost_center

# prod.azureml.yml (another inventory file): the production workspaces of the subscription in AZURE_SUBSCRIPTION_ID,
# with a service principal from AZURE_TENANT, AZURE_CLIENT_ID and AZURE_SECRET, cached for an hour
#   plugin: gdpr.azureml.workspaces
#   auth_source: env
#   resource_groups: [ml-prod, ml-prod-eu]
#   tags:
#     environment: production
#   cache: true
#   cache_plugin: ansible.builtin.jsonfile
#   cache_connection: ~/.cache/ansible-inventory
#   cache_timeout: 3600
#   groups:
#     eu: azureml_location in ['westeurope', 'northeurope', 'swedencentral']

# sovereign.azureml.yml (another inventory file): China, hosts named after the workspace, module options for the roles
#   plugin: gdpr.azureml.workspaces
#   cloud_environment: AzureChinaCloud
#   hostnames:
#     - name
#   azureml_options:
#     cloud_environment: AzureChinaCloud
#     concurrency: 4
'''

import hashlib
import json
import os
import re

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

try:
    from ansible.template import trust_as_template
except ImportError:  # ansible-core < 2.19 renders every inventory string that is not marked unsafe
    from ansible.utils.unsafe_proxy import wrap_var as untrusted

    def trust_as_template(value):
        return value
else:  # ansible-core 2.19+: no value of a plugin is a template unless it is trusted as one
    def untrusted(value):
        return value

from ansible_collections.gdpr.azureml.plugins.module_utils._auth import (
    AUTH_ENV, AUTH_SOURCES, AuthError, AuthOptions, MissingLibraryError, build_auth,
)
from ansible_collections.gdpr.azureml.plugins.module_utils._client import (
    HAS_REQUESTS, REQUESTS_IMPORT_ERROR, AzureMLError, Client, map_concurrent,
)
from ansible_collections.gdpr.azureml.plugins.module_utils._clouds import get_cloud, normalize_location
from ansible_collections.gdpr.azureml.plugins.module_utils._module import validate_common
from ansible_collections.gdpr.azureml.plugins.module_utils._routes import GUID_RE, RouteError

CACHE_FORMAT = 1
SECRET_OPTIONS = ('secret', 'access_token')
AUTH_OPTIONS = tuple(AUTH_ENV)  # auth_source, subscription_id, tenant, client_id, secret, profile, cloud_environment, ...
WORKSPACE_ID_RE = re.compile(
    r'^/subscriptions/(?P<subscription_id>[^/]+)/resourceGroups/(?P<resource_group>[^/]+)'
    r'/providers/Microsoft\.MachineLearningServices/workspaces/(?P<workspace_name>[^/]+)/?$',
    re.IGNORECASE)
UNSAFE_HOST_CHARS = re.compile(r'[^\w.-]')


def parse_workspace_id(arm_id):
    """``(subscription_id, resource_group, workspace_name)`` from a workspace ARM id (case kept), or None."""
    match = WORKSPACE_ID_RE.match(str(arm_id or ''))
    if not match:
        return None
    return match.group('subscription_id'), match.group('resource_group'), match.group('workspace_name')


def safe_host_name(name):
    """``name`` usable as a host name and as a folder name: no ``/``, spaces or pattern characters, no leading ``.``/``-``."""
    name = UNSAFE_HOST_CHARS.sub('_', str(name).strip())
    if name[:1] in ('.', '-'):
        name = '_' + name[1:]
    return name


def tags_match(tags, wanted):
    """True when ``tags`` has every tag of ``wanted``: names without regard to case, values exactly (None: any value)."""
    folded = {str(k).lower(): v for k, v in (tags or {}).items()}
    for name, value in (wanted or {}).items():
        key = str(name).lower()
        if key not in folded:
            return False
        if value is not None and str(folded[key]) != str(value):
            return False
    return True


def compact_workspace(item):
    """What the inventory keeps of an ARM workspace (and caches): no secrets are in it."""
    return {key: item.get(key) for key in ('id', 'name', 'kind', 'location', 'tags', 'properties', 'sku') if item.get(key) is not None}


def workspace_kind(item):
    """The workspace's kind in lower case (``default``, ``hub``, ``project``, ``featurestore``); ``default`` when Azure gives none."""
    value = item.get('kind')
    return value.strip().lower() if isinstance(value, str) and value.strip() else 'default'


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """Azure Machine Learning workspaces of one or more subscriptions, one host each."""

    NAME = 'gdpr.azureml.workspaces'
    _file_options = frozenset()  # the options the inventory file sets (parse)

    def verify_file(self, path):
        return super().verify_file(path) and str(path).endswith(('azureml.yml', 'azureml.yaml'))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path)
        self._file_options = set(self._read_config_data(path) or {})
        settings = self.settings()
        key = self.cache_key(path, settings)
        use_cache = bool(self.get_option('cache')) and cache
        update_cache = bool(self.get_option('cache')) and not cache
        workspaces = None
        if use_cache:
            try:
                cached = self._cache[key]
            except KeyError:
                update_cache = True
            else:
                if isinstance(cached, dict) and cached.get('format') == CACHE_FORMAT:
                    workspaces = cached['workspaces']
                else:
                    update_cache = True
        if workspaces is None:
            workspaces = self.list_workspaces(settings)
        if update_cache:
            self._cache[key] = {'format': CACHE_FORMAT, 'workspaces': workspaces}
        self.populate(workspaces)

    # -- options ------------------------------------------------------------------------

    def _fail(self, message):
        raise AnsibleParserError(f'{self.NAME}: {message}')

    def auth_options(self):
        """The auth options, environment variables resolved as the modules do (the first listed wins).

        An option the inventory file does not set but the environment does is left to AuthOptions, which reads
        AUTH_ENV in the modules' order (Ansible's configuration takes the last listed variable). The inventory file's
        keys say what it sets: get_option_and_origin does not see them before ansible-core 2.18.
        """
        options = {}
        for name in AUTH_OPTIONS:
            if name == 'subscription_id':
                continue
            value = self.get_option(name)
            if name not in self._file_options and any(os.environ.get(var) for var in AUTH_ENV[name]):
                value = None
            options[name] = value
        return AuthOptions(options, environ=os.environ)

    def settings(self):
        """Validated settings (no network): auth, cloud, transport, subscriptions."""
        auth_options = self.auth_options()
        settings = {
            'auth_options': auth_options,
            'auth_source': auth_options.get('auth_source', 'auto'),
            'cloud_environment': auth_options.get('cloud_environment', 'AzureCloud'),
            'authority_host': auth_options.get('authority_host'),
            'base_url': self.get_option('base_url') or None,
            'validate_certs': self.get_option('validate_certs'),
            'ca_path': self.get_option('ca_path') or None,
            'timeout': self.get_option('timeout'),
            'retries': self.get_option('retries'),
            'concurrency': self.get_option('concurrency'),
        }
        if settings['auth_source'] not in AUTH_SOURCES:
            self._fail(f"auth_source must be one of {', '.join(AUTH_SOURCES)}, got {settings['auth_source']!r}")
        problem = validate_common({k: v for k, v in settings.items() if k != 'auth_options'})
        if problem:
            self._fail(problem[1])
        for group in self.get_option('resource_groups') or []:
            problem = validate_common({'resource_group': group})
            if problem:
                self._fail(problem[1].replace('resource_group must', 'each of resource_groups must'))
        if not isinstance(self.get_option('tags') or {}, dict):
            self._fail('tags must be a dict of tag names and values')
        hostnames = self.get_option('hostnames') or ['default']
        if any(not isinstance(h, str) or not h.strip() for h in hostnames):
            self._fail('hostnames must be a list of non-empty strings')
        options = self.get_option('azureml_options') or {}
        leaked = [name for name in SECRET_OPTIONS if name in options]
        if leaked:
            self._fail(f"azureml_options must not hold {' or '.join(leaked)}: the inventory would show it; "
                       'use the environment or a vault-encrypted variable')
        settings['cloud'] = get_cloud(settings['cloud_environment'])
        if not settings['validate_certs']:
            self.display.warning(f'{self.NAME}: validate_certs is false: TLS certificates are not verified, '
                                 'so tokens and data can be intercepted')
        settings['subscriptions'] = self.subscriptions(settings)
        return settings

    def subscriptions(self, settings):
        """The subscriptions to list: the option (or AZURE_SUBSCRIPTION_ID), else the credentials file's; deduplicated."""
        found = [str(s).strip() for s in (self.get_option('subscriptions') or []) if str(s or '').strip()]
        if not found and settings['auth_source'] in ('auto', 'credential_file'):
            try:
                auth = self.build_auth(settings)
                auth.validate()
            except AuthError:
                auth = None
            if auth is not None and auth.subscription_id:
                found = [auth.subscription_id]
        if not found:
            self._fail('subscriptions is required: set the option subscriptions or the environment variable '
                       'AZURE_SUBSCRIPTION_ID (or subscription_id in the credentials file profile)')
        unique, seen = [], set()
        for sub in found:
            if not GUID_RE.match(sub):
                self._fail(f'each of subscriptions must be a GUID (00000000-0000-0000-0000-000000000000), got {sub!r}')
            if sub.lower() not in seen:
                seen.add(sub.lower())
                unique.append(sub)
        return unique

    def cache_key(self, path, settings):
        """The inventory file's key, plus a digest of what decides the listed workspaces (never a secret).

        Filters, host names and groups are applied after the cache: changing them needs no refresh.
        """
        opts = settings['auth_options']
        decisive = {
            'subscriptions': sorted(s.lower() for s in settings['subscriptions']),
            'cloud_environment': settings['cloud_environment'],
            'base_url': (settings['base_url'] or '').rstrip('/').lower(),
            'auth_source': settings['auth_source'],
            'tenant': opts.get('tenant'),
            'client_id': opts.get('client_id'),
            'profile': opts.get('profile'),
        }
        digest = hashlib.sha256(json.dumps(decisive, sort_keys=True).encode('utf-8')).hexdigest()[:16]
        return f'{self.get_cache_key(path)}_{digest}'

    # -- listing ------------------------------------------------------------------------

    def build_auth(self, settings):
        return build_auth(settings['auth_options'], settings['cloud'], auth_source=settings['auth_source'],
                          ca_path=settings['ca_path'], validate_certs=settings['validate_certs'])

    def build_client(self, settings):
        if not HAS_REQUESTS:
            last = (REQUESTS_IMPORT_ERROR or '').strip().splitlines()[-1:] or ['']
            raise AnsibleError(f'{self.NAME} needs the Python library requests on the controller '
                               f'(pip install "requests>=2.25.0"): {last[0]}')
        try:
            auth = self.build_auth(settings)
        except AuthError as exc:
            self._fail(str(exc))
        return Client(auth, settings['cloud'], base_url=settings['base_url'], timeout=settings['timeout'], retries=settings['retries'],
                      concurrency=settings['concurrency'], validate_certs=settings['validate_certs'], ca_path=settings['ca_path'])

    def list_workspaces(self, settings):
        """Every workspace of every subscription (all pages), compact, in subscription order then by id."""
        client = self.build_client(settings)

        def list_subscription(sub):
            what = f'list the workspaces of subscription {sub}'
            try:
                items = [compact_workspace(item) for item in client.iter_items(
                    'workspaces.list_subscription', {'subscription_id': sub}, what=what) if isinstance(item, dict)]
            except AzureMLError as exc:
                raise AnsibleError(f'{self.NAME}: {exc}') from None
            except MissingLibraryError as exc:
                raise AnsibleError(f'{self.NAME}: {what}: {exc} (pip install "{exc.library}")') from None
            except (AuthError, RouteError) as exc:
                raise AnsibleError(f'{self.NAME}: {what}: {client.redact(exc)}') from None
            return sorted(items, key=lambda w: str(w.get('id', '')).lower())

        try:
            pages = map_concurrent(list_subscription, settings['subscriptions'], settings['concurrency'])
        finally:
            client.close()
        return [ws for page in pages for ws in page]

    # -- building the inventory ---------------------------------------------------------

    def host_variables(self, item):
        """``(host variables, expression context)`` of a workspace; None when it is filtered out."""
        parsed = parse_workspace_id(item.get('id'))
        if parsed is None:
            raise AnsibleError(f'{self.NAME}: Azure Resource Manager listed a workspace whose id is not a workspace id: {item.get("id")!r}')
        sub, group, name = parsed
        wanted_groups = {g.lower() for g in self.get_option('resource_groups') or []}
        if wanted_groups and group.lower() not in wanted_groups:
            return None
        tags = item.get('tags') if isinstance(item.get('tags'), dict) else {}
        if not tags_match(tags, self.get_option('tags')):
            return None
        location = item.get('location')
        try:
            location = normalize_location(location) if location else None
        except ValueError:
            pass  # keep it as Azure wrote it
        # What Azure says is data, never a template (a tag may hold "{{ ... }}").
        hostvars = untrusted({
            'azureml_subscription_id': sub,
            'azureml_resource_group': group,
            'azureml_workspace_name': item.get('name') or name,
            'azureml_location': location,
            'azureml_workspace_id': item['id'],
            'azureml_tags': tags,
            'azureml_workspace_kind': workspace_kind(item),
        })
        hub = (item.get('properties') or {}).get('hubResourceId') if isinstance(item.get('properties'), dict) else None
        if hub:
            hostvars['azureml_hub_id'] = untrusted(str(hub))
        if hostvars['azureml_location'] is None:
            del hostvars['azureml_location']
        options = self.get_option('azureml_options') or {}
        if options:
            hostvars['azureml_options'] = dict(options)
        if self.get_option('set_connection_vars'):
            hostvars['ansible_connection'] = 'local'
            hostvars['ansible_python_interpreter'] = trust_as_template('{{ ansible_playbook_python }}')
        context = dict(hostvars, azureml_properties=untrusted(item.get('properties') or {}), azureml_sku=untrusted(item.get('sku') or {}))
        return hostvars, context

    def host_name(self, hostvars, context):
        """The first non-empty name of the ``hostnames`` entries, made safe; the default name otherwise."""
        default = f"{hostvars['azureml_resource_group']}_{hostvars['azureml_workspace_name']}"
        strict = self.get_option('strict')
        for entry in self.get_option('hostnames') or ['default']:
            choice = entry.strip()  # a copy: the entry itself keeps its "trusted template" tag for _compose
            if choice == 'default':
                name = default
            elif choice == 'name':
                name = hostvars['azureml_workspace_name']
            elif choice == 'subscription_resource_group_name':
                name = f"{hostvars['azureml_subscription_id']}_{default}"
            else:
                try:
                    name = self._compose(entry, context)
                except Exception as exc:
                    self.display.vvv(f"hostnames {entry!r}: {exc}")
                    if strict:
                        raise AnsibleError(f'{self.NAME}: could not name the host of workspace {hostvars["azureml_workspace_id"]} '
                                           f'with {entry!r}: {exc}') from None
                    continue
            if name not in (None, '') and not isinstance(name, (dict, list)):
                return safe_host_name(name)
        self.display.warning(f'{self.NAME}: no entry of hostnames gave a name for workspace {hostvars["azureml_workspace_id"]}; '
                             f'using {safe_host_name(default)}')
        return safe_host_name(default)

    def populate(self, workspaces):
        """One host per workspace that passes the filters; unique names; variables, compose, groups, keyed groups."""
        strict = self.get_option('strict')
        taken = {}  # lower-cased name -> workspace id
        for item in workspaces:
            found = self.host_variables(item)
            if found is None:
                continue
            hostvars, context = found
            name = self.host_name(hostvars, context)
            if name.lower() in taken:
                first = taken[name.lower()]
                unique = f"{name}_{hostvars['azureml_subscription_id'][:8]}"
                counter = 2
                while unique.lower() in taken:
                    unique = f"{name}_{hostvars['azureml_subscription_id'][:8]}_{counter}"
                    counter += 1
                self.display.warning(f'{self.NAME}: host name {name} is taken by workspace {first}; '
                                     f'workspace {hostvars["azureml_workspace_id"]} is named {unique}')
                name = unique
            taken[name.lower()] = hostvars['azureml_workspace_id']
            self.inventory.add_host(name)
            for var, value in hostvars.items():
                self.inventory.set_variable(name, var, value)
            self._set_composite_vars(self.get_option('compose'), context, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), context, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), context, name, strict=strict)
