"""Reliability and security properties that only canned responses can show (issue 7; docs/reliability.md).

The emulator cannot send a nextLink to another host nor repeat a continuation token: those are proven here, as are the
fixes the integration suite (tests/integration/reliability) forced.
"""
import os
import re
from urllib.parse import unquote, urlsplit

import pytest
import requests
import responses
from hypothesis import given, settings
from hypothesis import strategies as st
from unit_helpers import FakeAuth

from ansible_collections.gdpr.azureml.plugins.module_utils import _bundle, _client, _clouds, _routes

SUB = '00000000-1111-2222-3333-444444444444'


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


def make(**kwargs):
    sleeps = Sleeps()
    params = {'subscription_id': SUB, 'resource_group': 'rg', 'workspace_name': 'ws'}
    client = _client.Client(kwargs.pop('auth', FakeAuth()), _clouds.get_cloud(), defaults=params, location='eastus',
                            sleep=sleeps, **kwargs)
    return client, sleeps


@pytest.fixture
def rsps():
    with responses.RequestsMock() as mock:
        yield mock


# -- TLS: a certificate error is final -------------------------------------------------------------------------------------

def test_certificate_error_is_not_retried_and_says_how_to_trust_the_ca(rsps):
    client, sleeps = make(retries=6)
    rsps.add(responses.GET, re.compile(r'https://eastus\.modelmanagement.*'),
             body=requests.exceptions.SSLError('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed'))
    with pytest.raises(_client.AzureMLError) as err:
        client.list_items('models.list', what='list models')
    assert len(rsps.calls) == 1 and sleeps == []  # no retry, no backoff
    text = str(err.value)
    assert text.startswith('list models: SSLError') and 'certificate verify failed' in text and 'ca_path' in text


def test_other_connection_errors_are_still_retried(rsps):
    client, sleeps = make(retries=2)
    rsps.add(responses.GET, re.compile(r'https://eastus\.modelmanagement.*'), body=requests.exceptions.ConnectionError('reset'))
    with pytest.raises(_client.AzureMLError, match='after 2 retries'):
        client.list_items('models.list')
    assert len(rsps.calls) == 3 and len(sleeps) == 2


# -- paging: the token stays on the configured host; a repeated token stops the list ------------------------------------

def test_a_foreign_next_link_never_receives_the_token(rsps):
    client, dummy = make()
    rsps.add(responses.GET, re.compile(r'https://eastus\.modelmanagement.*'),
             json={'value': [{'id': 'm1'}], 'nextLink': 'https://evil.example.net/api/models?$skipToken=x'})
    with pytest.raises(_client.PagingError, match='refusing to follow the nextLink to evil.example.net'):
        client.list_items('models.list')
    assert [urlsplit(c.request.url).hostname for c in rsps.calls] == ['eastus.modelmanagement.azureml.net']


def test_a_look_alike_host_or_port_is_foreign_too(rsps):
    for link in ('https://eastus.modelmanagement.azureml.net.evil.example/x', 'https://eastus.modelmanagement.azureml.net:8443/x',
                 'http://eastus.modelmanagement.azureml.net/x', '//evil.example/x'):
        client, dummy = make()
        rsps.reset()
        rsps.add(responses.GET, re.compile(r'https://eastus\.modelmanagement\.azureml\.net/api.*'), json={'value': [], 'nextLink': link})
        with pytest.raises(_client.PagingError):
            client.list_items('models.list')
        assert len(rsps.calls) == 1, link


def test_a_page_repeating_its_continuation_token_stops_the_list(rsps):
    client, dummy = make()
    rsps.add(responses.GET, re.compile(r'https://eastus\.experiments\.azureml\.net/history/.*'),
             json={'value': [{'experimentId': 'e'}], 'continuationToken': 'same'})
    with pytest.raises(_client.PagingError, match='repeated the continuation token'):
        client.list_items('experiments.list')
    assert len(rsps.calls) == 2  # the first page, the page that repeated it: then stop


# -- a destination that cannot be a folder is refused before any request --------------------------------------------------

def test_folder_problem(tmp_path, monkeypatch):
    a_file = tmp_path / 'file'
    a_file.write_text('x', encoding='utf-8')
    assert _bundle.folder_problem(str(tmp_path / 'missing' / 'deeper')) is None  # created by the export
    assert _bundle.folder_problem(str(tmp_path)) is None
    assert _bundle.folder_problem(str(a_file)) == f'{a_file} exists and is not a folder'
    assert _bundle.folder_problem(str(a_file / 'bundle')) == f'{a_file} exists and is not a folder'
    assert not (tmp_path / 'missing').exists()
    monkeypatch.setattr(os, 'access', lambda path, mode: False)  # root may write anywhere: simulate a read-only folder
    assert _bundle.folder_problem(str(tmp_path / 'x')) == f'{tmp_path} is not writable'


# -- properties: route building and name encoding ------------------------------------------------------------------------

name = st.text(min_size=1, max_size=30).filter(lambda s: '\x00' not in s)
OPS = sorted(op for op in _routes.DOCUMENTED if _routes.DOCUMENTED[op].family != _routes.DISCOVERY)


@given(op=st.sampled_from(OPS), values=st.dictionaries(st.sampled_from(
    ['resource_group', 'workspace_name', 'id', 'compute_name', 'experiment_name', 'experiment_id', 'run_id', 'metric_id', 'task_id', 'name',
     'operation_id', 'path', 'container', 'endpoint_name', 'version']), name, min_size=15), port=st.integers(1, 65535))
@settings(max_examples=300, deadline=None)
def test_every_route_stays_on_base_url_and_each_value_is_one_segment(op, values, port):
    params = dict(values, subscription_id=SUB)
    route = _routes.get_route(op)
    url = _routes.build_url(op, params, _clouds.get_cloud(), 'eastus', base_url=f'http://127.0.0.1:{port}')
    parts = urlsplit(url)
    assert (parts.scheme, parts.hostname, parts.port) == ('http', '127.0.0.1', port)
    assert not parts.fragment
    template = route.path.replace('{ws}', _routes.WS)
    expected = template.split('?')[0].split('/')
    got = parts.path.split('/')
    assert len(got) == len(expected)  # no value adds or removes a segment ('/', '..', '?', '#' are encoded)
    for want, have in zip(expected, got):
        placeholder = re.fullmatch(r'\{([a-z_]+)\}', want)
        if placeholder:
            assert unquote(have) == params[placeholder.group(1)]
            assert have not in ('.', '..')
        else:
            assert have == want


@given(value=st.text(min_size=1, max_size=60))
@settings(max_examples=300, deadline=None)
def test_any_artifact_path_component_is_stored_as_one_safe_name(value):
    stored = _bundle.safe_component(value)
    assert stored not in ('', '.', '..')
    assert '/' not in stored and '\x00' not in stored and '\\' not in stored
    assert len(stored.encode('utf-8')) <= 255
