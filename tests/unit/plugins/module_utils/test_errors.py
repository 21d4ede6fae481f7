"""One base for the collection's errors, one message shape (``_errors``)."""
import inspect

import pytest

from ansible_collections.gdpr.azureml.plugins.module_utils import (
    _access, _audit, _auth, _bundle, _client, _errors, _export, _jsonfile, _purge, _report, _routes, _storage_purge, _subjects,
)


def test_a_service_error_reads_doing_what_the_service_said_status_code_request_id():
    error = _client.AzureMLError('delete model m1', 'Model m1 is used by image i1.', status=412, code='DeletionRequired',
                                 request_id='rid-1')
    assert str(error) == 'delete model m1: the service said Model m1 is used by image i1. (HTTP 412, code DeletionRequired, request id rid-1)'
    assert error.what == error.doing == 'delete model m1' and error.service
    assert error.to_result() == {'status': 412, 'error_code': 'DeletionRequired', 'request_id': 'rid-1'}


def test_parts_the_error_does_not_know_are_left_out_and_a_hint_follows():
    assert str(_client.AzureMLError('get workspace', 'Bad Gateway', status=502)) == 'get workspace: the service said Bad Gateway (HTTP 502)'
    assert (str(_client.AzureMLError('get workspace', None, status=401, request_id='r', hint='renew the token')) ==
            'get workspace: the service said no error message (HTTP 401, request id r); renew the token')


def test_a_local_problem_reads_doing_then_the_problem():
    assert str(_client.AzureMLError('list models', 'ConnectionError: refused (after 6 retries)')) == (
        'list models: ConnectionError: refused (after 6 retries)')
    # an answer that is not the service's error (a 200 whose body is not JSON): not "the service said"
    assert str(_client.AzureMLError('list models', 'the response is not JSON', status=200, request_id='r')) == (
        'list models: the response is not JSON (HTTP 200, request id r)')
    assert str(_errors.GdprAzureMLError('bad subject', doing='index the bundle')) == 'index the bundle: bad subject'
    assert str(_subjects.SubjectError('subject is empty')) == 'subject is empty'
    assert _errors.GdprAzureMLError('x').to_result() == {}


def test_a_refused_purge_keeps_its_result_keys():
    error = _purge.PurgeError('purge refused', changed=False, deleted=[], status=412)
    assert str(error) == 'purge refused' and error.to_result() == {'changed': False, 'deleted': [], 'status': 412}


@pytest.mark.parametrize('module', [_access, _audit, _auth, _bundle, _client, _export, _jsonfile, _purge, _report, _routes, _storage_purge,
                                    _subjects])
def test_every_error_class_derives_from_the_one_base(module):
    classes = [c for name, c in vars(module).items() if inspect.isclass(c) and issubclass(c, Exception)
               and c.__module__ == module.__name__]
    assert classes
    assert all(issubclass(c, _errors.GdprAzureMLError) for c in classes), classes


@pytest.mark.parametrize('cls', [_subjects.SubjectError, _access.PackageError, _report.ReportError, _export.ExportError, _routes.RouteError])
def test_errors_caught_as_value_errors_still_are(cls):
    with pytest.raises(ValueError):
        raise cls('bad input')
