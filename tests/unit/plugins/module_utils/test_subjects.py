"""The subject index (_subjects): parsing, matching, the index of hand-made bundles, writing it, purge selection."""
import json
import os
import stat
import unicodedata

import pytest

from ansible_collections.gdpr.azureml.plugins.module_utils import _subjects as S
from ansible_collections.gdpr.azureml.plugins.module_utils._bundle import BundleError
from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import sha256_file, write_json_array
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import KINDS

TENANT = '00000000-0000-4000-8000-0000000000aa'
OTHER_TENANT = '11111111-0000-4000-8000-0000000000bb'
ANNA = 'f74592bd-cec8-4762-af28-9157799b9787'
BJORN = 'd8fffd51-4981-4ae8-b43d-de7f71b1b2d8'
DMITRI = '3d1c879a-20a6-4fbc-9c07-e5d9595802c9'
WS_ID = '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws'


def rh_user(oid, name, tenant=TENANT):
    return {'userObjectId': oid, 'userTenantId': tenant, 'userName': name}


def sdk_user(oid, name, tenant=TENANT):
    return {'userObjectId': oid, 'userPuId': 'ABC', 'userIdp': '', 'userAltSecId': '', 'userIss': f'https://sts.windows.net/{tenant}/',
            'userTenantId': tenant, 'userName': name}


ANNA_RH, BJORN_RH = rh_user(ANNA, 'Anna Svensson'), rh_user(BJORN, 'Björn Ødegård')
MODEL_BY_BJORN = {'id': 'churn:1', 'name': 'churn', 'kvTags': {'team': 'analytics'}, 'properties': {}, 'createdBy': sdk_user(BJORN, 'Björn Ødegård')}


def demo_objects():
    """A small workspace: Anna and Björn create runs, models, images; Dmitri is a guest named only by address."""
    return {
        'workspace': [{'id': WS_ID, 'name': 'ws', 'tags': {'owner': 'sp', 'costCenter': '4711'},
                       'identity': {'principalId': '99999999-0000-4000-8000-000000000000', 'tenantId': TENANT, 'type': 'SystemAssigned'}}],
        'experiments': [{'experimentId': 'e1', 'name': 'churn', 'latestCreatedRunId': 'r1', 'tags': {}}],
        'runs': [
            {'runId': 'r1', 'name': 'churn #1', 'createdBy': ANNA_RH, 'userId': ANNA, 'tags': {'owner': 'Anna.Svensson@Contoso.example'},
             'properties': {'_azureml.ComputeTargetType': 'amlcompute'}, 'description': 'Run 1 by Anna Svensson'},
            {'runId': 'r2', 'name': 'churn #2', 'createdBy': BJORN_RH, 'userId': BJORN, 'tags': {}},
        ],
        'metrics': [{'metricId': 'm1', 'runId': 'r1', 'name': 'accuracy'}, {'metricId': 'm2', 'runId': 'r2', 'name': 'accuracy'}],
        'artifacts': [
            {'artifactId': 'ExperimentRun/r1/outputs/model.pkl', 'origin': 'ExperimentRun', 'container': 'r1', 'path': 'outputs/model.pkl'},
            {'artifactId': 'ExperimentRun/r2/outputs/model.pkl', 'origin': 'ExperimentRun', 'container': 'r2', 'path': 'outputs/model.pkl'},
        ],
        'tasks': [{'id': 't1', 'name': 'Notify', 'createdBy': BJORN_RH, 'runId': 'r1',
                   'recipients': [{'displayName': 'Dmitri Ivanov', 'emailAddress': 'dmitri.ivanov@fabrikam.example'}]}],
        'datastores': [{'name': 'pg', 'azurePostgreSqlSection': {'userId': 'mladmin', 'serverName': 'pg1'}, 'tags': {}}],
        'models': [dict(MODEL_BY_BJORN), {'id': 'free:1', 'name': 'free', 'createdBy': sdk_user(ANNA.upper(), 'Anna Svensson')}],
        'assets': [{'id': 'a1', 'name': 'asset-0', 'runid': 'r1', 'kvTags': {}}],
        'images': [{'id': 'img:1', 'name': 'img', 'createdBy': sdk_user(ANNA, 'Anna Svensson'), 'modelIds': ['churn:1'],
                    'modelDetails': [dict(MODEL_BY_BJORN)]}],
        'services': [{'id': 'svc', 'name': 'svc', 'imageId': 'img:1', 'models': [dict(MODEL_BY_BJORN)],
                      'kvTags': {'owner': 'dmitri.ivanov_fabrikam.example#EXT#@contoso.example'}, 'properties': {'contact': 'ANNA.SVENSSON@contoso.example'},
                      'createdBy': sdk_user(BJORN, 'Björn Ødegård')}],
    }


def make_bundle(folder, objects=None, manifest=True):
    """A bundle as the export writes it: one _jsonfile array per kind, then manifest.json with sha256s."""
    objects = demo_objects() if objects is None else objects
    os.makedirs(folder, exist_ok=True)
    kinds = {}
    for name, items in objects.items():
        path = os.path.join(folder, KINDS[name].file)
        write_json_array(path, items, KINDS[name].id_field)
        kinds[name] = {'file': KINDS[name].file, 'count': len(items), 'sha256': sha256_file(path), 'scope': 'all'}
    if manifest:
        doc = {'format_version': 1, 'collection_version': '1.0.0', 'started': 'x', 'finished': 'y', 'kinds': kinds,
               'workspace': {'id': WS_ID, 'name': 'ws', 'resource_group': 'rg', 'subscription_id': '00000000-0000-4000-8000-000000000001',
                             'location': 'westeurope'}}
        with open(os.path.join(folder, 'manifest.json'), 'w', encoding='utf-8') as f:
            json.dump(doc, f)
    return str(folder)


@pytest.fixture
def bundle(tmp_path):
    return make_bundle(tmp_path / 'bundle')


def found(index, n=0):
    return {(o['kind'], o['id']): o for o in index['subjects'][n]['objects']}


# -- subjects ---------------------------------------------------------------------------------------------------------------

def test_strings_are_object_ids_addresses_or_names():
    assert S.parse_subject(' ' + ANNA.upper() + ' ') == {'object_id': ANNA}
    assert S.parse_subject('Jane.Doe@Contoso.com') == {'email': 'Jane.Doe@Contoso.com'}
    assert S.parse_subject('Jane Doe') == {'name': 'Jane Doe'}


def test_dict_subjects_are_validated_and_normalised():
    assert S.parse_subject({'object_id': ANNA.upper(), 'tenant_id': TENANT.upper(), 'upn': 'a@b.c', 'email': None}) == {
        'object_id': ANNA, 'tenant_id': TENANT, 'upn': 'a@b.c'}
    cases = [
        ({'oid': ANNA}, r'unknown key\(s\) oid'),
        ({'object_id': 'not-a-guid'}, 'object_id must be a GUID'),
        ({'tenant_id': TENANT}, 'needs at least one of object_id, upn, email, name'),
        ({'email': 'no-at-sign'}, 'email must hold an @'),
        ({'name': ''}, 'name must be a non-empty string'),
        ({'name': 3}, 'name must be a non-empty string'),
        ('   ', 'is empty'),
        (42, 'must be a string or a dict'),
    ]
    for value, message in cases:
        with pytest.raises(S.SubjectError, match=message):
            S.parse_subject(value, 2)
    with pytest.raises(S.SubjectError, match=r'subjects\[2\]'):
        S.parse_subject({'oid': 1}, 2)


def test_identical_subjects_are_kept_once():
    assert S.parse_subjects([ANNA, ANNA.upper(), {'object_id': ANNA}, 'x@y.z']) == [{'object_id': ANNA}, {'email': 'x@y.z'}]


# -- matching ---------------------------------------------------------------------------------------------------------------

def test_guids_match_case_insensitively_and_names_after_nfc_and_casefold():
    m = S.SubjectMatcher([{'object_id': ANNA}, {'name': 'Björn Ødegård'}, {'email': 'Straße@Example.com'}])
    assert m.exact(ANNA.upper()) == {0}
    assert m.exact(unicodedata.normalize('NFD', 'BJÖRN ØDEGÅRD')) == {1}
    assert m.exact('STRASSE@example.COM') == {2}  # casefold: ß == ss
    assert m.exact('Björn') == set() and m.exact('') == set()
    assert m.mentions('made by björn ødegård') == set()  # only with contains


def test_an_address_matches_its_guest_upn():
    m = S.SubjectMatcher([{'email': 'Dmitri.Ivanov@fabrikam.example'}])
    assert m.exact('dmitri.ivanov_fabrikam.example#EXT#@contoso.onmicrosoft.com') == {0}
    assert m.exact('xdmitri.ivanov_fabrikam.example#EXT#@contoso.onmicrosoft.com') == set()


def test_tenant_id_narrows_ids_and_names_in_user_records_only():
    m = S.SubjectMatcher([{'object_id': ANNA, 'name': 'Anna', 'email': 'a@b.c', 'tenant_id': TENANT}])
    assert m.exact(ANNA, tenant=TENANT.upper()) == {0}
    assert m.exact(ANNA, tenant=OTHER_TENANT) == set()
    assert m.exact('anna', tenant=OTHER_TENANT) == set()
    assert m.exact('a@b.c', tenant=OTHER_TENANT) == {0}  # an address is an address in any tenant
    assert m.exact(ANNA) == {0}  # no tenant around it (a tag)


def test_contains_reports_free_text_mentions():
    m = S.SubjectMatcher([{'email': 'anna@contoso.com', 'name': 'Al'}], contains=True)
    assert m.mentions('Contact ANNA@contoso.com for access') == {0}
    assert m.mentions('anna@contoso.com') == set()  # an exact match is not a mention
    assert m.mentions('Alpha') == set()  # identifiers shorter than 3 characters only match exactly


def test_paths_quote_keys_that_are_not_identifiers():
    assert S.format_path(('modelDetails', 0, 'createdBy', 'userName')) == 'modelDetails[0].createdBy.userName'
    assert S.format_path(('properties', '_azureml.ComputeTargetType')) == 'properties["_azureml.ComputeTargetType"]'
    assert S.format_path(('tags', 'owner e-mail')) == 'tags["owner e-mail"]'
    assert S.pattern_path(('recipients', 3, 'emailAddress')) == 'recipients[].emailAddress'
    assert S.pattern_path(('a', 0, 1)) == 'a[][]'


# -- the index --------------------------------------------------------------------------------------------------------------

def test_index_of_one_subject_names_every_object_and_field(bundle):
    index = S.build_index(bundle, [{'object_id': ANNA.upper(), 'email': 'anna.svensson@contoso.example', 'name': 'Anna Svensson'}])
    assert 'identities' not in index  # one person's answer does not list the others
    objects = found(index)
    # the object id matched everywhere but in the service, whose properties name the person by address only
    assert {key: o.pop('evidence') for key, o in objects.items()} == dict.fromkeys(objects, 'precise') | {
        ('services', 'svc'): 'address'}
    assert objects == {
        ('runs', 'r1'): {'kind': 'runs', 'id': 'r1', 'name': 'churn #1', 'created_by': True,
                         'fields': ['createdBy.userName', 'createdBy.userObjectId', 'tags.owner', 'userId']},
        ('metrics', 'm1'): {'kind': 'metrics', 'id': 'm1', 'name': 'accuracy', 'created_by': False, 'fields': ['runId'],
                            'via': {'kind': 'runs', 'id': 'r1'}},
        ('artifacts', 'ExperimentRun/r1/outputs/model.pkl'): {
            'kind': 'artifacts', 'id': 'ExperimentRun/r1/outputs/model.pkl', 'name': 'outputs/model.pkl', 'created_by': False,
            'fields': ['container'], 'via': {'kind': 'runs', 'id': 'r1'}},
        ('models', 'free:1'): {'kind': 'models', 'id': 'free:1', 'name': 'free', 'created_by': True,
                               'fields': ['createdBy.userName', 'createdBy.userObjectId']},
        ('images', 'img:1'): {'kind': 'images', 'id': 'img:1', 'name': 'img', 'created_by': True,
                              'fields': ['createdBy.userName', 'createdBy.userObjectId']},
        ('services', 'svc'): {'kind': 'services', 'id': 'svc', 'name': 'svc', 'created_by': False, 'fields': ['properties.contact']},
    }
    entry = index['subjects'][0]
    assert entry['found'] is True and entry['total'] == 6
    assert entry['counts'] == {'workspace': 0, 'experiments': 0, 'runs': 1, 'metrics': 1, 'artifacts': 1, 'tasks': 0, 'datastores': 0,
                               'models': 1, 'assets': 0, 'images': 1, 'services': 1}
    assert index['bundle'] == {'complete': True, 'problems': [], 'kinds': list(entry['counts'])}
    assert index['workspace']['id'] == WS_ID and index['match'] == 'exact'


def v2_objects():
    """The demo workspace with v2 objects: Anna's run r1 is the job r1 (whose systemData names an application), a data
    version names Anna by display name only, a compute instance is assigned to Björn by object id."""
    objects = demo_objects()
    system = {'createdBy': 'Anna Svensson', 'createdByType': 'User', 'lastModifiedBy': 'Anna Svensson'}
    objects['jobs'] = [{'id': WS_ID + '/jobs/r1', 'name': 'r1', 'systemData': {'createdBy': '96982ead-0264-458f-9faa-25cce0c36be4',
                                                                               'createdByType': 'Application'}},
                       {'id': WS_ID + '/jobs/r2', 'name': 'r2', 'systemData': dict(system)}]
    objects['data_versions'] = [{'id': WS_ID + '/data/d/versions/1', 'name': '1', 'systemData': dict(system)}]
    objects['computes'] = [{'id': WS_ID + '/computes/ci', 'name': 'ci', 'properties': {'computeType': 'ComputeInstance', 'properties': {
        'personalComputeInstanceSettings': {'assignedUser': {'objectId': BJORN.upper(), 'tenantId': TENANT}},
        'createdBy': {'userName': 'Björn Ødegård', 'userOrgId': TENANT, 'userId': BJORN}}}}]
    return objects


def test_v2_jobs_are_joined_through_their_run_and_display_names_are_weaker_evidence(tmp_path):
    bundle = make_bundle(tmp_path / 'v2', v2_objects())
    index = S.build_index(bundle, [{'object_id': ANNA, 'name': 'Anna Svensson'}, BJORN])
    anna, bjorn = found(index, 0), found(index, 1)
    # the job r1 is Anna's precisely, through the run of the same id (its systemData names an application)
    assert anna[('jobs', WS_ID + '/jobs/r1')]['via'] == {'kind': 'runs', 'id': 'r1'}
    assert anna[('jobs', WS_ID + '/jobs/r1')]['evidence'] == 'precise'
    # Björn's run r2 is Björn's job, whatever its systemData says; Anna is only named there by display name
    assert bjorn[('jobs', WS_ID + '/jobs/r2')]['evidence'] == 'precise'
    assert anna[('jobs', WS_ID + '/jobs/r2')] == {
        'kind': 'jobs', 'id': WS_ID + '/jobs/r2', 'name': 'r2', 'created_by': True, 'evidence': 'display_name',
        'fields': ['systemData.createdBy', 'systemData.lastModifiedBy']}
    assert anna[('data_versions', WS_ID + '/data/d/versions/1')]['evidence'] == 'display_name'
    # a compute instance names the person it is assigned to by object id
    assert bjorn[('computes', WS_ID + '/computes/ci')]['evidence'] == 'precise'
    assert bjorn[('computes', WS_ID + '/computes/ci')]['created_by'] is True
    assert index['subjects'][0]['evidence'] == {'precise': 6, 'address': 0, 'display_name': 2}
    assert S.summary(index)[0]['evidence'] == {'precise': 6, 'display_name': 2}


def test_v2_identities_count_the_job_for_the_run_creator_and_the_assigned_user(tmp_path):
    index = S.build_index(make_bundle(tmp_path / 'v2', v2_objects()))
    who = {i.get('object_id') or i.get('name') or i.get('address'): i for i in index['identities']}
    assert who[ANNA]['counts']['jobs'] == 1 and who[BJORN]['counts']['jobs'] == 1
    assert who[BJORN]['counts']['computes'] == 1
    assert 'properties.properties.personalComputeInstanceSettings.assignedUser.objectId' in who[BJORN]['fields']
    assert who['Anna Svensson']['counts'] == {'jobs': 1, 'data_versions': 1}


def test_embedded_models_and_guest_addresses_refer_to_their_people(bundle):
    index = S.build_index(bundle, [BJORN, 'dmitri.ivanov@fabrikam.example', 'nobody@example.com'])
    bjorn = found(index, 0)
    assert bjorn[('images', 'img:1')]['fields'] == ['modelDetails[0].createdBy.userObjectId']
    assert bjorn[('images', 'img:1')]['created_by'] is False
    assert bjorn[('services', 'svc')]['fields'] == ['createdBy.userObjectId', 'models[0].createdBy.userObjectId']
    assert ('metrics', 'm2') in bjorn and ('metrics', 'm1') not in bjorn
    assert ('tasks', 't1') in bjorn
    dmitri = found(index, 1)
    assert {k: o['fields'] for k, o in dmitri.items()} == {
        ('tasks', 't1'): ['recipients[0].emailAddress'], ('services', 'svc'): ['kvTags.owner']}
    nobody = index['subjects'][2]
    assert nobody['found'] is False and nobody['total'] == 0 and nobody['objects'] == []


def test_a_run_found_only_by_its_owner_tag_does_not_bring_its_metrics(bundle):
    index = S.build_index(bundle, ['anna.svensson@contoso.example'])
    assert sorted(found(index)) == [('runs', 'r1'), ('services', 'svc')]
    assert found(index)[('runs', 'r1')]['created_by'] is False


def test_tenant_narrowing_in_the_index(bundle):
    index = S.build_index(bundle, [{'object_id': ANNA, 'tenant_id': OTHER_TENANT}])
    assert index['subjects'][0]['found'] is False


def test_contains_adds_mentions(bundle):
    index = S.build_index(bundle, [{'name': 'Anna Svensson'}], contains=True)
    run = found(index)[('runs', 'r1')]
    assert run['fields'] == ['createdBy.userName'] and run['mentions'] == ['description']
    assert index['match'] == 'contains'


def test_who_appears_lists_identity_fields_only(bundle):
    index = S.build_index(bundle)
    assert 'subjects' not in index
    who = {(i.get('object_id') or i.get('address') or i.get('name')): i for i in index['identities']}
    # addresses keep the spelling first seen; the same address in another case is the same identity
    assert sorted(who) == sorted([ANNA, BJORN, 'Anna.Svensson@Contoso.example', 'dmitri.ivanov@fabrikam.example',
                                  'dmitri.ivanov_fabrikam.example#EXT#@contoso.example'])
    assert who[ANNA] == {'object_id': ANNA, 'names': ['Anna Svensson'], 'tenant_ids': [TENANT],
                         'counts': {'runs': 1, 'metrics': 1, 'artifacts': 1, 'models': 1, 'images': 1}, 'total': 5,
                         'fields': ['container (via the run)', 'createdBy.userObjectId', 'runId (via the run)', 'userId']}
    assert who[BJORN]['counts'] == {'runs': 1, 'metrics': 1, 'artifacts': 1, 'tasks': 1, 'models': 1, 'images': 1, 'services': 1}
    assert 'modelDetails[].createdBy.userObjectId' in who[BJORN]['fields']
    assert who['dmitri.ivanov@fabrikam.example']['names'] == ['Dmitri Ivanov']
    # the address in properties.contact and the owner tag are the same address: one identity
    assert who['Anna.Svensson@Contoso.example']['counts'] == {'runs': 1, 'services': 1}
    # not identities: the owner tag "sp" (not an address), a database login, the workspace's managed identity
    text = json.dumps(index['identities'])
    assert 'mladmin' not in text and '"sp"' not in text and '99999999-0000' not in text
    assert [i.get('object_id') is not None for i in index['identities']] == [True, True, False, False, False]


def test_identities_and_subjects_together(bundle):
    index = S.build_index(bundle, [ANNA], identities=True)
    assert index['subjects'][0]['found'] and len(index['identities']) == 5
    assert S.build_index(bundle, identities=False)['subjects'] == []


def test_same_bundle_same_bytes(bundle):
    first = S.dumps_index(S.build_index(bundle, [ANNA, 'Björn Ødegård']))
    assert first == S.dumps_index(S.build_index(bundle, [ANNA, 'Björn Ødegård']))
    assert first.endswith(b'\n') and 'Björn Ødegård'.encode() in first  # UTF-8, not \u escapes
    assert json.loads(first)['format_version'] == 1


def test_an_incomplete_bundle_is_refused_unless_allowed(tmp_path):
    folder = make_bundle(tmp_path / 'b', manifest=False)
    with pytest.raises(S.SubjectError, match='has no manifest.json: it is incomplete.*allow_incomplete'):
        S.build_index(folder, [ANNA])
    index = S.build_index(folder, [ANNA], allow_incomplete=True)
    assert index['bundle']['complete'] is False and 'incomplete' in index['bundle']['problems'][0]
    assert ('runs', 'r1') in found(index) and index['workspace'] == {'id': WS_ID, 'name': 'ws'}


def test_a_changed_file_is_refused_unless_allowed(bundle):
    with open(os.path.join(bundle, 'runs.json'), 'a', encoding='utf-8') as f:
        f.write(' ')
    with pytest.raises(S.SubjectError, match='does not match its checksum'):
        S.build_index(bundle, [ANNA])
    assert S.build_index(bundle, [ANNA], allow_incomplete=True)['bundle']['complete'] is False


def test_no_bundle_and_broken_files(tmp_path):
    with pytest.raises(S.SubjectError, match='no export bundle at'):
        S.build_index(str(tmp_path / 'missing'), [ANNA])
    folder = make_bundle(tmp_path / 'b', manifest=False)
    with open(os.path.join(folder, 'runs.json'), 'w', encoding='utf-8') as f:
        f.write('[\n{"runId": "r1"\n')
    with pytest.raises(BundleError):
        S.build_index(folder, [ANNA], allow_incomplete=True)


def test_only_the_manifest_kinds_are_read(tmp_path):
    folder = make_bundle(tmp_path / 'b', {'runs': demo_objects()['runs']})
    write_json_array(os.path.join(folder, 'models.json'), demo_objects()['models'], 'id')  # not in the manifest
    index = S.build_index(folder, [ANNA])
    assert index['bundle']['kinds'] == ['runs'] and sorted(found(index)) == [('runs', 'r1')]


def test_kind_files_are_streamed(bundle, monkeypatch):
    """Every kind file goes through _bundle.iter_objects (one object at a time), never json.load of the whole file."""
    read = []
    real = S.iter_objects

    def spy(path):
        read.append(os.path.basename(path))
        yield from real(path)

    monkeypatch.setattr(S, 'iter_objects', spy)
    real_load = json.load

    def load(f, *args, **kwargs):
        assert os.path.basename(f.name) == 'manifest.json', f'json.load of {f.name}'
        return real_load(f, *args, **kwargs)

    monkeypatch.setattr(json, 'load', load)
    S.build_index(bundle, [ANNA])
    assert sorted(read) == sorted(KINDS[k].file for k in demo_objects())


# -- writing ----------------------------------------------------------------------------------------------------------------

def test_write_index_is_atomic_0600_and_honest(bundle, tmp_path):
    index = S.build_index(bundle, [ANNA])
    dest = str(tmp_path / 'subjects.json')
    check = S.write_index(dest, index, check_mode=True)
    assert check['changed'] is True and not os.path.exists(dest)
    old = os.umask(0)
    try:
        first = S.write_index(dest, index)
    finally:
        os.umask(old)
    assert first == dict(check, dest=dest)
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    assert json.load(open(dest, encoding='utf-8')) == index
    assert first['sha256'] == sha256_file(dest)
    assert S.write_index(dest, index)['changed'] is False
    os.chmod(dest, 0o644)
    assert S.write_index(dest, index, check_mode=True)['changed'] is True
    assert S.write_index(dest, index)['changed'] is True and stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    assert [n for n in os.listdir(tmp_path) if n.endswith('.tmp')] == []


def test_write_index_refuses_folders(tmp_path):
    with pytest.raises(S.SubjectError, match='is a folder'):
        S.write_index(str(tmp_path), {})
    with pytest.raises(S.SubjectError, match='does not exist'):
        S.write_index(str(tmp_path / 'no' / 'subjects.json'), {})
    # check mode predicts a write (a play may create the folder first) and writes nothing
    assert S.write_index(str(tmp_path / 'no' / 'subjects.json'), {}, check_mode=True)['changed'] is True
    assert not os.path.exists(tmp_path / 'no')


def test_subject_info_result(bundle, tmp_path):
    result = S.subject_info({'bundle_dir': bundle, 'subjects': [ANNA, BJORN]})
    assert [s['total'] for s in result['summary']] == [5, 7]
    assert result['summary'][0]['counts'] == {'runs': 1, 'metrics': 1, 'artifacts': 1, 'models': 1, 'images': 1}
    assert result['found_total'] == 11  # img:1 refers to both
    assert result['count'] == 2 and 'identity_count' not in result and len(result['subjects']) == 2
    dest = str(tmp_path / 'subjects.json')
    written = S.subject_info({'bundle_dir': bundle, 'subjects': [], 'dest': dest})
    assert 'identities' not in written and written['identity_count'] == 5 and written['changed'] is True
    assert json.load(open(dest, encoding='utf-8'))['identities'][0]['object_id'] == BJORN  # sorted: d8ff... < f745...


# -- purge by subject -------------------------------------------------------------------------------------------------------

def test_created_by_subjects_uses_the_object_id_of_the_creator():
    objects = demo_objects()
    assert S.created_by_subjects('models', objects['models'], [ANNA]) == ['free:1']  # upper-case GUID in the object
    assert S.created_by_subjects('models', objects['models'], [{'object_id': ANNA, 'tenant_id': OTHER_TENANT}]) == []
    assert S.created_by_subjects('models', objects['models'], [ANNA, BJORN]) == ['churn:1', 'free:1']
    assert S.created_by_subjects('runs', objects['runs'], [BJORN]) == ['r2']
    assert S.created_by_subjects('assets', objects['assets'], [ANNA]) == []  # assets name no creator
    # embedded models and tags do not make a creator
    assert S.created_by_subjects('services', objects['services'], [ANNA]) == []
    assert S.created_by_subjects('images', objects['images'], [BJORN]) == []


def test_purge_by_subject_needs_object_ids():
    with pytest.raises(S.SubjectError, match='needs the Azure AD object id.*Jane Doe <jane@contoso.com>'):
        S.created_by_subjects('models', [], [ANNA, {'name': 'Jane Doe', 'email': 'jane@contoso.com'}])
    with pytest.raises(S.SubjectError, match='no subjects'):
        S.subject_purge_selection({}, ['models'], [])


def sel_objects(images=(), services=(), models=()):
    return {'models': list(models), 'images': list(images), 'services': list(services), 'assets': [{'id': 'a1'}, {'id': 'a2'}]}


def model(mid, oid):
    return {'id': mid, 'createdBy': sdk_user(oid, 'x')}


def test_selection_keeps_what_another_persons_image_or_service_holds():
    listed = sel_objects(
        models=[model('m1', ANNA), model('m2', ANNA), model('m3', ANNA), model('m4', BJORN), {'id': 'm5'}],
        images=[{'id': 'i1', 'modelIds': ['m1'], 'createdBy': sdk_user(BJORN, 'b')},      # Björn's image holds Anna's m1
                {'id': 'i2', 'modelIds': ['m2', 'm4'], 'createdBy': sdk_user(ANNA, 'a')}],  # Anna's image: deleted with m2
        services=[{'id': 's1', 'imageId': 'i1', 'models': [{'id': 'm1'}], 'createdBy': sdk_user(BJORN, 'b')}],
    )
    sel = S.subject_purge_selection(listed, ['services', 'images', 'models', 'assets'], [ANNA])
    assert sel['objects'] == {'services': [], 'images': ['i2'], 'models': ['m2', 'm3'], 'assets': []}
    assert sel['held'] == {'models': {'m1': ['image i1', 'service s1']}}
    assert sel['unattributed'] == {'models': 1, 'assets': 2}
    assert any('assets name no creator' in n for n in sel['notes'])
    assert "1 of the subjects' models kept: still used by images or services that are not deleted" in sel['notes']


def test_selection_follows_chains_of_holders():
    """Anna's service is kept? No: Björn's service holds Anna's image, which keeps Anna's models too."""
    listed = sel_objects(
        models=[model('m1', ANNA)],
        images=[{'id': 'i1', 'modelIds': ['m1'], 'createdBy': sdk_user(ANNA, 'a')}],
        services=[{'id': 's1', 'imageId': 'i1', 'createdBy': sdk_user(BJORN, 'b')},
                  {'id': 's2', 'imageId': 'i1', 'models': [{'id': 'm1'}], 'createdBy': sdk_user(ANNA, 'a')}],
    )
    sel = S.subject_purge_selection(listed, ['services', 'images', 'models'], [ANNA])
    assert sel['objects'] == {'services': ['s2'], 'images': [], 'models': []}
    assert sel['held'] == {'images': {'i1': ['service s1']}, 'models': {'m1': ['image i1']}}


def test_selection_of_models_only_keeps_models_of_images_not_purged():
    listed = sel_objects(models=[model('m1', ANNA), model('m2', ANNA)],
                         images=[{'id': 'i1', 'modelIds': ['m1'], 'createdBy': sdk_user(ANNA, 'a')}])
    sel = S.subject_purge_selection(listed, ['models'], [ANNA])
    assert sel['objects'] == {'models': ['m2']} and sel['held'] == {'models': {'m1': ['image i1']}}


def test_artifacts_of_a_data_container_and_v2_metrics_count_for_the_runs_creator(tmp_path):
    """Real runs keep their artifacts in the container their dataContainerId names (dcid.<runId>); v2 metrics name
    their run by runId: both reach the person who created the run (issue 14)."""
    objects = demo_objects()
    for run in objects['runs']:
        run['dataContainerId'] = 'dcid.' + run['runId']
    objects['artifacts'] = [{'artifactId': f'ExperimentRun/dcid.{r}/outputs/model.pkl', 'origin': 'ExperimentRun', 'container': 'dcid.' + r,
                             'path': 'outputs/model.pkl'} for r in ('r1', 'r2')]
    objects['metrics_v2'] = [{'id': f'{r}//loss', 'runId': r, 'namespace': '', 'name': 'loss', 'values': [{'metricId': 'v1', 'step': 0}]}
                             for r in ('r1', 'r2')]
    bundle = str(tmp_path / 'b')
    make_bundle(bundle, objects)
    anna = found(S.build_index(bundle, [ANNA]))
    assert anna[('artifacts', 'ExperimentRun/dcid.r1/outputs/model.pkl')]['via'] == {'kind': 'runs', 'id': 'r1'}
    assert anna[('metrics_v2', 'r1//loss')]['via'] == {'kind': 'runs', 'id': 'r1'}
    assert ('artifacts', 'ExperimentRun/dcid.r2/outputs/model.pkl') not in anna and ('metrics_v2', 'r2//loss') not in anna
    everyone = S.build_index(bundle)
    by_id = {i.get('object_id'): i for i in everyone['identities']}
    assert by_id[ANNA]['counts']['artifacts'] == 1 and by_id[ANNA]['counts']['metrics_v2'] == 1
