# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""Collect every object of a workspace: the engine behind the ``*_info`` modules and ``export_bundle``.

One :class:`Scheduler` per module run: ``concurrency`` worker threads (the client's connection
pool has as many connections) take *tasks* from a priority queue. A task lists one thing (all of
its pages, through ``Client.iter_items``) and may submit more tasks: the experiments list submits
"runs of experiment X" and "metrics of experiment X", each runs list submits "artifacts of run
Y" (listed in the run's data container) and "v2 metrics of run Y", each v2 metrics list "the
values of metric M of run Y", each artifact list "download the content of Z". Deeper tasks go first, so fan-out work is
taken as soon as it is known and the queue stays short; a task that would grow the queue past
``max_pending`` runs a queued (deeper) task itself first. Every kind of the bundle therefore runs
at once, and the requests in flight never exceed ``concurrency``.

Objects are never gathered in lists: each one goes from its page to a :class:`Sink` (a bounded
queue) read by the consumer (``_jsonfile.write_json_array`` spilling to disk, or the ``*_info``
module's result). Memory is bounded by the pages in flight, the sinks' queues and the
``max_pending`` queued tasks (each holds a parent's id, not its objects).

The first error stops everything: the tasks running end at their next item, queued tasks are
dropped, and the error (with what was being done, status, request id) reaches the consumer.
"""

import hashlib
import heapq
import itertools
import json
import os
import re
import queue
import threading
import time
from datetime import datetime, timezone

from ansible_collections.gdpr.azureml.plugins.module_utils import _bundle, _digests, _not_covered, _storage_export
from ansible_collections.gdpr.azureml.plugins.module_utils._client import COLLECTION_VERSION, AzureMLError
from ansible_collections.gdpr.azureml.plugins.module_utils._errors import GdprAzureMLError
from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import TIME_FORMAT, Encoded, dumps_text, sha256_file, utc_now
from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import write_atomic, write_json_array
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import CHILDREN, KIND_NAMES, KINDS, PIPELINE_KINDS, depth, descendants
from ansible_collections.gdpr.azureml.plugins.module_utils._scrub import scrub
from ansible_collections.gdpr.azureml.plugins.module_utils._storage import account_from_id
from ansible_collections.gdpr.azureml.plugins.module_utils._storage_uris import URI_FIELDS, shown_uri, version_targets, version_uri

# A reference to a registry in a v2 object (an environment, a component or a model of a registry): the registry's name.
REGISTRY_REF = re.compile(r'azureml://registries/([^/"?#\s]+)', re.IGNORECASE)

# Task priorities: deeper fan-out first (a listing under a parent runs at its kind's depth in the kinds table,
# ``_kinds.depth``: 1 under the experiments, 2 under the runs).
ROOT, PER_RUN, PER_ARTIFACT = 0, 2, 3


def data_containers(run_id, data_container):
    """The artifact containers of a run: its ``dataContainerId`` (``dcid.<runId>`` for runs of the SDK); a run
    without one: both ``dcid.<runId>`` and ``<runId>`` (a container that does not exist lists as empty)."""
    if data_container:
        return [str(data_container)]
    return ['dcid.' + run_id, run_id]


class Cancelled(GdprAzureMLError):
    """The export stopped (another task failed, or the consumer went away)."""


class ExportError(GdprAzureMLError, ValueError):
    """The export cannot run or finish (a missing workspace, a bad option, an unsafe bundle path)."""


# -- the engine ---------------------------------------------------------------------------------

class Scheduler:
    """``workers`` threads running tasks from a priority queue; tasks may submit more tasks.

    :meth:`run` returns when no task is queued or running, and raises the first error a task
    raised (after the tasks still running have stopped).
    """

    def __init__(self, workers, max_pending=None):
        self.workers = max(1, int(workers))
        self.max_pending = max_pending or max(64, 8 * self.workers)
        self._heap = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._running = 0
        self._error = None
        self._local = threading.local()

    @property
    def cancelled(self):
        return self._error is not None

    @property
    def error(self):
        return self._error

    def fail(self, exc):
        """Stop: keep ``exc`` as the error (unless there is one already), drop the queued tasks."""
        with self._cond:
            if self._error is None:
                self._error = exc
            self._heap.clear()
            self._cond.notify_all()

    def check(self):
        """Raise :class:`Cancelled` once the export has stopped (tasks call it between items)."""
        if self._error is not None:
            raise Cancelled()

    def submit(self, fn, *args, priority=ROOT):
        """Queue ``fn(*args)``.

        Inside a task, when the queue already holds ``max_pending`` tasks, the caller runs a queued
        task itself first (the deepest one: its priority is at least ``priority``, so this recursion
        is as deep as the levels of fan-out at most). Workers never wait for room, and the queue
        stays bounded.
        """
        while True:
            with self._cond:
                if self._error is not None:
                    raise Cancelled()
                full = getattr(self._local, 'worker', False) and len(self._heap) >= self.max_pending
                if not full or -self._heap[0][0] < priority:
                    heapq.heappush(self._heap, (-priority, next(self._seq), fn, args))
                    self._cond.notify_all()
                    return
                inline, inline_args = heapq.heappop(self._heap)[2:]
            inline(*inline_args)

    def _worker(self):
        self._local.worker = True
        while True:
            with self._cond:
                while not self._heap and self._running and self._error is None:
                    self._cond.wait()
                if self._error is not None or not self._heap:
                    self._cond.notify_all()
                    return
                fn, args = heapq.heappop(self._heap)[2:]
                self._running += 1
                self._cond.notify_all()
            try:
                fn(*args)
            except Cancelled:
                pass
            except BaseException as exc:  # noqa: BLE001 - any failure stops the export and is reported
                self.fail(exc)
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()

    def run(self):
        """Run the queued tasks (and those they submit) to the end; raise the first error."""
        threads = [threading.Thread(target=self._worker, name=f'gdpr-azureml-export-{n}', daemon=True) for n in range(self.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if self._error is not None:
            raise self._error


_END = object()


class Sink:
    """The objects of one kind on their way to a consumer: a bounded queue, read by iterating.

    Producers (tasks) :meth:`put`; the orchestrator :meth:`close` s it once the scheduler is done
    (with the error, if any, which the consumer's iteration raises).
    """

    def __init__(self, scheduler, maxsize=512):
        self.scheduler = scheduler
        self._queue = queue.Queue(maxsize)
        self._error = None
        self._abandoned = False

    def put(self, item):
        while True:
            if self._abandoned:
                raise Cancelled()
            self.scheduler.check()
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def close(self, error=None):
        self._error = error
        while not self._abandoned:
            try:
                self._queue.put(_END, timeout=0.2)
                return
            except queue.Full:
                continue

    def abandon(self):
        """The consumer stopped reading: producers stop too."""
        self._abandoned = True

    def __iter__(self):
        while True:
            item = self._queue.get()
            if item is _END:
                if self._error is not None:
                    raise self._error
                return
            yield item


class Collector:
    """The tasks that list a workspace's objects into sinks (``{kind name: Sink}``).

    Only kinds with a sink are emitted; the lists a wanted kind depends on (experiments for runs,
    runs for artifacts) are still walked. Objects are scrubbed (``_scrub``) before they leave.

    :param download: for ``export_bundle``'s artifact contents: an object with ``plan(run_id,
        [(artifact id, path)])`` returning ``[(artifact id, path, stored path)]`` for the artifacts of a
        run, and ``one(run_id, artifact id, path, stored path)`` returning the index entry of one
        artifact (called in a task of its own); entries go to the ``artifact_contents`` sink.
    """

    def __init__(self, client, scheduler, sinks, *, download=None, encode=False):
        self.client = client
        self.scheduler = scheduler
        self.sinks = sinks
        self.download = download
        # encode: objects go to their sinks as ``_jsonfile.Encoded`` (their file bytes), encoded once for the registry
        # references, the digest and the file (export_bundle's writers)
        self.encode = encode
        self.missing = {}
        self._needs = {}
        self._lock = threading.Lock()
        # The registries (lower-case names) the emitted objects refer to, from the kinds that can refer to one.
        self.registry_refs = set()
        self._registry_kinds = (frozenset(name for name in sinks if name in KINDS and KINDS[name].api == 'v2'
                                          and KINDS[name].lister != 'used_registries')
                                if any(KINDS[n].lister == 'used_registries' for n in sinks if n in KINDS) else frozenset())
        coords = client.params()
        self.where = f"workspace {coords.get('resource_group')}/{coords.get('workspace_name')}"

    def wants(self, name):
        return name in self.sinks

    def needs(self, name):
        """Whether the objects of kind ``name`` must be listed: it has a sink, or a kind listed under it has."""
        if name not in self._needs:
            self._needs[name] = self.wants(name) or any(self.wants(k) for k in descendants(name))
        return self._needs[name]

    def emit(self, name, item):
        sink = self.sinks.get(name)
        if sink is not None:
            item = scrub(name, item)
            text = None
            if self.encode:
                text = dumps_text(item)
            if self._registry_kinds and name in self._registry_kinds:
                # a reference lies inside one JSON string, escaped the same way whatever the key order and separators
                found = set(m.lower() for m in REGISTRY_REF.findall(text if text is not None else json.dumps(item, ensure_ascii=False)))
                if found - self.registry_refs:
                    with self._lock:
                        self.registry_refs.update(found)
            sink.put(item if text is None else Encoded(item, text.encode('utf-8')))

    def after(self):
        """Once every other listing is done: submit the listings that need what they found (the registries the exported
        objects refer to); whether any was submitted (the scheduler then runs again)."""
        names = [name for name in self.sinks if name in KINDS and KINDS[name].lister == 'used_registries']
        for name in names:
            self.scheduler.submit(self._used_registries, name)
        return bool(names)

    def _items(self, op, params, what, query=None):
        for item in self.client.iter_items(op, params, what=what, query=query):
            self.scheduler.check()
            yield item

    # -- what to collect ------------------------------------------------------------------

    def start_list(self, name):
        """Every object of a kind listed by one call (computes, tasks, datastores, models, experiments, ...) and, for a kind
        with children (experiments), what hangs under its objects."""
        self.scheduler.submit(self._list, name)

    def start_under(self, name, keys):
        """What hangs under the objects of kind ``name`` given by their keys (``runs`` of experiments named ``keys``),
        without listing kind ``name``."""
        fields = [field for child in CHILDREN[name] for field in KINDS[child].under.values()]
        for key in keys:
            self._under(name, dict.fromkeys(fields, key), self.where)

    def start_experiments(self, names=None):
        """Experiments (all, listed; or ``names``, without listing) and what hangs under them."""
        if names is None:
            self.start_list('experiments')
        else:
            self.start_under('experiments', names)

    def start_artifacts(self, run_ids):
        """The artifacts of ``run_ids``: each run is got first (``runs.get_by_id``) for its data container."""
        for run_id in run_ids:
            self.scheduler.submit(self._run_by_id, run_id, priority=depth('runs'))

    def start_pipeline(self, name, ids):
        """The pipeline objects of kind ``name`` with ``ids`` (the API has no list call)."""
        for object_id in ids:
            self.scheduler.submit(self._pipeline, name, object_id, priority=PER_RUN)

    # -- tasks --------------------------------------------------------------------------------

    def _list(self, name, params=None, context=None):
        """List kind ``name`` (under one parent: ``params`` of its list call, ``context`` naming the parent), emit each
        object, and set out to list what hangs under it."""
        kind = KINDS[name]
        what = f'list the {kind.plural} of {context}' if context else f'list the {name} of {self.where}'
        for item in self._items(kind.list_op, params, what, kind.query):
            self.emit(name, item)
            self._under(name, item, context or self.where)

    def _under(self, name, obj, context):
        """Submit the listing of each needed child kind under the object ``obj`` of kind ``name`` (found in ``context``)."""
        kind = KINDS[name]
        for child_name in CHILDREN[name]:
            if not self.needs(child_name):
                continue
            child = KINDS[child_name]
            params = {}
            for param, field in child.under.items():
                value = obj.get(field) if isinstance(obj, dict) else None
                if not value:
                    article = 'an' if kind.singular[:1] in 'aeiou' else 'a'
                    raise ExportError(f'{article} {kind.singular} of {context} has no {field}: {obj!r:.200}')
                params[param] = value
            key = next(iter(params.values()), None)
            where = f'{kind.singular} {key!r} in {self.where}'
            if child.lister:
                self.scheduler.submit(getattr(self, self.LISTERS[child.lister]), child_name, params, obj, where,
                                      priority=depth(child_name))
            else:
                self.scheduler.submit(self._list, child_name, params, where, priority=depth(child_name))

    # Listings that are not one list call per parent object (``Kind.lister``).
    LISTERS = {'run_artifacts': '_artifacts', 'metric_values': '_metrics_v2'}

    def _used_registries(self, name):
        """The registries of the workspace's resource group that an emitted object refers to (``azureml://registries/<name>``);
        a registry elsewhere (Microsoft's public ``azureml``, another resource group's) is not listed."""
        if not self.registry_refs:
            return
        what = f'list the {KINDS[name].plural} of the resource group of {self.where}'
        for item in self._items(KINDS[name].list_op, None, what, KINDS[name].query):
            if isinstance(item, dict) and str(item.get('name') or '').lower() in self.registry_refs:
                self.emit(name, item)

    def _run_by_id(self, run_id):
        what = f'get run {run_id!r} of {self.where} (for its data container)'
        run = self.client.get_json('runs.get_by_id', {'run_id': run_id}, what=what, missing_ok=True)
        self.scheduler.check()
        if isinstance(run, dict):  # a run the service does not know has no artifact
            self._under('runs', {'runId': run_id, 'dataContainerId': run.get('dataContainerId')}, self.where)

    def _artifacts(self, name, params, run, context):
        """The artifacts of a run, from each of its data containers (merged by ``artifactId`` when there are two)."""
        run_id = params['run_id']
        containers = data_containers(run_id, run.get('dataContainerId'))
        located, seen, paths = [], set(), set()
        placeholders = self.download is None and self.wants(_bundle.ARTIFACT_CONTENTS)  # check mode: nothing downloaded
        for container in containers:
            what = f'list the artifacts of run {run_id!r} (container {container!r}) in {self.where}'
            for artifact in self._items(KINDS[name].list_op, {'container': container}, what):
                artifact_id = artifact.get('artifactId') if isinstance(artifact, dict) else None
                if len(containers) > 1 and artifact_id is not None:
                    if artifact_id in seen:
                        continue
                    seen.add(artifact_id)
                self.emit(name, artifact)
                path = artifact.get('path') if isinstance(artifact, dict) else None
                if placeholders:
                    self.emit(_bundle.ARTIFACT_CONTENTS, {'artifactId': artifact_id, 'path': path, 'runId': run_id,
                                                          'stored_path': None, 'size': None, 'sha256': None})
                if self.download is not None and path is not None and path not in paths:
                    paths.add(path)
                    located.append((artifact_id, artifact.get('container') or container, path))
        for artifact_id, container, path, rel in self.download.plan(run_id, located) if located else ():
            self.scheduler.submit(self._content, run_id, container, artifact_id, path, rel, priority=PER_ARTIFACT)

    def _content(self, run_id, container, artifact_id, path, rel):
        self.emit(_bundle.ARTIFACT_CONTENTS, self.download.one(run_id, container, artifact_id, path, rel))

    def _metrics_v2(self, name, params, run, context):
        """The v2 metrics of a run (what today's SDKs log): the definitions, then each metric's values in a task."""
        run_id = params['run_id']
        what = f'list the {KINDS[name].plural} of {context}'
        for definition in self._items(KINDS[name].list_op, params, what):
            key = definition.get('metricKey') if isinstance(definition, dict) else None
            if not isinstance(key, dict) or not key.get('name'):
                raise ExportError(f'a v2 metric of run {run_id!r} in {self.where} has no metricKey.name: {definition!r:.200}')
            self.scheduler.submit(self._metric_v2, run_id, definition, priority=PER_ARTIFACT)

    def _metric_v2(self, run_id, definition):
        """One object per (run, metric): its definition and every value (``metrics_v2.full``, every page)."""
        key = definition['metricKey']
        name, namespace = str(key['name']), str(key.get('namespace') or '')
        what = f'get the values of v2 metric {name!r} of run {run_id!r} in {self.where}'
        head, values = None, []
        try:
            for page in self.client.iter_pages('metrics_v2.full', {'run_id': run_id}, what=what, body={'metricName': name}):
                self.scheduler.check()
                head = head or page
                items = page.get('value') or []
                if not isinstance(items, list):
                    raise ExportError(f'{what}: the page value is not a list')
                values.extend(items)
        except AzureMLError as exc:
            if exc.status == 404 and head is None:  # listed, then gone: the service no longer holds it
                return
            raise
        self.emit('metrics_v2', {'id': f'{run_id}/{namespace}/{name}', 'runId': run_id, 'namespace': namespace, 'name': name,
                                 'definition': definition, 'dataContainerId': head.get('dataContainerId'),
                                 'columns': head.get('columns'), 'properties': head.get('properties'), 'values': values})

    def _pipeline(self, name, object_id):
        kind = KINDS[name]
        what = f'get the pipeline {kind.pipeline_kind} {object_id!r} of {self.where}'
        found = self.client.get_json(kind.get_op, {'id': object_id}, what=what, missing_ok=True)
        self.scheduler.check()
        if found is None:
            with self._lock:
                self.missing.setdefault(name, []).append(object_id)
        else:
            self.emit(name, found)


def start_kinds(collector, kinds, pipeline=None):
    """Set ``collector`` to list every object of ``kinds`` (the pipeline ones: the ids of ``pipeline``, ``{kind: [ids]}``)."""
    # (A root kind with a lister of its own, the registries, is listed after the others: ``Collector.after``.)
    roots = [name for name in KIND_NAMES if KINDS[name].list_op and KINDS[name].parent is None and not KINDS[name].lister
             and (name in kinds or set(descendants(name)) & set(kinds))]
    # The kinds with children first: the longest chains of calls (experiments: runs, metrics, artifacts, v2 metrics) hang under them.
    for name in roots:
        if CHILDREN[name]:
            collector.start_list(name)
    for name in kinds:
        kind = KINDS[name]
        if kind.pipeline_kind:
            collector.start_pipeline(name, (pipeline or {}).get(name, []))
        elif name in roots and not CHILDREN[name]:
            collector.start_list(name)


class _DigestSink:
    """A sink that keeps nothing but each object's digest (a purge's listing of what a workspace delete takes with it)."""

    def __init__(self, digests, name):
        self.digests = digests
        self.name = name

    def put(self, item):
        self.digests.add(self.name, item)


def list_digests(client, kinds, digests):
    """List every object of the listable ``kinds`` as the export does (scrubbed, every page, ``client.concurrency`` requests
    at a time) and record each one's digest in ``digests`` (a ``_digests.Digests``); the objects themselves are not kept."""
    scheduler = Scheduler(client.concurrency)
    collector = Collector(client, scheduler, {name: _DigestSink(digests, name) for name in kinds})
    try:
        start_kinds(collector, kinds)
    except Cancelled:
        pass
    scheduler.run()
    if collector.after():
        scheduler.run()


class _ListSink:
    """A sink that keeps every object (a purge's listing of the kinds it deletes)."""

    def __init__(self):
        self.items = []

    def put(self, item):
        self.items.append(item)


def list_all(client, kinds):
    """``{kind: [objects]}``: every object of the listable ``kinds`` as the export lists them (scrubbed, every page, the kinds
    listed under a parent under each parent object, ``client.concurrency`` requests at a time)."""
    sinks = {name: _ListSink() for name in kinds}
    scheduler = Scheduler(client.concurrency)
    collector = Collector(client, scheduler, sinks)
    try:
        start_kinds(collector, list(sinks))
    except Cancelled:
        pass
    scheduler.run()
    return {name: sink.items for name, sink in sinks.items()}


def _run_then_close(scheduler, sinks, collector=None):
    """Run the scheduler to its end (twice when ``collector`` has listings that follow the others), then close ``sinks``."""
    error = None
    try:
        scheduler.run()
        if collector is not None and collector.after():
            scheduler.run()
    except BaseException as exc:  # noqa: BLE001 - handed to the consumers
        error = exc
    for sink in sinks:
        sink.close(error)


def stream(client, name, start):
    """Yield the objects of kind ``name`` that ``start(collector)`` sets out to collect.

    The collection runs in the background (``client.concurrency`` requests at a time) while the
    caller consumes; an error raises here, where the caller iterates. Stopping early cancels it.
    """
    return collect(client, name, start)[1]


def collect(client, name, start):
    """``(collector, generator)``: like :func:`stream`, also returning the collector (its ``missing`` ids)."""
    scheduler = Scheduler(client.concurrency)
    sink = Sink(scheduler)
    collector = Collector(client, scheduler, {name: sink})
    start(collector)

    def generate():
        thread = threading.Thread(target=_run_then_close, args=(scheduler, [sink], collector), daemon=True)
        thread.start()
        try:
            yield from sink
        finally:
            if thread.is_alive():
                scheduler.fail(Cancelled())
                sink.abandon()
            thread.join()

    return collector, generate()


def get_one(client, name, params, what, query=None):
    """``[object]`` of kind ``name`` (``KINDS[name].get_op`` with ``params``), scrubbed; ``[]`` when it does not exist."""
    if KINDS[name].query:
        query = dict(KINDS[name].query, **(query or {}))
    found = client.get_json(KINDS[name].get_op, params, what=what, query=query, missing_ok=True)
    return [] if found is None else [scrub(name, found)]


def sort_key(name):
    """The sort key of kind ``name``'s objects (its id field in ``_kinds``)."""
    return KINDS[name].object_id


# -- the bundle -----------------------------------------------------------------------------------

def _epoch(stamp):
    try:
        return int(datetime.strptime(str(stamp), TIME_FORMAT).replace(tzinfo=timezone.utc).timestamp())
    except ValueError:
        return 0


def ordered_kinds(kinds):
    """``kinds`` (names) in bundle order, without repeats; ExportError names unknown ones."""
    unknown = sorted(set(kinds) - set(KIND_NAMES))
    if unknown:
        raise ExportError(f"unknown kind(s) {', '.join(unknown)}; known kinds: {', '.join(KIND_NAMES)}")
    return [name for name in KIND_NAMES if name in set(kinds)]


def pipeline_requests(pipeline_ids):
    """``{bundle kind name: [ids]}`` from ``{'graph': [...], ...}``; ExportError names unknown keys."""
    requested = {}
    for key, value in (pipeline_ids or {}).items():
        kind = PIPELINE_KINDS.get(key)
        if kind is None:
            raise ExportError(f"pipeline_ids has an unknown kind {key!r}; use {', '.join(sorted(PIPELINE_KINDS))}")
        ids = [] if value is None else value  # the role's argument spec leaves unset keys as None
        if isinstance(ids, str) or not isinstance(ids, (list, tuple)):
            raise ExportError(f'pipeline_ids.{key} must be a list of ids')
        requested[kind.name] = sorted({str(i) for i in ids})
    return requested


class _ContentDownloader:
    """Artifact contents of one export: ``artifacts.contentinfo`` then the SAS URL (no token),
    streamed to the staging folder under the sanitised path, one index entry per artifact."""

    def __init__(self, client, staging, where):
        self.client = client
        self.staging = staging
        self.where = where
        self._dirs_lock = threading.Lock()
        self.etags = {}  # (run id, path): the ETag of the downloaded bytes (in memory only: the storage export's de-duplication)

    @staticmethod
    def plan(run_id, located):
        """``[(artifact id, container, path, stored path)]`` for the artifacts of one run (clashes resolved run-wide)."""
        rels = _bundle.artifact_relpaths(run_id, [path for dummy, dummy2, path in located])
        return [(artifact_id, container, path, rels[path]) for artifact_id, container, path in located]

    def one(self, run_id, container, artifact_id, path, rel):
        entry = {'artifactId': artifact_id, 'runId': run_id, 'path': path, 'stored_path': None, 'size': None, 'sha256': None}
        what = f'get the content information of artifact {path!r} of run {run_id!r} in {self.where}'
        info = self.client.get_json('artifacts.contentinfo', {'container': container, 'path': path}, what=what, missing_ok=True)
        uri = info.get('contentUri') if isinstance(info, dict) else None
        if not uri:
            return entry  # the service offers no content for it
        target = _bundle.inside(self.staging, rel)
        with self._dirs_lock:
            _bundle.make_dirs(os.path.dirname(target))
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0)
        fd = os.open(target, flags, _bundle.FILE_MODE)
        with os.fdopen(fd, 'w+b') as f:
            received = {}
            size, digest = self.client.download(uri, f, what=f'download artifact {path!r} of run {run_id!r} in {self.where}',
                                                received=received)
            f.flush()
            os.fsync(f.fileno())
        self.etags[(str(run_id), str(path))] = received.get('etag')
        entry.update(stored_path=rel, size=size, sha256=digest)
        return entry


def _tapped(items, fn):
    for item in items:
        fn(item.item if isinstance(item, Encoded) else item)
        yield item


def _write_kind(scheduler, sink, dest, key, *, check_mode, results, name, digests=None, tap=None):
    try:
        # each object's digest, as it streams to its file (encoded once for both)
        items = digests.tap_encoded(name, sink) if digests is not None else sink
        if tap is not None:
            items = _tapped(items, tap)
        results[name] = write_json_array(dest, items, key, check_mode=check_mode)
    except Cancelled:
        sink.abandon()
    except BaseException as exc:  # noqa: BLE001 - reported by the orchestrator
        sink.abandon()
        results[name] = exc
        scheduler.fail(exc)


def _file_state(path):
    """``(sha256, mode ok)`` of an existing file; ``(None, True)`` when missing."""
    if not os.path.isfile(path) or os.path.islink(path):
        return None, True
    return sha256_file(path), (os.stat(path).st_mode & 0o777) == _bundle.FILE_MODE


class BundleExport:
    """One workspace exported to one bundle folder (the work of the ``export_bundle`` module)."""

    def __init__(self, module, dest, kinds, *, pipeline_ids=None, archive=False, artifact_content=False, storage=False):
        self.module = module
        self.client = module.client
        self.check_mode = module.check_mode
        self.bundle_dir = os.path.abspath(os.path.expanduser(str(dest)))
        self.kinds = ordered_kinds(kinds)
        self.pipeline = pipeline_requests(pipeline_ids)
        self.archive = archive
        self.artifact_content = artifact_content
        if artifact_content and 'artifacts' not in self.kinds:
            raise ExportError('artifact_content needs the kind artifacts in kinds')
        self.storage = storage
        if storage and 'runs' not in self.kinds:
            raise ExportError('storage needs the kind runs in kinds (the files exported are those of the runs exported)')
        self.storage_export = None
        # what the storage export needs of the API kinds, taken as they stream to their files
        self._runs, self._artifact_ids, self._contents, self._content_etags = [], {}, {}, {}
        self._versions = []  # (kind, id, object) of the data and model versions: their URIs name files
        self.unreachable = []
        ws = module.workspace
        self.where = f'workspace {ws}'
        self.staging = None
        self.missing = {}
        self.digests = _digests.Digests()

    # -- steps ----------------------------------------------------------------------------------

    def _workspace(self):
        ws = self.module.workspace
        found = self.client.get_json('workspaces.get', what=f'get {self.where}', missing_ok=True)
        if not isinstance(found, dict):
            raise ExportError(f'{self.where} does not exist in subscription {ws.subscription_id}')
        self.module.workspace_object = found  # api_profile current reads its discoveryUrl from it: no second GET
        location = self.module.params.get('location') or found.get('location')
        info = {'id': found.get('id') or ws.id, 'name': found.get('name') or ws.workspace_name, 'resource_group': ws.resource_group,
                'subscription_id': ws.subscription_id, 'location': location}
        return found, info

    def _names(self):
        names = list(self.kinds)
        if self.artifact_content:
            names.append(_bundle.ARTIFACT_CONTENTS)
        return names

    def _all_names(self):
        return self._names() + ([_bundle.STORAGE_BLOBS] if self.storage else [])

    def _tap(self, name):
        """What the storage export keeps of kind ``name``'s objects (ids and paths, not the objects), or None."""
        if not self.storage:
            return None
        if name == 'runs':
            return lambda run: self._runs.append(_storage_export.run_ref(run)) if _storage_export.run_ref(run) else None
        if name in URI_FIELDS:
            return lambda obj: self._versions.append((name, KINDS[name].object_id(obj), {'properties': {
                field: ((obj.get('properties') or {}) if isinstance(obj, dict) else {}).get(field) for field in URI_FIELDS[name]}}))
        if name == 'artifacts':
            def artifact(obj):
                if isinstance(obj, dict) and obj.get('container') and obj.get('path') is not None:
                    self._artifact_ids[(str(obj['container']), str(obj['path']))] = obj.get('artifactId')
            return artifact
        if name == _bundle.ARTIFACT_CONTENTS:
            def content(entry):
                if isinstance(entry, dict) and entry.get('runId') and entry.get('path') is not None:
                    key = (str(entry['runId']), str(entry['path']))
                    # the entry as written, plus the ETag of its bytes (not in the bundle: de-duplication only)
                    self._contents[key] = dict(entry, etag=self._content_etags.get(key))
            return content
        return None

    def _file(self, name):
        return _bundle.ARTIFACT_CONTENTS_FILE if name == _bundle.ARTIFACT_CONTENTS else KINDS[name].file

    def _key(self, name):
        if name == _bundle.ARTIFACT_CONTENTS:
            return lambda entry: '%s\n%s' % (entry.get('artifactId') or '', entry.get('path') or '')
        return sort_key(name)

    def _collect(self, workspace_object):
        """Run every task, each kind streaming to its file; return ``{name: write result}``."""
        scheduler = Scheduler(self.client.concurrency)
        names = self._names()
        sinks = {name: Sink(scheduler) for name in names}
        download = _ContentDownloader(self.client, self.staging, self.where) if self.artifact_content and not self.check_mode else None
        if download is not None:
            self._content_etags = download.etags
        collector = Collector(self.client, scheduler, sinks, download=download, encode=True)
        results = {}
        writers = []
        for name in names:
            folder = self.bundle_dir if self.check_mode else self.staging
            dest = os.path.join(folder, self._file(name))
            writer = threading.Thread(target=_write_kind, args=(scheduler, sinks[name], dest, self._key(name)),
                                      kwargs={'check_mode': self.check_mode, 'results': results, 'name': name,
                                              'digests': self.digests if name in KINDS else None, 'tap': self._tap(name)},
                                      name=f'gdpr-azureml-write-{name}', daemon=True)
            writer.start()
            writers.append(writer)
        real_sinks = list(sinks.values())
        try:
            if 'workspace' in sinks:
                sinks['workspace'].put(workspace_object)
            start_kinds(collector, self.kinds, self.pipeline)
        except Cancelled:
            pass
        _run_then_close(scheduler, real_sinks, collector)
        for writer in writers:
            writer.join()
        self.missing = collector.missing
        errors = [r for r in results.values() if isinstance(r, BaseException)]
        if scheduler.error is not None and not isinstance(scheduler.error, Cancelled):
            raise scheduler.error
        if errors:
            raise errors[0]
        if len(results) != len(names):
            raise ExportError(f'the export of {self.where} stopped before every kind was written')
        return results

    def _collect_storage(self, results):
        """The files of the exported runs (``storage``): ``results['storage_blobs']``, after the API kinds."""
        props = (self.module.workspace_object or {}).get('properties') or {}
        try:
            account = account_from_id(props.get('storageAccount'))
        except ValueError:
            raise ExportError(f'{self.where} names no storage account (properties.storageAccount is '
                              f'{props.get("storageAccount")!r}): its files cannot be exported') from None
        self.storage_export = _storage_export.StorageExport(
            self.module.storage, account, self.bundle_dir, self.staging, concurrency=self.client.concurrency, where=self.where,
            artifacts=self._artifact_ids, contents=self._contents)
        folder = self.bundle_dir if self.check_mode else self.staging
        runs = sorted(set(self._runs))
        targets = []
        if self._versions:
            ws = self.module.workspace
            what = f'list the datastores of {self.where} (where the files of its data and model versions are)'
            datastores = self.client.list_items('datastores_v2.list', what=what)
            targets, self.unreachable = version_targets(self._versions, datastores, suffix=self.module.storage.cloud.storage_suffix,
                                                        workspace=(ws.subscription_id, ws.resource_group, ws.workspace_name))
        results[_bundle.STORAGE_BLOBS] = self.storage_export.run(runs, os.path.join(folder, _bundle.STORAGE_BLOBS_FILE), self.digests,
                                                                 versions=targets)
        if self.storage_export.unreachable:
            uris = {(k, i): shown_uri(version_uri(k, o)[0]) for k, i, o in self._versions}
            self.unreachable = sorted(self.unreachable + [dict(u, uri=uris.get((u['kind'], u['id']))) for u in self.storage_export.unreachable],
                                      key=lambda u: (u['kind'], u['id']))

    def _kind_entries(self, results):
        entries = {}
        for name in self._all_names():
            result = results[name]
            scope = KINDS[name].scope if name in KINDS else 'all'
            entries[name] = {'file': self._file(name), 'count': result['count'], 'sha256': result['sha256'], 'scope': scope}
        return entries

    def run(self):
        started = utc_now()
        workspace_object, ws_info = self._workspace()
        previous = None
        if os.path.isdir(self.bundle_dir):
            try:
                previous = _bundle.read_manifest(self.bundle_dir)
            except _bundle.BundleError:
                previous = None
        created = []
        if not self.check_mode:
            created = _bundle.make_dirs(self.bundle_dir)
            self.staging = _bundle.new_staging_dir(self.bundle_dir)
        try:
            results = self._collect(workspace_object)
            if self.storage:
                self._collect_storage(results)
            return self._finish(results, ws_info, previous, started, created)
        finally:
            if self.staging:
                _bundle.remove_tree(self.staging)

    def _digests_entry(self):
        """Write ``digests.json`` to the staging folder (not in check mode); its manifest entry."""
        data = _digests.dumps(self.digests.as_dict(list(self.kinds) + ([_bundle.STORAGE_BLOBS] if self.storage else [])))
        if not self.check_mode:
            write_atomic(os.path.join(self.staging, _digests.DIGESTS_NAME), data, _bundle.FILE_MODE)
        return {'file': _digests.DIGESTS_NAME, 'count': self.digests.count(), 'sha256': hashlib.sha256(data).hexdigest()}

    def _finish(self, results, ws_info, previous, started, created):
        entries = self._kind_entries(results)
        digests = self._digests_entry()
        core = {'format_version': _bundle.FORMAT_VERSION, 'collection_version': COLLECTION_VERSION, 'workspace': ws_info, 'kinds': entries,
                'digests': digests, _not_covered.MANIFEST_KEY: _not_covered.record(self.module.workspace_object)}
        if self.storage:  # the data and model versions whose files could not be exported, and why
            core['storage'] = {'unreachable': self.unreachable}
        kinds_changed = {}
        for name in entries:
            sha, mode_ok = _file_state(os.path.join(self.bundle_dir, entries[name]['file']))
            kinds_changed[name] = sha != entries[name]['sha256'] or not mode_ok
        sha, mode_ok = _file_state(os.path.join(self.bundle_dir, _digests.DIGESTS_NAME))
        digests_changed = sha != digests['sha256'] or not mode_ok
        content_moves, stale = [], []
        if self.artifact_content and not self.check_mode:
            content_moves, stale = self._content_changes(previous)
        storage_written = 0
        if self.storage and not self.check_mode:
            storage_written, storage_stale = self.storage_export.changes(
                os.path.join(self.staging, _bundle.STORAGE_BLOBS_FILE), os.path.join(self.bundle_dir, _bundle.STORAGE_BLOBS_FILE))
            stale = stale + storage_stale
        if self.artifact_content and self.check_mode:
            # Unknown without downloading: predicted unchanged when the artifact list is, and the
            # previous bundle has its index.
            name = _bundle.ARTIFACT_CONTENTS
            before = ((previous or {}).get('kinds') or {}).get(name)
            kinds_changed[name] = kinds_changed['artifacts'] or not isinstance(before, dict)
            entries[name] = dict(entries[name], sha256=None) if kinds_changed[name] else dict(before)
        manifest_same = previous is not None and _bundle.manifest_content(previous) == core
        changed = (bool(created) or not manifest_same or any(kinds_changed.values()) or digests_changed or bool(content_moves)
                   or bool(stale) or bool(storage_written))
        manifest = previous if not changed else dict(core, started=started, finished=None)
        if changed and not self.check_mode:
            _bundle.remove_manifest(self.bundle_dir)
            for name, entry in entries.items():
                if kinds_changed[name]:
                    final = os.path.join(self.bundle_dir, entry['file'])
                    if os.path.islink(final):
                        os.unlink(final)
                    os.replace(os.path.join(self.staging, entry['file']), final)
            if digests_changed:
                final = os.path.join(self.bundle_dir, _digests.DIGESTS_NAME)
                if os.path.islink(final):
                    os.unlink(final)
                os.replace(os.path.join(self.staging, _digests.DIGESTS_NAME), final)
            for rel in content_moves:
                final = _bundle.inside(self.bundle_dir, rel)
                _bundle.make_dirs(os.path.dirname(final))
                os.replace(_bundle.inside(self.staging, rel), final)
            for rel in stale:
                try:
                    os.unlink(_bundle.inside(self.bundle_dir, rel))
                except (FileNotFoundError, _bundle.BundleError):
                    pass
            manifest['finished'] = utc_now()
            _bundle.write_manifest(self.bundle_dir, manifest)
            if self.storage:
                _storage_export.remove_progress(self.bundle_dir)
        elif changed:
            manifest['finished'] = utc_now()
        archive = self._archive(manifest, changed) if self.archive else None
        kinds = {name: dict(entry, changed=kinds_changed[name]) for name, entry in entries.items()}
        result = {
            'changed': changed or bool(archive and archive['changed']),
            'bundle_dir': self.bundle_dir,
            'manifest': manifest,
            'kinds': kinds,
            'count': sum(entry['count'] for name, entry in entries.items() if name in KIND_NAMES),
            'missing': self.missing,
        }
        if self.storage_export is not None:
            result['storage'] = dict(self.storage_export.summary(), unreachable=self.unreachable)
        if archive:
            result['archive'] = archive['path']
        return result

    def _content_changes(self, previous):
        """``(relative paths to move into place, stale relative paths to remove)``."""
        moves, new_paths = [], set()
        index = os.path.join(self.staging, _bundle.ARTIFACT_CONTENTS_FILE)
        for item in _bundle.iter_objects(index):
            rel = item.get('stored_path')
            if not rel:
                continue
            new_paths.add(rel)
            final = _bundle.inside(self.bundle_dir, rel)
            sha, mode_ok = _file_state(final)
            if sha != item.get('sha256') or not mode_ok:
                moves.append(rel)
        stale = []
        old_index = os.path.join(self.bundle_dir, _bundle.ARTIFACT_CONTENTS_FILE)
        if previous and _bundle.ARTIFACT_CONTENTS in (previous.get('kinds') or {}) and os.path.isfile(old_index):
            try:
                for item in _bundle.iter_objects(old_index):
                    rel = item.get('stored_path') if isinstance(item, dict) else None
                    if rel and rel not in new_paths and os.path.isfile(os.path.join(self.bundle_dir, rel)):
                        stale.append(rel)
            except (_bundle.BundleError, ValueError):
                pass
        return moves, stale

    def _archive(self, manifest, bundle_changed):
        path = self.bundle_dir.rstrip(os.sep) + '.tar.gz'
        if self.check_mode:
            return {'path': path, 'changed': bundle_changed or not os.path.isfile(path)}
        folder = os.path.dirname(path)
        tmp = os.path.join(folder, f'.{os.path.basename(path)}.{os.getpid()}.tmp')
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, 'O_NOFOLLOW', 0), _bundle.FILE_MODE)
        try:
            os.fchmod(fd, _bundle.FILE_MODE)
            with os.fdopen(fd, 'wb') as f:
                fd = None
                _bundle.build_archive(self.bundle_dir, manifest, f, _epoch(manifest.get('finished')))
                f.flush()
                os.fsync(f.fileno())
            same = sha256_file(tmp) == sha256_file(path) and (os.stat(path).st_mode & 0o777) == _bundle.FILE_MODE
            if same:
                return {'path': path, 'changed': False}
            os.replace(tmp, path)
            return {'path': path, 'changed': True}
        finally:
            if fd is not None:
                os.close(fd)
            if os.path.lexists(tmp):
                os.unlink(tmp)


def export_bundle(module, **options):
    """Export the module's workspace to a bundle; the module result (see ``export_bundle``'s RETURN)."""
    began = time.monotonic()
    try:
        result = BundleExport(module, **options).run()
    except _bundle.BundleError as exc:
        raise ExportError(str(exc)) from None
    result['duration'] = round(time.monotonic() - began, 3)
    return result


# -- the *_info modules -------------------------------------------------------------------------

def info_result(module, name, key, items):
    """The result of an ``*_info`` module for objects of kind ``name`` (sorted by its id field; ``dest`` honoured)."""
    return module.items_result(key, items, sort_key(name))


def list_or_get(module, name, key, get_params=None, what=None):
    """``*_info`` of a kind listed by one call: get one when ``get_params`` is set, else list every page."""
    if get_params:
        return info_result(module, name, key, get_one(module.client, name, get_params, what))
    return info_result(module, name, key, stream(module.client, name, lambda collector: collector.start_list(name)))
