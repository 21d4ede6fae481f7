"""The route table against docs/architecture.md, written out again here as the independent oracle."""
import pytest

from ansible_collections.gdpr.azureml.plugins.module_utils import _clouds, _routes

SUB = '00000000-1111-2222-3333-444444444444'
WS = f'/subscriptions/{SUB}/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces/ws-1'
PARAMS = {
    'subscription_id': SUB, 'resource_group': 'rg-1', 'workspace_name': 'ws-1', 'compute_name': 'cpu',
    'experiment_name': 'exp', 'experiment_id': 'exp-id-1', 'run_id': 'run-1', 'metric_id': 'm-1', 'path': 'outputs/model.pkl', 'task_id': 't-1',
    'name': 'store', 'id': 'obj-1', 'operation_id': 'op-1', 'container': 'dcid.run-1', 'endpoint_name': 'ep', 'version': '3',
}
API = '?api-version=2019-11-01'

# operation: (family, method, path + query, paging) -- docs/architecture.md, api_profile documented
ARCHITECTURE = {
    'workspaces.list_subscription': ('arm', 'GET', f'/subscriptions/{SUB}/providers/Microsoft.MachineLearningServices/workspaces' + API, 'arm'),
    'workspaces.list': ('arm', 'GET', f'/subscriptions/{SUB}/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces' + API,
                        'arm'),
    'workspaces.get': ('arm', 'GET', WS + API, None),
    'workspaces.delete': ('arm', 'DELETE', WS + API, None),
    'computes.list': ('arm', 'GET', WS + '/computes' + API, 'arm'),
    'computes.get': ('arm', 'GET', WS + '/computes/cpu' + API, None),
    'experiments.list': ('history', 'GET', '/history/v1.0' + WS + '/experiments?viewType=All', 'continuation'),
    'runs.list': ('history', 'GET', '/history/v1.0' + WS + '/experiments/exp/runs', 'continuation'),
    'runs.get': ('history', 'GET', '/history/v1.0' + WS + '/experiments/exp/runs/run-1', None),
    'runs.get_by_id': ('history', 'GET', '/history/v1.0' + WS + '/runs/run-1', None),
    'metrics_v2.list': ('history', 'POST', '/metric/v2.0' + WS + '/runs/run-1/list', 'continuation'),
    'metrics_v2.full': ('history', 'POST', '/metric/v2.0' + WS + '/runs/run-1/full', 'continuation'),
    'metrics.list': ('history', 'GET', '/history/v1.0' + WS + '/experiments/exp/metrics', 'continuation'),
    'experiments.delete': ('history', 'DELETE', '/history/v1.0' + WS + '/experimentids/exp-id-1', None),
    'metrics.get': ('history', 'GET', '/history/v1.0' + WS + '/experiments/exp/metrics/m-1', None),
    'artifacts.list': ('artifact', 'GET', '/artifact/v1.0' + WS + '/artifacts/origins/ExperimentRun/containers/dcid.run-1', 'continuation'),
    'artifacts.contentinfo': ('artifact', 'GET',
                              '/artifact/v1.0' + WS + '/artifacts/origins/ExperimentRun/containers/dcid.run-1/contentinfo?path=outputs%2Fmodel.pkl',
                              None),
    'tasks.list': ('notification', 'GET', '/notification/v1.0' + WS + '/tasks', 'continuation'),
    'tasks.get': ('notification', 'GET', '/notification/v1.0' + WS + '/tasks/t-1', None),
    'datastores.list': ('datastore', 'GET', '/datastore/v1.0' + WS + '/datastores', 'continuation'),
    'datastores.get': ('datastore', 'GET', '/datastore/v1.0' + WS + '/datastores/store', None),
    'mms_operations.get': ('modelmanagement', 'GET', '/api' + WS + '/operations/op-1' + API, None),
    'pipeline_experiments.get': ('pipelines', 'GET', '/api/v1.0' + WS + '/Experiments/obj-1', None),
    'pipeline_graphs.get': ('pipelines', 'GET', '/api/v1.0' + WS + '/Graphs/obj-1', None),
    'pipeline_modules.get': ('pipelines', 'GET', '/api/v1.0' + WS + '/Modules/obj-1', None),
    'pipeline_templates.get': ('pipelines', 'GET', '/api/v1.0' + WS + '/Templates/obj-1', None),
    'pipeline_datasources.get': ('pipelines', 'GET', '/api/v1.0' + WS + '/DataSources/obj-1', None),
}
for _kind in ('models', 'assets', 'images', 'services'):
    ARCHITECTURE[f'{_kind}.list'] = ('modelmanagement', 'GET', f'/api{WS}/{_kind}' + API, 'mms')
    ARCHITECTURE[f'{_kind}.get'] = ('modelmanagement', 'GET', f'/api{WS}/{_kind}/obj-1' + API, None)
    ARCHITECTURE[f'{_kind}.delete'] = ('modelmanagement', 'DELETE', f'/api{WS}/{_kind}/obj-1' + API, None)

# The v2 resources (mfe.json 2025-12-01; the same in both profiles): list every view where the spec has listViewType.
V2 = '?api-version=2025-12-01'
ALL = V2 + '&listViewType=All'
for _op, _path, _query in (
        ('jobs', 'jobs', ALL), ('data_containers', 'data', ALL), ('data_versions', 'data/store/versions', ALL),
        ('model_containers', 'models', ALL), ('model_versions', 'models/store/versions', ALL),
        ('environment_containers', 'environments', ALL), ('environment_versions', 'environments/store/versions', ALL),
        ('component_containers', 'components', ALL), ('component_versions', 'components/store/versions', ALL),
        ('code_containers', 'codes', V2), ('code_versions', 'codes/store/versions', V2),
        ('online_endpoints', 'onlineEndpoints', V2), ('online_deployments', 'onlineEndpoints/ep/deployments', V2),
        ('batch_endpoints', 'batchEndpoints', V2), ('batch_deployments', 'batchEndpoints/ep/deployments', V2),
        ('schedules', 'schedules', ALL), ('connections', 'connections', V2)):
    _one = f'{WS}/{_path}/' + ('3' if _path.endswith('/versions') else 'store')
    ARCHITECTURE[f'{_op}.list'] = ('arm', 'GET', f'{WS}/{_path}{_query}', 'arm')
    ARCHITECTURE[f'{_op}.get'] = ('arm', 'GET', _one + V2, None)
    ARCHITECTURE[f'{_op}.delete'] = ('arm', 'DELETE', _one + V2, None)
ARCHITECTURE['computes.delete'] = ('arm', 'DELETE', WS + '/computes/cpu' + V2, None)
ARCHITECTURE['datastores.delete'] = ('arm', 'DELETE', WS + '/datastores/store' + V2, None)
ARCHITECTURE['datastores_v2.list'] = ('arm', 'GET', WS + '/datastores' + V2, 'arm')
_REGISTRIES = f'/subscriptions/{SUB}/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/registries'
ARCHITECTURE['registries.list'] = ('arm', 'GET', _REGISTRIES + V2, 'arm')
ARCHITECTURE['registries.get'] = ('arm', 'GET', _REGISTRIES + '/store' + V2, None)

HOSTS = {
    'AzureCloud': {'arm': 'https://management.azure.com', 'modelmanagement': 'https://eastus.modelmanagement.azureml.net',
                   'history': 'https://eastus.experiments.azureml.net', 'artifact': 'https://eastus.experiments.azureml.net',
                   'notification': 'https://eastus.experiments.azureml.net', 'datastore': 'https://eastus.experiments.azureml.net',
                   'pipelines': 'https://eastus.aether.ms'},
    'AzureChinaCloud': {'arm': 'https://management.chinacloudapi.cn', 'modelmanagement': 'https://eastus.modelmanagement.ml.azure.cn',
                        **{f: 'https://eastus.api.ml.azure.cn' for f in ('history', 'artifact', 'notification', 'datastore', 'pipelines')}},
    'AzureUSGovernment': {'arm': 'https://management.usgovcloudapi.net',
                          **{f: 'https://eastus.api.ml.azure.us' for f in _clouds.DATA_PLANE_FAMILIES}},
}


def test_table_has_exactly_the_operations_of_the_architecture():
    assert set(_routes.DOCUMENTED) == set(ARCHITECTURE) | {'discovery.get'}
    assert set(_routes.CURRENT) == set(_routes.DOCUMENTED)


@pytest.mark.parametrize('cloud_name', sorted(HOSTS))
@pytest.mark.parametrize('op', sorted(ARCHITECTURE))
def test_every_operation_in_every_cloud(op, cloud_name):
    family, method, path, paging = ARCHITECTURE[op]
    route = _routes.get_route(op)
    assert (route.family, route.method, route.paging) == (family, method, paging)
    assert route.idempotent is (method in ('GET', 'DELETE') or op.startswith('metrics_v2.'))  # the v2 metrics POSTs are reads
    url = _routes.build_url(op, PARAMS, _clouds.get_cloud(cloud_name), 'eastus')
    assert url == HOSTS[cloud_name][family] + path


@pytest.mark.parametrize('op', sorted(ARCHITECTURE))
def test_base_url_replaces_the_host_of_every_family(op):
    url = _routes.build_url(op, PARAMS, _clouds.get_cloud(), None, base_url='http://127.0.0.1:8765/')
    assert url == 'http://127.0.0.1:8765' + ARCHITECTURE[op][2]


def test_discovery_url_is_absolute_and_unauthenticated():
    route = _routes.get_route('discovery.get')
    assert route.auth is False
    params = {'discovery_url': 'https://eastus.experiments.azureml.net/discovery'}
    assert _routes.build_url('discovery.get', params, _clouds.get_cloud(), None) == 'https://eastus.experiments.azureml.net/discovery'
    assert _routes.build_url('discovery.get', params, _clouds.get_cloud(), None, base_url='https://localhost:9') == 'https://localhost:9/discovery'


@pytest.mark.parametrize('value, encoded', [
    ('my model', 'my%20model'),
    ('modèle-ü', 'mod%C3%A8le-%C3%BC'),
    ('a/b', 'a%2Fb'),
    ('../x', '..%2Fx'),
    ('a?b#c', 'a%3Fb%23c'),
    ('100%', '100%25'),
])
def test_path_segments_are_percent_encoded(value, encoded):
    url = _routes.build_url('models.get', dict(PARAMS, id=value), _clouds.get_cloud(), 'eastus')
    assert url.endswith(f'/models/{encoded}?api-version=2019-11-01')


@pytest.mark.parametrize('path, encoded', [
    ('outputs/model.pkl', 'outputs/model.pkl'),
    ('outputs/model with spaces.pkl', 'outputs/model%20with%20spaces.pkl'),
    ('../../.ssh/authorized_keys', '%2E%2E/%2E%2E/.ssh/authorized_keys'),
    ('outputs/./x', 'outputs/%2E/x'),
    ('/etc/passwd', '/etc/passwd'),
    ('logs\\..\\windows.ini', 'logs%5C..%5Cwindows.ini'),
    ('outputs/Försäljning/resultat ✓.csv', 'outputs/F%C3%B6rs%C3%A4ljning/resultat%20%E2%9C%93.csv'),
    ('outputs/%2e%2e/e.txt', 'outputs/%252e%252e/e.txt'),
])
def test_content_info_puts_the_path_in_the_url_segment_by_segment(path, encoded):
    """api_profile current: azureml-core's form; dot segments encoded so that no HTTP stack resolves them."""
    url = _routes.build_url('artifacts.contentinfo', dict(PARAMS, path=path), _clouds.get_cloud(), None, base_url='http://h:1',
                            api_profile='current')
    assert url == f'http://h:1/artifact/v2.0{WS}/artifacts/contentinfo/ExperimentRun/dcid.run-1/{encoded}'


def test_experiments_are_asked_for_every_view_in_both_profiles():
    assert _routes.get_route('experiments.list', 'documented').query == {'viewType': 'All'}
    current = _routes.get_route('experiments.list', 'current')
    assert current.query == current.body == {'viewType': 'All'}


def test_workspace_coordinates_are_encoded_too():
    url = _routes.build_url('workspaces.get', dict(PARAMS, resource_group='rg (test)'), _clouds.get_cloud(), None)
    assert '/resourceGroups/rg%20%28test%29/' in url


def test_missing_parameter_is_named():
    with pytest.raises(_routes.RouteError, match="operation runs.get needs the parameter 'run_id'"):
        _routes.build_url('runs.get', dict(PARAMS, run_id=None), _clouds.get_cloud(), 'eastus')


def test_unknown_operation_and_profile():
    with pytest.raises(_routes.RouteError, match="unknown operation 'models.purge'"):
        _routes.get_route('models.purge')
    with pytest.raises(_routes.RouteError, match='api_profile must be one of current, documented'):
        _routes.get_route('models.get', 'latest')


def test_query_override_for_permanent_delete():
    url = _routes.build_url('workspaces.delete', PARAMS, _clouds.get_cloud(), None, query=_routes.PURGE_QUERY)
    assert url == 'https://management.azure.com' + WS + '?api-version=2024-04-01&forceToPurge=true'
    url = _routes.build_url('models.list', PARAMS, _clouds.get_cloud(), 'eastus', query={'api-version': None, 'count': 5})
    assert url.endswith('/models?count=5')


@pytest.mark.parametrize('bad', ['localhost:8080', 'ftp://host', 'http://', 'http://host/path', 'http://host?x=1',
                                 'http://user:pw@host', 'http://host:99999', ''])
def test_base_url_is_validated(bad):
    with pytest.raises(_routes.RouteError, match='base_url'):
        _routes.parse_base_url(bad)


def test_base_url_keeps_port_and_lowercases():
    assert _routes.parse_base_url('HTTPS://Proxy.Example:8443/') == 'https://proxy.example:8443'


def test_data_plane_without_location_or_base_url_fails():
    with pytest.raises(ValueError, match='needs the workspace location'):
        _routes.build_url('runs.get', PARAMS, _clouds.get_cloud(), None)


def test_hosts_override_data_plane_family():
    url = _routes.build_url('tasks.list', PARAMS, _clouds.get_cloud(), None, hosts={'notification': 'https://eastus.api.azureml.ms'})
    assert url == 'https://eastus.api.azureml.ms/notification/v1.0' + WS + '/tasks'


# api_profile current ---------------------------------------------------------------------------------------------

CURRENT = {
    'experiments.list': ('POST', '/history/v1.0' + WS + '/experiments:query?viewType=All'),
    'runs.list': ('POST', '/history/v1.0' + WS + '/experiments/exp/runs:query'),
    'metrics.list': ('POST', '/history/v1.0' + WS + '/experiments/exp/metrics:query'),
    'artifacts.list': ('GET', '/artifact/v2.0' + WS + '/artifacts/ExperimentRun/dcid.run-1'),
    'artifacts.contentinfo': ('GET', '/artifact/v2.0' + WS + '/artifacts/contentinfo/ExperimentRun/dcid.run-1/outputs/model.pkl'),
    'models.list': ('GET', '/modelmanagement/v1.0' + WS + '/models'),
    'services.delete': ('DELETE', '/modelmanagement/v1.0' + WS + '/services/obj-1'),
    'mms_operations.get': ('GET', '/modelmanagement/v1.0' + WS + '/operations/op-1'),
    'workspaces.get': ('GET', WS + API),
    'runs.get': ('GET', '/history/v1.0' + WS + '/experiments/exp/runs/run-1'),
    # compute instances (assignedUser) exist from api-version 2020-01-01: today's computes API
    'computes.list': ('GET', WS + '/computes' + V2),
    'computes.get': ('GET', WS + '/computes/cpu' + V2),
}


@pytest.mark.parametrize('op', sorted(CURRENT))
def test_current_profile_routes(op):
    method, path = CURRENT[op]
    route = _routes.get_route(op, 'current')
    assert route.method == method
    assert route.idempotent  # POST :query reads are marked idempotent
    url = _routes.build_url(op, PARAMS, _clouds.get_cloud(), 'eastus', api_profile='current')
    host = 'https://management.azure.com' if op.startswith(('workspaces', 'computes')) else 'https://eastus.api.azureml.ms'
    assert url == host + path


CURRENT_HOSTS = {
    'AzureCloud': ('https://management.azure.com', 'https://eastus.api.azureml.ms'),
    'AzureChinaCloud': ('https://management.chinacloudapi.cn', 'https://eastus.api.ml.azure.cn'),
    'AzureUSGovernment': ('https://management.usgovcloudapi.net', 'https://eastus.api.ml.azure.us'),
}


@pytest.mark.parametrize('cloud_name', sorted(CURRENT_HOSTS))
@pytest.mark.parametrize('op', sorted(ARCHITECTURE))
def test_every_operation_in_every_cloud_under_current(op, cloud_name):
    """Every row under api_profile current: the spec's path where one exists, else the documented
    one; ARM on the cloud's Resource Manager, every data-plane family on the cloud's API host."""
    arm, api = CURRENT_HOSTS[cloud_name]
    family, _method, documented_path, _paging = ARCHITECTURE[op]
    method, path = CURRENT.get(op, (None, None))
    route = _routes.get_route(op, 'current')
    if path is None:  # same route as documented, except model management (no api-version, /modelmanagement/v1.0)
        if family == 'modelmanagement':
            path = documented_path.replace('/api/', '/modelmanagement/v1.0/').replace(API, '')
        else:
            path = documented_path
        method = ARCHITECTURE[op][1]
    assert route.method == method
    url = _routes.build_url(op, PARAMS, _clouds.get_cloud(cloud_name), 'eastus', api_profile='current')
    assert url == (arm if family == 'arm' else api) + path
