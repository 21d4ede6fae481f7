import io
import threading
import time

import pytest
import requests
import responses
import export_helpers
from export_helpers import BLOB, WS_ID, FakeService, datastore
from unit_helpers import WS_PARAMS, FakeAuth, InFlight

from ansible_collections.gdpr.azureml.plugins.module_utils import _client, _clouds, _export, _scrub
from ansible_collections.gdpr.azureml.plugins.module_utils._client import AzureMLError

# the shared fixtures (canned service, module runner)
rsps = export_helpers.rsps


def make_client(concurrency=4, **kwargs):
    return _client.Client(FakeAuth(), _clouds.get_cloud('AzureCloud'), defaults=WS_PARAMS, location='eastus',
                          concurrency=concurrency, sleep=lambda s: None, **kwargs)


class FakeAuthToken(FakeAuth):
    def get_token(self):
        return 'secret-token-abc'


def fake_client(concurrency=4):
    client = make_client(concurrency)
    client.auth = FakeAuthToken()
    return client


# -- Scheduler ----------------------------------------------------------------------------------

def test_scheduler_runs_tasks_and_the_tasks_they_submit():
    scheduler = _export.Scheduler(3)
    done = []
    lock = threading.Lock()

    def leaf(n):
        with lock:
            done.append(n)

    def parent(n):
        for k in range(5):
            scheduler.submit(leaf, (n, k), priority=1)

    for n in range(4):
        scheduler.submit(parent, n)
    scheduler.run()
    assert sorted(done) == sorted((n, k) for n in range(4) for k in range(5))


def test_scheduler_never_runs_more_than_workers_at_once():
    scheduler = _export.Scheduler(3, max_pending=2)
    flight = InFlight()

    def work():
        flight.busy(0.005)

    def fan_out():
        for dummy in range(30):
            scheduler.submit(work, priority=1)

    scheduler.submit(fan_out)
    scheduler.submit(fan_out)
    scheduler.run()
    assert flight.peak == 3


def test_scheduler_queue_stays_bounded_the_producer_helps():
    scheduler = _export.Scheduler(2, max_pending=4)
    seen = []

    def work():
        seen.append(len(scheduler._heap))

    def fan_out():
        for dummy in range(200):
            scheduler.submit(work, priority=1)

    scheduler.submit(fan_out)
    scheduler.run()
    assert len(seen) == 200 and max(seen) <= 4


def test_scheduler_raises_the_first_error_and_drops_queued_tasks():
    scheduler = _export.Scheduler(2)
    ran = []

    def boom():
        raise ValueError('first failure')

    def slow(n):
        time.sleep(0.01)
        ran.append(n)

    scheduler.submit(boom, priority=5)
    for n in range(50):
        scheduler.submit(slow, n)
    with pytest.raises(ValueError, match='first failure'):
        scheduler.run()
    assert len(ran) < 50


def test_scheduler_with_nothing_to_do():
    _export.Scheduler(4).run()


# -- scrubbing ----------------------------------------------------------------------------------

def test_scrub_datastore_removes_every_credential_field_anywhere():
    ds = {'name': 'x', 'dataStoreType': 'AzureBlob',
          'azureStorageSection': {'accountName': 'a', 'credentialType': 'Sas', 'Credential': 's1', 'sasToken': 's2', 'AccountKey': 's3',
                                  'clientCredentials': {'clientId': 'c', 'clientSecret': 's4', 'certificate': 's5'}},
          'azurePostgreSqlSection': {'userId': 'u', 'userPassword': 's6'},
          'azureMySqlSection': {'userPassword': 's7'}, 'hdfsSection': {'kerberosPassword': 's8', 'kerberosKeytab': 's9'},
          'futureSection': {'nested': [{'password': 's10', 'secret': 's11', 'keep': 'k'}]}}
    clean = _scrub.scrub('datastores', ds)
    text = repr(clean)
    assert not any(f"'s{n}'" in text for n in range(1, 12))
    assert clean['azureStorageSection'] == {'accountName': 'a', 'credentialType': 'Sas', 'clientCredentials': {'clientId': 'c'}}
    assert clean['futureSection'] == {'nested': [{'keep': 'k'}]}
    assert ds['azureStorageSection']['sasToken'] == 's2'  # the input is not modified


def test_scrub_service_removes_the_tls_private_key_and_keeps_the_certificate():
    svc = {'id': 'svc', 'computeType': 'ACI', 'sslEnabled': True, 'sslCertificate': 'CERT', 'sslKey': 'PRIVATE',
           'variants': [{'SSLKEY': 'PRIVATE2', 'cname': 'x'}]}
    clean = _scrub.scrub('services', svc)
    assert clean == {'id': 'svc', 'computeType': 'ACI', 'sslEnabled': True, 'sslCertificate': 'CERT', 'variants': [{'cname': 'x'}]}
    assert svc['sslKey'] == 'PRIVATE'  # the input is not modified


def test_scrub_connection_removes_credentials_if_the_service_returned_any():
    conn = {'id': 'c', 'properties': {'authType': 'AccountKey', 'category': 'AzureBlob', 'target': 'https://st/',
                                      'credentials': {'key': 'CANARY'}, 'metadata': {'Password': 'P'}}}
    clean = _scrub.scrub('connections', conn)
    assert clean == {'id': 'c', 'properties': {'authType': 'AccountKey', 'category': 'AzureBlob', 'target': 'https://st/',
                                               'metadata': {}}}
    assert 'CANARY' not in repr(clean)


def test_registry_references_are_found_in_v2_objects():
    text = '{"environmentId": "azureml://registries/Contoso-Shared/environments/e/versions/1", "x": "azureml://registries/b"}'
    assert _export.REGISTRY_REF.findall(text) == ['Contoso-Shared', 'b']


@pytest.mark.parametrize('encode', [False, True])
def test_an_encoding_collector_emits_the_file_bytes_and_finds_the_same_registries(encode):
    from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import Encoded, dumps_item

    class ListSink(list):
        put = list.append

    sinks = {'online_deployments': ListSink(), 'registries': ListSink()}
    collector = _export.Collector(make_client(), _export.Scheduler(1), sinks, encode=encode)
    deployment = {'id': 'd', 'properties': {'model': 'azureml://registries/Shared/models/m/versions/1',
                                            'note': 'a "quoted" azureml://registries/x"y/z', 'ünïcode': 'azureml://REGISTRIES/été/a'}}
    collector.emit('online_deployments', deployment)
    assert collector.registry_refs == {'shared', 'x\\', 'été'}  # as the JSON text reads: a quote ends the name
    (item,) = sinks['online_deployments']
    if encode:
        assert item == Encoded(deployment, dumps_item(deployment))
    else:
        assert item == deployment


def test_scrub_leaves_other_kinds_alone():
    run = {'runId': 'r', 'secret': 'not a datastore'}
    assert _scrub.scrub('runs', run) is run


# -- collecting -----------------------------------------------------------------------------------

def test_stream_walks_experiments_runs_artifacts_and_emits_each_object_once(rsps):
    service = FakeService(rsps, page_size=2)
    for n in range(5):
        service.add_experiment(f'experiment {n}', runs=n, artifacts_per_run=3)
    client = fake_client()
    items = list(_export.stream(client, 'artifacts', lambda c: c.start_experiments()))
    assert sorted(a['artifactId'] for a in items) == sorted(a['artifactId'] for a in service.all_artifacts())
    assert len(items) == len(service.all_artifacts()) == 30
    # one list per run (two pages of three artifacts), never twice
    for run_obj in service.all_runs():
        path = '/artifact/v1.0' + WS_ID + '/artifacts/origins/ExperimentRun/containers/' + run_obj['dataContainerId']
        assert service.paths().count(path) == 2


def test_stream_error_reaches_the_consumer_with_what_was_done(rsps):
    service = FakeService(rsps)
    service.add_experiment('a', runs=1)
    service.runs['gone'] = []
    del service.runs['gone']
    client = fake_client()
    with pytest.raises(AzureMLError, match=r"list the runs of experiment 'missing' in workspace rg-1/ws-1: the service said Experiment missing was not found "
                                           r"\(HTTP 404, code NotFound, request id req-1\)"):
        list(_export.stream(client, 'runs', lambda c: c.start_experiments(['a', 'missing'])))


def test_stopping_early_cancels_the_rest(rsps):
    service = FakeService(rsps, page_size=1)
    for n in range(20):
        service.add_experiment(f'e{n}', runs=3)
    service.latency = 0.01
    client = fake_client(concurrency=2)
    generator = _export.stream(client, 'runs', lambda c: c.start_experiments())
    next(generator)
    generator.close()
    calls = len(service.calls)
    time.sleep(0.1)
    assert len(service.calls) == calls < 10  # of the 20 pages of experiments and 60 pages of runs


def test_datastores_are_asked_without_secrets_and_scrubbed(rsps):
    service = FakeService(rsps)
    service.datastores = [datastore('d1', 'LEAKED-1'), datastore('d2', 'LEAKED-2')]
    service.leak_secrets = True
    items = list(_export.stream(fake_client(), 'datastores', lambda c: c.start_list('datastores')))
    assert [d['name'] for d in items] == ['d1', 'd2'] and 'LEAKED' not in repr(items)
    assert all('includeSecret=false' in c.url for c in service.calls)
    assert _export.get_one(fake_client(), 'datastores', {'name': 'd2'}, 'get d2')[0]['name'] == 'd2'
    assert 'includeSecret=false' in service.calls[-1].url
    assert 'LEAKED' not in repr(_export.get_one(fake_client(), 'datastores', {'name': 'd1'}, 'get d1'))


def test_pipeline_objects_and_missing_ids(rsps):
    service = FakeService(rsps)
    service.pipelines['pipeline_modules'] = [{'id': 'm1'}, {'id': 'm2'}]
    collector, items = _export.collect(fake_client(), 'pipeline_modules', lambda c: c.start_pipeline('pipeline_modules', ['m2', 'x', 'm1']))
    assert sorted(o['id'] for o in items) == ['m1', 'm2']
    assert collector.missing == {'pipeline_modules': ['x']}


def test_ordered_kinds_and_pipeline_requests():
    assert _export.ordered_kinds(['runs', 'workspace', 'runs']) == ['workspace', 'runs']
    with pytest.raises(_export.ExportError, match="unknown kind.*bogus"):
        _export.ordered_kinds(['bogus'])
    assert _export.pipeline_requests({'graph': ['b', 'a', 'a']}) == {'pipeline_graphs': ['a', 'b']}
    with pytest.raises(_export.ExportError, match="unknown kind 'graphs'"):
        _export.pipeline_requests({'graphs': ['a']})
    with pytest.raises(_export.ExportError, match='must be a list'):
        _export.pipeline_requests({'graph': 'a'})


# -- downloading artifact contents (Client.download) --------------------------------------------

SAS = f'{BLOB}/c/outputs/model.pkl?sv=2019-02-02&sr=b&sp=r&sig=SAS-SIGNATURE-SECRET'


def test_download_sends_no_token_and_streams_to_the_file(rsps):
    rsps.add(responses.GET, SAS, body=b'x' * 3000)
    client = fake_client()
    out = io.BytesIO()
    size, digest = client.download(SAS, out, what='download artifact outputs/model.pkl', chunk_size=1000)
    assert size == 3000 and out.getvalue() == b'x' * 3000
    import hashlib
    assert digest == hashlib.sha256(b'x' * 3000).hexdigest()
    assert 'Authorization' not in rsps.calls[0].request.headers


def test_download_gives_the_etag_of_the_bytes_it_wrote(rsps):
    calls = {'n': 0}

    def body(request):  # the first answer is cut short; the second, of a rewritten blob, is the one written
        calls['n'] += 1
        if calls['n'] == 1:
            raise requests.exceptions.ChunkedEncodingError('connection broken')
        return 200, {'ETag': '"0x8D-SECOND"'}, b'complete'

    rsps.add_callback(responses.GET, SAS, callback=body)
    received = {}
    assert fake_client().download(SAS, io.BytesIO(), what='download', received=received) == (8, hashlib_sha256(b'complete'))
    assert received == {'etag': '"0x8D-SECOND"'}
    rsps.replace(responses.GET, SAS, body=b'no etag')
    received = {}
    fake_client().download(SAS, io.BytesIO(), what='download', received=received)
    assert received == {'etag': None}


def hashlib_sha256(data):
    import hashlib
    return hashlib.sha256(data).hexdigest()


def test_download_errors_never_show_the_signature(rsps):
    body = '<Error><Code>AuthenticationFailed</Code><Message>sig=SAS-SIGNATURE-SECRET bad</Message></Error>'
    rsps.add(responses.GET, SAS, status=403, body=body)
    client = fake_client()
    with pytest.raises(AzureMLError) as caught:
        client.download(SAS, io.BytesIO(), what='download artifact a')
    assert 'SAS-SIGNATURE-SECRET' not in str(caught.value) and '403' in str(caught.value)


def test_download_connection_error_is_retried_then_reported_without_the_signature(rsps):
    rsps.add(responses.GET, SAS, body=requests.exceptions.ConnectionError(f'cannot reach {SAS}'))
    client = fake_client()
    client.retries = 2
    with pytest.raises(AzureMLError) as caught:
        client.download(SAS, io.BytesIO(), what='download artifact a')
    assert 'SAS-SIGNATURE-SECRET' not in str(caught.value)
    assert len(rsps.calls) == 3


def test_download_restarts_a_body_cut_short(rsps):
    calls = {'n': 0}

    def body(request):
        calls['n'] += 1
        if calls['n'] == 1:
            raise requests.exceptions.ChunkedEncodingError('connection broken')
        return 200, {}, b'complete'

    rsps.add_callback(responses.GET, SAS, callback=body)
    out = io.BytesIO(b'stale content that is longer')
    assert fake_client().download(SAS, out, what='download')[0] == 8
    assert out.getvalue() == b'complete'
