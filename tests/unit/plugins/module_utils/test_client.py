import json
import threading
import time
from urllib.parse import quote, quote_plus

import pytest
import requests
import responses
from unit_helpers import WS_ID, WS_PARAMS, FakeAuth, InFlight

from ansible_collections.gdpr.azureml.plugins.module_utils import _client, _clouds

ARM = 'https://management.azure.com'
MMS = 'https://eastus.modelmanagement.azureml.net'
HIST = 'https://eastus.experiments.azureml.net'
EMU = 'http://127.0.0.1:8765'
API = '?api-version=2019-11-01'


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


class Clock:
    def __init__(self, sleeps):
        self.sleeps = sleeps

    def __call__(self):
        return 1000.0 + sum(self.sleeps)


def make(**kwargs):
    sleeps = Sleeps()
    kwargs.setdefault('auth', FakeAuth())
    kwargs.setdefault('location', 'eastus')
    client = _client.Client(kwargs.pop('auth'), _clouds.get_cloud(kwargs.pop('cloud', 'AzureCloud')), defaults=WS_PARAMS,
                            sleep=sleeps, clock=Clock(sleeps), **kwargs)
    return client, sleeps


@pytest.fixture
def rsps():
    with responses.RequestsMock() as mock:
        yield mock


# -- requests and headers ---------------------------------------------------------------------------------------------

def test_every_request_carries_bearer_and_a_fresh_client_request_id(rsps):
    client, dummy = make()
    rsps.add(responses.GET, ARM + WS_ID + API, json={'id': WS_ID})
    rsps.add(responses.GET, ARM + WS_ID + API, json={'id': WS_ID})
    assert client.get_json('workspaces.get') == {'id': WS_ID}
    client.get_json('workspaces.get')
    first, second = (c.request.headers for c in rsps.calls)
    assert first['Authorization'] == 'Bearer tok-secret-1'
    assert first['x-ms-client-request-id'] != second['x-ms-client-request-id']
    assert len(first['x-ms-client-request-id']) == 36
    assert first['User-Agent'].startswith('gdpr.azureml/')
    assert client.auth.grants == 1


def test_discovery_is_sent_without_a_token(rsps):
    client, dummy = make()
    rsps.add(responses.GET, HIST + '/discovery', json={'history': HIST})
    client.get_json('discovery.get', {'discovery_url': HIST + '/discovery'})
    assert 'Authorization' not in rsps.calls[0].request.headers


def test_pool_is_sized_to_concurrency():
    client, dummy = make(concurrency=3)
    adapter = client.session.get_adapter('https://management.azure.com')
    assert adapter._pool_maxsize == 3


def test_ca_path_and_validate_certs_reach_every_request(rsps):
    calls = []
    client, dummy = make(ca_path='/etc/ca.pem')
    original = client.session.request
    client.session.request = lambda *a, **kw: calls.append(kw['verify']) or original(*a, **kw)
    rsps.add(responses.GET, ARM + WS_ID + API, json={})
    client.get_json('workspaces.get')
    client2, dummy = make(validate_certs=False)
    assert client2.verify is False
    assert calls == ['/etc/ca.pem']


def test_location_is_resolved_once_and_only_for_the_data_plane(rsps):
    seen = []

    def resolver():
        seen.append(1)
        return {'location': 'westeurope', 'hosts': {}}

    client, dummy = make(location=None, resolver=resolver)
    assert client.url('workspaces.get').startswith(ARM)
    assert seen == []
    assert client.url('models.get', {'id': 'm'}).startswith('https://westeurope.modelmanagement.azureml.net/api/')
    client.url('runs.get', {'experiment_name': 'e', 'run_id': 'r'})
    assert seen == [1]


def test_base_url_needs_no_location(rsps):
    client, dummy = make(location=None, resolver=lambda: pytest.fail('no lookup with base_url'), base_url=EMU)
    assert client.url('tasks.get', {'task_id': 't'}) == EMU + '/notification/v1.0' + WS_ID + '/tasks/t'


# -- retries ------------------------------------------------------------------------------------------------------------

def test_429_honours_retry_after(rsps):
    client, sleeps = make()
    rsps.add(responses.GET, ARM + WS_ID + API, status=429, headers={'Retry-After': '7'}, json={'error': {'code': 'TooManyRequests'}})
    rsps.add(responses.GET, ARM + WS_ID + API, status=429, headers={'Retry-After': '3'})
    rsps.add(responses.GET, ARM + WS_ID + API, json={'id': WS_ID})
    assert client.get_json('workspaces.get') == {'id': WS_ID}
    assert sleeps == [7, 3]


def test_retry_after_is_capped(rsps):
    client, sleeps = make()
    rsps.add(responses.GET, ARM + WS_ID + API, status=429, headers={'Retry-After': '86400'})
    rsps.add(responses.GET, ARM + WS_ID + API, json={})
    client.get_json('workspaces.get')
    assert sleeps == [_client.RETRY_AFTER_MAX]


@pytest.mark.parametrize('status', [429, 500, 502, 503, 504])
def test_retry_statuses_then_success_with_jittered_backoff(rsps, status):
    client, sleeps = make(backoff_factor=2, backoff_max=5)
    for dummy in range(4):
        rsps.add(responses.DELETE, MMS + '/api' + WS_ID + '/models/m1' + API, status=status)
    rsps.add(responses.DELETE, MMS + '/api' + WS_ID + '/models/m1' + API, status=200)
    assert client.call('models.delete', {'id': 'm1'}).status_code == 200
    # base = min(5, 2 * 2**(n-1)) = 2, 4, 5, 5; the wait is between half of it and all of it
    assert len(sleeps) == 4
    for wait, base in zip(sleeps, (2, 4, 5, 5)):
        assert base / 2 <= wait <= base


def test_retries_are_bounded_and_the_last_error_is_reported(rsps):
    client, sleeps = make(retries=2)
    for dummy in range(3):
        rsps.add(responses.GET, ARM + WS_ID + API, status=503, json={'error': {'code': 'ServiceUnavailable', 'message': 'busy'}},
                 headers={'x-ms-request-id': 'rid-3'})
    with pytest.raises(_client.AzureMLError) as err:
        client.get_json('workspaces.get', what='get workspace rg-1/ws-1')
    assert str(err.value) == 'get workspace rg-1/ws-1: the service said busy (HTTP 503, code ServiceUnavailable, request id rid-3)'
    assert len(rsps.calls) == 3 and len(sleeps) == 2


def test_retries_zero_means_one_attempt(rsps):
    client, sleeps = make(retries=0)
    rsps.add(responses.GET, ARM + WS_ID + API, status=500)
    with pytest.raises(_client.AzureMLError, match='HTTP 500'):
        client.get_json('workspaces.get')
    assert len(rsps.calls) == 1 and sleeps == []


@pytest.mark.parametrize('error', [requests.exceptions.ConnectionError('refused'), requests.exceptions.ReadTimeout('slow'),
                                   requests.exceptions.ChunkedEncodingError('cut')])
@pytest.mark.parametrize('method, op', [('GET', 'models.get'), ('DELETE', 'models.delete')])
def test_connection_and_body_errors_are_retried_for_get_and_delete(rsps, error, method, op):
    client, sleeps = make()
    url = MMS + '/api' + WS_ID + '/models/m1' + API
    rsps.add(method, url, body=error)
    rsps.add(method, url, json={'id': 'm1'})
    assert client.call(op, {'id': 'm1'}).status_code == 200
    assert len(sleeps) == 1


def test_connection_errors_exhaust_retries(rsps):
    client, sleeps = make(retries=1)
    for dummy in range(2):
        rsps.add(responses.GET, ARM + WS_ID + API, body=requests.exceptions.ConnectionError('refused'))
    with pytest.raises(_client.AzureMLError) as err:
        client.get_json('workspaces.get', what='get workspace')
    assert str(err.value) == 'get workspace: ConnectionError: refused (after 1 retries)'


@pytest.mark.parametrize('method', ['POST', 'PUT', 'PATCH'])
def test_non_idempotent_requests_are_never_retried(rsps, method):
    client, sleeps = make()
    rsps.add(method, EMU + '/x', status=503, headers={'Retry-After': '1'})
    response = client.send(method, EMU + '/x', what='write', idempotent=False)
    assert response.status_code == 503
    assert len(rsps.calls) == 1 and sleeps == []


def test_non_idempotent_connection_error_fails_at_once(rsps):
    client, sleeps = make()
    rsps.add(responses.POST, EMU + '/x', body=requests.exceptions.ConnectionError('reset'))
    with pytest.raises(_client.AzureMLError, match='not retried: POST is not idempotent'):
        client.send('POST', EMU + '/x', what='write', idempotent=False)
    assert len(rsps.calls) == 1


def test_post_query_read_marked_idempotent_is_retried(rsps):
    client, sleeps = make(api_profile='current')
    url = 'https://eastus.api.azureml.ms/history/v1.0' + WS_ID + '/experiments:query'
    rsps.add(responses.POST, url, status=503)
    rsps.add(responses.POST, url, json={'value': [{'experimentId': 'e1'}], 'continuationToken': None})
    assert client.list_items('experiments.list') == [{'experimentId': 'e1'}]
    assert len(rsps.calls) == 2


# -- 401 ------------------------------------------------------------------------------------------------------------------

def test_401_renews_the_token_once(rsps):
    client, sleeps = make()
    rsps.add(responses.GET, ARM + WS_ID + API, status=401, json={'error': {'code': 'ExpiredAuthenticationToken'}})
    rsps.add(responses.GET, ARM + WS_ID + API, json={'id': WS_ID})
    assert client.get_json('workspaces.get') == {'id': WS_ID}
    assert client.auth.invalidated == ['tok-secret-1']
    assert rsps.calls[1].request.headers['Authorization'] == 'Bearer tok-secret-2'
    assert sleeps == []


def test_second_401_is_an_error_naming_the_identity(rsps):
    client, dummy = make(auth=FakeAuth(name='env (service principal app in tenant t)'))
    for dummy2 in range(2):
        rsps.add(responses.GET, ARM + WS_ID + API, status=401,
                 json={'error': {'code': 'InvalidAuthenticationToken', 'message': 'The access token is invalid.'}})
    with pytest.raises(_client.AzureMLError) as err:
        client.get_json('workspaces.get', what='get workspace')
    assert 'get workspace: the service said The access token is invalid. (HTTP 401, code InvalidAuthenticationToken, request id ' in str(err.value)
    assert str(err.value).endswith('; authenticated as env (service principal app in tenant t)')
    assert len(rsps.calls) == 2


def test_401_with_a_static_token_says_it_is_expired_or_invalid(rsps):
    client, dummy = make(auth=FakeAuth(refreshable=False))
    rsps.add(responses.GET, ARM + WS_ID + API, status=401, json={'error': {'code': 'ExpiredAuthenticationToken', 'message': 'expired'}})
    with pytest.raises(_client.AzureMLError) as err:
        client.get_json('workspaces.get', what='get workspace')
    assert 'the access_token is expired or invalid' in str(err.value)
    assert len(rsps.calls) == 1


# -- errors -------------------------------------------------------------------------------------------------------------

def test_arm_error_format(rsps):
    client, dummy = make()
    rsps.add(responses.GET, ARM + WS_ID + API, status=404, headers={'x-ms-request-id': '1234'}, json={'error': {
        'code': 'ResourceNotFound', 'message': "The Resource 'ws-1' under resource group 'rg-1' was not found."}})
    with pytest.raises(_client.AzureMLError) as err:
        client.get_json('workspaces.get', what='get workspace rg-1/ws-1')
    assert str(err.value) == ("get workspace rg-1/ws-1: the service said The Resource 'ws-1' under resource group 'rg-1' was not "
                              "found. (HTTP 404, code ResourceNotFound, request id 1234)")
    assert err.value.to_result() == {'status': 404, 'error_code': 'ResourceNotFound', 'request_id': '1234'}


def test_mms_flat_error_format(rsps):
    client, dummy = make()
    rsps.add(responses.DELETE, MMS + '/api' + WS_ID + '/models/m1' + API, status=412, json={
        'code': 'DeletionRequired', 'statusCode': 412, 'message': 'Model m1 is used by image i1.'})
    with pytest.raises(_client.AzureMLError) as err:
        client.call('models.delete', {'id': 'm1'}, what='delete model m1 in workspace rg-1/ws-1')
    message = str(err.value)
    assert message.startswith('delete model m1 in workspace rg-1/ws-1: the service said Model m1 is used by image i1. '
                              '(HTTP 412, code DeletionRequired, request id ')
    assert err.value.request_id == rsps.calls[0].request.headers['x-ms-client-request-id']  # no x-ms-request-id: ours


def test_run_history_error_format_with_correlation(rsps):
    client, dummy = make()
    rsps.add(responses.GET, HIST + '/history/v1.0' + WS_ID + '/experiments/e/runs/r', status=404, json={
        'error': {'code': 'UserError', 'message': 'Run r was not found'}, 'correlation': {'operation': 'op-9', 'request': 'req-9'}})
    with pytest.raises(_client.AzureMLError) as err:
        client.get_json('runs.get', {'experiment_name': 'e', 'run_id': 'r'})
    assert 'the service said Run r was not found (HTTP 404, code UserError, request id ' in str(err.value)
    assert str(err.value).startswith('runs.get experiment_name=e, run_id=r in workspace rg-1/ws-1: ')
    assert err.value.correlation_id == 'op-9'


def test_non_json_error_uses_text_or_reason(rsps):
    client, dummy = make()
    rsps.add(responses.GET, ARM + WS_ID + API, status=502, body='<html>Bad gateway</html>')
    client.retries = 0
    with pytest.raises(_client.AzureMLError, match=r'the service said Bad Gateway \(HTTP 502, request id '):
        client.get_json('workspaces.get')


def test_missing_ok_returns_none(rsps):
    client, dummy = make()
    rsps.add(responses.GET, ARM + WS_ID + API, status=404, json={'error': {'code': 'ResourceNotFound'}})
    assert client.get_json('workspaces.get', missing_ok=True) is None


def test_no_secret_in_error_text(rsps):
    client, dummy = make()
    token = client.auth.get_token()
    rsps.add(responses.GET, ARM + WS_ID + API, status=400, json={'error': {'code': 'Bad', 'message': f'token {token} rejected'}})
    with pytest.raises(_client.AzureMLError) as err:
        client.get_json('workspaces.get')
    assert token not in str(err.value)
    assert '********' in str(err.value)


def test_error_is_one_line():
    error = _client.AzureMLError('list models', 'line one\nline two', status=500, code='X')
    assert str(error) == 'list models: the service said line one line two (HTTP 500, code X)'


# -- paging --------------------------------------------------------------------------------------------------------------

def test_arm_paging_follows_absolute_next_link(rsps):
    client, dummy = make()
    url = ARM + f'/subscriptions/{WS_PARAMS["subscription_id"]}/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces'
    rsps.add(responses.GET, url + API, json={'value': [{'id': 'a'}], 'nextLink': url + API + '&$skiptoken=p2'})
    rsps.add(responses.GET, url + API + '&$skiptoken=p2', json={'value': [{'id': 'b'}], 'nextLink': url + API + '&$skiptoken=p3'})
    rsps.add(responses.GET, url + API + '&$skiptoken=p3', json={'value': [{'id': 'c'}]})
    assert [w['id'] for w in client.iter_items('workspaces.list')] == ['a', 'b', 'c']


def test_mms_paging(rsps):
    client, dummy = make()
    url = MMS + '/api' + WS_ID + '/models' + API
    rsps.add(responses.GET, url, json={'value': [{'id': 'm1'}], 'nextLink': url + '&$skipToken=xyz'})
    rsps.add(responses.GET, url + '&$skipToken=xyz', json={'value': [{'id': 'm2'}], 'nextLink': None})
    assert client.list_items('models.list') == [{'id': 'm1'}, {'id': 'm2'}]


def test_continuation_token_resent_as_query_parameter(rsps):
    client, dummy = make()
    url = HIST + '/history/v1.0' + WS_ID + '/experiments'
    rsps.add(responses.GET, url, match=[responses.matchers.query_param_matcher({'viewType': 'All'})],
             json={'value': [{'experimentId': 'e1'}], 'continuationToken': 'tok+/='})
    rsps.add(responses.GET, url, match=[responses.matchers.query_param_matcher({'viewType': 'All', 'continuationToken': 'tok+/='})],
             json={'value': [{'experimentId': 'e2'}], 'continuationToken': None})
    assert client.list_items('experiments.list') == [{'experimentId': 'e1'}, {'experimentId': 'e2'}]


def test_continuation_prefers_next_link(rsps):
    client, dummy = make()
    url = HIST + '/datastore/v1.0' + WS_ID + '/datastores'
    rsps.add(responses.GET, url, json={'value': [{'name': 'a'}], 'continuationToken': 'c1', 'nextLink': url + '?continuationToken=c1&count=30'})
    rsps.add(responses.GET, url + '?continuationToken=c1&count=30', json={'value': [{'name': 'b'}]})
    assert client.list_items('datastores.list') == [{'name': 'a'}, {'name': 'b'}]


def test_continuation_token_in_body_for_post_query(rsps):
    client, dummy = make(api_profile='current')
    url = 'https://eastus.api.azureml.ms/history/v1.0' + WS_ID + '/experiments/e/runs:query'
    rsps.add(responses.POST, url, match=[responses.matchers.json_params_matcher({'top': 2})],
             json={'value': [{'runId': 'r1'}], 'continuationToken': 'ct1', 'nextLink': 'ignored-for-post'})
    rsps.add(responses.POST, url, match=[responses.matchers.json_params_matcher({'top': 2, 'continuationToken': 'ct1'})],
             json={'value': [{'runId': 'r2'}], 'continuationToken': None})
    assert client.list_items('runs.list', {'experiment_name': 'e'}, body={'top': 2}) == [{'runId': 'r1'}, {'runId': 'r2'}]


def test_repeated_token_is_an_error_not_a_loop(rsps):
    client, dummy = make()
    url = HIST + '/notification/v1.0' + WS_ID + '/tasks'
    rsps.add(responses.GET, url, json={'value': [{'id': 1}], 'continuationToken': 'same'})
    rsps.add(responses.GET, url + '?continuationToken=same', json={'value': [{'id': 2}], 'continuationToken': 'same'})
    with pytest.raises(_client.PagingError, match='repeated the continuation token'):
        client.list_items('tasks.list', what='list tasks')
    assert len(rsps.calls) == 2


def test_repeated_next_link_cycle_is_an_error(rsps):
    client, dummy = make()
    url = MMS + '/api' + WS_ID + '/images' + API
    rsps.add(responses.GET, url, json={'value': [], 'nextLink': url + '&$skipToken=a'})
    rsps.add(responses.GET, url + '&$skipToken=a', json={'value': [], 'nextLink': url + '&$skipToken=b'})
    rsps.add(responses.GET, url + '&$skipToken=b', json={'value': [], 'nextLink': url + '&$skipToken=a'})
    with pytest.raises(_client.PagingError, match='repeated the nextLink'):
        client.list_items('images.list')


def test_next_link_to_a_foreign_host_is_refused(rsps):
    client, dummy = make()
    url = MMS + '/api' + WS_ID + '/services' + API
    rsps.add(responses.GET, url, json={'value': [{'id': 's1'}], 'nextLink': 'https://attacker.example/steal?$skipToken=1'})
    with pytest.raises(_client.PagingError) as err:
        client.list_items('services.list', what='list services')
    assert str(err.value) == ('list services: refusing to follow the nextLink to attacker.example: '
                              'the request went to eastus.modelmanagement.azureml.net')
    assert len(rsps.calls) == 1


def test_next_link_scheme_downgrade_is_refused(rsps):
    client, dummy = make()
    url = MMS + '/api' + WS_ID + '/assets' + API
    rsps.add(responses.GET, url, json={'value': [], 'nextLink': url.replace('https://', 'http://') + '&$skipToken=1'})
    with pytest.raises(_client.PagingError):
        client.list_items('assets.list')


def test_next_link_to_the_azure_host_is_rewritten_to_base_url(rsps):
    client, dummy = make(base_url=EMU)
    rsps.add(responses.GET, EMU + WS_ID + '/computes' + API, json={'value': [{'id': 'c1'}], 'nextLink': ARM + WS_ID + '/computes' + API + '&$skiptoken=2'})
    rsps.add(responses.GET, EMU + WS_ID + '/computes' + API + '&$skiptoken=2', json={'value': [{'id': 'c2'}]})
    assert [c['id'] for c in client.iter_items('computes.list')] == ['c1', 'c2']


def test_relative_next_link_stays_on_the_host(rsps):
    client, dummy = make(base_url=EMU)
    rsps.add(responses.GET, EMU + WS_ID + '/computes' + API, json={'value': [{'id': 'c1'}], 'nextLink': WS_ID + '/computes?page=2'})
    rsps.add(responses.GET, EMU + WS_ID + '/computes?page=2', json={'value': [{'id': 'c2'}]})
    assert len(client.list_items('computes.list')) == 2


def test_a_failing_page_raises(rsps):
    client, dummy = make(retries=0)
    url = MMS + '/api' + WS_ID + '/models' + API
    rsps.add(responses.GET, url, json={'value': [{'id': 'm1'}], 'nextLink': url + '&$skipToken=2'})
    rsps.add(responses.GET, url + '&$skipToken=2', status=500, json={'code': 'InternalError', 'message': 'oops'})
    with pytest.raises(_client.AzureMLError, match=r'the service said oops \(HTTP 500, code InternalError, request id '):
        client.list_items('models.list')


# -- fan-out --------------------------------------------------------------------------------------------------------------

def test_map_concurrent_is_bounded_and_keeps_order():
    flight = InFlight()

    def work(n):
        flight.busy(0.01)
        return n * n

    assert _client.map_concurrent(work, range(40), 4) == [n * n for n in range(40)]
    assert flight.peak == 4


def test_map_concurrent_propagates_the_first_error_and_cancels_the_rest():
    started = []

    def work(n):
        started.append(n)
        if n == 3:
            raise ValueError('item 3 failed')
        time.sleep(0.01)
        return n

    with pytest.raises(ValueError, match='item 3 failed'):
        _client.map_concurrent(work, range(200), 2)
    assert len(started) < 200


def test_map_concurrent_sequential_and_empty():
    assert _client.map_concurrent(str, [], 8) == []
    assert _client.map_concurrent(str, [1, 2], 1) == ['1', '2']


def test_requests_in_flight_never_exceed_the_concurrency_whatever_the_threads():
    """Two pools sending at once (the deletes of one kind and the listings of others) share the client's slots."""
    flight = InFlight()

    class Answer:
        status_code = 200
        headers = {}

        def close(self):
            pass

    class Session:
        def request(self, *args, **kwargs):
            flight.busy(0.01)
            return Answer()

    client, dummy = make(concurrency=3, session=Session())

    def send_many(n):
        return client.map_concurrent(lambda i: client.send('GET', ARM + '/x', what='get', idempotent=True), range(12))

    both = [threading.Thread(target=send_many, args=(n,)) for n in range(2)]
    for t in both:
        t.start()
    for t in both:
        t.join()
    assert flight.peak == 3 and flight.now == 0


def test_client_map_concurrent_uses_its_concurrency():
    client, dummy = make(concurrency=3)
    assert client.map_concurrent(lambda n: n + 1, [1, 2, 3]) == [2, 3, 4]


# -- long-running operations ---------------------------------------------------------------------------------------------

def _delete_202(rsps, headers):
    rsps.add(responses.DELETE, ARM + WS_ID + API, status=202, headers=headers)


def test_lro_follows_azure_async_operation(rsps):
    client, sleeps = make()
    status_url = ARM + '/subscriptions/s/providers/Microsoft.MachineLearningServices/locations/eastus/workspaceOperationsStatus/op1'
    _delete_202(rsps, {'Azure-AsyncOperation': status_url, 'Location': ARM + '/elsewhere', 'Retry-After': '2'})
    rsps.add(responses.GET, status_url, json={'status': 'InProgress'}, headers={'Retry-After': '5'})
    rsps.add(responses.GET, status_url, json={'status': 'Succeeded'})
    response = client.call('workspaces.delete')
    result = client.wait_lro(response, what='delete workspace rg-1/ws-1', wait_timeout=600)
    assert result.status == 'Succeeded' and result.polls == 2
    assert sleeps == [2, 5]
    assert all(c.request.url != ARM + '/elsewhere' for c in rsps.calls)


def test_lro_location_fallback(rsps):
    client, sleeps = make()
    _delete_202(rsps, {'Location': ARM + '/operationResults/op2'})
    rsps.add(responses.GET, ARM + '/operationResults/op2', status=202)
    rsps.add(responses.GET, ARM + '/operationResults/op2', status=204)
    result = client.wait_lro(client.call('workspaces.delete'), what='delete workspace', wait_timeout=600, poll_interval=3)
    assert result.status == 'Succeeded' and result.response.status_code == 204
    assert sleeps == [3, 3]


def test_lro_failure_reports_the_operation_error(rsps):
    client, dummy = make()
    _delete_202(rsps, {'Azure-AsyncOperation': ARM + '/status/op3'})
    rsps.add(responses.GET, ARM + '/status/op3', json={'status': 'Failed', 'error': {'code': 'Conflict', 'message': 'locked'}})
    with pytest.raises(_client.AzureMLError, match=r'^delete workspace: the service said locked \(HTTP 200, code Conflict, request id '):
        client.wait_lro(client.call('workspaces.delete'), what='delete workspace', wait_timeout=60)


def test_lro_deadline(rsps):
    client, sleeps = make()
    _delete_202(rsps, {'Azure-AsyncOperation': ARM + '/status/op4', 'Retry-After': '10'})
    rsps.add(responses.GET, ARM + '/status/op4', json={'status': 'Running'}, headers={'Retry-After': '10'})  # repeats
    with pytest.raises(_client.LroTimeoutError) as err:
        client.wait_lro(client.call('workspaces.delete'), what='delete workspace rg-1/ws-1', wait_timeout=25)
    assert str(err.value).startswith('delete workspace rg-1/ws-1: the operation is still Running after 25 s (wait_timeout)')
    assert sleeps == [10, 10, 5]  # never sleeps past the deadline


def test_lro_refuses_a_foreign_status_url(rsps):
    client, dummy = make()
    _delete_202(rsps, {'Azure-AsyncOperation': 'https://evil.example/status'})
    with pytest.raises(_client.PagingError, match='refusing to follow the operation URL to evil.example'):
        client.wait_lro(client.call('workspaces.delete'), what='delete workspace', wait_timeout=60)


def test_lro_done_at_once(rsps):
    client, sleeps = make()
    rsps.add(responses.DELETE, ARM + WS_ID + API, status=204)
    assert client.wait_lro(client.call('workspaces.delete'), what='delete', wait_timeout=1).polls == 0


def test_lro_mms_operation_location(rsps):
    client, sleeps = make()
    rsps.add(responses.DELETE, MMS + '/api' + WS_ID + '/services/s1' + API, status=202,
             headers={'Operation-Location': '/api' + WS_ID + '/operations/op5'})
    rsps.add(responses.GET, MMS + '/api' + WS_ID + '/operations/op5', json={'state': 'Succeeded'})
    result = client.wait_lro(client.call('services.delete', {'id': 's1'}), what='delete service s1', wait_timeout=60,
                             family='modelmanagement', poll_interval=1)
    assert result.status == 'Succeeded'


def test_lro_202_without_headers(rsps):
    client, dummy = make()
    rsps.add(responses.DELETE, ARM + WS_ID + API, status=202)
    with pytest.raises(_client.AzureMLError, match=r'^delete: the answer has no Azure-AsyncOperation, Location or Operation-Location '
                                                   r'header to follow \(HTTP 202, request id '):
        client.wait_lro(client.call('workspaces.delete'), what='delete', wait_timeout=1)


# Many operations at once (Client.wait_operations): the service deletes of one run.

OPS = MMS + '/api' + WS_ID + '/operations/'


def _start(rsps, client, name, **headers):
    rsps.add(responses.DELETE, MMS + '/api' + WS_ID + '/services/' + name, status=202,
             headers=dict({'Operation-Location': '/api' + WS_ID + '/operations/' + name}, **headers))
    return client.call('services.delete', {'id': name}), f'delete service {name}'


def _states(rsps, name, *states, **headers):
    for state in states:
        rsps.add(responses.GET, OPS + name, json={'state': state}, headers=headers)


def test_without_retry_after_polls_soon_then_backs_off_to_the_interval(rsps):
    client, sleeps = make()
    started = _start(rsps, client, 'svc')
    _states(rsps, 'svc', 'Running', 'Running', 'Running', 'Running', 'Running', 'Succeeded')
    outcome, = client.wait_operations([started], wait_timeout=1800, family='modelmanagement', poll_interval=5, first_poll=1)
    assert sleeps == [1, 2, 4, 5, 5, 5]  # polled at 1, 3, 7, 12, 17, 22 s
    assert outcome.status == 'Succeeded' and outcome.polls == 6


def test_a_retry_after_sets_the_pace(rsps):
    client, sleeps = make()
    started = _start(rsps, client, 'svc', **{'Retry-After': '2'})
    _states(rsps, 'svc', 'Running', 'Running', 'Succeeded', **{'Retry-After': '2'})
    outcome, = client.wait_operations([started], wait_timeout=1800, family='modelmanagement', poll_interval=5, first_poll=1)
    assert sleeps == [2, 2, 2] and outcome.polls == 3


def test_the_pace_counts_from_each_answer_not_from_the_start_of_the_wait(rsps):
    """An operation answered while later deletes were still being sent is polled as soon as its Retry-After is over, not
    a whole interval after the wait begins (a wave of thousands of deletes would otherwise idle once more per wave)."""
    client, sleeps = make()
    early = _start(rsps, client, 'early', **{'Retry-After': '2'})
    client._sleep(3)  # the other deletes of the wave take 3 s
    late = _start(rsps, client, 'late', **{'Retry-After': '4'})
    _states(rsps, 'early', 'Succeeded')
    _states(rsps, 'late', 'Succeeded')
    first, second = client.wait_operations([early, late], wait_timeout=60, family='modelmanagement', poll_interval=5, first_poll=1)
    assert first.polls == 1 and second.polls == 1
    assert sleeps == [3, 4]  # early polled at once (answered 3 s ago, Retry-After 2), late 4 s after its own answer
    assert [c.request.url.rsplit('/', 1)[-1] for c in rsps.calls if c.request.method == 'GET'] == ['early', 'late']


def test_many_operations_one_deadline_outcomes_in_order(rsps):
    client, sleeps = make()
    quick, failing, slow = (_start(rsps, client, n) for n in ('quick', 'failing', 'slow'))
    _states(rsps, 'quick', 'Succeeded')
    rsps.add(responses.GET, OPS + 'failing', json={'state': 'Failed', 'error': {'code': 'Conflict', 'message': 'in use'}})
    _states(rsps, 'slow', 'Running')  # repeats
    done, failed, late = client.wait_operations([quick, failing, slow], wait_timeout=10, family='modelmanagement', poll_interval=5,
                                                first_poll=1)
    assert done.status == 'Succeeded' and done.polls == 1
    assert isinstance(failed, _client.AzureMLError) and failed.code == 'Conflict' and failed.message == 'in use'
    assert isinstance(late, _client.LroTimeoutError)
    assert str(late).startswith('delete service slow: the operation is still Running after 10 s (wait_timeout)')
    assert sum(sleeps) == 10  # never past the deadline


def test_an_operation_that_cannot_be_followed_fails_alone(rsps):
    client, dummy = make()
    rsps.add(responses.DELETE, MMS + '/api' + WS_ID + '/services/gone', status=202)
    bare = (client.call('services.delete', {'id': 'gone'}), 'delete service gone')
    foreign = _start(rsps, client, 'far', **{'Operation-Location': 'https://evil.example/op'})
    ok = _start(rsps, client, 'ok')
    _states(rsps, 'ok', 'Succeeded')
    no_header, refused, done = client.wait_operations([bare, foreign, ok], wait_timeout=60, family='modelmanagement')
    assert str(no_header).startswith('delete service gone: the answer has no Azure-AsyncOperation, Location or Operation-Location '
                                     'header to follow (HTTP 202, request id ')
    assert isinstance(refused, _client.PagingError) and 'evil.example' in str(refused)
    assert done.status == 'Succeeded'


# -- delete ----------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('status, outcome', [(200, 'deleted'), (202, 'deleted'), (204, 'deleted'), (404, 'absent')])
def test_delete_outcomes_model_management(rsps, status, outcome):
    client, dummy = make()
    rsps.add(responses.DELETE, MMS + '/api' + WS_ID + '/models/m1' + API, status=status, headers={'x-ms-request-id': 'rid'})
    result = client.delete('models.delete', {'id': 'm1'})
    assert (result.outcome, result.status, result.request_id, result.error) == (outcome, status, 'rid', None)
    assert result.as_dict() == {'outcome': outcome, 'status': status, 'request_id': 'rid'}


def test_delete_arm_204_means_absent(rsps):
    client, dummy = make()
    rsps.add(responses.DELETE, ARM + WS_ID + API, status=204)
    assert client.delete('workspaces.delete', absent=(204, 404)).outcome == 'absent'


def test_delete_failure_is_reported_or_raised(rsps):
    client, dummy = make()
    url = MMS + '/api' + WS_ID + '/models/m1' + API
    rsps.add(responses.DELETE, url, status=412, json={'code': 'DeletionRequired', 'message': 'used by image i1'})
    result = client.delete('models.delete', {'id': 'm1'}, what='delete model m1')
    assert result.outcome == 'failed' and result.status == 412
    assert result.error.startswith('delete model m1: the service said used by image i1 (HTTP 412, code DeletionRequired, request id ')
    assert result.as_dict()['error'] == result.error
    with pytest.raises(_client.AzureMLError):
        client.delete('models.delete', {'id': 'm1'}, raise_errors=True)


def test_delete_reports_attempts_after_a_retry(rsps):
    client, dummy = make()
    url = MMS + '/api' + WS_ID + '/models/m1' + API
    rsps.add(responses.DELETE, url, status=503)
    rsps.add(responses.DELETE, url, status=404)
    result = client.delete('models.delete', {'id': 'm1'})
    assert (result.outcome, result.attempts) == ('absent', 2)


# -- tokens in headers and messages (issue 15) ----------------------------------------------------------------------------

def test_an_invalid_header_is_neither_retried_nor_shown(rsps):
    class NewlineToken(FakeAuth):
        def get_token(self):
            return 'tok-secret-newline\n'

        def secrets(self):
            return ['tok-secret-newline\n']

    client, sleeps = make(auth=NewlineToken())
    with pytest.raises(_client.AzureMLError) as err:
        client.get_json('workspaces.get', what='get workspace')
    message = str(err.value)
    assert 'a request header is invalid' in message and 'not retried' in message
    assert 'tok-secret' not in message and 'Bearer' not in message
    assert len(rsps.calls) == 0 and sleeps == []  # never sent, never retried


def test_an_invalid_url_is_not_retried(rsps):
    client, sleeps = make()
    with pytest.raises(_client.AzureMLError, match='an invalid URL: not sent, not retried'):
        client.send('GET', 'http://[::1', what='get something', idempotent=True)
    assert len(rsps.calls) == 0 and sleeps == []


@pytest.mark.parametrize('status', [400, 403, 404])
def test_client_errors_are_not_retried(rsps, status):
    client, sleeps = make()
    rsps.add(responses.GET, ARM + WS_ID + API, status=status, json={'error': {'code': 'X', 'message': 'no'}})
    with pytest.raises(_client.AzureMLError, match=f'HTTP {status}'):
        client.get_json('workspaces.get')
    assert len(rsps.calls) == 1 and sleeps == []


@pytest.mark.parametrize('escape', [
    str, str.strip, lambda s: repr(s)[1:-1], lambda s: json.dumps(s)[1:-1], lambda s: quote(s, safe=''), quote_plus,
], ids=['raw', 'stripped', 'repr', 'json', 'url', 'url-plus'])
def test_redaction_covers_escaped_forms(escape):
    secret = 'tok/en+va"lue\n'
    text = f'sent Bearer {escape(secret)} and failed'
    redacted = _client.redact_text(text, [secret])
    assert '********' in redacted
    assert 'tok' not in redacted and 'va' not in redacted.replace('failed', '')


def test_the_session_reads_netrc_once_per_origin_with_the_same_outcome(monkeypatch):
    calls = []
    found = {'https://a.example': None, 'https://b.example': ('login', 'password')}
    monkeypatch.setattr(requests.utils, 'get_netrc_auth', lambda url, raise_errors=False: calls.append(url) or found[url.rsplit('/', 1)[0]])
    session = _client.new_session(4)
    prepared = [session.prepare_request(requests.Request('GET', url, headers={'Authorization': 'Bearer t'}))
                for url in ('https://a.example/x', 'https://a.example/y', 'https://b.example/z', 'https://b.example/w')]
    assert calls == ['https://a.example/x', 'https://b.example/z']  # once per origin
    assert [p.headers['Authorization'] for p in prepared[:2]] == ['Bearer t'] * 2  # no netrc entry: the header as sent
    assert all(p.headers['Authorization'].startswith('Basic ') for p in prepared[2:])  # a netrc entry: what requests does
    session.trust_env = False
    session.prepare_request(requests.Request('GET', 'https://c.example/'))
    assert len(calls) == 2  # trust_env off: never looked up, as in requests


def test_the_session_reads_the_proxy_environment_once_per_origin_and_keeps_no_proxy(monkeypatch):
    monkeypatch.setenv('HTTPS_PROXY', 'http://proxy.example:3128')
    monkeypatch.setenv('NO_PROXY', 'bypass.example')
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', '/etc/ca-from-env.pem')
    calls = []
    real = requests.sessions.get_environ_proxies
    monkeypatch.setattr(requests.sessions, 'get_environ_proxies', lambda url, no_proxy=None: calls.append(url) or real(url, no_proxy))
    session = _client.new_session(4)
    settings = [session.merge_environment_settings(url, {}, False, True, None)
                for url in ('https://a.example/x?page=1', 'https://a.example/y', 'https://bypass.example/z', 'https://a.example/w')]
    assert calls == ['https://a.example/x?page=1', 'https://bypass.example/z']  # once per origin
    assert [s['proxies'].get('https') for s in settings] == ['http://proxy.example:3128'] * 2 + [None, 'http://proxy.example:3128']
    assert all(s['verify'] == '/etc/ca-from-env.pem' for s in settings)
    settings[0]['proxies']['https'] = 'changed by a caller'  # a copy: the cache is not changed
    assert session.merge_environment_settings('https://a.example/v', {}, False, True, None)['proxies']['https'] == 'http://proxy.example:3128'
    # a given verify or explicit proxies are honoured as requests does
    assert session.merge_environment_settings('https://a.example/x', {}, False, '/ca.pem', None)['verify'] == '/ca.pem'
    assert session.merge_environment_settings('https://a.example/x', {'https': 'http://other:1'}, False, True, None)['proxies']['https'] == \
        'http://other:1'
    adapter = session.get_adapter('https://a.example/')
    assert adapter._pool_maxsize == 4 and adapter.max_retries.total == 0
