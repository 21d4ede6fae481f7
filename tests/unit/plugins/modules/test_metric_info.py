import json

import export_helpers
from unit_helpers import WS_ID

from ansible_collections.gdpr.azureml.plugins.modules import metric_info

# the shared fixtures (canned service, module runner)
run_module = export_helpers.run_module
rsps = export_helpers.rsps
service = export_helpers.service

HIST = '/history/v1.0' + WS_ID + '/experiments'


def build(service):
    service.add_experiment('Försäljning 2020', runs=2, metrics_per_run=2)
    service.add_experiment('日本語の実験', runs=1, metrics_per_run=1)


def test_lists_the_metrics_of_every_experiment_every_page(run_module, service):
    build(service)
    result = run_module(metric_info, {})
    expected = sorted(m['metricId'] for m in service.all_metrics())
    assert [m['metricId'] for m in result['metrics']] == expected and result['count'] == 5
    paths = service.paths()
    assert paths.count(HIST + '/Försäljning 2020/metrics') == 2
    assert paths.count(HIST + '/日本語の実験/metrics') == 1
    assert not any(p.endswith('/runs') for p in paths)


def test_named_experiments(run_module, service):
    build(service)
    result = run_module(metric_info, {'experiments': ['日本語の実験']})
    assert result['count'] == 1 and HIST not in service.paths()


def test_gets_one_and_missing_one(run_module, service):
    build(service)
    wanted = service.metrics['Försäljning 2020'][3]
    assert run_module(metric_info, {'experiment': 'Försäljning 2020', 'metric_id': wanted['metricId']})['metrics'] == [wanted]
    missing = run_module(metric_info, {'experiment': 'Försäljning 2020', 'metric_id': 'nope'})
    assert missing['metrics'] == [] and missing['count'] == 0


def test_options_are_checked(run_module, service):
    assert 'together' in run_module(metric_info, {'metric_id': 'm'})['msg']
    assert 'mutually exclusive' in run_module(metric_info, {'experiments': ['a'], 'experiment': 'a', 'metric_id': 'm'})['msg']
    assert service.calls == []


def test_dest_and_check_mode(run_module, service, tmp_path):
    build(service)
    dest = tmp_path / 'metrics.json'
    assert run_module(metric_info, {'dest': str(dest)}, check=True)['count'] == 5 and not dest.exists()
    assert run_module(metric_info, {'dest': str(dest)})['changed'] is True
    assert len(json.loads(dest.read_text(encoding='utf-8'))) == 5
    assert run_module(metric_info, {'dest': str(dest)})['changed'] is False
