import json

import export_helpers
from unit_helpers import WS_ID

from ansible_collections.gdpr.azureml.plugins.modules import run_info

# the shared fixtures (canned service, module runner)
run_module = export_helpers.run_module
rsps = export_helpers.rsps
service = export_helpers.service

HIST = '/history/v1.0' + WS_ID + '/experiments'


def build(service):
    service.add_experiment('customer churn v2', runs=3)
    service.add_experiment('100% rollout & A+B?', runs=2)
    service.add_experiment('empty')


def test_lists_the_runs_of_every_experiment_every_page(run_module, service):
    build(service)
    result = run_module(run_info, {})
    expected = sorted(r['runId'] for r in service.all_runs())
    assert [r['runId'] for r in result['runs']] == expected and result['count'] == 5
    paths = service.paths()
    assert paths.count(HIST + '/customer churn v2/runs') == 2  # 3 runs, page size 2
    assert paths.count(HIST + '/100% rollout & A+B?/runs') == 1
    assert paths.count(HIST + '/empty/runs') == 1
    assert not any(p.endswith('/metrics') for p in paths)
    raw = [c.url for c in service.calls if 'rollout' in c.url]
    assert raw and all('/100%25%20rollout%20%26%20A%2BB%3F/runs' in u for u in raw)  # one percent-encoded segment


def test_lists_the_runs_of_named_experiments_without_listing_experiments(run_module, service):
    build(service)
    result = run_module(run_info, {'experiments': ['empty', '100% rollout & A+B?']})
    assert result['count'] == 2
    assert HIST not in service.paths()


def test_unknown_experiment_fails_with_the_service_message(run_module, service):
    result = run_module(run_info, {'experiments': ['nope']})
    assert result['failed'] and result['status'] == 404
    assert result['msg'] == ("list the runs of experiment 'nope' in workspace rg-1/ws-1: the service said Experiment nope was not "
                             "found (HTTP 404, code NotFound, request id req-1)")


def test_gets_one_run(run_module, service):
    build(service)
    wanted = service.runs['customer churn v2'][1]
    result = run_module(run_info, {'experiment': 'customer churn v2', 'run_id': wanted['runId']})
    assert result['runs'] == [wanted] and result['count'] == 1
    assert len(service.calls) == 1


def test_missing_run_is_an_empty_list(run_module, service):
    build(service)
    result = run_module(run_info, {'experiment': 'customer churn v2', 'run_id': 'gone'})
    assert result['runs'] == [] and not result.get('failed')


def test_options_are_checked_before_any_request(run_module, service):
    assert 'mutually exclusive' in run_module(run_info, {'experiments': ['a'], 'experiment': 'a', 'run_id': 'r'})['msg']
    assert 'together' in run_module(run_info, {'experiment': 'a'})['msg']
    assert service.calls == []


def test_dest_and_check_mode(run_module, service, tmp_path):
    build(service)
    dest = tmp_path / 'runs.json'
    checked = run_module(run_info, {'dest': str(dest)}, check=True)
    assert checked['count'] == 5 and checked['changed'] is True and not dest.exists()
    first = run_module(run_info, {'dest': str(dest)})
    assert first['changed'] and first['sha256'] == checked['sha256'] and 'runs' not in first
    assert len(json.loads(dest.read_text(encoding='utf-8'))) == 5
    assert run_module(run_info, {'dest': str(dest)})['changed'] is False


def test_fan_out_is_bounded_by_concurrency(run_module, service):
    for n in range(12):
        service.add_experiment(f'exp {n}', runs=1)
    result = run_module(run_info, {'concurrency': 3})
    assert result['count'] == 12
