"""``_storage_uris``: a data or model version's URI resolved to (account, container, path), or why not."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.gdpr.azureml.plugins.module_utils._storage_uris import (
    Target, covers, datastore_locations, describe, resolve, version_uri)

SUFFIX = 'core.windows.net'
SUB, RG, WS = '00000000-0000-0000-0000-000000000001', 'rg-ml', 'ws-hr'
BLOBSTORE = 'azureml-blobstore-6f1c'


def v2(name, kind, **props):
    return {'name': name, 'properties': dict({'datastoreType': kind}, **props)}


DATASTORES = datastore_locations([
    v2('workspaceblobstore', 'AzureBlob', accountName='stml01', containerName=BLOBSTORE, endpoint=SUFFIX,
       credentials={'credentialsType': 'AccountKey', 'secrets': {'secretsType': 'AccountKey'}}),
    v2('workspaceartifactstore', 'AzureBlob', accountName='stml01', containerName='azureml', endpoint=SUFFIX),
    v2('lake', 'AzureDataLakeGen2', accountName='stlake01', filesystem='raw', endpoint=SUFFIX),
    v2('gen1', 'AzureDataLakeGen1', storeName='oldlake'),
    v2('share', 'AzureFile', accountName='stml01', fileShareName='code-1'),
    v2('china', 'AzureBlob', accountName='stcn01', containerName='data', endpoint='core.chinacloudapi.cn'),
    {'name': 'v1store', 'dataStoreType': 'AzureBlob', 'azureStorageSection': {'accountName': 'stv1', 'containerName': 'v1c'}},
    v2('broken', 'AzureBlob', accountName='NOT VALID', containerName='c'),
], SUFFIX)


def res(uri, type_='uri_folder'):
    return resolve(uri, type_, DATASTORES, suffix=SUFFIX, workspace=(SUB, RG, WS))


@pytest.mark.parametrize('uri,type_,expected', [
    ('azureml://datastores/workspaceblobstore/paths/LocalUpload/abc/data/', 'uri_folder',
     Target('stml01', BLOBSTORE, 'LocalUpload/abc/data/', True)),
    ('azureml://datastores/workspaceblobstore/paths/LocalUpload/abc/data', 'mltable',
     Target('stml01', BLOBSTORE, 'LocalUpload/abc/data/', True)),
    ('azureml://datastores/WorkspaceBlobStore/paths/LocalUpload/abc/x.csv', 'uri_file',
     Target('stml01', BLOBSTORE, 'LocalUpload/abc/x.csv', False)),
    (f'azureml://subscriptions/{SUB}/resourcegroups/{RG}/workspaces/{WS}/datastores/workspaceartifactstore/paths/'
     'ExperimentRun/dcid.r1/outputs/model/', 'custom_model', Target('stml01', 'azureml', 'ExperimentRun/dcid.r1/outputs/model/', True)),
    (f'azureml://subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.MachineLearningServices/workspaces/{WS}/'
     'datastores/workspaceblobstore/paths/a/b.pkl', 'custom_model', Target('stml01', BLOBSTORE, 'a/b.pkl', None)),
    ('https://stml01.blob.core.windows.net/azureml/ExperimentRun/dcid.r1/model.pkl', 'uri_file',
     Target('stml01', 'azureml', 'ExperimentRun/dcid.r1/model.pkl', False)),
    ('https://stext01.blob.core.windows.net/public/my%20data/', 'uri_folder', Target('stext01', 'public', 'my data/', True)),
    ('wasbs://raw@stlake01.blob.core.windows.net/people/2026/', 'uri_folder', Target('stlake01', 'raw', 'people/2026/', True)),
    ('abfss://raw@stlake01.dfs.core.windows.net/people/a.parquet', 'uri_file', Target('stlake01', 'raw', 'people/a.parquet', False)),
    ('azureml://datastores/lake/paths/people/', 'uri_folder', Target('stlake01', 'raw', 'people/', True)),
    ('azureml://datastores/v1store/paths/f.csv', 'uri_file', Target('stv1', 'v1c', 'f.csv', False)),
    ('LocalUpload/0123abcd/train.csv', 'uri_file', Target('stml01', BLOBSTORE, 'LocalUpload/0123abcd/train.csv', False)),
    ('azureml://datastores/workspaceblobstore/paths/LocalUpload/abc/m/', None, Target('stml01', BLOBSTORE, 'LocalUpload/abc/m/', True)),
    ('azureml://datastores/workspaceblobstore/paths/LocalUpload/abc/m.pkl', None, Target('stml01', BLOBSTORE, 'LocalUpload/abc/m.pkl', False)),
])
def test_reachable_forms(uri, type_, expected):
    found = res(uri, type_)
    assert found.reason is None
    assert found.target == expected


@pytest.mark.parametrize('uri,type_,words', [
    ('adl://oldlake.azuredatalakestore.net/people/', 'uri_folder', 'Gen1'),
    ('azureml://datastores/gen1/paths/people/', 'uri_folder', 'AzureDataLakeGen1'),
    ('azureml://datastores/share/paths/Users/a/', 'uri_folder', 'AzureFile'),
    ('azureml://datastores/china/paths/a/', 'uri_folder', 'another cloud'),
    ('azureml://datastores/nope/paths/a/', 'uri_folder', 'no datastore nope'),
    ('azureml://datastores/broken/paths/a/', 'uri_folder', 'no usable'),
    ('azureml://registries/shared/models/m/versions/1', 'custom_model', 'registry'),
    ('azureml://jobs/job-1/outputs/artifacts/paths/model/', 'custom_model', 'does not name a datastore'),
    (f'azureml://subscriptions/{SUB}/resourcegroups/{RG}/workspaces/other-ws/datastores/workspaceblobstore/paths/a/', 'uri_folder',
     'another workspace'),
    ('https://example.com/data.csv', 'uri_file', 'not a storage account of this cloud'),
    ('https://stml01.blob.core.chinacloudapi.cn/c1/a.csv', 'uri_file', 'not a storage account of this cloud'),
    ('http://stml01.blob.core.windows.net/c1/a.csv', 'uri_file', 'plain http'),
    ('s3://bucket/key', 'uri_file', 's3://'),
    ('gs://bucket/key', 'uri_file', 'gs://'),
    ('wasbs://raw@stlake01.dfs.core.windows.net/a', 'uri_file', 'not a storage account'),
    ('azureml://datastores/workspaceblobstore/paths/a/../b/', 'uri_folder', "'..'"),
    ('azureml://datastores/workspaceblobstore/paths/a//b/', 'uri_folder', 'empty segment'),
    ('azureml://datastores/workspaceblobstore/paths/', 'uri_folder', 'whole container'),
    ('azureml://datastores/workspaceblobstore/paths/a/', 'uri_file', 'uri_file whose path is a folder'),
    ('azureml://datastores/workspaceblobstore/paths/a/', 'uri_banana', 'unknown type'),
    ('https://stml01.blob.core.windows.net/UPPER/a.csv', 'uri_file', 'not a container name'),
    ('data/train.csv', 'uri_file', 'relative path'),
    ('', 'uri_file', 'no URI'),
    (None, 'uri_file', 'no URI'),
])
def test_unreachable_forms_say_why(uri, type_, words):
    found = res(uri, type_)
    assert found.target is None
    assert words in found.reason


def test_a_sas_token_is_never_repeated():
    found = res('https://example.com/data.csv?sv=2024&sig=SECRETSIG', 'uri_file')
    assert 'SECRETSIG' not in found.reason
    ok = res('https://stml01.blob.core.windows.net/azureml/a.csv?sig=SECRETSIG', 'uri_file')
    assert ok.target == Target('stml01', 'azureml', 'a.csv', False)


def test_version_uri_reads_the_kind_fields():
    assert version_uri('data_versions', {'properties': {'dataUri': 'u', 'dataType': 'uri_file'}}) == ('u', 'uri_file')
    assert version_uri('model_versions', {'properties': {'modelUri': 'm', 'modelType': 'mlflow_model'}}) == ('m', 'mlflow_model')
    assert version_uri('model_versions', {}) == (None, None)


def test_datastore_locations_never_keep_credentials():
    assert 'secrets' not in repr(DATASTORES) and 'AccountKey' not in repr(DATASTORES)


def test_covers_and_describe():
    folder, one, either = Target('a', 'c', 'p/', True), Target('a', 'c', 'p/f', False), Target('a', 'c', 'm.pkl', None)
    assert covers(folder, 'p/x/y') and not covers(folder, 'p') and not covers(folder, 'px')
    assert covers(one, 'p/f') and not covers(one, 'p/f2')
    assert covers(either, 'm.pkl') and covers(either, 'm.pkl/MLmodel') and not covers(either, 'm.pkl2')
    assert describe(folder) == 'a/c/p/*' and describe(one) == 'a/c/p/f'


SEGMENT = st.text(alphabet=st.characters(blacklist_categories=('Cs', 'Cc'), blacklist_characters='/\\%?#'), min_size=1, max_size=12)


@given(st.lists(SEGMENT, min_size=1, max_size=5), st.sampled_from(['uri_file', 'uri_folder', 'mltable', 'custom_model']))
def test_property_every_form_of_one_path_resolves_alike(segments, type_):
    """The short, long, https and wasbs forms of one blob path give one target, inside the container, never escaping it."""
    path = '/'.join(segments) + ('' if type_ in ('uri_file', 'custom_model') else '/')
    from urllib.parse import quote
    q = quote(path)
    forms = [f'azureml://datastores/workspaceblobstore/paths/{q}',
             f'azureml://subscriptions/{SUB}/resourcegroups/{RG}/workspaces/{WS}/datastores/workspaceblobstore/paths/{q}',
             f'https://stml01.blob.{SUFFIX}/{BLOBSTORE}/{q}', f'wasbs://{BLOBSTORE}@stml01.blob.{SUFFIX}/{q}']
    found = [res(f, type_) for f in forms]
    assert len(set(found)) == 1
    one = found[0]
    if any(s in ('.', '..') for s in segments):
        assert one.target is None
    else:
        assert one.reason is None
        assert one.target.account == 'stml01' and one.target.container == BLOBSTORE
        assert one.target.path.rstrip('/') == path.rstrip('/')
        assert covers(one.target, path.rstrip('/') + ('/x' if one.target.folder is not False else ''))


@given(st.text(max_size=80), st.sampled_from(['uri_file', 'uri_folder', None, 'x']))
def test_property_resolve_never_raises_and_always_answers(uri, type_):
    found = res(uri, type_)
    assert (found.target is None) != (found.reason is None)
    if found.target is not None:
        assert '..' not in found.target.path.split('/')
