import json

import export_helpers
from unit_helpers import WS_ID

from ansible_collections.gdpr.azureml.plugins.modules import artifact_info

# the shared fixtures (canned service, module runner)
run_module = export_helpers.run_module
rsps = export_helpers.rsps
service = export_helpers.service

ART = '/artifact/v1.0' + WS_ID + '/artifacts/origins/ExperimentRun/containers/'


def build(service):
    service.add_experiment('a', runs=3, artifacts_per_run=3)
    service.add_experiment('b', runs=1, artifacts_per_run=1)
    service.add_experiment('c')


def test_default_is_every_artifact_of_every_run(run_module, service):
    build(service)
    result = run_module(artifact_info, {})
    expected = sorted(a['artifactId'] for a in service.all_artifacts())
    assert [a['artifactId'] for a in result['artifacts']] == expected and result['count'] == 10
    for run_obj in service.all_runs():
        pages = service.paths().count(ART + run_obj['dataContainerId'])  # the run's data container, not its id
        assert pages == (2 if len(service.artifacts[run_obj['runId']]) > 2 else 1)
        assert ART + run_obj['runId'] not in service.paths()
    assert not any(p.endswith('/contentinfo') for p in service.paths())  # metadata only


def test_named_runs_only(run_module, service):
    build(service)
    wanted = service.runs['a'][0]['runId']
    result = run_module(artifact_info, {'run_ids': [wanted, wanted, 'unknown-run']})
    assert result['count'] == 3 and {a['container'] for a in result['artifacts']} == {'dcid.' + wanted}
    runs = '/history/v1.0' + WS_ID + '/runs/'
    # each run got once by id (for its data container), no experiment or run listing
    assert sorted(p for p in service.paths() if '/history/' in p) == sorted([runs + 'unknown-run', runs + wanted])
    assert service.paths().count(ART + 'dcid.' + wanted) == 2
    assert not any(p.startswith(ART + 'unknown-run') or p == ART + wanted for p in service.paths())  # an unknown run lists none


def test_a_run_without_data_container_is_listed_in_both_containers_merged(run_module, service):
    exp = service.add_experiment('old', runs=1, artifacts_per_run=3)
    old = service.runs['old'][0]
    del old['dataContainerId']
    service.artifacts[old['runId']] = [export_helpers.artifact(old['runId'], 'outputs/a.txt')]
    result = run_module(artifact_info, {})
    assert [a['path'] for a in result['artifacts']] == ['outputs/a.txt'] and exp
    assert service.paths().count(ART + 'dcid.' + old['runId']) == 1 and service.paths().count(ART + old['runId']) == 1


def test_dest_and_check_mode(run_module, service, tmp_path):
    build(service)
    dest = tmp_path / 'artifacts.json'
    assert run_module(artifact_info, {'dest': str(dest)}, check=True)['count'] == 10 and not dest.exists()
    assert run_module(artifact_info, {'dest': str(dest)})['changed'] is True
    assert len(json.loads(dest.read_text(encoding='utf-8'))) == 10
    assert run_module(artifact_info, {'dest': str(dest)})['changed'] is False


def test_empty_workspace(run_module, service):
    assert run_module(artifact_info, {})['artifacts'] == []
