# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""The human-readable report of an export bundle (and of a purge): ``report.html`` and ``report.md``.

:func:`build_report` reads, without any service call:

- ``manifest.json``: the workspace, the export's times, each kind with its count and scope, and
  whether the bundle is complete (:func:`_bundle.verify_bundle`);
- the people of run history: ``subjects.json`` when it lists identities, else the same index
  computed from the bundle (``_subjects.build_index``); each identity with the runs it created and
  every object that refers to it. When ``subjects.json`` answers a request about named subjects,
  those subjects are listed too;
- an audit log of the purge (JSON lines of ``docs/purge.md``), when given: each delete of this
  workspace (time, kind, id, HTTP status, outcome, request id) and the last ``verified`` line per kind
  (``remaining``).

:func:`render_html` and :func:`render_markdown` turn it into bytes. Every value that comes from the
service (names, ids, user names) is escaped: names are hostile. The HTML is self-contained (inline
CSS, no script, no external asset). Neither holds the time it was written, so the same bundle and
audit log always give the same bytes and a rewrite is a change only when something changed.
"""

import hashlib
import html
import json
import os
import re

from ansible_collections.gdpr.azureml.plugins.module_utils import _not_covered
from ansible_collections.gdpr.azureml.plugins.module_utils._bundle import BundleError, read_manifest, verify_bundle
from ansible_collections.gdpr.azureml.plugins.module_utils._errors import GdprAzureMLError
from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import MODE as FILE_MODE
from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import write_atomic
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import KIND_NAMES, KINDS, NOT_DELETABLE

HTML_NAME = 'report.html'
MD_NAME = 'report.md'
SUBJECTS_NAME = 'subjects.json'
FORMATS = ('html', 'md')
# The outcomes the report lists. ``absent`` (nothing was there to delete) stays in the audit log only: every rerun of a
# purge appends such lines, and a report that grew with each of them would change on every idempotent rerun.
DELETE_OUTCOMES = ('deleted', 'failed')


class ReportError(GdprAzureMLError, ValueError):
    """The report cannot be built (no bundle, no manifest, an unreadable audit log)."""


# -- the model ---------------------------------------------------------------------------------------------------------------

# What an export with the storage files (kind storage_blobs) cannot see: said in the report, not only in the docs.
STORAGE_GAPS = (
    'File shares (Azure Files) are not read: the notebooks and files under Users/<name>/ of the workspace file share are '
    'not in this bundle and a purge does not delete them.',
    'Only the files under each run\'s ExperimentRun/<data container>/ prefix are exported; other files of the storage '
    'account (uploads, registered data, other datastores) are not.',
)


def _kind_order(name):
    return (KIND_NAMES.index(name), name) if name in KIND_NAMES else (len(KIND_NAMES), name)


def _kinds_of(manifest):
    listed = manifest.get('kinds') or {}
    if not isinstance(listed, dict):
        return []
    kinds = []
    for name in sorted(listed, key=_kind_order):
        entry = listed[name] if isinstance(listed[name], dict) else {}
        count = entry.get('count')
        kinds.append({
            'kind': str(name),
            'file': str(entry.get('file') or ''),
            'count': count if isinstance(count, int) else 0,
            'scope': str(entry.get('scope') or 'all'),
            'deletable': bool(name in KINDS and KINDS[name].delete_op),
        })
    return kinds


def _read_subjects_file(path):
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _people(index):
    """The identities of a subject index that created runs, most runs first."""
    people = []
    for ident in index.get('identities') or []:
        if not isinstance(ident, dict):
            continue
        counts = ident.get('counts') or {}
        runs = counts.get('runs') or 0
        if not runs:
            continue
        people.append({
            'names': [str(n) for n in ident.get('names') or []],
            'object_id': str(ident.get('object_id') or ident.get('address') or ident.get('name') or ''),
            'runs': int(runs),
            'total': int(ident.get('total') or 0),
            'counts': {str(k): int(v) for k, v in sorted(counts.items(), key=lambda kv: _kind_order(kv[0]))},
        })
    people.sort(key=lambda p: (-p['runs'], p['object_id']))
    return people


def _requested(index):
    found = []
    for entry in index.get('subjects') or []:
        if not isinstance(entry, dict):
            continue
        subject = entry.get('subject') or {}
        counts = entry.get('counts') or {}
        found.append({
            'subject': ', '.join(f'{k}={v}' for k, v in sorted(subject.items())) if isinstance(subject, dict) else str(subject),
            'found': bool(entry.get('found')),
            'total': int(entry.get('total') or 0),
            'counts': {str(k): int(v) for k, v in sorted(counts.items(), key=lambda kv: _kind_order(kv[0])) if v},
            # how the objects were tied to the subject (_subjects.EVIDENCE): a display name alone is weaker evidence
            'evidence': {str(k): int(v) for k, v in (entry.get('evidence') or {}).items() if v},
        })
    return found


def _evidence_text(evidence):
    """``12 precise, 3 by display name only (weaker evidence)``."""
    labels = {'precise': 'precise (object id)', 'address': 'by address', 'display_name': 'by display name only (weaker evidence)'}
    return ', '.join(f'{n} {labels.get(k, k)}' for k, n in evidence.items()) if evidence else ''


def _subject_index(bundle_dir, kinds, verified=None):
    """``(index, source)``: the subject index of ``subjects.json`` when it lists identities, else a computed one."""
    path = os.path.join(bundle_dir, SUBJECTS_NAME)
    from_file = _read_subjects_file(path) if os.path.isfile(path) else None
    if from_file is not None and 'identities' in from_file:
        return from_file, from_file, SUBJECTS_NAME
    if 'runs' not in kinds:
        return {}, from_file or {}, 'none (run history was not exported)'
    # Imported here: the subject index is only needed when subjects.json does not list identities.
    from ansible_collections.gdpr.azureml.plugins.module_utils._subjects import SubjectError, build_index
    try:
        computed = build_index(bundle_dir, identities=True, allow_incomplete=True, verified=verified)
    except (SubjectError, BundleError) as exc:
        raise ReportError(f'cannot index the people of {bundle_dir}: {exc}') from exc
    return computed, from_file or {}, 'computed from runs.json and the other kind files'


def read_audit(path, workspace_id):
    """The purge of ``workspace_id`` in the audit log ``path``: ``{'deletions': [...], 'verified': {kind: line}}``.

    A ``pending`` line (written before its DELETE) that no line with its ``client_request_id`` settles is a delete whose
    outcome nobody recorded (the run was killed meanwhile; the next purge settles it by listing again): it is shown with
    the outcome ``unknown``, never as deleted or kept.
    """
    deletions, verified, pending, settled = [], {}, {}, set()
    wanted = str(workspace_id or '').lower()
    try:
        with open(path, encoding='utf-8') as f:
            for number, raw in enumerate(f, 1):
                if not raw.strip():
                    continue
                try:
                    line = json.loads(raw)
                except ValueError as exc:
                    raise ReportError(f'{path}, line {number}, is not JSON: {exc}') from exc
                if not isinstance(line, dict) or str(line.get('workspace_id') or '').lower() != wanted:
                    continue
                outcome = str(line.get('outcome') or '')
                cid = line.get('client_request_id')
                if outcome == 'verified':
                    verified[str(line.get('kind'))] = line
                elif outcome == 'pending':
                    if cid:
                        pending.setdefault(cid, line)
                    continue
                elif outcome in DELETE_OUTCOMES:
                    deletions.append(line)
                if cid:
                    settled.add(cid)
    except OSError as exc:
        raise ReportError(f'cannot read the audit log {path}: {exc.strerror or exc}') from exc
    unanswered = 'no answer recorded: the run ended before it; the next purge settles it by listing again'
    deletions.extend(dict(line, outcome='unknown', error=unanswered) for cid, line in pending.items() if cid not in settled)
    by_kind = {}
    for line in deletions:
        counts = by_kind.setdefault(str(line.get('kind')), {'deleted': 0, 'failed': 0})
        outcome = str(line.get('outcome'))
        counts[outcome] = counts.get(outcome, 0) + 1
    return {
        'log': os.path.abspath(path),
        'deletions': [{
            'time': _text(line.get('time')),
            'kind': _text(line.get('kind')),
            'id': _text(line.get('id')),
            'status': _text(line.get('status')),
            'outcome': _text(line.get('outcome')),
            'request_id': _text(line.get('request_id')),
            'error': _text(line.get('error')),
        } for line in deletions],
        'by_kind': {k: by_kind[k] for k in sorted(by_kind, key=_kind_order)},
        'verified': [{'kind': k, 'remaining': verified[k].get('remaining'), 'time': _text(verified[k].get('time'))}
                     for k in sorted(verified, key=_kind_order)],
        'deleted': sum(c.get('deleted', 0) for c in by_kind.values()),
        'failed': sum(c.get('failed', 0) for c in by_kind.values()),
        'unknown': sum(c.get('unknown', 0) for c in by_kind.values()),
    }


def _text(value):
    return '' if value is None else str(value)


def build_report(bundle_dir, audit_log=None, verified=None):
    """Everything the report shows, as plain data (the module returns part of it). ``verified``: the problems
    ``verify_bundle`` found in this same run, when the caller has just verified the bundle (not read again)."""
    bundle_dir = os.path.abspath(os.path.expanduser(str(bundle_dir)))
    if not os.path.isdir(bundle_dir):
        raise ReportError(f'no export bundle at {bundle_dir}')
    try:
        manifest = read_manifest(bundle_dir)
    except BundleError as exc:
        raise ReportError(str(exc)) from exc
    if manifest is None:
        raise ReportError(f'the export bundle at {bundle_dir} has no manifest.json: it is incomplete, export it again first')
    problems = verify_bundle(bundle_dir) if verified is None else list(verified)
    kinds = _kinds_of(manifest)
    kind_names = [k['kind'] for k in kinds]
    index, subjects_file, source = _subject_index(bundle_dir, kind_names, problems)
    workspace = manifest.get('workspace') or {}
    report = {
        'bundle_dir': bundle_dir,
        'workspace': {k: _text(workspace.get(k)) for k in ('id', 'name', 'resource_group', 'subscription_id', 'location')},
        'export': {k: _text(manifest.get(k)) for k in ('started', 'finished', 'collection_version', 'format_version')},
        'complete': not problems,
        'problems': list(problems),
        'kinds': kinds,
        'total': sum(k['count'] for k in kinds),
        'people': _people(index),
        'people_source': source,
        'requested': _requested(subjects_file),
        'purge': None,
        'gaps': list(STORAGE_GAPS) if 'storage_blobs' in kind_names else [],
        'not_covered': _not_covered.of_bundle(bundle_dir, manifest),
    }
    if audit_log:
        audit_path = os.path.abspath(os.path.expanduser(str(audit_log)))
        if os.path.isfile(audit_path):
            report['purge'] = read_audit(audit_path, report['workspace']['id'])
        else:
            report['purge'] = {'log': audit_path, 'deletions': [], 'by_kind': {}, 'verified': [], 'deleted': 0, 'failed': 0,
                               'unknown': 0, 'missing': True}
    return report


# -- HTML ----------------------------------------------------------------------------------------------------------------------

CSS = """
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: #1d2330;
       margin: 0; background: #f4f6f9; }
main { max-width: 1040px; margin: 0 auto; padding: 28px 32px 48px; background: #fff; min-height: 100vh; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 2px solid #e3e7ee; }
p.lead { margin: 0 0 18px; color: #4a5366; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0; }
dl.facts dt { color: #5b6578; }
dl.facts dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 4px; font-size: 14px; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid #e3e7ee; vertical-align: top; }
th { background: #eef1f6; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; overflow-wrap: anywhere; }
tr.total td { font-weight: 700; border-top: 2px solid #c9d0dc; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 10px; font-size: 13px; font-weight: 600; }
.ok { background: #dcf3e3; color: #14592b; }
.bad { background: #fbe0e0; color: #8a1c1c; }
.note { background: #fff7e0; border-left: 4px solid #e0b000; padding: 8px 12px; margin: 10px 0; }
.muted { color: #6b7385; }
footer { margin-top: 36px; font-size: 12.5px; color: #6b7385; }
@media print { body { background: #fff; } main { padding: 0; } }
"""


def _e(value):
    return html.escape(_text(value), quote=True)


def _kv_counts(counts):
    return ', '.join(f'{k} {v}' for k, v in counts.items())


def render_html(report):
    ws = report['workspace']
    out = []
    add = out.append
    title = f"GDPR export report: {ws['name'] or ws['id']}"
    add('<!DOCTYPE html>')
    add('<html lang="en"><head><meta charset="utf-8">')
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add(f'<title>{_e(title)}</title>')
    add(f'<style>{CSS}</style></head><body><main>')
    add(f'<h1>Export report: <span id="workspace-name">{_e(ws["name"])}</span></h1>')
    status = ('<span class="badge ok" id="bundle-status">bundle complete, checksums verified</span>' if report['complete']
              else '<span class="badge bad" id="bundle-status">bundle incomplete</span>')
    add(f'<p class="lead">Azure Machine Learning workspace data exported for a GDPR data-subject request. {status}</p>')
    add('<h2>Workspace</h2><dl class="facts">')
    for label, value in (('Name', ws['name']), ('Resource group', ws['resource_group']), ('Subscription', ws['subscription_id']),
                         ('Location', ws['location']), ('ARM id', ws['id']), ('Bundle', report['bundle_dir']),
                         ('Export started', report['export']['started']), ('Export finished', report['export']['finished']),
                         ('Exported by', f"gdpr.azureml {report['export']['collection_version']}")):
        add(f'<dt>{_e(label)}</dt><dd>{_e(value)}</dd>')
    add('</dl>')
    if report['problems']:
        add('<div class="note"><strong>The bundle does not verify:</strong><ul>')
        for problem in report['problems']:
            add(f'<li>{_e(problem)}</li>')
        add('</ul></div>')

    add('<h2>Objects per kind</h2>')
    add('<table id="kinds"><thead><tr><th>kind</th><th>file</th><th class="num">count</th><th>scope</th>'
        '<th>deletable through the API</th></tr></thead><tbody>')
    for kind in report['kinds']:
        add(f'<tr data-kind="{_e(kind["kind"])}"><td>{_e(kind["kind"])}</td><td class="mono">{_e(kind["file"])}</td>'
            f'<td class="num" data-count="{kind["count"]}">{kind["count"]}</td><td>{_e(kind["scope"])}</td>'
            f'<td>{"yes" if kind["deletable"] else "no"}</td></tr>')
    add(f'<tr class="total"><td>total</td><td></td><td class="num" id="total">{report["total"]}</td><td></td><td></td></tr>')
    add('</tbody></table>')
    add('<p class="muted">Counts come from <code>manifest.json</code>. Pipeline kinds hold the ids the request named '
        '(scope <em>requested</em>): the API has no list call for them.</p>')

    if report.get('gaps'):
        add('<div class="note" id="gaps"><strong>Not covered by this bundle:</strong><ul>')
        for gap in report['gaps']:
            add(f'<li>{_e(gap)}</li>')
        add('</ul></div>')

    add('<h2>Not covered by this export</h2>')
    add('<p>What the collection cannot see or erase: neither this bundle nor a purge reaches it. The linked resources are '
        'those the workspace names (from its exported ARM object).</p>')
    add('<table id="not-covered"><thead><tr><th>what</th><th>what it holds about people</th>'
        '<th>linked resource of this workspace</th><th>where to erase it</th></tr></thead><tbody>')
    for item in report['not_covered']:
        ids = '<br>'.join(_e(i) for i in item['resource_ids']) or '<span class="muted">none</span>'
        add(f'<tr data-not-covered="{_e(item["name"])}"><td>{_e(item["title"])}</td><td>{_e(item["holds"])}</td>'
            f'<td class="mono">{ids}</td><td>{_e(item["remedy"])}</td></tr>')
    add('</tbody></table>')

    add('<h2>People in run history</h2>')
    if report['people']:
        add('<table id="people"><thead><tr><th>name</th><th>identity (object id or address)</th><th class="num">runs created</th>'
            '<th class="num">objects referring</th><th>by kind</th></tr></thead><tbody>')
        for person in report['people']:
            add(f'<tr><td>{_e(", ".join(person["names"]) or "(no name)")}</td><td class="mono">{_e(person["object_id"])}</td>'
                f'<td class="num">{person["runs"]}</td><td class="num">{person["total"]}</td>'
                f'<td>{_e(_kv_counts(person["counts"]))}</td></tr>')
        add('</tbody></table>')
    else:
        add('<p>No run in this bundle names its creator.</p>')
    add(f'<p class="muted">From the runs\' <code>createdBy</code> (source: {_e(report["people_source"])}); metrics and artifacts '
        'count for the creator of their run. Search one person with <code>gdpr.azureml.subject_info</code>.</p>')
    if report['requested']:
        add('<h2>Subjects of this request</h2><table id="requested"><thead><tr><th>subject</th><th>found</th>'
            '<th class="num">objects</th><th>by kind</th><th>evidence</th></tr></thead><tbody>')
        for entry in report['requested']:
            add(f'<tr><td class="mono">{_e(entry["subject"])}</td><td>{"yes" if entry["found"] else "no"}</td>'
                f'<td class="num">{entry["total"]}</td><td>{_e(_kv_counts(entry["counts"]))}</td>'
                f'<td>{_e(_evidence_text(entry.get("evidence")))}</td></tr>')
        add('</tbody></table>')
        add('<p class="muted">Evidence: <em>precise</em> objects name the person by object id (their own field, the run of '
            'the same id for a job, the assigned user of a compute instance); v2 objects name their creator by display '
            'name only (<code>systemData.createdBy</code>), which people can share: weaker evidence.</p>')

    purge = report['purge']
    if purge is not None:
        add('<h2>Purge</h2>')
        add(f'<p>Audit log <code>{_e(purge["log"])}</code>'
            + (' was not found: nothing was deleted yet.' if purge.get('missing') else '.') + '</p>')
        if purge['by_kind'] or purge['verified']:
            remaining = {v['kind']: v['remaining'] for v in purge['verified']}
            unknown = purge.get('unknown')
            add('<table id="purge-summary"><thead><tr><th>kind</th><th class="num">deleted</th>'
                '<th class="num">failed</th>' + ('<th class="num">unknown (no answer recorded)</th>' if unknown else '')
                + '<th class="num">remaining (verified)</th></tr></thead><tbody>')
            for kind in sorted(set(purge['by_kind']) | set(remaining), key=_kind_order):
                c = purge['by_kind'].get(kind, {})
                left = remaining.get(kind)
                add(f'<tr data-kind="{_e(kind)}"><td>{_e(kind)}</td><td class="num">{c.get("deleted", 0)}</td>'
                    f'<td class="num">{c.get("failed", 0)}</td>'
                    + (f'<td class="num" data-unknown="{c.get("unknown", 0)}">{c.get("unknown", 0)}</td>' if unknown else '')
                    + f'<td class="num">{_e("not verified" if left is None else left)}</td></tr>')
            add('</tbody></table>')
        if purge['deletions']:
            add('<h2>Deleted objects and request ids</h2>')
            add('<table id="deletions"><thead><tr><th>time (UTC)</th><th>kind</th><th>id</th><th class="num">HTTP</th>'
                '<th>outcome</th><th>request id</th></tr></thead><tbody>')
            for d in purge['deletions']:
                add(f'<tr><td class="mono">{_e(d["time"])}</td><td>{_e(d["kind"])}</td><td class="mono">{_e(d["id"])}</td>'
                    f'<td class="num">{_e(d["status"])}</td><td>{_e(d["outcome"])}'
                    + (f' ({_e(d["error"])})' if d['error'] else '') + f'</td><td class="mono">{_e(d["request_id"])}</td></tr>')
            add('</tbody></table>')
        add('<p class="muted">Deletes that found nothing to delete (outcome <em>absent</em>, as every rerun does) are in the '
            'audit log only.</p>')
        add('<div class="note">The documented API cannot delete ' + _e(', '.join(NOT_DELETABLE))
            + ': deleting the workspace is the remedy for them. No purge, not even a workspace delete, reaches what '
            '"Not covered by this export" lists.</div>')
    add('<footer>Written by gdpr.azureml.bundle_report from the bundle and the audit log only; no service was called. '
        'Keep this report with the bundle and the audit log.</footer>')
    add('</main></body></html>')
    return ('\n'.join(out) + '\n').encode('utf-8')


# -- Markdown ------------------------------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r'([\\`*_{}\[\]<>()#+!|~])')


def _m(value):
    """A value for a Markdown table cell or line: special characters escaped, no line breaks, no raw HTML."""
    text = ' '.join(_text(value).split())
    return _MD_SPECIAL.sub(r'\\\1', html.escape(text, quote=False)) if text else ''


def render_markdown(report):
    ws = report['workspace']
    lines = [f'# Export report: {_m(ws["name"])}', '',
             'Azure Machine Learning workspace data exported for a GDPR data-subject request. Bundle: '
             + ('**complete, checksums verified**' if report['complete'] else '**incomplete**') + '.', '',
             '## Workspace', '', '| | |', '|---|---|']
    for label, value in (('Name', ws['name']), ('Resource group', ws['resource_group']), ('Subscription', ws['subscription_id']),
                         ('Location', ws['location']), ('ARM id', ws['id']), ('Bundle', report['bundle_dir']),
                         ('Export started', report['export']['started']), ('Export finished', report['export']['finished']),
                         ('Exported by', f"gdpr.azureml {report['export']['collection_version']}")):
        lines.append(f'| {label} | {_m(value)} |')
    if report['problems']:
        lines += ['', '**The bundle does not verify:**', '']
        lines += [f'- {_m(p)}' for p in report['problems']]
    lines += ['', '## Objects per kind', '', '| kind | file | count | scope | deletable through the API |', '|---|---|---:|---|---|']
    for kind in report['kinds']:
        lines.append(f'| {_m(kind["kind"])} | {_m(kind["file"])} | {kind["count"]} | {_m(kind["scope"])} | '
                     f'{"yes" if kind["deletable"] else "no"} |')
    lines.append(f'| **total** | | **{report["total"]}** | | |')
    if report.get('gaps'):
        lines += ['', '**Not covered by this bundle:**', '']
        lines += [f'- {_m(g)}' for g in report['gaps']]
    lines += ['', '## Not covered by this export', '',
              'What the collection cannot see or erase: neither this bundle nor a purge reaches it. The linked resources are '
              'those the workspace names (from its exported ARM object).', '',
              '| what | what it holds about people | linked resource of this workspace | where to erase it |',
              '|---|---|---|---|']
    for item in report['not_covered']:
        lines.append(f'| {_m(item["title"])} | {_m(item["holds"])} | '
                     f'{", ".join(_m(i) for i in item["resource_ids"]) or "none"} | {_m(item["remedy"])} |')
    lines += ['', '## People in run history', '']
    if report['people']:
        lines += ['| name | identity (object id or address) | runs created | objects referring | by kind |', '|---|---|---:|---:|---|']
        for p in report['people']:
            lines.append(f'| {_m(", ".join(p["names"]) or "(no name)")} | {_m(p["object_id"])} | {p["runs"]} | {p["total"]} | '
                         f'{_m(_kv_counts(p["counts"]))} |')
    else:
        lines.append('No run in this bundle names its creator.')
    lines += ['', f'From the runs\' createdBy (source: {_m(report["people_source"])}); metrics and artifacts count for the '
                  'creator of their run.']
    if report['requested']:
        lines += ['', '## Subjects of this request', '', '| subject | found | objects | by kind | evidence |', '|---|---|---:|---|---|']
        for e in report['requested']:
            lines.append(f'| {_m(e["subject"])} | {"yes" if e["found"] else "no"} | {e["total"]} | {_m(_kv_counts(e["counts"]))} '
                         f'| {_m(_evidence_text(e.get("evidence")))} |')
        lines += ['', 'Evidence: precise objects name the person by object id (their own field, the run of the same id for a '
                      'job, the assigned user of a compute instance); v2 objects name their creator by display name only '
                      '(systemData.createdBy), which people can share: weaker evidence.']
    purge = report['purge']
    if purge is not None:
        lines += ['', '## Purge', '', f'Audit log: {_m(purge["log"])}'
                  + (' (not found: nothing was deleted yet)' if purge.get('missing') else '')]
        if purge['by_kind'] or purge['verified']:
            remaining = {v['kind']: v['remaining'] for v in purge['verified']}
            unknown = purge.get('unknown')
            lines += ['', '| kind | deleted | failed | ' + ('unknown (no answer recorded) | ' if unknown else '')
                      + 'remaining (verified) |', '|---|---:|---:|' + ('---:|' if unknown else '') + '---:|']
            for kind in sorted(set(purge['by_kind']) | set(remaining), key=_kind_order):
                c = purge['by_kind'].get(kind, {})
                left = remaining.get(kind)
                lines.append(f'| {_m(kind)} | {c.get("deleted", 0)} | {c.get("failed", 0)} | '
                             + (f'{c.get("unknown", 0)} | ' if unknown else '')
                             + f'{_m("not verified" if left is None else left)} |')
        if purge['deletions']:
            lines += ['', '### Deleted objects and request ids', '', '| time (UTC) | kind | id | HTTP | outcome | request id |',
                      '|---|---|---|---:|---|---|']
            for d in purge['deletions']:
                outcome = d['outcome'] + (f' ({d["error"]})' if d['error'] else '')
                lines.append(f'| {_m(d["time"])} | {_m(d["kind"])} | {_m(d["id"])} | {_m(d["status"])} | {_m(outcome)} | '
                             f'{_m(d["request_id"])} |')
        lines += ['', 'Deletes that found nothing to delete (outcome absent, as every rerun does) are in the audit log only.']
        lines += ['', 'The documented API cannot delete ' + ', '.join(NOT_DELETABLE) + ': deleting the workspace is the remedy for them. '
                  'No purge, not even a workspace delete, reaches what "Not covered by this export" lists.']
    lines += ['', '_Written by gdpr.azureml.bundle\\_report from the bundle and the audit log only; no service was called._', '']
    return '\n'.join(lines).encode('utf-8')


# -- writing -------------------------------------------------------------------------------------------------------------------

def _same(path, data):
    try:
        st = os.lstat(path)
        if not os.path.isfile(path) or os.path.islink(path) or (st.st_mode & 0o777) != FILE_MODE:
            return False
        with open(path, 'rb') as f:
            return f.read() == data
    except OSError:
        return False


def write_reports(bundle_dir, audit_log=None, formats=FORMATS, dest=None, check_mode=False, *, verified=None):
    """Build the report of ``bundle_dir`` and write it (atomically, mode 0600) unless the files already hold the same bytes.

    :returns: the module's result: ``changed``, ``files`` (format -> path), ``sha256``, and a summary of the report.
    """
    report = build_report(bundle_dir, audit_log, verified=verified)
    folder = os.path.abspath(os.path.expanduser(str(dest))) if dest else report['bundle_dir']
    if not os.path.isdir(folder):
        raise ReportError(f'dest {folder} is not a folder')
    renderers = {'html': (HTML_NAME, render_html), 'md': (MD_NAME, render_markdown)}
    changed, files, digests = False, {}, {}
    for fmt in formats:
        name, render = renderers[fmt]
        data = render(report)
        path = os.path.join(folder, name)
        files[fmt] = path
        digests[fmt] = hashlib.sha256(data).hexdigest()
        if _same(path, data):
            continue
        changed = True
        if not check_mode:
            write_atomic(path, data, FILE_MODE)
    purge = report['purge']
    return {
        'changed': changed,
        'bundle_dir': report['bundle_dir'],
        'files': files,
        'sha256': digests,
        'workspace': report['workspace'],
        'complete': report['complete'],
        'problems': report['problems'],
        'kinds': {k['kind']: k['count'] for k in report['kinds']},
        'total': report['total'],
        'people': len(report['people']),
        'not_covered': {item['name']: item['resource_ids'] for item in report['not_covered']},
        'purge': None if purge is None else {
            'audit_log': purge['log'],
            'deleted': purge['deleted'],
            'failed': purge['failed'],
            'unknown': purge['unknown'],
            'remaining': {v['kind']: v['remaining'] for v in purge['verified']},
        },
    }
