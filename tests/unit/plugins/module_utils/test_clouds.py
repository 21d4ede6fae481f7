import pytest

from ansible_collections.gdpr.azureml.plugins.module_utils import _clouds


@pytest.mark.parametrize('name, scope, authority', [
    ('AzureCloud', 'https://management.core.windows.net//.default', 'https://login.microsoftonline.com'),
    ('AzureChinaCloud', 'https://management.core.chinacloudapi.cn//.default', 'https://login.chinacloudapi.cn'),
    ('AzureUSGovernment', 'https://management.core.usgovcloudapi.net//.default', 'https://login.microsoftonline.us'),
])
def test_scope_and_authority(name, scope, authority):
    cloud = _clouds.get_cloud(name)
    assert _clouds.token_scope(cloud) == scope
    assert cloud.authority_host == authority


def test_default_cloud_is_public():
    assert _clouds.get_cloud(None).name == 'AzureCloud'


def test_unknown_cloud_names_the_choices():
    with pytest.raises(ValueError, match='cloud_environment must be one of AzureChinaCloud, AzureCloud, AzureUSGovernment'):
        _clouds.get_cloud('AzureGermanCloud')


@pytest.mark.parametrize('family, expected', [
    ('arm', 'https://management.azure.com'),
    ('modelmanagement', 'https://westeurope.modelmanagement.azureml.net'),
    ('history', 'https://westeurope.experiments.azureml.net'),
    ('artifact', 'https://westeurope.experiments.azureml.net'),
    ('notification', 'https://westeurope.experiments.azureml.net'),
    ('datastore', 'https://westeurope.experiments.azureml.net'),
    ('pipelines', 'https://westeurope.aether.ms'),
])
def test_public_documented_hosts(family, expected):
    assert _clouds.family_base(_clouds.get_cloud('AzureCloud'), family, 'West Europe') == expected


@pytest.mark.parametrize('name, host', [
    ('AzureCloud', 'https://eastus.api.azureml.ms'),
    ('AzureChinaCloud', 'https://eastus.api.ml.azure.cn'),
    ('AzureUSGovernment', 'https://eastus.api.ml.azure.us'),
])
def test_current_hosts(name, host):
    cloud = _clouds.get_cloud(name)
    for family in _clouds.DATA_PLANE_FAMILIES:
        assert _clouds.family_base(cloud, family, 'eastus', 'current') == host


def test_sovereign_documented_hosts_are_marked_inferred():
    assert not _clouds.get_cloud('AzureCloud').inferred
    china = _clouds.get_cloud('AzureChinaCloud')
    assert china.inferred
    assert _clouds.family_base(china, 'modelmanagement', 'chinaeast2') == 'https://chinaeast2.modelmanagement.ml.azure.cn'
    assert _clouds.family_base(china, 'history', 'chinaeast2') == 'https://chinaeast2.api.ml.azure.cn'
    gov = _clouds.get_cloud('AzureUSGovernment')
    assert gov.inferred
    assert _clouds.family_base(gov, 'pipelines', 'usgovarizona') == 'https://usgovarizona.api.ml.azure.us'
    assert gov.arm_endpoint == 'https://management.usgovcloudapi.net'


def test_data_plane_needs_a_location():
    with pytest.raises(ValueError, match='needs the workspace location'):
        _clouds.family_base(_clouds.get_cloud(), 'history', None)


@pytest.mark.parametrize('bad', ['east-us', 'eastus/../x', 'a.b', ''])
def test_location_is_validated(bad):
    with pytest.raises(ValueError, match='location must be an Azure region name'):
        _clouds.normalize_location(bad)


def test_discovery_hosts_keep_only_trusted_https_hosts():
    cloud = _clouds.get_cloud('AzureCloud')
    hosts, rejected = _clouds.discovery_hosts(cloud, {
        'api': 'https://eastus.api.azureml.ms',
        'history': 'https://evil.example.com',
        'modelmanagement': 'http://eastus.modelmanagement.azureml.net',
    })
    assert hosts['history'] == 'https://eastus.api.azureml.ms'  # fell back to "api"
    assert hosts['modelmanagement'] == 'https://eastus.api.azureml.ms'
    assert hosts['pipelines'] == 'https://eastus.api.azureml.ms'
    assert 'https://evil.example.com' in rejected
    assert 'http://eastus.modelmanagement.azureml.net' in rejected
    assert _clouds.discovery_hosts(cloud, None) == ({}, [])


def test_pipelines_prefer_the_pipelines_key_then_api():
    cloud = _clouds.get_cloud('AzureCloud')
    both = {'api': 'https://eastus.api.azureml.ms', 'pipelines': 'https://eastus.aether.ms'}
    assert _clouds.discovery_hosts(cloud, both)[0]['pipelines'] == 'https://eastus.aether.ms'
    assert _clouds.discovery_hosts(cloud, {'api': both['api']})[0]['pipelines'] == 'https://eastus.api.azureml.ms'
