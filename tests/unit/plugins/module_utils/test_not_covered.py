"""What the collection cannot see or erase (``_not_covered``): one declaration, and what derives from it (the docs table of
docs/subjects.md, the manifest record, the report's section, the subject access package's coverage)."""
import json
import os

from ansible_collections.gdpr.azureml.plugins.module_utils import _not_covered, _report
from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import sha256_file, write_json_array
from unit_helpers import table_rows

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
SUB_RG = '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/workspace-1234/providers'
# The linked resources of the 2025-12-01 spec's example body (examples/Workspace/get.json), trimmed.
WORKSPACE = {
    'id': f'{SUB_RG}/Microsoft.MachineLearningServices/workspaces/testworkspace',
    'name': 'testworkspace',
    'properties': {
        'applicationInsights': f'{SUB_RG}/microsoft.insights/components/testinsights',
        'containerRegistry': f'{SUB_RG}/Microsoft.ContainerRegistry/registries/testRegistry',
        'keyVault': f'{SUB_RG}/Microsoft.KeyVault/vaults/testkv',
        'encryption': {'keyVaultProperties': {'keyVaultArmId': f'{SUB_RG}/Microsoft.KeyVault/vaults/TESTKV'}},
        'storageAccount': f'{SUB_RG}/Microsoft.Storage/storageAccounts/testStorageAccount',
    },
}


def docs_table():
    """The rows of the table of docs/subjects.md "What the collection cannot see or erase"."""
    with open(os.path.join(ROOT, 'docs', 'subjects.md'), encoding='utf-8') as f:
        return table_rows(f.read(), '## What the collection cannot see or erase')


def test_the_docs_table_is_the_declaration():
    assert docs_table() == _not_covered.docs_rows()


def test_the_declaration_names_what_the_issue_lists():
    assert _not_covered.NAMES == ('application_insights', 'notebooks', 'key_vault', 'container_registry', 'activity_log',
                                  'feature_stores', 'serverless_endpoints', 'data_contents')
    for entry in _not_covered.NOT_COVERED:
        assert set(entry) == {'name', 'title', 'holds', 'fields', 'remedy'}, entry['name']
        assert all('|' not in str(v) and '<' not in str(v) for v in entry.values()), entry['name']  # table cells, no markup
    assert '/purge' in _not_covered.BY_NAME['application_insights']['remedy']  # Azure Monitor's purge API, named
    assert 'code-{guid}' in _not_covered.BY_NAME['notebooks']['holds']


def test_the_record_reads_the_linked_resource_ids_of_the_workspace_object():
    record = {item['name']: item['resource_ids'] for item in _not_covered.record(WORKSPACE)}
    assert list(record) == list(_not_covered.NAMES)
    props = WORKSPACE['properties']
    assert record['application_insights'] == [props['applicationInsights']]
    assert record['notebooks'] == [props['storageAccount']]
    assert record['key_vault'] == [props['keyVault']]  # the encryption key's vault is the same one (ids compare case-blind)
    assert record['container_registry'] == [props['containerRegistry']]
    assert record['activity_log'] == [] and record['data_contents'] == []
    assert all(not ids for ids in (item['resource_ids'] for item in _not_covered.record({}))), 'nothing named, nothing listed'
    other = json.loads(json.dumps(WORKSPACE))
    other['properties']['encryption']['keyVaultProperties']['keyVaultArmId'] = f'{SUB_RG}/Microsoft.KeyVault/vaults/cmk'
    assert [i for i in _not_covered.record(other) if i['name'] == 'key_vault'][0]['resource_ids'] == [
        props['keyVault'], f'{SUB_RG}/Microsoft.KeyVault/vaults/cmk']


def make_bundle(folder, with_record):
    os.makedirs(folder)
    path = os.path.join(folder, 'workspace.json')
    write_json_array(path, [WORKSPACE], 'id')
    manifest = {'format_version': 2, 'collection_version': '2.0.0', 'started': '2026-01-01T00:00:00Z',
                'finished': '2026-01-01T00:00:01Z', 'workspace': {'id': WORKSPACE['id'], 'name': 'testworkspace'},
                'kinds': {'workspace': {'file': 'workspace.json', 'count': 1, 'sha256': sha256_file(path), 'scope': 'all'}}}
    if with_record:
        manifest['not_covered'] = [{'name': 'application_insights', 'resource_ids': ['/recorded/insights']}]
    with open(os.path.join(folder, 'manifest.json'), 'w', encoding='utf-8') as f:
        json.dump(manifest, f)
    return str(folder)


def test_the_report_lists_every_entry_with_the_recorded_ids(tmp_path):
    """The manifest's record when there is one; else (a bundle written before it) computed from workspace.json."""
    recorded = _report.build_report(make_bundle(tmp_path / 'new', with_record=True))
    assert [i['name'] for i in recorded['not_covered']] == list(_not_covered.NAMES)
    assert recorded['not_covered'][0]['resource_ids'] == ['/recorded/insights']
    assert all(not i['resource_ids'] for i in recorded['not_covered'][1:])  # the record, not workspace.json
    old = _report.build_report(make_bundle(tmp_path / 'old', with_record=False))
    ids = {i['name']: i['resource_ids'] for i in old['not_covered']}
    assert ids['container_registry'] == [WORKSPACE['properties']['containerRegistry']]
    html_text = _report.render_html(old).decode()
    md_text = _report.render_markdown(old).decode()
    for text in (html_text, md_text):
        assert 'Not covered by this export' in text
        assert WORKSPACE['properties']['applicationInsights'] in text and WORKSPACE['properties']['storageAccount'] in text
    assert all(_report._e(e['title']) in html_text and _report._m(e['title']) in md_text for e in _not_covered.NOT_COVERED)
    assert html_text.count('data-not-covered=') == len(_not_covered.NOT_COVERED)
