import json
import os

import export_helpers
from export_helpers import MMS
from unit_helpers import WS_ID

from ansible_collections.gdpr.azureml.plugins.modules import asset_info

# the shared fixtures (canned service, module runner)
run_module = export_helpers.run_module
rsps = export_helpers.rsps
service = export_helpers.service

LIST = '/api' + WS_ID + '/assets'


def obj(object_id):
    return {'id': object_id, 'name': object_id.split(':')[0], 'createdBy': {'userName': 'Björn Ødegård'}}


def test_lists_every_page_sorted_by_id(run_module, service):
    service.mms['assets'] = [obj('c:1'), obj('a:2'), obj('a:1'), obj('b:1'), obj('d:1')]
    result = run_module(asset_info, {})
    assert [o['id'] for o in result['assets']] == ['a:1', 'a:2', 'b:1', 'c:1', 'd:1'] and result['count'] == 5
    assert service.paths() == [LIST] * 3
    assert all(c.url.startswith(MMS) and 'api-version=2019-11-01' in c.url for c in service.calls)
    assert '$skipToken=2' in service.calls[1].url  # the absolute nextLink, followed as is


def test_gets_one_percent_encoded(run_module, service):
    service.mms['assets'] = [obj('churn model:3'), obj('other:1')]
    result = run_module(asset_info, {'id': 'churn model:3'})
    assert result['assets'] == [obj('churn model:3')] and result['count'] == 1
    assert '/assets/churn%20model%3A3?' in service.calls[0].url


def test_missing_one_is_an_empty_list(run_module, service):
    result = run_module(asset_info, {'id': 'gone:1'})
    assert result['assets'] == [] and result['count'] == 0 and not result.get('failed')


def test_dest_is_written_0600_and_idempotent(run_module, service, tmp_path):
    service.mms['assets'] = [obj('b:1'), obj('a:1')]
    dest = tmp_path / 'assets.json'
    first = run_module(asset_info, {'dest': str(dest)})
    assert first['changed'] is True and first['count'] == 2 and 'assets' not in first
    assert [o['id'] for o in json.loads(dest.read_text(encoding='utf-8'))] == ['a:1', 'b:1']
    assert oct(os.stat(dest).st_mode & 0o777) == '0o600'
    assert run_module(asset_info, {'dest': str(dest)})['changed'] is False


def test_check_mode_writes_nothing(run_module, service, tmp_path):
    service.mms['assets'] = [obj('a:1')]
    dest = tmp_path / 'assets.json'
    result = run_module(asset_info, {'dest': str(dest)}, check=True)
    assert result['changed'] is True and result['count'] == 1 and not dest.exists()
