import json

import export_helpers
from export_helpers import AETHER
from unit_helpers import WS_ID

from ansible_collections.gdpr.azureml.plugins.modules import pipeline_info

# the shared fixtures (canned service, module runner)
run_module = export_helpers.run_module
rsps = export_helpers.rsps
service = export_helpers.service


def obj(object_id):
    return {'id': object_id, 'name': f'graph {object_id}', 'createdBy': {'userName': 'Chloé Dubois-Martín'}}


def test_gets_the_requested_ids_and_names_the_missing_ones(run_module, service):
    service.pipelines['pipeline_graphs'] = [obj('g2'), obj('g1'), obj('g3')]
    result = run_module(pipeline_info, {'kind': 'graph', 'ids': ['g3', 'g1', 'nope', 'g1']})
    assert [o['id'] for o in result['pipelines']] == ['g1', 'g3'] and result['count'] == 2
    assert result['missing'] == ['nope'] and not result.get('failed')
    assert sorted(service.paths()) == sorted('/api/v1.0' + WS_ID + '/Graphs/' + i for i in ('g1', 'g3', 'nope'))
    assert all(c.url.startswith(AETHER) for c in service.calls)


def test_every_kind_has_its_route(run_module, service):
    for kind, segment, name in (('experiment', 'Experiments', 'pipeline_experiments'), ('module', 'Modules', 'pipeline_modules'),
                                ('template', 'Templates', 'pipeline_templates'), ('datasource', 'DataSources', 'pipeline_datasources')):
        service.pipelines[name] = [obj('x1')]
        result = run_module(pipeline_info, {'kind': kind, 'ids': ['x1']})
        assert result['count'] == 1, kind
        assert service.paths()[-1] == '/api/v1.0' + WS_ID + f'/{segment}/x1'


def test_kind_and_ids_are_required_and_checked(run_module, service):
    assert 'ids' in run_module(pipeline_info, {'kind': 'graph'})['msg']
    assert 'kind' in run_module(pipeline_info, {'kind': 'pipeline', 'ids': ['a']})['msg']
    assert service.calls == []


def test_dest_and_check_mode(run_module, service, tmp_path):
    service.pipelines['pipeline_graphs'] = [obj('g1')]
    dest = tmp_path / 'pipeline_graphs.json'
    checked = run_module(pipeline_info, {'kind': 'graph', 'ids': ['g1', 'g2'], 'dest': str(dest)}, check=True)
    assert checked['count'] == 1 and checked['missing'] == ['g2'] and not dest.exists()
    assert run_module(pipeline_info, {'kind': 'graph', 'ids': ['g1'], 'dest': str(dest)})['changed'] is True
    assert json.loads(dest.read_text(encoding='utf-8')) == [obj('g1')]
    assert run_module(pipeline_info, {'kind': 'graph', 'ids': ['g1'], 'dest': str(dest)})['changed'] is False
