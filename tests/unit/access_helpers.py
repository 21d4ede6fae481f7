"""Synthetic export bundles for the subject access package tests (_access, subject_package): two workspaces, a person
(Jane Doe), someone else (Anna Svensson), and another Jane Doe."""
import hashlib
import json
import os

from ansible_collections.gdpr.azureml.plugins.module_utils import _kinds
from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import sha256_file, write_json_array

TENANT = '00000000-0000-4000-8000-0000000000aa'
JANE = {'object_id': '0f8fad5b-d9cb-469f-a165-70867728950e', 'email': 'jane.doe@contoso.com', 'name': 'Jane Doe'}
ANNA = {'object_id': 'f74592bd-cec8-4762-af28-9157799b9787', 'email': 'anna.svensson@contoso.example', 'name': 'Anna Svensson',
        'puid': '512D3DCB7860D4C0'}
NAMESAKE = '11111111-2222-4333-8444-555555555555'  # another Jane Doe
WS = '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/'


def rh(oid, name):
    return {'userObjectId': oid, 'userTenantId': TENANT, 'userName': name}


def sdk(user):
    return {'userObjectId': user['object_id'], 'userPuId': user.get('puid', 'PUIDOFJANE000001'), 'userIdp': '', 'userAltSecId': '',
            'userIss': f'https://sts.windows.net/{TENANT}/', 'userTenantId': TENANT, 'userName': user['name']}


def objects_ws1():
    return {
        'workspace': [{'id': WS + 'ws1', 'name': 'ws1', 'tags': {'owner': ANNA['email']}, 'properties': {'creationTime': '2020-01-01T00:00:00Z'}}],
        'runs': [
            {'runId': 'r1', 'name': 'jane run', 'userId': JANE['object_id'], 'createdBy': rh(JANE['object_id'], 'Jane Doe'),
             'createdUtc': '2020-03-02T09:47:00.000000Z', 'tags': {'reviewer': ANNA['email']}},
            {'runId': 'r2', 'name': 'anna run', 'userId': ANNA['object_id'], 'createdBy': rh(ANNA['object_id'], ANNA['name']),
             'createdUtc': '2020-03-03T10:00:00.1234567Z', 'tags': {'owner': JANE['email']},
             'description': 'Pair-programmed by Anna Svensson (anna.svensson%40contoso.example) with Jane Doe'},
            {'runId': 'r3', 'name': 'namesake run', 'userId': NAMESAKE, 'createdBy': rh(NAMESAKE, 'Jane Doe'),
             'createdUtc': '2020-03-04T10:00:00Z'},
            {'runId': 'r4', 'name': 'other run', 'userId': ANNA['object_id'], 'createdBy': rh(ANNA['object_id'], ANNA['name'])},
        ],
        'metrics': [{'metricId': 'm1', 'runId': 'r1', 'name': 'loss'}, {'metricId': 'm2', 'runId': 'r2', 'name': 'loss'},
                    {'metricId': 'm3', 'runId': 'r4', 'name': 'loss'}],
        'artifacts': [{'artifactId': f'ExperimentRun/{r}/{p}', 'origin': 'ExperimentRun', 'container': r, 'path': p}
                      for r, p in (('r1', 'outputs/model.pkl'), ('r1', 'logs/driver.txt'), ('r1', 'outputs/none.bin'), ('r4', 'outputs/x'))],
        'models': [
            {'id': 'jane-model:1', 'name': 'jane-model', 'createdBy': sdk(JANE), 'createdTime': '2020-03-05T00:00:00Z'},
            {'id': 'anna-model:1', 'name': 'anna-model', 'createdBy': sdk(ANNA), 'kvTags': {ANNA['email']: 'contact'},
             'properties': {'contact': JANE['object_id'].upper()}},
        ],
        'images': [{'id': 'img:1', 'name': 'img', 'createdBy': sdk(ANNA), 'modelIds': ['jane-model:1'],
                    'modelDetails': [{'id': 'jane-model:1', 'createdBy': sdk(JANE)}]}],
    }


CONTENTS = {
    'ExperimentRun/r1/outputs/model.pkl': b'model bytes of jane\n',
    'ExperimentRun/r1/logs/driver.txt': b'started by anna.svensson@contoso.example\n',  # names someone else: withheld
    'ExperimentRun/r4/outputs/x': b'anna\n',
}


def make_bundle(folder, objects, contents=None, *, manifest=True, scopes=None, ws_name='ws1'):
    os.makedirs(folder, exist_ok=True)
    kinds = {}
    for name, items in objects.items():
        path = os.path.join(folder, f'{name}.json')
        write_json_array(path, items, _kinds.KINDS[name].id_field if name in _kinds.KINDS else 'id')
        kinds[name] = {'file': f'{name}.json', 'count': len(items), 'sha256': sha256_file(path), 'scope': (scopes or {}).get(name, 'all')}
    if contents is not None:
        index = []
        for art in objects.get('artifacts', []):
            data = contents.get(art['artifactId'])
            entry = {'artifactId': art['artifactId'], 'runId': art['container'], 'path': art['path'], 'stored_path': None, 'size': None,
                     'sha256': None}
            if data is not None:
                rel = f'artifacts/{art["container"]}/{art["path"]}'
                os.makedirs(os.path.dirname(os.path.join(folder, rel)), exist_ok=True)
                with open(os.path.join(folder, rel), 'wb') as f:
                    f.write(data)
                entry.update(stored_path=rel, size=len(data), sha256=hashlib.sha256(data).hexdigest())
            index.append(entry)
        path = os.path.join(folder, 'artifact_contents.json')
        write_json_array(path, index, 'artifactId')
        kinds['artifact_contents'] = {'file': 'artifact_contents.json', 'count': len(index), 'sha256': sha256_file(path), 'scope': 'all'}
    if manifest:
        with open(os.path.join(folder, 'manifest.json'), 'w', encoding='utf-8') as f:
            json.dump({'format_version': 1, 'finished': '2024-05-01T10:00:00Z',
                       'workspace': {'id': WS + ws_name, 'name': ws_name, 'location': 'westeurope'}, 'kinds': kinds}, f)
    return str(folder)
