import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gdpr.azureml.plugins.filter.host_path import FilterModule, host_path


def test_host_path_joins_root_folder_host_and_suffix():
    assert host_path('/srv/exports/', 'rg_ws') == '/srv/exports/rg_ws'
    assert host_path('/srv/exports', 'rg_ws', 'audit', '.jsonl') == '/srv/exports/audit/rg_ws.jsonl'
    assert host_path('', 'rg_ws') == ''
    assert FilterModule().filters() == {'host_path': host_path}


@pytest.mark.parametrize('host', ['../../escaped-bundle', 'a/b', 'a\\b', 'a\x00b', '.', '..', ''])
def test_a_host_name_that_would_leave_the_root_is_refused(host):
    with pytest.raises(AnsibleFilterError, match='cannot name a file or folder of its own'):
        host_path('/srv/exports', host)
    with pytest.raises(AnsibleFilterError):
        host_path('', host)  # checked even without a root


@pytest.mark.parametrize('host', ['..x', 'x..', '.hidden', 'rg-ml_Research-Vision-WS', 'ws 日本'])
def test_other_names_are_one_component(host):
    assert host_path('/r', host) == '/r/' + host
