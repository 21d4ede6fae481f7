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
        pages = service.paths().count(ART + run_obj['runId'])
        assert pages == (2 if len(service.artifacts[run_obj['runId']]) > 2 else 1)
    assert not any(p.endswith('/contentinfo') for p in service.paths())  # metadata only


def test_named_runs_only(run_module, service):
    build(service)
    wanted = service.runs['a'][0]['runId']
    result = run_module(artifact_info, {'run_ids': [wanted, wanted, 'unknown-run']})
    assert result['count'] == 3 and {a['container'] for a in result['artifacts']} == {wanted}
    assert not any('/history/' in p for p in service.paths())  # no experiment or run listing
    assert service.paths().count(ART + wanted) == 2 and service.paths().count(ART + 'unknown-run') == 1


def test_dest_and_check_mode(run_module, service, tmp_path):
    build(service)
    dest = tmp_path / 'artifacts.json'
    assert run_module(artifact_info, {'dest': str(dest)}, check=True)['count'] == 10 and not dest.exists()
    assert run_module(artifact_info, {'dest': str(dest)})['changed'] is True
    assert len(json.loads(dest.read_text(encoding='utf-8'))) == 10
    assert run_module(artifact_info, {'dest': str(dest)})['changed'] is False


def test_empty_workspace(run_module, service):
    assert run_module(artifact_info, {})['artifacts'] == []
