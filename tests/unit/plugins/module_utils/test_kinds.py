"""The kinds table (``_kinds``): its invariants, what is checked against it (role defaults and argument specs, module
documentation, the docs' kind tables), and a new kind handled with no other edit (export, purge plan, subject index,
report)."""
import json
import os
import re
import sys
from types import SimpleNamespace

import pytest
import yaml

from ansible_collections.gdpr.azureml.plugins.module_utils import _export, _kinds, _purge_plan, _report, _routes, _subjects
from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import sha256_file, write_json_array
from ansible_collections.gdpr.azureml.plugins.modules import export_bundle, purge_plan
from unit_helpers import table_rows

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
KINDS = _kinds.KINDS
API = [KINDS[name] for name in _kinds.KIND_NAMES]


def read(*parts):
    with open(os.path.join(ROOT, *parts), encoding='utf-8') as f:
        return f.read()


def read_yaml(*parts):
    return yaml.safe_load(read(*parts))


# -- the table's invariants -----------------------------------------------------------------------------------------------

def test_every_operation_is_a_route_of_both_api_profiles():
    for kind in API:
        for op in (kind.list_op, kind.get_op, kind.delete_op):
            if op:
                assert op in _routes.DOCUMENTED and op in _routes.CURRENT, (kind.name, op)


def test_parents_and_how_children_are_listed():
    for kind in API:
        if kind.parent is None:
            assert not kind.under, kind.name
            continue
        assert kind.parent in _kinds.KIND_NAMES and kind.list_op and kind.under, kind.name
        assert _kinds.KIND_NAMES.index(kind.parent) < _kinds.KIND_NAMES.index(kind.name), 'a parent comes first in the bundle'
        assert kind.lister is None or kind.lister in _export.Collector.LISTERS
    assert _kinds.CHILDREN['experiments'] == ('runs', 'metrics')
    assert _kinds.descendants('experiments') == ['runs', 'metrics_v2', 'artifacts', 'metrics']
    assert [_kinds.depth(k) for k in ('experiments', 'runs', 'artifacts')] == [0, 1, 2]


def test_delete_order_puts_holders_first():
    assert _kinds.DELETABLE_KINDS == (
        'schedules', 'online_deployments', 'batch_deployments', 'online_endpoints', 'batch_endpoints', 'services', 'images', 'jobs',
        'experiments', 'models', 'assets', 'data_versions', 'model_versions', 'environment_versions', 'component_versions', 'code_versions',
        'data_containers', 'model_containers', 'environment_containers', 'component_containers', 'code_containers',
        'connections', 'datastores', 'computes')
    assert 'registries' not in _kinds.DELETABLE_KINDS
    for kind in API:  # what is listed under an object goes before it (versions before containers, deployments before endpoints)
        if kind.parent and kind.delete_order is not None:
            assert KINDS[kind.parent].delete_order is not None and kind.delete_order < KINDS[kind.parent].delete_order, kind.name
    assert _kinds.HOLDER_KINDS == {'images': ('services',), 'models': ('images', 'services')}
    order = _kinds.DELETABLE_KINDS
    for held, holders in _kinds.HOLDER_KINDS.items():
        assert all(order.index(h) < order.index(held) for h in holders), held
    for kind in API:
        for ref, path in kind.refs:
            assert ref in order, f'{kind.name} holds {ref}, which cannot be deleted'


def test_each_kind_waits_only_for_the_kinds_it_must_follow():
    after = _kinds.DELETE_AFTER
    assert after['images'] == ('services',) and after['models'] == ('services', 'images')  # holders (412)
    assert after['online_endpoints'] == ('online_deployments',) and 'data_versions' in after['data_containers']  # children
    assert after['jobs'] == ('schedules',)  # schedules keep creating jobs (creates)
    assert after['experiments'] == ('schedules', 'jobs')  # left empty of runs: their jobs (empty_of, same_as), through the jobs
    # the v1 view of the same objects (same_as), and what may use them
    assert after['model_versions'] == ('schedules', 'online_deployments', 'batch_deployments', 'services', 'images', 'jobs', 'models')
    assert after['model_containers'] == after['model_versions'] + ('model_versions',)
    for name in ('schedules', 'online_deployments', 'services'):
        assert after[name] == (), name
    # kept after what may use them (after): no known refusal, the documented order all the same
    assert after['assets'] == ('services', 'images')
    assert after['data_versions'] == ('schedules', 'online_deployments', 'batch_deployments', 'jobs')
    for name in ('connections', 'datastores', 'computes'):  # shared infrastructure: after everything the purge takes by default
        assert after[name] == _kinds.PURGE_DEFAULT, name
    order = _kinds.DELETABLE_KINDS
    for name, before in after.items():
        assert all(order.index(b) < order.index(name) for b in before), name


def test_creates_and_after_name_deletable_kinds():
    odd = _kinds.Kind('odd', 'id', list_op='images.list', delete_op='images.delete', delete_order=0, after=('runs',))
    with pytest.raises(ValueError, match='kind odd names runs in creates or after, which is not a deletable kind'):
        _kinds.derive(_kinds._TABLE + (odd,))


def test_a_delete_order_that_puts_a_kind_before_what_it_must_follow_is_refused():
    early = _kinds.Kind('early_images', 'id', list_op='images.list', delete_op='images.delete', delete_order=0,
                        refs=(('models', 'modelIds[]'),))
    late = _kinds.Kind('late_holders', 'id', list_op='services.list', delete_op='services.delete', delete_order=99,
                       refs=(('early_images', 'imageId'),))
    with pytest.raises(ValueError, match='kind early_images must be deleted after late_holders: its delete_order is too early'):
        _kinds.derive(_kinds._TABLE + (early, late))


def test_derived_lists_are_the_ones_the_collection_had():
    """The constants that used to be written out by hand, derived now (same values, same order)."""
    assert _kinds.SINGULAR['models'] == 'model' and _kinds.SINGULAR['workspace'] == 'workspace'
    assert _kinds.CREATOR_KINDS == ('computes', 'models', 'images', 'services', 'jobs', 'model_versions')
    assert _kinds.HOLDING_KINDS == ('images', 'services')
    # every deletable kind but the shared infrastructure and the secrets' holders (named explicitly to be purged)
    assert _kinds.PURGE_DEFAULT == tuple(k for k in _kinds.DELETABLE_KINDS if k not in ('connections', 'datastores', 'computes'))
    assert _kinds.EXPORT_DEFAULT == _kinds.KIND_NAMES
    assert _kinds.NOT_DELETABLE == ('runs', 'metrics', 'metrics_v2', 'artifacts', 'tasks', 'pipeline objects')
    # one store, two views: a job is the run of the same id, a v2 model version the v1 model name:version
    assert _kinds.SAME_AS == {'jobs': 'runs', 'model_versions': 'models'}
    assert set(_kinds.CREATOR_FIELDS) == {'createdBy', 'userId', 'systemData.createdBy', 'properties.properties.createdBy',
                                          'properties.properties.personalComputeInstanceSettings.assignedUser'}


def test_creator_ids_are_creator_fields():
    for kind in API:
        for path in kind.creator_ids:
            assert any(path == f or path.startswith(f + '.') for f in kind.creator_fields), (kind.name, path)


def test_references_come_from_the_declarations():
    assert _kinds.references('images', {'modelIds': ['m1', '', 'm2']}) == [('models', 'm1'), ('models', 'm2')]
    assert _kinds.references('services', {'imageId': 'i', 'models': [{'id': 'm1'}, 'm2', {}]}) == [
        ('images', 'i'), ('models', 'm1'), ('models', 'm2')]
    assert _kinds.references('models', {'id': 'm'}) == [] and _kinds.references('services', None) == []
    assert _kinds.field_values({'createdBy': 'x'}, 'createdBy.userObjectId') == []  # strict: a name is not a record


# -- what cannot import Python, checked against the table ----------------------------------------------------------------

def test_export_role_defaults_and_argument_spec():
    assert read_yaml('roles', 'export_workspace_data', 'defaults', 'main.yml')['export_workspace_data_kinds'] == list(
        _kinds.EXPORT_DEFAULT)
    spec = read_yaml('roles', 'export_workspace_data', 'meta', 'argument_specs.yml')
    option = spec['argument_specs']['main']['options']['export_workspace_data_kinds']
    assert option['choices'] == list(_kinds.KIND_NAMES)
    assert option['default'] == list(_kinds.EXPORT_DEFAULT)


def test_purge_role_defaults_and_argument_spec():
    """Any order (the purge deletes in the table's delete order): the same kinds."""
    assert sorted(read_yaml('roles', 'purge_workspace', 'defaults', 'main.yml')['purge_workspace_kinds']) == sorted(
        _kinds.PURGE_DEFAULT)
    option = read_yaml('roles', 'purge_workspace', 'meta', 'argument_specs.yml')['argument_specs']['main']['options'][
        'purge_workspace_kinds']
    assert sorted(option['choices']) == sorted(_kinds.DELETABLE_KINDS)
    assert sorted(option['default']) == sorted(_kinds.PURGE_DEFAULT)
    order = ', '.join(_kinds.DELETABLE_KINDS[:-1]) + ' and ' + _kinds.DELETABLE_KINDS[-1]
    assert order in ' '.join(option['description'] if isinstance(option['description'], list) else [option['description']]) \
        or ', '.join(_kinds.DELETABLE_KINDS) in str(option['description'])


def test_module_documentation_and_argument_specs():
    doc = yaml.safe_load(export_bundle.DOCUMENTATION)['options']['kinds']
    assert doc['choices'] == list(_kinds.KIND_NAMES) and doc['default'] == list(_kinds.EXPORT_DEFAULT)
    doc = yaml.safe_load(purge_plan.DOCUMENTATION)['options']['kinds']
    assert doc['choices'] == list(_kinds.DELETABLE_KINDS) and doc['default'] == list(_kinds.PURGE_DEFAULT)
    assert ', '.join(_kinds.DELETABLE_KINDS) in ' '.join(doc['description'])
    spec = _purge_plan.plan_argument_spec()['kinds']
    assert spec['choices'] == list(_kinds.DELETABLE_KINDS) and spec['default'] == list(_kinds.PURGE_DEFAULT)


def row_kinds(cell):
    """The kinds a first cell names: `a` / `b` lists, `a` … `b` a range of the table."""
    names = re.findall(r'`([a-z_0-9]+)`', cell)
    if '…' in cell:
        first, last = _kinds.KIND_NAMES.index(names[0]), _kinds.KIND_NAMES.index(names[-1])
        return list(_kinds.KIND_NAMES[first:last + 1])
    return names


def check_kind_table(rows, file_col, id_col):
    seen = []
    for row in rows:
        names = row_kinds(row[0])
        seen += names
        for name in names:
            kind = KINDS[name]
            if len(names) == 1:
                assert row[file_col] == f'`{kind.file}`', row
            assert re.match(r'`%s`' % re.escape(kind.id_field), row[id_col]), row
    assert seen == list(_kinds.KIND_NAMES)
    return {name: row for row in rows for name in row_kinds(row[0])}


def test_architecture_kinds_table():
    rows = check_kind_table(table_rows(read('docs', 'architecture.md'), '## Kinds, files and ids'), 1, 2)
    for name, row in rows.items():
        kind = KINDS[name]
        listed_by = re.sub(r'<x>', kind.pipeline_kind or '', row[3])
        assert (kind.list_op or kind.get_op).split('.')[1] in listed_by or kind.pipeline_kind, row
        assert row[4] == (f'`{kind.delete_op}`' if kind.delete_op else 'no'), row


def test_export_kinds_table():
    rows = check_kind_table(table_rows(read('docs', 'export.md'), '| kind | file | id field (sort key) |'), 1, 2)
    for name, row in rows.items():
        assert row[4] == KINDS[name].scope, row


def test_purge_names_every_kind_a_workspace_delete_lists():
    text = ' '.join(read('docs', 'purge.md').split())
    listed = [k.name for k in API if k.list_op and k.name != 'workspace' and k.scope == 'all']
    assert 'The plan lists **every kind that can be listed** again (' + ', '.join(listed) + ', and the workspace itself)' in text


def test_subjects_creator_table():
    """docs/subjects.md names, per kind, the fields that name people: the creator fields of the table, or 'through their
    run' for the kinds that belong to a run, or 'no user field' for the kinds that have none."""
    rows = table_rows(read('docs', 'subjects.md'), '| kind | fields (JSON paths as the index reports them) |')
    seen = []
    for row in rows:
        names = [n.strip() for n in re.sub(r'\(.*?\)', '', row[0]).split(',')]
        kinds = [k.name for k in API if k.group == names[0]] if names == ['pipeline objects'] else names
        seen += kinds
        for name in kinds:
            kind = KINDS[name]
            if 'through their run' in row[1]:
                assert kind.run_field and not kind.creator_fields, name
            elif 'no user field' in row[1]:
                assert not kind.creator_fields and not kind.run_field, name
            else:
                fields = re.findall(r'`([A-Za-z.]+)', row[1])
                for creator in kind.creator_fields:
                    assert any(f == creator or f.startswith(creator + '.') for f in fields), (name, creator, row)
    assert sorted(seen) == sorted(_kinds.KIND_NAMES)


# -- a new kind, with no other edit -------------------------------------------------------------------------------------

ANNA = '11111111-1111-4111-8111-111111111111'
BO = '22222222-2222-4222-8222-222222222222'
TENANT = '99999999-9999-4999-8999-999999999999'

# One declaration each: a deletable kind that holds models, and a kind listed under each run.
WIDGETS = _kinds.Kind('widgets', 'id', singular='widget', list_op='widgets.list', get_op='widgets.get', delete_op='widgets.delete',
                      delete_order=0, refs=(('models', 'parts[].modelId'),), creator_fields=('createdBy',),
                      creator_ids=('createdBy.userObjectId',))
NOTES = _kinds.Kind('run_notes', 'noteId', singular='run note', plural='run notes', list_op='run_notes.list', parent='runs',
                    under={'run_id': 'runId'}, run_field='runId')


@pytest.fixture
def new_kinds(monkeypatch):
    """The collection as it would load with WIDGETS and NOTES declared in ``_kinds._TABLE``: every constant derived again
    from the longer table, wherever a module of the collection imported it."""
    table = _kinds._TABLE + (WIDGETS, NOTES)
    derived = _kinds.derive(table, _kinds._STORAGE_TABLE)
    monkeypatch.setattr(_kinds, '_TABLE', table)
    for module in list(sys.modules.values()):
        if getattr(module, '__name__', '').startswith('ansible_collections.gdpr.azureml.plugins'):
            for name, value in derived.items():
                if getattr(module, name, None) is _kinds._DERIVED[name]:
                    monkeypatch.setattr(module, name, value)
    monkeypatch.setattr(_kinds, '_DERIVED', derived)
    return derived


def user(oid, name):
    return {'userObjectId': oid, 'userTenantId': TENANT, 'userName': name}


SERVICE = {
    'experiments.list': [{'experimentId': 'x1', 'name': 'exp'}],
    'runs.list': [{'runId': 'r1', 'experimentId': 'x1', 'createdBy': user(ANNA, 'Anna'), 'userId': ANNA},
                  {'runId': 'r2', 'experimentId': 'x1', 'createdBy': user(BO, 'Bo'), 'userId': BO}],
    'run_notes.list': {'r1': [{'noteId': 'n1', 'runId': 'r1', 'text': 'first'}], 'r2': [{'noteId': 'n2', 'runId': 'r2'}]},
    'widgets.list': [{'id': 'w1', 'createdBy': user(ANNA, 'Anna'), 'parts': [{'modelId': 'm1:1'}]},
                     {'id': 'w2', 'createdBy': user(BO, 'Bo'), 'parts': [{'modelId': 'm2:1'}]}],
    'models.list': [{'id': 'm1:1', 'createdBy': user(ANNA, 'Anna')}, {'id': 'm2:1', 'createdBy': user(ANNA, 'Anna')}],
    'images.list': [], 'services.list': [], 'assets.list': [],
    # the v2 kinds the default purge lists: none in this workspace
    **{_kinds.KINDS[k].list_op: [] for k in _kinds.PURGE_DEFAULT if _kinds.KINDS[k].api == 'v2'},
}


class FakeClient:
    """What the export and the purge plan ask of ``_client.Client``, from :data:`SERVICE` (no route, no HTTP)."""

    concurrency = 2

    def __init__(self):
        self.calls = []

    def params(self):
        return {'resource_group': 'rg', 'workspace_name': 'ws'}

    def iter_items(self, op, params=None, *, what=None, query=None, body=None):
        self.calls.append((op, params))
        items = SERVICE[op]
        return iter(items[params['run_id']] if isinstance(items, dict) else items)

    def list_items(self, op, params=None, **kwargs):
        return list(self.iter_items(op, params, **kwargs))

    def map_concurrent(self, fn, items):
        return [fn(item) for item in items]

    def get_json(self, op, params=None, *, what=None, query=None, missing_ok=False):
        assert op == 'workspaces.get'
        return {'id': '/subscriptions/0/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws'}


class ListSink:
    def __init__(self):
        self.items = []

    def put(self, item):
        self.items.append(item)


def test_a_new_kind_is_exported(new_kinds):
    """The export lists the new root kind once and the new child kind under each run (derived from parent and under)."""
    client = FakeClient()
    sinks = {name: ListSink() for name in ('run_notes', 'widgets')}
    scheduler = _export.Scheduler(2)
    _export.start_kinds(_export.Collector(client, scheduler, sinks), _export.ordered_kinds(['widgets', 'run_notes']))
    scheduler.run()
    assert _export.ordered_kinds(['run_notes', 'widgets', 'workspace'])[-2:] == ['widgets', 'run_notes']
    assert sorted(n['noteId'] for n in sinks['run_notes'].items) == ['n1', 'n2']
    assert [w['id'] for w in sinks['widgets'].items] == ['w1', 'w2']
    assert [c[0] for c in client.calls].count('runs.list') == 1  # walked for its children, not kept
    assert sorted(params['run_id'] for op, params in client.calls if op == 'run_notes.list') == ['r1', 'r2']
    # export_bundle's choices and default, read from the table when the module runs
    assert export_bundle.KIND_NAMES[-2:] == ('widgets', 'run_notes') and export_bundle.EXPORT_DEFAULT == export_bundle.KIND_NAMES


def plan_module(**params):
    ws = SimpleNamespace(id='/subscriptions/0/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws',
                         workspace_name='ws', resource_group='rg', subscription_id='0')
    p = {'kinds': list(_kinds.PURGE_DEFAULT), 'confirm': None, 'export_dir': None, 'audit_log': None, 'delete_workspace': False,
         'require_export': False, 'max_deletions': 100, 'show_max': 100, 'plan_file': None, 'subjects': None, 'storage': False,
         'play_workspaces': None, 'allow_soft_delete': False, 'fail_on_refusal': False}
    p.update(params)
    warnings = []
    return SimpleNamespace(params=p, client=FakeClient(), workspace=ws, check_mode=True, diff_mode=True, warn=warnings.append)


def test_a_new_kind_in_the_purge_plan(new_kinds):
    """The new kind is deletable in its declared order, it holds models (the plan refuses to delete a held model), and a
    purge by subject selects what the subject created of it."""
    assert _kinds.DELETABLE_KINDS[0] == 'widgets' and _kinds.HOLDER_KINDS['models'] == ('images', 'services', 'widgets')
    plan = _purge_plan._plan(plan_module(kinds=['models']))
    assert plan['plan']['kinds'] == ['models']
    assert plan['refusals'] and 'model m1:1 is used by widget w1' in plan['refusals'][0]
    plan = _purge_plan._plan(plan_module())
    assert plan['plan']['kinds'][0] == 'widgets' and plan['refusals'] == []
    assert plan['diff']['before']['widgets'] == ['w1', 'w2']
    plan = _purge_plan._plan(plan_module(subjects=[ANNA]))
    assert plan['diff']['before']['widgets'] == ['w1']
    assert plan['diff']['before']['models'] == ['m1:1']  # m2:1 is kept: Bo's widget w2 holds it
    assert plan['held'] == {'models': {'m2:1': ['widget w2']}}


def make_bundle(folder):
    kinds = {}
    for name, items in (('runs', SERVICE['runs.list']), ('widgets', SERVICE['widgets.list']),
                        ('run_notes', SERVICE['run_notes.list']['r1'] + SERVICE['run_notes.list']['r2'])):
        path = os.path.join(folder, _kinds.KINDS[name].file)
        write_json_array(path, items, _kinds.KINDS[name].id_field)
        kinds[name] = {'file': os.path.basename(path), 'count': len(items), 'sha256': sha256_file(path), 'scope': 'all'}
    manifest = {'format_version': 1, 'collection_version': '1.0.0', 'started': '2026-01-01T00:00:00Z',
                'finished': '2026-01-01T00:00:01Z', 'workspace': {'id': 'ws-id', 'name': 'ws'}, 'kinds': kinds}
    with open(os.path.join(folder, 'manifest.json'), 'w', encoding='utf-8') as f:
        json.dump(manifest, f)
    return str(folder)


def test_a_new_kind_in_the_subject_index_and_the_report(new_kinds, tmp_path):
    bundle = make_bundle(tmp_path)
    index = _subjects.build_index(bundle, [ANNA], identities=True)
    found = {(o['kind'], o['id']): o for o in index['subjects'][0]['objects']}
    assert found[('widgets', 'w1')]['created_by'] is True  # its creator field
    assert found[('run_notes', 'n1')]['via'] == {'kind': 'runs', 'id': 'r1'}  # through its run (run_field)
    assert ('run_notes', 'n2') not in found and ('widgets', 'w2') not in found
    assert index['bundle']['kinds'] == ['runs', 'widgets', 'run_notes']  # the table's order
    report = _report.build_report(bundle)
    assert [(k['kind'], k['deletable']) for k in report['kinds']] == [('runs', False), ('widgets', True), ('run_notes', False)]
    people = {p['object_id']: p['counts'] for p in report['people']}
    assert people[ANNA] == {'runs': 1, 'widgets': 1, 'run_notes': 1}
    markdown = _report.render_markdown(dict(report, purge={'log': 'a', 'deletions': [], 'by_kind': {}, 'verified': [],
                                                           'deleted': 0, 'failed': 0, 'unknown': 0, 'missing': True}))
    assert b'tasks, pipeline objects, run_notes: deleting the workspace is the remedy' in markdown
