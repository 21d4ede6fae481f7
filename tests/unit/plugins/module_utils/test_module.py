import sys

import pytest
import responses
from compat import patch_module_args
from unit_helpers import SUB, WS_ID, ExitJson, FailJson, patch_exits

from ansible_collections.gdpr.azureml.plugins.module_utils import _client, _module

ARM = 'https://management.azure.com'
API = '?api-version=2019-11-01'
BASE = {'subscription_id': SUB, 'resource_group': 'rg-1', 'workspace_name': 'ws-1', 'access_token': 'static-token-value'}


@pytest.fixture
def warnings(monkeypatch):
    return patch_exits(monkeypatch)


def make(args, **kwargs):
    with patch_module_args(args):
        return _module.AzureMLModule(**kwargs)


def fails(args, **kwargs):
    with pytest.raises(FailJson) as err:
        make(args, **kwargs)
    return err.value.result['msg']


@pytest.mark.parametrize('option, value, words', [
    ('subscription_id', 'not-a-guid', 'subscription_id must be a GUID'),
    ('resource_group', 'bad/group', 'resource_group must be 1 to 90'),
    ('resource_group', 'ends-with-dot.', 'not ending with a period'),
    ('resource_group', 'x' * 91, 'resource_group must be 1 to 90'),
    ('workspace_name', '-leading', 'workspace_name must be 3 to 33'),
    ('workspace_name', 'ab', 'workspace_name must be 3 to 33'),
    ('workspace_name', 'a' * 34, 'workspace_name must be 3 to 33'),
    ('base_url', 'localhost:8765', 'base_url must be an http:// or https:// URL'),
    ('base_url', 'http://localhost:8765/prefix', 'base_url must be scheme://host[:port] without a path'),
    ('concurrency', 0, 'concurrency must be at least 1, got 0'),
    ('retries', -1, 'retries must be 0 or more, got -1'),
    ('timeout', 0, 'timeout must be more than 0 seconds, got 0'),
    ('authority_host', 'http://login.example', 'authority_host must be an https:// URL'),
    ('location', 'east-us', 'location must be an Azure region name'),
])
def test_each_bad_option_is_named_before_any_request(warnings, option, value, words):
    with responses.RequestsMock():  # any request would fail the test
        with pytest.raises(FailJson) as err:
            make(dict(BASE, **{option: value}))
    assert words in err.value.result['msg']
    assert err.value.result['option'] == option


@pytest.mark.parametrize('option, value', [('cloud_environment', 'AzureGermanCloud'), ('auth_source', 'oidc'), ('api_profile', 'latest')])
def test_choices_are_checked_by_ansible_naming_the_option(warnings, option, value):
    assert option in fails(dict(BASE, **{option: value}))


def test_valid_unicode_resource_group_and_names(warnings):
    module = make(dict(BASE, resource_group='rg_(prod).ü-1', workspace_name='A1_b-c'))
    assert module.workspace.resource_group == 'rg_(prod).ü-1'


def test_workspace_required_by_default(warnings):
    assert fails({'subscription_id': SUB, 'access_token': 't'}) == 'resource_group and workspace_name are required by this module'
    assert fails({'subscription_id': SUB, 'access_token': 't', 'resource_group': 'rg'}) == 'workspace_name is required by this module'
    make({'subscription_id': SUB, 'access_token': 't'}, requires_workspace=False)


def test_subscription_id_required(warnings, monkeypatch, tmp_path):
    monkeypatch.setenv('HOME', str(tmp_path))
    message = fails({'access_token': 't'}, requires_workspace=False)
    assert message.startswith('subscription_id is required: set the option subscription_id or the environment variable AZURE_SUBSCRIPTION_ID')


def test_subscription_id_from_the_credentials_file(warnings, monkeypatch, tmp_path):
    (tmp_path / '.azure').mkdir()
    (tmp_path / '.azure' / 'credentials').write_text(f'[default]\nsubscription_id={SUB}\nclient_id=c\nsecret=s\ntenant=t\n')
    monkeypatch.setenv('HOME', str(tmp_path))
    module = make({'resource_group': 'rg-1', 'workspace_name': 'ws-1'})
    assert module.workspace.subscription_id == SUB
    assert module.workspace.id == WS_ID


def test_environment_fallbacks(warnings, monkeypatch):
    monkeypatch.setenv('AZURE_SUBSCRIPTION_ID', SUB)
    monkeypatch.setenv('ANSIBLE_AZURE_AUTH_SOURCE', 'token')
    monkeypatch.setenv('AZUREML_ACCESS_TOKEN', 'env-token')
    monkeypatch.setenv('AZUREML_BASE_URL', 'http://127.0.0.1:9')
    monkeypatch.setenv('AZUREML_VALIDATE_CERTS', 'false')
    monkeypatch.setenv('AZUREML_API_PROFILE', 'current')
    monkeypatch.setenv('AZURE_CLOUD_ENVIRONMENT', 'AzureUSGovernment')
    monkeypatch.setenv('AZURE_TENANT_ID', 'tenant-2')
    monkeypatch.setenv('AZURE_TENANT', 'tenant-1')
    monkeypatch.setenv('AZURE_CLIENT_SECRET', 'secret-2')
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', '/etc/ca.pem')
    module = make({'resource_group': 'rg-1', 'workspace_name': 'ws-1'})
    p = module.params
    assert (p['subscription_id'], p['auth_source'], p['access_token'], p['base_url']) == (SUB, 'token', 'env-token', 'http://127.0.0.1:9')
    assert p['validate_certs'] is False and p['api_profile'] == 'current' and p['cloud_environment'] == 'AzureUSGovernment'
    assert p['tenant'] == 'tenant-1' and p['secret'] == 'secret-2' and p['ca_path'] == '/etc/ca.pem'
    assert module.client.verify == '/etc/ca.pem'
    assert module.auth.get_token() == 'env-token'
    assert module.cloud.name == 'AzureUSGovernment'


def test_auth_source_from_the_variable_an_awx_credential_type_can_set(warnings, monkeypatch):
    """AWX refuses to inject ANSIBLE_* variables: AZUREML_AUTH_SOURCE sets auth_source too, ANSIBLE_AZURE_AUTH_SOURCE first."""
    monkeypatch.setenv('AZUREML_AUTH_SOURCE', 'token')
    monkeypatch.setenv('AZUREML_ACCESS_TOKEN', 'env-token')
    assert make(BASE).params['auth_source'] == 'token'
    monkeypatch.setenv('ANSIBLE_AZURE_AUTH_SOURCE', 'msi')
    assert make(BASE).params['auth_source'] == 'msi'


def test_option_beats_environment(warnings, monkeypatch):
    monkeypatch.setenv('AZURE_SUBSCRIPTION_ID', '99999999-1111-2222-3333-444444444444')
    assert make(BASE).params['subscription_id'] == SUB


def test_validate_certs_false_warns(warnings):
    make(dict(BASE, validate_certs=False))
    assert any('validate_certs is false' in w for w in warnings)


def test_secret_options_are_no_log():
    spec = _module.common_argument_spec()
    assert spec['secret']['no_log'] is True and spec['access_token']['no_log'] is True
    assert spec['timeout']['default'] == 30 and spec['retries']['default'] == 6 and spec['concurrency']['default'] == 8


def test_missing_requests_is_one_clear_message(warnings, monkeypatch):
    monkeypatch.setattr(_module, 'HAS_REQUESTS', False)
    assert 'Failed to import the required Python library (requests)' in fails(BASE)


def test_missing_azure_identity_is_one_clear_message(warnings, monkeypatch):
    monkeypatch.setitem(sys.modules, 'azure.identity', None)
    module = make(dict(BASE, access_token=None, auth_source='env', client_id='c', secret='s3cr3t-value', tenant='t'))
    with pytest.raises(FailJson) as err:
        module.run(lambda m: {'ws': m.client.get_json('workspaces.get')})
    message = err.value.result['msg']
    assert message.startswith('Failed to import the required Python library (azure-identity)')
    assert 'This is required for auth_source env (service principal).' in message
    assert 'exception' in err.value.result


def test_fail_from_formats_the_client_error_and_keeps_secrets_out(warnings):
    module = make(BASE)
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, ARM + WS_ID + API, status=403, headers={'x-ms-request-id': 'rid-1'},
                 json={'error': {'code': 'AuthorizationFailed', 'message': 'no access for static-token-value'}})
        with pytest.raises(FailJson) as err:
            module.run(lambda m: {'ws': m.client.get_json('workspaces.get', what='get workspace rg-1/ws-1')})
    result = err.value.result
    assert result['msg'] == ('get workspace rg-1/ws-1: the service said no access for ******** (HTTP 403, code AuthorizationFailed, '
                             'request id rid-1); authenticated as auto: token (access_token)')
    assert (result['status'], result['error_code'], result['request_id']) == (403, 'AuthorizationFailed', 'rid-1')
    assert 'static-token-value' not in repr(result)


def test_fail_from_other_errors(warnings):
    module = make(BASE)
    for exc, expected in [
        (ValueError('bad value'), 'ctx: bad value'),
        (FileNotFoundError(2, 'No such file or directory', '/x'), 'ctx: No such file or directory: /x'),
        (KeyError('boom'), "ctx: KeyError: 'boom'"),
    ]:
        with pytest.raises(FailJson) as err:
            module.fail_from(exc, 'ctx')
        assert err.value.result['msg'] == expected
    with pytest.raises(FailJson) as err:
        module.fail_from(KeyError('boom'))
    assert err.value.result['msg'] == "unexpected error: KeyError: 'boom'" and 'exception' in err.value.result


def test_run_exits_with_changed_false_by_default(warnings):
    with pytest.raises(ExitJson) as done:
        make(BASE).run(lambda m: {'answer': 42})
    assert done.value.result == {'answer': 42, 'changed': False}


def test_location_option_needs_no_lookup(warnings):
    module = make(dict(BASE, location='West Europe', api_profile='documented'))
    with responses.RequestsMock():
        assert module.location() == 'westeurope'
        assert module.client.url('tasks.list').startswith('https://westeurope.experiments.azureml.net/notification/v1.0/')


def test_location_looked_up_once_from_arm(warnings):
    module = make(dict(BASE, api_profile='documented'))
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, ARM + WS_ID + API, json={'id': WS_ID, 'location': 'northeurope'})
        assert module.location() == 'northeurope'
        assert module.location() == 'northeurope'
        assert module.client.url('models.list').startswith('https://northeurope.modelmanagement.azureml.net/api/')
        assert len(rsps.calls) == 1


def test_current_profile_takes_hosts_from_discovery(warnings):
    module = make(dict(BASE, api_profile='current'))
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, ARM + WS_ID + API, json={'id': WS_ID, 'location': 'eastus',
                                                         'properties': {'discoveryUrl': 'https://eastus.api.azureml.ms/discovery'}})
        rsps.add(responses.GET, 'https://eastus.api.azureml.ms/discovery', json={
            'api': 'https://eastus.api.azureml.ms', 'history': 'https://eastus.experiments.azureml.net',
            'modelmanagement': 'https://evil.example'})
        assert module.client.url('runs.get', {'experiment_name': 'e', 'run_id': 'r'}).startswith(
            'https://eastus.experiments.azureml.net/history/v1.0/')
        assert module.client.url('models.list').startswith('https://eastus.api.azureml.ms/modelmanagement/v1.0/')
        assert 'Authorization' not in rsps.calls[1].request.headers
    assert any('ignored the discovery host https://evil.example' in w for w in warnings)


def test_a_rejected_discovery_host_is_not_warned_about_when_base_url_replaces_every_host(warnings):
    module = make(dict(BASE, api_profile='current', base_url='https://emulator.example'))
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, 'https://emulator.example' + WS_ID + API, json={
            'id': WS_ID, 'location': 'eastus', 'properties': {'discoveryUrl': 'https://emulator.example/discovery'}})
        rsps.add(responses.GET, 'https://emulator.example/discovery', json={'api': 'http://127.0.0.1:8080'})
        assert module.location() == 'eastus'  # asked for explicitly: a data-plane URL alone reads nothing with base_url
        assert module.client.url('models.list').startswith('https://emulator.example/')
    assert not [w for w in warnings if 'discovery host' in w]


def test_items_result_sorts_by_id_then_name(warnings):
    module = make(BASE)
    result = module.items_result('things', iter([{'id': 'b'}, {'name': 'a'}, {'id': 'a1'}]))
    assert result == {'changed': False, 'count': 3, 'things': [{'name': 'a'}, {'id': 'a1'}, {'id': 'b'}]}


def test_diff(warnings):
    assert make(BASE).diff({'a': 1}, {}) == {}
    with patch_module_args(dict(BASE, _ansible_diff=True)):
        module = _module.AzureMLModule()
    assert module.diff_mode and module.diff({'a': 1}, {}) == {'diff': {'before': {'a': 1}, 'after': {}}}


def test_client_is_built_once_with_the_options(warnings):
    module = make(dict(BASE, concurrency=3, retries=2, timeout=5, base_url='http://127.0.0.1:9'))
    client = module.client
    assert client is module.client
    assert isinstance(client, _client.Client)
    assert (client.concurrency, client.retries, client.timeout, client.base_url) == (3, 2, 5, 'http://127.0.0.1:9')
    assert client.defaults == {'subscription_id': SUB, 'resource_group': 'rg-1', 'workspace_name': 'ws-1'}


def test_access_token_is_stripped_and_masked_as_sent(warnings):
    module = make(dict(BASE, access_token='static-token-value\n'))
    assert module.params['access_token'] == 'static-token-value'
    assert {'static-token-value', 'static-token-value\n'} <= module.ansible_module.no_log_values
    assert module.redact("header 'Bearer static-token-value\\n' refused") == "header 'Bearer ********' refused"


def test_access_token_with_an_inner_line_break_is_refused_naming_the_option_not_the_value(warnings):
    with responses.RequestsMock():  # any request would fail the test
        with pytest.raises(FailJson) as err:
            make(dict(BASE, access_token='TOKEN-PART-ONE\nTOKEN-PART-TWO'))
    assert err.value.result['option'] == 'access_token'
    assert 'access_token holds a control character' in err.value.result['msg']
    assert 'TOKEN-PART' not in repr(err.value.result)
