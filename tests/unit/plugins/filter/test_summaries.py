"""The filter plugins that hold the controller-side logic of the playbooks and roles (fleet fact and summary, subject search,
purge summary): each checked on plain inputs, with the exact lines the playbooks print."""
import json
import pathlib
import re

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gdpr.azureml.plugins.filter.fleet_fact import fleet_fact, FilterModule as FleetFact
from ansible_collections.gdpr.azureml.plugins.filter.fleet_summary import fleet_summary, FilterModule as FleetSummary
from ansible_collections.gdpr.azureml.plugins.filter.fleet_summary_lines import fleet_summary_lines
from ansible_collections.gdpr.azureml.plugins.filter.purge_summary_lines import purge_summary_lines
from ansible_collections.gdpr.azureml.plugins.filter.subject_search_lines import subject_search_lines
from ansible_collections.gdpr.azureml.plugins.filter.subject_search_summary import subject_search_summary
from ansible_collections.gdpr.azureml.plugins.filter.subject_search_summary_lines import subject_search_summary_lines
from ansible_collections.gdpr.azureml.plugins.plugin_utils._summaries import plain

ROOT = pathlib.Path(__file__).resolve().parents[4]


class TaggedStr(str):
    """Stands for ansible-core's tagged or unsafe strings."""


def test_plain_returns_builtin_types_only():
    out = plain({TaggedStr('a'): [TaggedStr('x'), (1, 2.5, None, True)], 'b': {'c': TaggedStr('y')}})
    assert out == {'a': ['x', [1, 2.5, None, True]], 'b': {'c': 'y'}}
    assert {type(next(iter(out))), type(out['a'][0]), type(out['b']['c'])} == {str}  # not the subclass


# -- fleet_fact ----------------------------------------------------------------------------------------------------------

EXPORT = {'count': 7, 'bundle_dir': '/srv/x/ws', 'kinds': {'models': {'count': 5, 'file': 'models.json'}, 'runs': {'count': 2}}}


def test_fleet_fact_of_an_export_replaces_the_input():
    fact = fleet_fact({'deleted': 3}, export=EXPORT)
    assert fact == {'exported': 7, 'kinds': {'models': 5, 'runs': 2}, 'bundle': '/srv/x/ws', 'failures': []}
    assert list(fact['kinds']) == ['models', 'runs']
    assert FleetFact().filters() == {'fleet_fact': fleet_fact}


def test_fleet_fact_records_an_export_failure_once():
    fact = fleet_fact(None, 'export', failure='boom', prefix='Export the workspace: ', bundle='')
    assert fact == {'exported': 0, 'kinds': {}, 'bundle': '', 'failures': ['Export the workspace: boom']}
    again = fleet_fact(fleet_fact({}, export=EXPORT), 'export', failure='later', prefix='t: ', bundle='/srv/x/ws')
    assert again == {'exported': 7, 'kinds': {'models': 5, 'runs': 2}, 'bundle': '/srv/x/ws', 'failures': ['t: later']}


PLAN = {'plan': {'kinds': ['services', 'models'], 'counts': {'services': 1, 'models': 2}, 'total': 3,
                 'workspace_delete': {'permanent': True}},
        'appeared_since': {}}
APPLY = {'deleted': {'services': ['s1'], 'models': ['m1', 'm2']}, 'remaining': {'services': 0, 'models': 0}}


def test_fleet_fact_of_a_purge_merges_over_the_export():
    fact = fleet_fact({'exported': 9, 'kinds': {'runs': 9}, 'failures': []}, 'purge', plan=PLAN, apply=APPLY,
                      workspace={'skipped': True, 'changed': False})
    assert fact == {'exported': 9, 'deleted': 3, 'kinds': {'services': 1, 'models': 2}, 'failures': []}
    with_ws = fleet_fact({}, 'purge', plan=PLAN, apply=APPLY, workspace={'changed': True})
    assert with_ws['deleted'] == 4 and with_ws['kinds'] == {'services': 1, 'models': 2, 'workspace': 1}


def test_fleet_fact_of_a_check_run_deletes_nothing_and_says_what_a_real_run_would():
    fact = fleet_fact(None, 'purge', plan=PLAN, apply={'skipped': True}, workspace=None, check_mode=True)
    assert fact == {'deleted': 0, 'kinds': {}, 'would_delete': 3, 'would_delete_kinds': {'services': 1, 'models': 2},
                    'failures': []}


def test_fleet_fact_of_a_purge_counts_the_storage_files_apart():
    plan = dict(PLAN, storage={'account': 'acct', 'blobs': 4, 'snapshots': 1, 'runs': 2})
    checked = fleet_fact({}, 'purge', plan=plan, apply={'skipped': True}, check_mode=True)
    assert checked['would_delete'] == 3 and checked['would_delete_kinds'] == {'services': 1, 'models': 2, 'storage_blobs': 5}
    applied = fleet_fact({}, 'purge', plan=plan, apply=dict(APPLY, storage={'deleted': 5, 'remaining': 0}), workspace={'changed': True})
    assert applied['deleted'] == 4  # the objects of the APIs and the workspace; the files are counted apart
    assert applied['kinds'] == {'services': 1, 'models': 2, 'workspace': 1, 'storage_blobs': 5}
    # no storage part (purge_workspace_storage off): no storage entry at all
    assert 'storage_blobs' not in fleet_fact({}, 'purge', plan=PLAN, apply=APPLY)['kinds']


def test_fleet_fact_of_a_failed_purge_records_the_failure_once():
    fact = fleet_fact({}, 'purge', plan=PLAN, apply={'failed': True, 'msg': 'HTTP 500'}, failure='  ws: Delete failed: HTTP 500 ')
    assert fact['failures'] == ['ws: Delete failed: HTTP 500'] and fact['deleted'] == 0
    # the playbook's rescue then sees the same message: not recorded twice
    again = fleet_fact(fact, 'purge', failure='HTTP 500', prefix='host1: ')
    assert again['failures'] == ['ws: Delete failed: HTTP 500']
    other = fleet_fact(None, 'purge', failure='refused', prefix='host1: ')
    assert other == {'deleted': 0, 'kinds': {}, 'failures': ['host1: refused']}


def test_fleet_fact_refuses_an_unknown_operation():
    with pytest.raises(AnsibleFilterError, match='operation must be export or purge'):
        fleet_fact({}, 'erase')


# -- fleet_summary -------------------------------------------------------------------------------------------------------

HOSTVARS = {
    'rg_a': {'gdpr_azureml_fleet': {'exported': 10, 'kinds': {'models': 10}, 'failures': []}, 'azureml_workspace_name': 'a',
             'azureml_subscription_id': 's', 'azureml_resource_group': 'rg'},
    'rg_long_host_name': {'gdpr_azureml_fleet': {'exported': 0, 'deleted': 2, 'kinds': {}, 'failures': 'one failure'}},
    'rg_c': {'azureml_workspace_id': '/subscriptions/s/x'},
}


def test_fleet_summary_rows_totals_and_operation():
    summary = fleet_summary(HOSTVARS, ['rg_a', 'rg_c', 'rg_long_host_name'], target='ws')
    assert summary['operation'] == 'export and purge' and summary['target'] == 'ws' and summary['format_version'] == 1
    assert summary['totals'] == {'workspaces': 3, 'ok': 1, 'failed': 1, 'not_reached': 1, 'exported': 10, 'deleted': 2}
    assert [r['status'] for r in summary['workspaces']] == ['ok', 'not reached', 'failed']
    assert summary['workspaces'][0] == {'host': 'rg_a', 'status': 'ok', 'exported': 10, 'deleted': None, 'kinds': {'models': 10},
                                        'failures': [], 'workspace_id': None, 'subscription_id': 's', 'resource_group': 'rg',
                                        'workspace_name': 'a'}
    assert summary['workspaces'][1]['failures'] == ['no result: the role did not finish on this host']
    assert summary['workspaces'][1]['workspace_id'] == '/subscriptions/s/x'
    assert summary['workspaces'][2]['failures'] == ['one failure']
    assert json.loads(json.dumps(summary)) == summary
    assert fleet_summary(HOSTVARS, ['rg_a'], operation='purge')['operation'] == 'purge'
    assert fleet_summary(HOSTVARS, ['rg_c'])['operation'] == 'workspaces'
    assert FleetSummary().filters() == {'fleet_summary': fleet_summary}


def test_fleet_summary_lines_are_a_table():
    lines = fleet_summary_lines(fleet_summary(HOSTVARS, ['rg_a', 'rg_c', 'rg_long_host_name'], operation='export'))
    assert lines == [
        'Fleet summary (export): 3 workspaces, 1 ok, 1 failed, 1 not reached; 10 objects exported, 2 deleted',
        'workspace          status       exported   deleted  failures',
        'rg_a               ok                 10         -  ',
        'rg_c               not reached         -         -  no result: the role did not finish on this host',
        'rg_long_host_name  failed              0         2  one failure',
    ]


# -- subject search ------------------------------------------------------------------------------------------------------

JANE = {'name': 'Jane Doe', 'email': 'jane@contoso.com', 'object_id': '0f8f'}
RESULT = {
    'bundle_dir': '/srv/x/ws', 'workspace': {'name': 'ws', 'id': '/subscriptions/s/ws'}, 'bundle': {'complete': True, 'problems': []},
    'summary': [{'subject': JANE, 'found': True, 'total': 3, 'counts': {'runs': 1, 'metrics': 2}},
                {'subject': {'upn': 'bob@contoso.com'}, 'found': False, 'total': 0, 'counts': {}}],
    'subjects': [
        {'subject': JANE, 'found': True, 'total': 3, 'counts': {'runs': 1, 'metrics': 2, 'models': 0},
         'objects': [{'kind': 'runs', 'id': 'r1', 'name': 'train', 'fields': ['userId'], 'created_by': True},
                     {'kind': 'metrics', 'id': 'm1', 'name': None, 'fields': ['runId'], 'created_by': False,
                      'via': {'kind': 'runs', 'id': 'r1'}, 'mentions': ['description']},
                     {'kind': 'metrics', 'id': 'm2', 'name': '', 'fields': ['runId'], 'created_by': False}]},
        {'subject': {'upn': 'bob@contoso.com'}, 'found': False, 'total': 0, 'counts': {}, 'objects': []}],
}


def test_subject_search_lines_of_one_workspace():
    assert subject_search_lines(RESULT, host='h', show_max=2, report=True) == [
        'Workspace ws (/subscriptions/s/ws)',
        '  Jane Doe, jane@contoso.com, object id 0f8f: 3 object(s): runs=1, metrics=2',
        '    runs r1 "train" [userId] (created by the subject)',
        '    metrics m1 [runId, mentioned in description] (of run r1)',
        '    ... and 1 more (all of them are in the report)',
        '  bob@contoso.com: not found',
    ]
    assert subject_search_lines(RESULT, show_max=5)[-2] == '    metrics m2 [runId]'


def test_subject_search_lines_of_identities_and_of_an_incomplete_bundle():
    result = {'bundle_dir': '/b', 'workspace': None, 'bundle': {'complete': False, 'problems': ['no manifest.json', 'x']},
              'identities': [{'object_id': '0f8f', 'names': ['Jane Doe'], 'total': 2, 'counts': {'runs': 2}},
                             {'address': 'bob@contoso.com', 'names': [], 'total': 1, 'counts': {'tasks': 1}},
                             {'name': 'Ann', 'names': ['Ann'], 'total': 1, 'counts': {'models': 1}}]}
    assert subject_search_lines(result, host='h') == [
        'Workspace h (/b) - INCOMPLETE bundle: no manifest.json; x',
        '  object id 0f8f (Jane Doe): 2 object(s): runs=2',
        '  bob@contoso.com: 1 object(s): tasks=1',
        '  Ann (Ann): 1 object(s): models=1',
    ]
    assert subject_search_lines(dict(result, identities=[]), host='h')[-1] == '  nobody appears in this workspace'


def test_subject_search_summary_and_its_lines():
    second = dict(RESULT, workspace={'id': 'ws2'}, bundle={'complete': False},
                  summary=[{'subject': JANE, 'found': True, 'total': 1, 'counts': {'runs': 1}},
                           {'subject': {'upn': 'bob@contoso.com'}, 'found': False, 'total': 0, 'counts': {}}])
    hostvars = {'h1': {'find_subject_result': RESULT}, 'h2': {'find_subject_result': second},
                'h3': {'find_subject_error': 'no bundle'}, 'h4': {}}
    summary = subject_search_summary(hostvars, ['h1', 'h2', 'h3', 'h4'], target='ws')
    assert summary['totals'] == {'workspaces': 4, 'searched': 2, 'not_searched': 2}
    assert summary['subjects'] == [
        {'subject': JANE, 'total': 4, 'workspaces': [
            {'host': 'h1', 'workspace': '/subscriptions/s/ws', 'total': 3, 'counts': {'runs': 1, 'metrics': 2}},
            {'host': 'h2', 'workspace': 'ws2', 'total': 1, 'counts': {'runs': 1}}]},
        {'subject': {'upn': 'bob@contoso.com'}, 'total': 0, 'workspaces': []}]
    rows = {r['host']: r for r in summary['workspaces']}
    assert rows['h3'] == {'host': 'h3', 'status': 'failed', 'error': 'no bundle', 'workspace': None, 'complete': False,
                          'summary': [], 'identities': []}
    assert rows['h4']['status'] == 'not reached' and rows['h4']['error'] == 'no result: the search did not run on this host'
    assert subject_search_summary_lines(summary) == [
        'Subject search: 4 workspace(s), 2 searched, 2 not searched',
        'Jane Doe, jane@contoso.com, object id 0f8f: 4 object(s) in 2 of 2 workspace(s) searched',
        '  h1: 3 (runs=1, metrics=2)',
        '  h2: 1 (runs=1)',
        'bob@contoso.com: 0 object(s) in 0 of 2 workspace(s) searched',
        'NOT SEARCHED h3: no bundle',
        'NOT SEARCHED h4: no result: the search did not run on this host',
        'INCOMPLETE bundle h2: the answer may miss objects',
    ]


def test_subject_search_summary_without_subjects_lists_who_appears():
    with_ids = {'bundle_dir': '/b', 'workspace': {'id': 'w'}, 'bundle': {'complete': True}, 'summary': [],
                'identities': [{'object_id': '0f8f', 'names': ['J'], 'total': 1, 'counts': {'runs': 1}},
                               {'address': 'a@b', 'names': [], 'total': 1, 'counts': {}}]}
    empty = dict(with_ids, identities=[])
    summary = subject_search_summary({'h1': {'find_subject_result': with_ids}, 'h2': {'find_subject_result': empty}}, ['h1', 'h2'])
    assert summary['workspaces'][0]['identities'] == [
        {'identity': 'object id 0f8f', 'names': ['J'], 'total': 1, 'counts': {'runs': 1}},
        {'identity': 'a@b', 'names': [], 'total': 1, 'counts': {}}]
    assert subject_search_summary_lines(summary)[1:] == ['  h1: object id 0f8f, a@b', '  h2: nobody']


# -- purge_summary_lines -------------------------------------------------------------------------------------------------

BEYOND = ('Beyond any purge (the collection cannot see or erase them; the report\'s "Not covered by this export" names the '
          "workspace's resources): Application Insights and Log Analytics, Notebooks and files of the workspace file share, "
          'Key Vault secrets, Container registry images, The Azure activity log, Feature stores (workspaces of kind '
          'featurestore), Serverless endpoints, People named inside data files.')


def test_purge_summary_lines_of_a_check_run():
    fleet = fleet_fact({}, 'purge', plan=PLAN, check_mode=True)
    lines = purge_summary_lines(PLAN, fleet=fleet, workspace_name='ws', apply={'skipped': True}, delete_workspace=True, check_mode=True)
    assert lines == [
        'Check mode: nothing was deleted. A real run would delete 3 object(s) of workspace ws: services 1, models 2, '
        'then the workspace itself.',
        'The workspace would be purged (permanently deleted), with everything it holds.',
        BEYOND,
    ]


def test_purge_summary_lines_of_a_real_run():
    plan = dict(PLAN, appeared_since={'models': ['m9', 'm8']})
    fleet = fleet_fact({}, 'purge', plan=plan, apply=APPLY, workspace={'changed': True})
    lines = purge_summary_lines(plan, fleet=fleet, workspace_name='ws', apply=APPLY, delete_workspace=True, audit_log='/srv/x/audit/ws.jsonl')
    assert lines == [
        'Deleted 3 object(s) of workspace ws: services 1, models 2.',
        'Listed again after the deletions, remaining: services 0, models 0.',
        'Audit log (keep it): /srv/x/audit/ws.jsonl',
        '2 models appeared after the reviewed plan and were kept.',
        'The workspace is purged (permanently deleted), with everything it held: run history, metrics, artifacts, datastores, '
        'computes, notification tasks, pipeline objects.',
        BEYOND,
    ]
    nothing = purge_summary_lines(dict(PLAN, plan=dict(PLAN['plan'], workspace_delete={'permanent': False})),
                                  fleet={'deleted': 0, 'kinds': {}}, workspace_name='ws', apply={'remaining': {}}, delete_workspace=True)
    assert nothing[:2] == ['Deleted 0 object(s) of workspace ws.', 'Listed again after the deletions, remaining: nothing.']
    assert nothing[-1] == BEYOND and nothing[-2].startswith('The workspace is soft-deleted: Azure keeps its data')
    kept = purge_summary_lines(PLAN, fleet={'deleted': 0, 'kinds': {}}, workspace_name='ws')
    assert kept[-2].startswith('Not deleted, because the documented API cannot delete them one by one: run history')


# -- playbooks and roles are declarative ---------------------------------------------------------------------------------

def test_playbooks_and_roles_hold_no_jinja_loops_or_accumulators():
    banned = re.compile(r'\{%-? *for|namespace\(|\.append\(')
    found = [f'{path.relative_to(ROOT)}:{n}: {line.strip()}'
             for folder in ('playbooks', 'roles') for path in sorted((ROOT / folder).rglob('*')) if path.is_file()
             for n, line in enumerate(path.read_text(encoding='utf-8', errors='replace').splitlines(), 1) if banned.search(line)]
    assert (ROOT / 'playbooks').is_dir() and (ROOT / 'roles').is_dir()
    assert found == [], 'controller-side logic belongs in a filter plugin (plugins/filter):\n' + '\n'.join(found)
