"""Canned HTTP for the unit tests of the deleting modules and purge_plan (model management, ARM)."""
import hashlib
import json
import os
from urllib.parse import quote

import responses
from compat import patch_module_args
from unit_helpers import SUB, WS_ID, ExitJson, FailJson, patch_exits

from ansible_collections.gdpr.azureml.plugins.module_utils import _digests
from ansible_collections.gdpr.azureml.plugins.module_utils._client import Client
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import KINDS

ARM = 'https://management.azure.com'
MMS = 'https://eastus.modelmanagement.azureml.net'
API = '?api-version=2019-11-01'
WS_ARGS = {'subscription_id': SUB, 'resource_group': 'rg-1', 'workspace_name': 'ws-1', 'location': 'eastus',
           'access_token': 'secret-token-abc', 'api_profile': 'documented'}  # the canned routes are the documented ones


def mms(kind, obj_id=None):
    """URL of a model management list (no ``obj_id``) or object."""
    return f'{MMS}/api{WS_ID}/{kind}' + (f'/{quote(obj_id, safe="")}' if obj_id is not None else '') + API


def ws_url(query=API):
    return ARM + WS_ID + query


def add_list(rsps, kind, items):
    rsps.add(responses.GET, mms(kind), json={'value': items})


def add_delete(rsps, kind, obj_id, status=200, **kwargs):
    kwargs.setdefault('headers', {'x-ms-request-id': f'rid-{obj_id}-{status}'})
    rsps.add(responses.DELETE, mms(kind, obj_id), status=status, **kwargs)


def model(i):
    return {'id': i, 'name': i.split(':')[0], 'version': 1}


def image(i, model_ids=()):
    return {'id': i, 'name': i, 'modelIds': list(model_ids)}


def service(i, image_id=None, model_ids=(), compute='ACI'):
    obj = {'id': i, 'name': i, 'computeType': compute, 'models': [{'id': m, 'name': m} for m in model_ids]}
    if image_id:
        obj['imageId'] = image_id
    return obj


def deletes(rsps):
    return [c for c in rsps.calls if c.request.method == 'DELETE']


# POST reads of the route table (run-history ``:query`` lists, the v2 metrics ``/list`` and ``/full``): never mutating.
READ_POST_SUFFIXES = (':query', '/list', '/full')


def mutating(rsps):
    return [c for c in rsps.calls if c.request.method not in ('GET', 'HEAD')
            and not (c.request.method == 'POST' and c.request.path_url.split('?')[0].endswith(READ_POST_SUFFIXES))]


def http_mock():
    """A ``responses.RequestsMock`` (a context manager) that does not insist on every canned answer being used."""
    return responses.RequestsMock(assert_all_requests_are_fired=False)


def install_fake_time(monkeypatch):
    """No real sleeping in the client: a fake clock advanced by every sleep (``.sleeps`` lists them)."""

    class FakeTime:
        now = 1000.0
        sleeps = []

        def sleep(self, seconds):
            self.sleeps.append(seconds)
            self.now += seconds

        def clock(self):
            return self.now

    fake = FakeTime()
    fake.sleeps = []
    defaults = dict(Client.__init__.__kwdefaults__)
    defaults.update(sleep=fake.sleep, clock=fake.clock)
    monkeypatch.setattr(Client.__init__, '__kwdefaults__', defaults)
    return fake


def runner(monkeypatch, module_main):
    """``run(args)`` -> the module's result dict (exit or fail), the workspace coordinates added."""
    warnings = patch_exits(monkeypatch)

    def run(args, check=False, diff=False):
        args = dict(WS_ARGS, **args)
        if check:
            args['_ansible_check_mode'] = True
        if diff:
            args['_ansible_diff'] = True
        with patch_module_args(args):
            try:
                module_main()
            except ExitJson as done:
                return dict(done.result, warnings_seen=list(warnings))
            except FailJson as failed:
                return dict(failed.result, warnings_seen=list(warnings))
        raise AssertionError('the module did not exit')

    return run


def read_lines(path):
    with open(path, encoding='utf-8') as f:
        return [json.loads(line) for line in f if line.strip()]


def write_bundle(folder, workspace_id=WS_ID, objects=None, manifest_extra=None, format_version=2):
    """A minimal export bundle: one ``<kind>.json`` per kind of ``objects``, ``digests.json`` (format 2) and ``manifest.json``."""
    os.makedirs(folder, exist_ok=True)
    kinds = {}
    digests = {kind_name: {KINDS[kind_name].object_id(i): _digests.digest(kind_name, i) for i in items}
               for kind_name, items in (objects or {}).items()}
    for kind_name, items in (objects or {}).items():
        data = ('[\n' + ',\n'.join(json.dumps(i, sort_keys=True, separators=(',', ':')) for i in items) + '\n]\n') if items else '[]\n'
        path = os.path.join(folder, f'{kind_name}.json')
        with open(path, 'w', encoding='utf-8') as f:
            f.write(data)
        kinds[kind_name] = {'file': f'{kind_name}.json', 'count': len(items), 'scope': 'all',
                            'sha256': hashlib.sha256(data.encode('utf-8')).hexdigest()}
    manifest = {'format_version': format_version, 'collection_version': '1.0.0', 'started': '2026-01-01T00:00:00Z',
                'finished': '2026-01-01T00:00:01Z',
                'workspace': {'id': workspace_id, 'name': 'ws-1', 'resource_group': 'rg-1', 'subscription_id': SUB,
                              'location': 'eastus'},
                'kinds': kinds}
    if format_version >= 2:
        data = _digests.dumps(digests)
        with open(os.path.join(folder, _digests.DIGESTS_NAME), 'wb') as f:
            f.write(data)
        manifest['digests'] = {'file': _digests.DIGESTS_NAME, 'count': sum(len(v) for v in digests.values()),
                               'sha256': hashlib.sha256(data).hexdigest()}
    manifest.update(manifest_extra or {})
    with open(os.path.join(folder, 'manifest.json'), 'w', encoding='utf-8') as f:
        json.dump(manifest, f)
    return folder
