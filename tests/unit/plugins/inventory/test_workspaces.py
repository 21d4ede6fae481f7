"""Unit tests of the inventory plugin gdpr.azureml.workspaces, over canned HTTP (``responses``).

The plugin is instantiated directly (the unit tests import the collection from build/collections
without Ansible's collection loader), with its option definitions registered in Ansible's config
manager from its DOCUMENTATION and doc fragments, as the plugin loader would.
"""
import json
import re

import pytest
import responses
import yaml
from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.doc_fragments.constructed import ModuleDocFragment as ConstructedFragment
from ansible.plugins.doc_fragments.inventory_cache import ModuleDocFragment as CacheFragment
from compat import is_trusted_as_template

from ansible_collections.gdpr.azureml.plugins.doc_fragments.inventory import ModuleDocFragment as InventoryFragment
from ansible_collections.gdpr.azureml.plugins.inventory import workspaces
from ansible_collections.gdpr.azureml.plugins.module_utils._auth import AUTH_ENV
from ansible_collections.gdpr.azureml.plugins.module_utils._module import TRANSPORT_ENV

NAME = 'gdpr.azureml.workspaces'
SUB = '00000000-1111-2222-3333-444444444444'
SUB2 = '55555555-6666-7777-8888-999999999999'
ARM = 'https://management.azure.com'
PROVIDER = '/providers/Microsoft.MachineLearningServices/workspaces'
TOKEN = 'inventory-secret-token-123'


def sub_list(sub=SUB, base=ARM):
    return f'{base}/subscriptions/{sub}{PROVIDER}?api-version=2019-11-01'


def ws(rg, name, sub=SUB, location='westeurope', tags=None, **properties):
    return {'id': f'/subscriptions/{sub}/resourceGroups/{rg}{PROVIDER}/{name}', 'name': name, 'type': 'Microsoft.MachineLearningServices/workspaces',
            'location': location, 'tags': tags if tags is not None else {'costCenter': '4711'},
            'properties': dict({'friendlyName': name, 'discoveryUrl': f'https://{location}.experiments.azureml.net/discovery'}, **properties),
            'sku': {'name': 'Basic', 'tier': 'Basic'}}


def _options():
    options = {}
    for text in (ConstructedFragment.DOCUMENTATION, CacheFragment.DOCUMENTATION, InventoryFragment.DOCUMENTATION, workspaces.DOCUMENTATION):
        options.update(yaml.safe_load(text).get('options') or {})
    return options


C.config.initialize_plugin_configuration_definitions('inventory', NAME, _options())


class Run:
    """A parse of one inventory file: the inventory, the HTTP calls, the warnings."""

    def __init__(self, inventory, calls, warnings):
        self.inventory = inventory
        self.calls = calls
        self.warnings = warnings

    @property
    def hosts(self):
        return sorted(self.inventory.hosts)

    def vars(self, host):
        return dict(self.inventory.get_host(host).vars)

    def group(self, name):
        return sorted(h.name for h in self.inventory.groups[name].get_hosts())


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def parse(tmp_path, rsps, monkeypatch):
    """``parse(config, cache=True)``: write ``<tmp>/fleet.azureml.yml`` and run the plugin on it."""
    warnings = []

    def run(config, cache=True, filename='fleet.azureml.yml'):
        path = tmp_path / filename
        path.write_text(yaml.safe_dump(dict({'plugin': NAME}, **config)), encoding='utf-8')
        plugin = workspaces.InventoryModule()
        plugin._load_name = plugin.ansible_name = NAME
        plugin._redirected_names = [NAME]
        monkeypatch.setattr(plugin.display, 'warning', lambda msg, *a, **k: warnings.append(msg))
        inventory = InventoryData()
        before = len(rsps.calls)
        plugin.parse(inventory, DataLoader(), str(path), cache=cache)
        try:
            plugin.update_cache_if_changed()  # as the InventoryManager does after parse
        except AttributeError:  # no cache configured
            pass
        return Run(inventory, list(rsps.calls)[before:], warnings)

    return run


def token_config(**extra):
    return dict({'subscriptions': [SUB], 'access_token': TOKEN, 'retries': 0}, **extra)


# -- files and options ------------------------------------------------------------------


@pytest.mark.parametrize('name, wanted', [('fleet.azureml.yml', True), ('azureml.yaml', True), ('prod-azureml.yml', True),
                                          ('fleet.yml', False), ('azureml.yml.bak', False), ('fleet.azure_rm.yml', False)])
def test_verify_file_accepts_only_azureml_yml(tmp_path, name, wanted):
    path = tmp_path / name
    path.write_text('plugin: gdpr.azureml.workspaces\n', encoding='utf-8')
    assert workspaces.InventoryModule().verify_file(str(path)) is wanted


def test_missing_file_is_not_accepted(tmp_path):
    assert workspaces.InventoryModule().verify_file(str(tmp_path / 'absent.azureml.yml')) is False


def example_files():
    """``{file name: config}`` of EXAMPLES: the first inventory file is YAML, the others are commented out under a
    ``# <name>.azureml.yml (another inventory file): ...`` line (EXAMPLES must be one YAML document: ansible-test's
    yamllint of ansible-core 2.16 rejects a second one)."""
    files, name, lines = {}, None, []
    for line in workspaces.EXAMPLES.strip().splitlines() + ['# end.azureml.yml:']:
        header = re.match(r'# (\S+\.azureml\.yml)\b.*:', line)
        if header:
            if name:
                files[name] = yaml.safe_load('\n'.join(lines))
            name, lines = header.group(1), []
        elif line.startswith('#   ') or line == '#':
            lines.append(line[4:])
        elif not line.startswith('#'):
            lines.append(line)
    return files


def test_every_example_inventory_file_uses_only_options_of_the_plugin():
    files = example_files()
    assert sorted(files) == ['fleet.azureml.yml', 'prod.azureml.yml', 'sovereign.azureml.yml']
    assert len(list(yaml.safe_load_all(workspaces.EXAMPLES))) == 1
    options = set(_options())
    for name, config in files.items():
        assert config['plugin'] == NAME, name
        assert set(config) - {'plugin'} <= options, (name, set(config) - options)


def test_every_option_environment_variable_is_one_the_modules_read():
    """The doc fragment's env entries are exactly the modules' fallbacks, in the same order."""
    fragment = yaml.safe_load(InventoryFragment.DOCUMENTATION)['options']
    expected = dict(AUTH_ENV, **TRANSPORT_ENV)
    for option, spec in fragment.items():
        envs = tuple(e['name'] for e in spec.get('env', []))
        if option in expected:
            assert envs == expected[option], option
        else:
            assert envs == (), option
    # The inventory only calls Resource Manager: the storage options are the modules' alone.
    missing = set(expected) - set(fragment) - {'subscription_id', 'api_profile', 'storage_base_url'}
    assert not missing
    plugin_doc = yaml.safe_load(workspaces.DOCUMENTATION)['options']
    assert [e['name'] for e in plugin_doc['subscriptions']['env']] == list(AUTH_ENV['subscription_id'])


def test_subscriptions_come_from_the_environment(parse, rsps, monkeypatch):
    monkeypatch.setenv('AZURE_SUBSCRIPTION_ID', f'{SUB},{SUB2}')
    rsps.add(responses.GET, sub_list(SUB), json={'value': [ws('rg-a', 'ws-a')]})
    rsps.add(responses.GET, sub_list(SUB2), json={'value': [ws('rg-b', 'ws-b', sub=SUB2)]})
    run = parse({'access_token': TOKEN})
    assert run.hosts == ['rg-a_ws-a', 'rg-b_ws-b']


def test_subscriptions_are_required(parse):
    with pytest.raises(AnsibleError, match='subscriptions is required.*AZURE_SUBSCRIPTION_ID'):
        parse({'access_token': TOKEN})


def test_subscriptions_must_be_guids(parse):
    with pytest.raises(AnsibleError, match="each of subscriptions must be a GUID.*'prod'"):
        parse(token_config(subscriptions=['prod']))


def test_duplicate_subscriptions_are_listed_once(parse, rsps):
    rsps.add(responses.GET, sub_list(SUB), json={'value': [ws('rg-a', 'ws-a')]})
    run = parse(token_config(subscriptions=[SUB, SUB.upper()]))
    assert len(run.calls) == 1
    assert run.hosts == ['rg-a_ws-a']


def test_subscription_from_the_credentials_file_profile(parse, rsps, tmp_path, monkeypatch):
    home = tmp_path / 'home'
    (home / '.azure').mkdir(parents=True)
    (home / '.azure' / 'credentials').write_text(f'[default]\nsubscription_id={SUB}\nclient_id=app\nsecret=s3cr3t-value\ntenant=t\n')
    monkeypatch.setenv('HOME', str(home))  # ~/.azure/credentials
    monkeypatch.setattr(workspaces.InventoryModule, 'build_client', _token_client)
    rsps.add(responses.GET, sub_list(SUB), json={'value': [ws('rg-a', 'ws-a')]})
    run = parse({'auth_source': 'credential_file'})
    assert run.hosts == ['rg-a_ws-a']


def _token_client(self, settings):
    from ansible_collections.gdpr.azureml.plugins.module_utils._auth import AuthOptions, TokenAuth
    from ansible_collections.gdpr.azureml.plugins.module_utils._client import Client
    return Client(TokenAuth(AuthOptions({'access_token': TOKEN}), settings['cloud']), settings['cloud'], retries=0)


def test_first_listed_environment_variable_wins_as_for_the_modules(parse, monkeypatch):
    monkeypatch.setenv('AZURE_TENANT', 'tenant-first')
    monkeypatch.setenv('AZURE_TENANT_ID', 'tenant-second')
    monkeypatch.setenv('AZURE_SECRET', 'secret-first')
    monkeypatch.setenv('AZURE_CLIENT_SECRET', 'secret-second')
    seen = {}

    def capture(self, settings):
        seen['tenant'] = settings['auth_options'].get('tenant')
        seen['secret'] = settings['auth_options'].get('secret')
        return []

    monkeypatch.setattr(workspaces.InventoryModule, 'list_workspaces', capture)
    parse(token_config())
    assert seen == {'tenant': 'tenant-first', 'secret': 'secret-first'}


def test_an_option_beats_the_environment(parse, monkeypatch):
    monkeypatch.setenv('AZURE_TENANT', 'from-env')
    seen = {}
    monkeypatch.setattr(workspaces.InventoryModule, 'list_workspaces',
                        lambda self, settings: seen.update(tenant=settings['auth_options'].get('tenant')) or [])
    parse(token_config(tenant='from-file'))
    assert seen == {'tenant': 'from-file'}


@pytest.mark.parametrize('extra, message', [
    ({'base_url': 'ftp://proxy'}, 'base_url'),
    ({'authority_host': 'http://login.example'}, 'authority_host must be an https'),
    ({'concurrency': 0}, 'concurrency must be at least 1'),
    ({'timeout': 0}, 'timeout must be more than 0'),
    ({'resource_groups': ['bad/group']}, 'each of resource_groups must be'),
    ({'azureml_options': {'access_token': 'x'}}, 'azureml_options must not hold access_token'),
    ({'hostnames': ['']}, 'hostnames must be a list of non-empty strings'),
])
def test_invalid_options_fail_before_any_request(parse, rsps, extra, message):
    with pytest.raises(AnsibleError, match=message):
        parse(token_config(**extra))
    assert len(rsps.calls) == 0


# -- listing ----------------------------------------------------------------------------


def test_every_page_of_every_subscription_becomes_hosts_with_the_interface_variables(parse, rsps):
    rsps.add(responses.GET, sub_list(SUB), json={'value': [ws('RG-Mixed-Case', 'ws-b'), ws('rg-a', 'ws-a', location='northeurope')],
                                                 'nextLink': sub_list(SUB) + '&$skiptoken=p2'})
    rsps.add(responses.GET, sub_list(SUB) + '&$skiptoken=p2', json={'value': [ws('rg-a', 'ws_c', tags={})]})
    rsps.add(responses.GET, sub_list(SUB2), json={'value': [ws('rg-a', 'ws-x', sub=SUB2, location='East US')]})
    run = parse(token_config(subscriptions=[SUB, SUB2]))
    assert run.hosts == ['RG-Mixed-Case_ws-b', 'rg-a_ws-a', 'rg-a_ws-x', 'rg-a_ws_c']
    assert all(call.request.headers['Authorization'] == f'Bearer {TOKEN}' for call in run.calls)
    assert len(run.calls) == 3
    hostvars = run.vars('RG-Mixed-Case_ws-b')
    assert {k: v for k, v in hostvars.items() if k not in ('inventory_file', 'inventory_dir')} == {
        'azureml_subscription_id': SUB,
        'azureml_resource_group': 'RG-Mixed-Case',
        'azureml_workspace_name': 'ws-b',
        'azureml_location': 'westeurope',
        'azureml_workspace_id': f'/subscriptions/{SUB}/resourceGroups/RG-Mixed-Case{PROVIDER}/ws-b',
        'azureml_tags': {'costCenter': '4711'},
        'azureml_workspace_kind': 'default',
        'ansible_connection': 'local',
        'ansible_python_interpreter': '{{ ansible_playbook_python }}',
    }
    assert is_trusted_as_template(hostvars['ansible_python_interpreter'])
    assert run.vars('rg-a_ws-x')['azureml_location'] == 'eastus'
    assert run.vars('rg-a_ws-x')['azureml_subscription_id'] == SUB2
    assert run.vars('rg-a_ws_c')['azureml_tags'] == {}


def test_hub_and_project_workspaces_are_labelled_by_kind(parse, rsps):
    hub = dict(ws('rg-a', 'hub-1'), kind='Hub')
    project = dict(ws('rg-a', 'proj-1', hubResourceId=hub['id']), kind='Project')
    store = dict(ws('rg-a', 'fs-1'), kind='FeatureStore')
    rsps.add(responses.GET, sub_list(SUB), json={'value': [hub, project, store, ws('rg-a', 'classic')]})
    run = parse(token_config(subscriptions=[SUB], keyed_groups=[{'key': 'azureml_workspace_kind', 'prefix': 'kind'}]))
    kinds = {host: run.vars(host)['azureml_workspace_kind'] for host in run.hosts}
    assert kinds == {'rg-a_hub-1': 'hub', 'rg-a_proj-1': 'project', 'rg-a_fs-1': 'featurestore', 'rg-a_classic': 'default'}
    assert run.vars('rg-a_proj-1')['azureml_hub_id'] == hub['id'] and 'azureml_hub_id' not in run.vars('rg-a_hub-1')
    assert run.group('kind_project') == ['rg-a_proj-1'] and run.group('kind_hub') == ['rg-a_hub-1']


def test_values_from_azure_are_never_templates(parse, rsps):
    rsps.add(responses.GET, sub_list(SUB), json={'value': [ws('rg-a', 'ws-a', tags={'owner': "{{ lookup('env', 'HOME') }}"})]})
    run = parse(token_config())
    tags = run.vars('rg-a_ws-a')['azureml_tags']
    assert not is_trusted_as_template(tags['owner'])


def test_resource_group_and_tag_filters(parse, rsps):
    rsps.add(responses.GET, sub_list(SUB), json={'value': [
        ws('ML-Prod', 'ws-1', tags={'Environment': 'production', 'team': 'a'}),
        ws('ml-prod', 'ws-2', tags={'environment': 'Production', 'team': 'b'}),
        ws('ml-prod', 'ws-3', tags={'environment': 'production'}),
        ws('ml-dev', 'ws-4', tags={'environment': 'production', 'team': 'c'}),
    ]})
    run = parse(token_config(resource_groups=['ml-PROD'], tags={'environment': 'production', 'team': None}))
    assert run.hosts == ['ML-Prod_ws-1']


# -- host names -------------------------------------------------------------------------


def test_hostnames_choices_and_expressions(parse, rsps):
    rsps.add(responses.GET, sub_list(SUB), json={'value': [ws('rg-a', 'ws-a', tags={'alias': 'sales team/eu'}), ws('rg-a', 'ws-b')]})
    run = parse(token_config(hostnames=["azureml_tags.alias | default('')", 'name']))
    assert run.hosts == ['sales_team_eu', 'ws-b']
    run = parse(token_config(hostnames=['subscription_resource_group_name']))
    assert run.hosts == [f'{SUB}_rg-a_ws-a', f'{SUB}_rg-a_ws-b']
    run = parse(token_config(hostnames=["azureml_properties.friendlyName | upper"]))
    assert run.hosts == ['WS-A', 'WS-B']


def test_a_host_name_never_escapes_a_folder(parse, rsps):
    rsps.add(responses.GET, sub_list(SUB), json={'value': [ws('rg-a', 'ws-a', tags={'alias': '../../etc'}), ws('rg-a', 'ws-b', tags={'alias': '.hidden'})]})
    run = parse(token_config(hostnames=['azureml_tags.alias']))
    assert run.hosts == ['_._.._etc', '_hidden']


def test_a_failing_expression_falls_back_to_the_next_entry_then_the_default(parse, rsps):
    rsps.add(responses.GET, sub_list(SUB), json={'value': [ws('rg-a', 'ws-a')]})
    run = parse(token_config(hostnames=['azureml_tags.missing']))
    assert run.hosts == ['rg-a_ws-a']
    assert any('no entry of hostnames gave a name' in w for w in run.warnings)
    with pytest.raises(AnsibleError, match='could not name the host'):
        parse(token_config(hostnames=['azureml_tags.missing'], strict=True))


def test_duplicate_names_get_the_subscription_and_a_warning(parse, rsps):
    rsps.add(responses.GET, sub_list(SUB), json={'value': [ws('rg-a', 'ws-a')]})
    rsps.add(responses.GET, sub_list(SUB2), json={'value': [ws('RG-A', 'WS-A', sub=SUB2)]})
    run = parse(token_config(subscriptions=[SUB, SUB2]))
    assert run.hosts == ['RG-A_WS-A_55555555', 'rg-a_ws-a']
    assert run.vars('RG-A_WS-A_55555555')['azureml_subscription_id'] == SUB2
    assert any('host name RG-A_WS-A is taken by workspace' in w for w in run.warnings)


# -- constructed features ---------------------------------------------------------------


def test_keyed_groups_groups_and_compose(parse, rsps):
    rsps.add(responses.GET, sub_list(SUB), json={'value': [
        ws('rg-a', 'ws-a', location='westeurope', tags={'costCenter': '4711'}),
        ws('rg-b', 'ws-b', location='eastus', tags={'costCenter': '42'}, description='hr'),
    ]})
    run = parse(token_config(
        keyed_groups=[{'key': 'azureml_resource_group', 'prefix': 'rg'}, {'key': 'azureml_tags', 'prefix': 'tag'}],
        groups={'eu': "azureml_location in ['westeurope', 'northeurope']", 'hr': "azureml_properties.description | default('') == 'hr'"},
        compose={'friendly': 'azureml_properties.friendlyName', 'ansible_connection': "'ssh'", 'tier': 'azureml_sku.tier'},
    ))
    assert run.group('rg_rg_a') == ['rg-a_ws-a']
    assert run.group('rg_rg_b') == ['rg-b_ws-b']
    assert run.group('tag_costCenter_42') == ['rg-b_ws-b']
    assert run.group('eu') == ['rg-a_ws-a']
    assert run.group('hr') == ['rg-b_ws-b']
    assert run.vars('rg-a_ws-a')['friendly'] == 'ws-a'
    assert run.vars('rg-a_ws-a')['tier'] == 'Basic'
    assert run.vars('rg-a_ws-a')['ansible_connection'] == 'ssh'
    assert 'azureml_properties' not in run.vars('rg-a_ws-a')


def test_connection_vars_can_be_left_out_and_azureml_options_set(parse, rsps):
    rsps.add(responses.GET, sub_list(SUB), json={'value': [ws('rg-a', 'ws-a')]})
    run = parse(token_config(set_connection_vars=False, azureml_options={'base_url': 'https://proxy.example', 'concurrency': 4}))
    hostvars = run.vars('rg-a_ws-a')
    assert 'ansible_connection' not in hostvars and 'ansible_python_interpreter' not in hostvars
    assert hostvars['azureml_options'] == {'base_url': 'https://proxy.example', 'concurrency': 4}


def test_base_url_sends_every_request_to_the_emulator(parse, rsps):
    rsps.add(responses.GET, sub_list(SUB, base='http://127.0.0.1:8765'), json={'value': [ws('rg-a', 'ws-a')]})
    run = parse(token_config(base_url='http://127.0.0.1:8765'))
    assert run.hosts == ['rg-a_ws-a']


# -- cache ------------------------------------------------------------------------------


def cache_config(tmp_path, **extra):
    return token_config(cache=True, cache_plugin='jsonfile', cache_connection=str(tmp_path / 'cache'), **extra)


def test_a_cache_hit_sends_no_request_and_the_cache_holds_no_secret(parse, rsps, tmp_path):
    rsps.add(responses.GET, sub_list(SUB), json={'value': [ws('rg-a', 'ws-a'), ws('rg-b', 'ws-b')]})
    first = parse(cache_config(tmp_path))
    assert len(first.calls) == 1
    second = parse(cache_config(tmp_path, resource_groups=['rg-b']))  # filters apply after the cache
    assert second.calls == []
    assert second.hosts == ['rg-b_ws-b']
    assert second.vars('rg-b_ws-b')['azureml_workspace_name'] == 'ws-b'
    files = list((tmp_path / 'cache').iterdir())
    assert files
    for path in files:
        text = path.read_text(encoding='utf-8')
        assert TOKEN not in text
        json.loads(text)


def test_flushing_the_cache_lists_again(parse, rsps, tmp_path):
    rsps.add(responses.GET, sub_list(SUB), json={'value': [ws('rg-a', 'ws-a')]})
    parse(cache_config(tmp_path))
    flushed = parse(cache_config(tmp_path), cache=False)  # ansible-inventory --flush-cache
    assert len(flushed.calls) == 1


def test_the_cache_key_covers_subscriptions_and_endpoint(parse, rsps, tmp_path):
    rsps.add(responses.GET, sub_list(SUB), json={'value': [ws('rg-a', 'ws-a')]})
    rsps.add(responses.GET, sub_list(SUB2), json={'value': [ws('rg-b', 'ws-b', sub=SUB2)]})
    rsps.add(responses.GET, sub_list(SUB, base='http://127.0.0.1:9'), json={'value': []})
    parse(cache_config(tmp_path))
    other_sub = parse(cache_config(tmp_path, subscriptions=[SUB2]))
    assert len(other_sub.calls) == 1 and other_sub.hosts == ['rg-b_ws-b']
    other_url = parse(cache_config(tmp_path, base_url='http://127.0.0.1:9'))
    assert len(other_url.calls) == 1 and other_url.hosts == []
    again = parse(cache_config(tmp_path))
    assert again.calls == [] and again.hosts == ['rg-a_ws-a']


def test_without_cache_every_parse_lists(parse, rsps):
    rsps.add(responses.GET, sub_list(SUB), json={'value': [ws('rg-a', 'ws-a')]})
    parse(token_config())
    assert len(parse(token_config()).calls) == 1


# -- errors -----------------------------------------------------------------------------


def test_an_arm_error_names_the_call_the_service_message_and_the_request_id(parse, rsps):
    rsps.add(responses.GET, sub_list(SUB2), json={'value': [ws('rg-b', 'ws-b', sub=SUB2)]})
    rsps.add(responses.GET, sub_list(SUB), status=403, headers={'x-ms-request-id': 'req-42'},
             json={'error': {'code': 'AuthorizationFailed', 'message': f'The client with token {TOKEN} has no access.'}})
    with pytest.raises(AnsibleError) as failed:
        parse(token_config(subscriptions=[SUB2, SUB]))
    message = str(failed.value)
    assert f'list the workspaces of subscription {SUB}' in message
    assert 'the service said The client with token ' in message
    assert '(HTTP 403, code AuthorizationFailed, request id req-42)' in message
    assert TOKEN not in message


def test_throttling_is_retried_honouring_retry_after(parse, rsps, monkeypatch):
    slept = []
    client = workspaces.Client
    monkeypatch.setattr(workspaces, 'Client', lambda *a, **k: client(*a, sleep=slept.append, **k))
    rsps.add(responses.GET, sub_list(SUB), status=429, headers={'Retry-After': '2'}, json={'error': {'code': 'TooManyRequests', 'message': 'slow down'}})
    rsps.add(responses.GET, sub_list(SUB), json={'value': [ws('rg-a', 'ws-a')]})
    run = parse(token_config(retries=2))
    assert run.hosts == ['rg-a_ws-a']
    assert slept == [2.0]


def test_a_workspace_id_that_is_not_a_workspace_fails(parse, rsps):
    rsps.add(responses.GET, sub_list(SUB), json={'value': [dict(ws('rg-a', 'ws-a'), id='/subscriptions/x/something/else')]})
    with pytest.raises(AnsibleError, match='not a workspace id'):
        parse(token_config())


def test_a_missing_azure_identity_is_named(parse, monkeypatch):
    from ansible_collections.gdpr.azureml.plugins.module_utils import _auth

    def missing(reason=''):
        raise _auth.MissingLibraryError('azure-identity', reason)

    monkeypatch.setattr(_auth, 'import_identity', missing)
    with pytest.raises(AnsibleError, match='azure-identity is required'):
        parse({'subscriptions': [SUB], 'auth_source': 'env', 'tenant': 't', 'client_id': 'c', 'secret': 'client-secret-xyz', 'retries': 0})


def test_the_secret_never_appears_in_an_auth_error(parse, monkeypatch):
    monkeypatch.setenv('AZURE_SECRET', 'client-secret-xyz')
    with pytest.raises(AnsibleError) as failed:
        parse({'subscriptions': [SUB], 'auth_source': 'env', 'tenant': 't', 'retries': 0})
    assert 'client_id' in str(failed.value)
    assert 'client-secret-xyz' not in str(failed.value)


def test_safe_host_name_and_parse_workspace_id():
    assert workspaces.safe_host_name('rg (prod)_ws 1') == 'rg__prod__ws_1'
    assert workspaces.safe_host_name('-x') == '_x'
    assert workspaces.safe_host_name('rg-försäljning_ws') == 'rg-försäljning_ws'
    assert workspaces.parse_workspace_id(f'/subscriptions/{SUB}/resourcegroups/Rg.1{PROVIDER.lower()}/w1') == (SUB, 'Rg.1', 'w1')
    assert workspaces.parse_workspace_id('/subscriptions/x/resourceGroups/y') is None
