"""api_profile current (the default): workspace service discovery through a module run (canned HTTP).

Under ``current`` the first data-plane call of a module run reads the workspace (ARM) and its
``discoveryUrl`` once, without credentials; with ``base_url`` (which replaces every host) neither is read;
without a usable document the cloud's ``{location}.api.azureml.ms`` patterns are the fallback. Under ``documented`` there is no discovery.
"""
import pytest
import responses
from compat import patch_module_args
from unit_helpers import SUB, WS_ID, patch_exits

from ansible_collections.gdpr.azureml.plugins.module_utils import _module

ARM = 'https://management.azure.com'
API = '?api-version=2019-11-01'
EMU = 'http://127.0.0.1:8765'
BASE = {'subscription_id': SUB, 'resource_group': 'rg-1', 'workspace_name': 'ws-1', 'access_token': 'static-token-value'}
WORKSPACE = {'id': WS_ID, 'location': 'eastus', 'properties': {'discoveryUrl': 'https://eastus.api.azureml.ms/discovery'}}
DOCUMENT = {'api': 'https://eastus.api.azureml.ms', 'history': 'https://eastus.experiments.azureml.net',
            'modelmanagement': 'https://eastus.modelmanagement.azureml.net', 'pipelines': 'https://eastus.aether.ms'}


@pytest.fixture
def warnings(monkeypatch):
    return patch_exits(monkeypatch)


def make(**args):
    with patch_module_args(dict(BASE, **args)):
        return _module.AzureMLModule()


def urls(module):
    client = module.client
    return {
        'models': client.url('models.list'),
        'runs': client.url('runs.list', {'experiment_name': 'e'}),
        'artifacts': client.url('artifacts.list', {'container': 'dcid.r'}),
        'datastores': client.url('datastores.list'),
        'tasks': client.url('tasks.list'),
        'pipelines': client.url('pipeline_graphs.get', {'id': 'g'}),
    }


def test_discovery_hosts_are_read_once_without_credentials(warnings):
    module = make(api_profile='current')
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, ARM + WS_ID + API, json=WORKSPACE)
        rsps.add(responses.GET, 'https://eastus.api.azureml.ms/discovery', json=DOCUMENT)
        first = urls(module)
        assert urls(module) == first  # no second lookup: the document is cached for the module run
        assert [c.request.method for c in rsps.calls] == ['GET', 'GET']
        assert rsps.calls[0].request.headers['Authorization'] == 'Bearer static-token-value'
        assert 'Authorization' not in rsps.calls[1].request.headers
    assert first['models'].startswith('https://eastus.modelmanagement.azureml.net/modelmanagement/v1.0/subscriptions/')
    assert first['runs'].startswith('https://eastus.experiments.azureml.net/history/v1.0/') and first['runs'].endswith('/runs:query')
    assert first['artifacts'].startswith('https://eastus.experiments.azureml.net/artifact/v2.0/')
    assert first['pipelines'].startswith('https://eastus.aether.ms/api/v1.0/')


def test_discovery_is_read_even_when_the_location_is_given(warnings):
    module = make(api_profile='current', location='eastus')
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, ARM + WS_ID + API, json=WORKSPACE)
        rsps.add(responses.GET, 'https://eastus.api.azureml.ms/discovery', json=dict(DOCUMENT, modelmanagement=None))
        assert module.client.url('models.get', {'id': 'm'}).startswith('https://eastus.api.azureml.ms/modelmanagement/v1.0/')
        assert len(rsps.calls) == 2


@pytest.mark.parametrize('profile', ['current', 'documented'])
def test_base_url_replaces_every_host_so_no_workspace_or_discovery_request_is_sent(warnings, profile):
    module = make(api_profile=profile, base_url=EMU)
    with responses.RequestsMock() as rsps:  # any request would fail the test
        found = urls(module)
        assert len(rsps.calls) == 0
    assert all(url.startswith(EMU + '/') for url in found.values())


def test_documented_profile_reads_no_discovery_document(warnings):
    module = make(api_profile='documented', base_url=EMU)
    with responses.RequestsMock() as rsps:  # any request would fail the test
        assert urls(module)['models'].startswith(EMU + '/api/subscriptions/')
        assert len(rsps.calls) == 0


@pytest.mark.parametrize('cloud, host', [('AzureCloud', 'https://westeurope.api.azureml.ms'),
                                         ('AzureChinaCloud', 'https://westeurope.api.ml.azure.cn'),
                                         ('AzureUSGovernment', 'https://westeurope.api.ml.azure.us')])
def test_without_a_discovery_url_the_cloud_patterns_are_the_fallback(warnings, cloud, host):
    module = make(api_profile='current', cloud_environment=cloud)
    arm = module.cloud.arm_endpoint
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, arm + WS_ID + API, json={'id': WS_ID, 'location': 'West Europe', 'properties': {}})
        found = urls(module)
        assert len(rsps.calls) == 1
    assert all(url.startswith(host + '/') for url in found.values()), found


def test_an_unreadable_discovery_document_falls_back_with_a_warning(warnings):
    module = make(api_profile='current', retries=0)
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, ARM + WS_ID + API, json=WORKSPACE)
        rsps.add(responses.GET, 'https://eastus.api.azureml.ms/discovery', status=404, body='not here')
        assert module.client.url('models.list').startswith('https://eastus.api.azureml.ms/modelmanagement/v1.0/')
        assert module.client.url('runs.get', {'experiment_name': 'e', 'run_id': 'r'}).startswith('https://eastus.api.azureml.ms/')
        assert len(rsps.calls) == 2
    assert any('service discovery document' in w and 'eastus.api.azureml.ms' in w for w in warnings)


def test_current_is_the_default_profile(warnings):
    assert make(base_url=EMU).params['api_profile'] == 'current'
