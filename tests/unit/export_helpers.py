"""Canned HTTP for the unit tests of the export: the *_info modules, export_bundle and _export.

``FakeService`` answers the documented routes of one workspace (with the calls both profiles add: the
v2 metrics POSTs, a run by id; a run's artifacts in its data container ``dcid.<runId>``) from dicts of objects (through
``responses`` callbacks): lists page ``page_size`` objects at a time in the family's paging style,
gets answer 404 for unknown ids, and every request is recorded (``calls``). It is the unit tests'
stand-in for the emulator: small, and with answers the emulator would never give (secrets despite
``includeSecret=false``).
"""
import json
import re
import time
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest
import responses
from compat import patch_module_args
from unit_helpers import SUB, WS_ID, ExitJson, FailJson, patch_exits

ARM = 'https://management.azure.com'
MMS = 'https://eastus.modelmanagement.azureml.net'
HIST = 'https://eastus.experiments.azureml.net'
AETHER = 'https://eastus.aether.ms'
BLOB = 'https://stblob.blob.core.windows.net'
TOKEN = 'secret-token-abc'
# The canned service speaks the documented profile (api_profile current is tested in test_api_profiles.py and on the emulator).
WS_ARGS = {'subscription_id': SUB, 'resource_group': 'rg-1', 'workspace_name': 'ws-1', 'location': 'eastus', 'access_token': TOKEN,
           'api_profile': 'documented'}
MMS_KINDS = ('models', 'assets', 'images', 'services')
PIPELINE_PATHS = {'Experiments': 'pipeline_experiments', 'Graphs': 'pipeline_graphs', 'Modules': 'pipeline_modules',
                  'Templates': 'pipeline_templates', 'DataSources': 'pipeline_datasources'}


def workspace_object():
    return {'id': WS_ID, 'name': 'ws-1', 'location': 'eastus', 'type': 'Microsoft.MachineLearningServices/workspaces',
            'properties': {'discoveryUrl': f'{HIST}/discovery', 'workspaceId': 'c0ffee00-0000-4000-8000-000000000001'}}


def experiment(name, n):
    return {'experimentId': f'e{n:04d}-{name}', 'name': name, 'createdUtc': '2020-03-02T08:00:00Z'}


def run(exp, n):
    run_id = f'{exp["name"].replace(" ", "_")}_{n}'
    return {'runId': run_id, 'experimentId': exp['experimentId'], 'status': 'Completed', 'dataContainerId': 'dcid.' + run_id,
            'createdBy': {'userName': 'Anna Svensson', 'userObjectId': 'u-1', 'userTenantId': 't-1'}}


def metric(run_obj, n):
    return {'metricId': f'm-{run_obj["runId"]}-{n}', 'runId': run_obj['runId'], 'name': 'accuracy', 'cells': [{'accuracy': 0.9}]}


def artifact(run_id, path):
    """An artifact of a run, in the run's data container (``dcid.<runId>``)."""
    return {'artifactId': f'ExperimentRun/dcid.{run_id}/{path}', 'origin': 'ExperimentRun', 'container': 'dcid.' + run_id, 'path': path}


def metric_v2(run_id, name, n_values):
    """A v2 metric as FakeService keeps it: the definition's key and every value."""
    return {'name': name, 'namespace': '', 'values': [{'metricId': f'v-{run_id}-{name}-{i}', 'step': i, 'data': {name: i / 10}}
                                                      for i in range(n_values)]}


def datastore(name, secret):
    return {'name': name, 'dataStoreType': 'AzureBlob', 'azureStorageSection': {
        'accountName': 'st1', 'containerName': 'c1', 'credentialType': 'AccountKey', 'credential': secret, 'accountKey': secret,
        'clientCredentials': {'clientId': 'cid', 'clientSecret': secret}}}


# The last segment of the v2 list paths (ARM 2025-12-01): every one answers an empty list unless ``FakeService.v2`` has it.
V2_COLLECTIONS = frozenset(('jobs', 'data', 'models', 'environments', 'components', 'codes', 'versions', 'onlineEndpoints',
                            'batchEndpoints', 'deployments', 'schedules', 'connections'))


class FakeService:
    """One workspace of the documented API, served through ``responses`` callbacks."""

    def __init__(self, rsps, page_size=2):
        self.rsps = rsps
        self.page_size = page_size
        self.workspace = workspace_object()
        self.computes = []
        self.experiments = []
        self.runs = {}       # experiment name -> [run]
        self.metrics = {}    # experiment name -> [metric]
        self.artifacts = {}  # run id -> [artifact] (served in the container dcid.<run id>, or the run id for runs without one)
        self.metrics_v2 = {}  # run id -> [metric_v2()]
        self.tasks = []
        self.datastores = []
        self.mms = {kind: [] for kind in MMS_KINDS}
        self.pipelines = {kind: [] for kind in PIPELINE_PATHS.values()}
        self.blobs = {}      # artifactId -> bytes
        self.v2 = {}         # the v2 lists (ARM 2025-12-01): path under the workspace ('jobs', 'data/d/versions') -> [object]
        self.leak_secrets = False  # answer datastores with their credentials even with includeSecret=false
        self.latency = 0.0  # seconds added to every answer
        self.calls = []
        for host in (ARM, MMS, HIST, AETHER, BLOB):
            rsps.add_callback(responses.GET, re.compile(re.escape(host) + r'/.*'), callback=self._handle)
        rsps.add_callback(responses.POST, re.compile(re.escape(HIST) + r'/metric/v2\.0/.*'), callback=self._handle)

    # -- building --------------------------------------------------------------------------

    def add_experiment(self, name, runs=0, metrics_per_run=0, artifacts_per_run=0):
        exp = experiment(name, len(self.experiments))
        self.experiments.append(exp)
        self.runs[name], self.metrics[name] = [], []
        for r in range(runs):
            run_obj = run(exp, r)
            self.runs[name].append(run_obj)
            self.metrics[name].extend(metric(run_obj, m) for m in range(metrics_per_run))
            self.artifacts[run_obj['runId']] = [artifact(run_obj['runId'], f'outputs/file{a}.txt') for a in range(artifacts_per_run)]
        return exp

    def all_runs(self):
        return [r for runs in self.runs.values() for r in runs]

    def all_metrics(self):
        return [m for ms in self.metrics.values() for m in ms]

    def run_by_id(self, run_id):
        return next((r for r in self.all_runs() if r['runId'] == run_id), None)

    def all_artifacts(self):
        return [a for arts in self.artifacts.values() for a in arts]

    # -- serving ---------------------------------------------------------------------------

    def _page(self, request, items, style):
        parts = urlsplit(request.url)
        query = parse_qs(parts.query)
        token = (query.get('continuationToken') or query.get('$skiptoken') or query.get('$skipToken') or ['0'])[0]
        start = int(token)
        page = items[start:start + self.page_size]
        nxt = start + self.page_size if start + self.page_size < len(items) else None
        body = {'value': page}
        base = f'{parts.scheme}://{parts.netloc}{parts.path}'
        keep = [(k, v) for k, vs in query.items() for v in vs if k not in ('continuationToken', '$skiptoken', '$skipToken')]
        if style == 'continuation':
            body['continuationToken'] = str(nxt) if nxt is not None else None
            body['nextLink'] = None
            if nxt is not None:
                body['nextLink'] = base + '?' + '&'.join(f'{k}={quote(v, safe="")}' for k, v in keep + [('continuationToken', str(nxt))])
        elif nxt is not None:
            name = '$skiptoken' if style == 'arm' else '$skipToken'
            body['nextLink'] = base + '?' + '&'.join(f'{k}={v}' for k, v in keep + [(name, str(nxt))])
        return body

    def _handle(self, request):
        self.calls.append(request)
        if self.latency:
            time.sleep(self.latency)
        parts = urlsplit(request.url)
        path = unquote(parts.path)
        query = parse_qs(parts.query)
        if parts.netloc == urlsplit(BLOB).netloc:
            if request.headers.get('Authorization'):
                return 403, {}, 'token sent to storage'
            key = path[len('/artifacts/'):]
            if query.get('sig') != ['SAS-SIGNATURE-SECRET'] or key not in self.blobs:
                return 403, {}, '<Error><Code>AuthenticationFailed</Code></Error>'
            return 200, {}, self.blobs[key]
        if request.headers.get('Authorization') != f'Bearer {TOKEN}':
            return 401, {}, json.dumps({'error': {'code': 'AuthenticationFailed', 'message': 'no token'}})
        return self._route(request, path, query)

    def _json(self, body, status=200):
        return status, {'Content-Type': 'application/json', 'x-ms-request-id': 'req-1'}, json.dumps(body)

    def _missing(self, what):
        return self._json({'error': {'code': 'NotFound', 'message': f'{what} was not found'}}, 404)

    def _route(self, request, path, query):
        ws = WS_ID
        if path == ws:
            return self._json(self.workspace) if self.workspace else self._missing('Workspace ws-1')
        if path == ws + '/computes':
            return self._json(self._page(request, self.computes, 'arm'))
        if path.startswith(ws + '/computes/'):
            return self._get(self.computes, 'name', path[len(ws + '/computes/'):], 'compute')
        if path.startswith('/history/v1.0' + ws + '/runs/'):
            found = self.run_by_id(path[len('/history/v1.0' + ws + '/runs/'):])
            return self._json(found) if found else self._missing('Run')
        if path.startswith('/metric/v2.0' + ws + '/runs/'):
            return self._metric_v2(request, path[len('/metric/v2.0' + ws + '/runs/'):])
        hist = '/history/v1.0' + ws + '/experiments'
        if path == hist:
            return self._json(self._page(request, self.experiments, 'continuation'))
        match = re.fullmatch(re.escape(hist) + r'/(.+)/(runs|metrics)(?:/(.+))?', path)
        if match:
            name, what, one = match.groups()
            if name not in self.runs:
                return self._missing(f'Experiment {name}')
            items = (self.runs if what == 'runs' else self.metrics)[name]
            if one is None:
                return self._json(self._page(request, items, 'continuation'))
            return self._get(items, 'runId' if what == 'runs' else 'metricId', one, what)
        art = '/artifact/v1.0' + ws + '/artifacts/origins/ExperimentRun/containers/'
        if path.startswith(art):
            rest = path[len(art):]
            if rest.endswith('/contentinfo'):
                run_id = rest[:-len('/contentinfo')]
                art_id = f'ExperimentRun/{run_id}/{query["path"][0]}'
                if art_id not in self.blobs:
                    return self._missing(f'Artifact {art_id}')
                return self._json({'contentUri': f'{BLOB}/artifacts/{quote(art_id, safe="")}?sv=2019-02-02&sr=b&sig=SAS-SIGNATURE-SECRET'})
            return self._json(self._page(request, self._container(rest), 'continuation'))
        tasks = '/notification/v1.0' + ws + '/tasks'
        if path == tasks:
            return self._json(self._page(request, self.tasks, 'continuation'))
        if path.startswith(tasks + '/'):
            return self._get(self.tasks, 'id', path[len(tasks) + 1:], 'task')
        stores = '/datastore/v1.0' + ws + '/datastores'
        if path in (stores,) or path.startswith(stores + '/'):
            hide = query.get('includeSecret') == ['false'] and not self.leak_secrets
            items = [self._hide(d) if hide else d for d in self.datastores]
            if path == stores:
                return self._json(self._page(request, items, 'continuation'))
            return self._get(items, 'name', path[len(stores) + 1:], 'datastore')
        for kind in MMS_KINDS:
            base = '/api' + ws + '/' + kind
            if path == base:
                return self._json(self._page(request, self.mms[kind], 'mms'))
            if path.startswith(base + '/'):
                return self._get(self.mms[kind], 'id', path[len(base) + 1:], kind[:-1])
        rel = path[len(ws) + 1:] if path.startswith(ws + '/') else None
        if rel is not None and rel.rsplit('/', 1)[-1] in V2_COLLECTIONS:
            return self._json(self._page(request, self.v2.get(rel, []), 'arm'))
        if path.endswith('/providers/Microsoft.MachineLearningServices/registries'):
            return self._json(self._page(request, self.v2.get('registries', []), 'arm'))
        for segment, kind in PIPELINE_PATHS.items():
            base = '/api/v1.0' + ws + '/' + segment + '/'
            if path.startswith(base):
                return self._get(self.pipelines[kind], 'id', path[len(base):], kind)
        return self._json({'error': {'code': 'NoRoute', 'message': path}}, 400)

    def _container(self, container):
        """The artifacts stored in ``container``: a run's ``dataContainerId``, else its id (runs without one)."""
        for run_id, items in self.artifacts.items():
            found = self.run_by_id(run_id)
            if container == ((found or {}).get('dataContainerId') or run_id):
                return items
        return []  # a container that does not exist lists as empty

    def _metric_v2(self, request, rest):
        run_id, dummy, what = rest.rpartition('/')
        body = json.loads(request.body or b'{}')
        start = int(body.get('continuationToken') or 0)
        metrics = self.metrics_v2.get(run_id, [])
        if what == 'list':
            items = [{'metricKey': {'namespace': m['namespace'], 'name': m['name']}, 'columns': {m['name']: 'Double'}} for m in metrics]
        else:
            metric = next((m for m in metrics if m['name'] == body.get('metricName')), None)
            if metric is None:
                return self._missing(f'Metric {body.get("metricName")}')
            items = metric['values']
        nxt = start + self.page_size if start + self.page_size < len(items) else None
        page = {'value': items[start:start + self.page_size], 'continuationToken': str(nxt) if nxt is not None else None}
        if what == 'full':
            page.update(name=body['metricName'], dataContainerId='dcid.' + run_id, columns={body['metricName']: 'Double'})
        return self._json(page)

    def _get(self, items, field, value, what):
        for item in items:
            if item.get(field) == value:
                return self._json(item)
        return self._missing(f'{what} {value}')

    @staticmethod
    def _hide(ds):
        section = {k: v for k, v in ds['azureStorageSection'].items() if k not in ('credential', 'accountKey')}
        section['clientCredentials'] = {k: v for k, v in section['clientCredentials'].items() if k != 'clientSecret'}
        return dict(ds, azureStorageSection=section)

    # -- reading -----------------------------------------------------------------------------

    def paths(self, host=None):
        """Decoded paths of the recorded requests (of ``host`` only when given)."""
        return [unquote(urlsplit(c.url).path) for c in self.calls if host is None or c.url.startswith(host)]


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def service(rsps):
    return FakeService(rsps)


@pytest.fixture
def run_module(monkeypatch):
    """``run_module(module, args, check=False)`` -> the result dict (``failed`` set when it failed)."""
    warnings = patch_exits(monkeypatch)

    def run(module, args, check=False):
        args = dict(WS_ARGS, **args)
        if check:
            args['_ansible_check_mode'] = True
        result = None
        with patch_module_args(args):
            try:
                module.main()
            except ExitJson as done:
                result = done.result
            except FailJson as failed:
                result = failed.result
        if result is None:
            raise AssertionError('the module did not exit')
        result.setdefault('warnings', list(warnings))
        return result

    return run
