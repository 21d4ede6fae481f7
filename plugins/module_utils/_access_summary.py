# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""``summary.html`` and ``summary.md`` of a subject access package (``_access``): what is held about the person,
where, since when, how many objects per kind, which objects name them without being theirs, what was redacted, and what
the collection could not look at.

Both render the package's model only (already redacted); every value is escaped (``_report``'s helpers: names are
hostile); no time of their own, so the same model gives the same bytes. The HTML is self-contained (inline CSS, no
script, no external asset). Stable hooks for tests: ``#package-status``, ``#total``, ``table#kinds tr[data-kind]
td[data-count]``, ``table#workspaces``, ``table#files``, ``table#withheld``, ``table#not-theirs``, ``table#name-only``,
``table#redactions``, ``ul#coverage``.
"""

from collections import namedtuple

from ansible_collections.gdpr.azureml.plugins.module_utils._report import CSS, _e, _kv_counts, _m
from ansible_collections.gdpr.azureml.plugins.module_utils._subjects import describe_subject

EXTRA_CSS = """
ul.coverage li { margin: 4px 0; }
.mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; overflow-wrap: anywhere; }
"""
STATUS_TEXT = {'complete': 'searched', 'incomplete': 'searched, does not verify', 'not searched': 'NOT SEARCHED'}


def _title(model):
    names = [s['name'] for s in model['subject'] if s.get('name')]
    return names[0] if names else describe_subject(model['subject'][0])


def _facts(model):
    rows = []
    for s in model['subject']:
        for key, label in (('name', 'Display name'), ('email', 'E-mail address'), ('upn', 'UPN'), ('object_id', 'Azure AD object id'),
                           ('tenant_id', 'Tenant')):
            if s.get(key):
                rows.append((label, s[key]))
    return rows


def _lead(model):
    searched = [b for b in model['bundles'] if b['status'] != 'not searched']
    where = sum(1 for b in model['bundles'] if b['objects'])
    text = f"{model['total']} object(s) in {where} of the {len(searched)} workspace(s) searched"
    if model['first']:
        text += f", the oldest created {model['first']}, the newest {model['last']}"
    return text + '.'


def _namesake(name, count):
    return (f'The display name {name} is also carried by {count} identit{"y" if count == 1 else "ies"} whose object id or address '
            'was not given for the person: someone else, or the person under an identifier not given. The name stays where it '
            'appears; the objects matched by it alone are listed above.')


def _link(workspace, kind, oid):
    return f'{workspace} / {kind} / {oid}'


# The two sections of objects that refer to the person without being plainly theirs (HTML and Markdown alike): the
# objects of ``model[key]`` in a table and a note, or the sentence that says there are none. (The note is HTML-safe text.)
_ObjectSection = namedtuple('_ObjectSection', 'key title table_id note_class note md_note none')
OBJECT_SECTIONS = (
    _ObjectSection('not_theirs', 'Objects that name the person without being theirs', 'not-theirs', 'muted',
                   'Someone else created these objects; they refer to the person (an image that embeds their model, '
                   'a tag with their address, a notification sent to them). Other people\'s identifiers in them are redacted.',
                   False, 'None: every object found was created by the person (or belongs to a run they created).'),
    _ObjectSection('name_only', 'Matched by display name only', 'name-only', 'note',
                   'These objects carry the person\'s display name but not their object id or address: they may '
                   'belong to someone else with the same name.',
                   True, 'None: every object was matched by an object id, a UPN or an e-mail address.'),
)


def _html_objects(table_id, objects):
    rows = [f'<table id="{table_id}"><thead><tr><th>workspace</th><th>kind</th><th>id</th><th>name</th><th>fields</th></tr></thead><tbody>']
    rows += [f'<tr><td>{_e(o["workspace"])}</td><td>{_e(o["kind"])}</td><td class="mono">{_e(o["id"])}</td><td>{_e(o["name"])}</td>'
             f'<td class="mono">{_e(", ".join(o["fields"]))}</td></tr>' for o in objects]
    return rows + ['</tbody></table>']


def _md_objects(objects):
    return ['| workspace | kind | id | name | fields |', '|---|---|---|---|---|'] + [
        f'| {_m(o["workspace"])} | {_m(o["kind"])} | {_m(o["id"])} | {_m(o["name"])} | {_m(", ".join(o["fields"]))} |' for o in objects]


def render_html(model):
    out = []
    add = out.append
    title = f'Subject access: {_title(model)}'
    add('<!DOCTYPE html>')
    add('<html lang="en"><head><meta charset="utf-8">')
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add(f'<title>{_e(title)}</title>')
    add(f'<style>{CSS}{EXTRA_CSS}</style></head><body><main>')
    add(f'<h1>Subject access: <span id="subject">{_e(_title(model))}</span></h1>')
    status = ('<span class="badge ok" id="package-status">complete: every workspace searched, every bundle verified</span>'
              if model['complete'] else '<span class="badge bad" id="package-status">INCOMPLETE: see what could not be looked at</span>')
    add('<p class="lead">What the Azure Machine Learning workspaces hold about this person, taken from their export bundles '
        f'(GDPR Articles 15 and 20). {status}</p>')
    add('<h2>The person</h2><dl class="facts">')
    for label, value in _facts(model):
        add(f'<dt>{_e(label)}</dt><dd>{_e(value)}</dd>')
    add('</dl>')
    add(f'<h2>In short</h2><p id="total" data-total="{model["total"]}">{_e(_lead(model))}</p>')

    add('<h2>Where</h2>')
    add('<table id="workspaces"><thead><tr><th>workspace</th><th>resource group</th><th>location</th><th>exported</th>'
        '<th>status</th><th class="num">objects</th><th>by kind</th></tr></thead><tbody>')
    for b in model['bundles']:
        add(f'<tr data-bundle="{_e(b["bundle"])}"><td>{_e(b["name"] or b["bundle"])}<br><span class="muted mono">{_e(b["id"] or "")}</span></td>'
            f'<td>{_e(b["resource_group"])}</td><td>{_e(b["location"])}</td><td class="mono">{_e(b["exported"])}</td>'
            f'<td>{_e(STATUS_TEXT.get(b["status"], b["status"]))}</td><td class="num">{b["objects"]}</td>'
            f'<td>{_e(_kv_counts(b["counts"]))}</td></tr>')
    add('</tbody></table>')

    add('<h2>What</h2>')
    add('<table id="kinds"><thead><tr><th>kind</th><th class="num">objects</th></tr></thead><tbody>')
    for kind, count in model['counts'].items():
        add(f'<tr data-kind="{_e(kind)}"><td>{_e(kind)}</td><td class="num" data-count="{count}">{count}</td></tr>')
    add(f'<tr class="total"><td>total</td><td class="num">{model["total"]}</td></tr></tbody></table>')
    add('<p class="muted">Every kind the bundles hold was searched; a zero says the person was looked for there and not found. '
        'Each object, as the service returned it, is in <code>objects.json</code>.</p>')

    add('<h2>Files the person\'s runs produced</h2>')
    if model['files']:
        add('<table id="files"><thead><tr><th>file</th><th class="num">bytes</th><th>SHA-256</th></tr></thead><tbody>')
        for f in model['files']:
            add(f'<tr><td class="mono">{_e(f["path"])}</td><td class="num">{f["size"]}</td><td class="mono">{_e(f["sha256"])}</td></tr>')
        add('</tbody></table>')
    else:
        add('<p>None of the bundles holds a file of the person\'s runs.</p>')
    if model['withheld']:
        add('<div class="note"><strong>Withheld:</strong> these files hold identifiers of other people; they are not in the '
            'package and need a review by hand.</div>')
        add('<table id="withheld"><thead><tr><th>workspace</th><th>kind</th><th>id</th><th>why</th></tr></thead><tbody>')
        for w in model['withheld']:
            add(f'<tr><td>{_e(w["workspace"])}</td><td>{_e(w["kind"])}</td><td class="mono">{_e(w["id"])}</td><td>{_e(w["reason"])}</td></tr>')
        add('</tbody></table>')

    for section in OBJECT_SECTIONS:
        add(f'<h2>{section.title}</h2>')
        if model[section.key]:
            out += _html_objects(section.table_id, model[section.key])
            add(f'<p class="{section.note_class}">{section.note}</p>')
        else:
            add(f'<p>{section.none}</p>')
    if model['namesakes']:
        add('<ul id="namesakes">')
        for name, count in model['namesakes'].items():
            add(f'<li>{_e(_namesake(name, count))}</li>')
        add('</ul>')

    red = model['redactions']
    add('<h2>Other people\'s data</h2>')
    add(f'<p>Identifiers of other people (object ids, e-mail addresses, UPNs, display names and the other values of their '
        f'user records) are replaced by <code>{_e(red["marker"])}</code> wherever they appear, keys and free text included: '
        f'in <strong id="redacted-objects">{red["objects"]}</strong> object(s).</p>')
    if red['fields']:
        add('<table id="redactions"><thead><tr><th>field (in objects.json)</th><th class="num">objects</th></tr></thead><tbody>')
        for field, count in red['fields'].items():
            add(f'<tr><td class="mono">{_e(field)}</td><td class="num">{count}</td></tr>')
        add('</tbody></table>')

    add('<h2>What this answer could not look at</h2><ul id="coverage" class="coverage">')
    for c in model['coverage']:
        where = f' <span class="muted">({_e(", ".join(c["bundles"]))})</span>' if c['bundles'] else ''
        add(f'<li>{_e(c["text"])}{where}</li>')
    add('</ul>')
    add('<h2>This package</h2><ul>')
    add('<li><code>objects.json</code>: every object above, with its workspace, kind, the fields that matched, how strong the '
        'match is, and the object itself (machine-readable, for portability).</li>')
    add('<li><code>files/</code>: the files of the person\'s runs, by workspace bundle.</li>')
    add('<li><code>manifest.json</code>: the SHA-256 of every file, the bundles read, the fields redacted.</li></ul>')
    add('<footer>Written by gdpr.azureml.subject_package from the export bundles only; no service was called.</footer>')
    add('</main></body></html>')
    return ('\n'.join(out) + '\n').encode('utf-8')


def render_markdown(model):
    lines = [f'# Subject access: {_m(_title(model))}', '',
             'What the Azure Machine Learning workspaces hold about this person, taken from their export bundles '
             '(GDPR Articles 15 and 20). Package: '
             + ('**complete: every workspace searched, every bundle verified**' if model['complete']
                else '**INCOMPLETE: see what could not be looked at**') + '.', '',
             '## The person', '', '| | |', '|---|---|']
    lines += [f'| {label} | {_m(value)} |' for label, value in _facts(model)]
    lines += ['', '## In short', '', _m(_lead(model)), '', '## Where', '',
              '| workspace | ARM id | exported | status | objects | by kind |', '|---|---|---|---|---:|---|']
    for b in model['bundles']:
        lines.append(f'| {_m(b["name"] or b["bundle"])} | {_m(b["id"])} | {_m(b["exported"])} | {_m(STATUS_TEXT.get(b["status"], b["status"]))} | '
                     f'{b["objects"]} | {_m(_kv_counts(b["counts"]))} |')
    lines += ['', '## What', '', '| kind | objects |', '|---|---:|']
    lines += [f'| {_m(kind)} | {count} |' for kind, count in model['counts'].items()]
    lines += [f'| **total** | **{model["total"]}** |', '', '## Files the person\'s runs produced', '']
    if model['files']:
        lines += ['| file | bytes | SHA-256 |', '|---|---:|---|']
        lines += [f'| {_m(f["path"])} | {f["size"]} | {_m(f["sha256"])} |' for f in model['files']]
    else:
        lines.append('None of the bundles holds a file of the person\'s runs.')
    if model['withheld']:
        lines += ['', '**Withheld** (they hold identifiers of other people; review them by hand):', '']
        lines += [f'- {_m(_link(w["workspace"], w["kind"], w["id"]))}: {_m(w["reason"])}' for w in model['withheld']]
    for section in OBJECT_SECTIONS:
        lines += ['', f'## {section.title}', '']
        if model[section.key]:
            lines += _md_objects(model[section.key]) + (['', section.note] if section.md_note else [])
        else:
            lines.append(section.none)
    for name, count in model['namesakes'].items():
        lines += ['', _m(_namesake(name, count))]
    red = model['redactions']
    lines += ['', '## Other people\'s data', '',
              f'Identifiers of other people are replaced by `{red["marker"]}` wherever they appear, keys and free text '
              f'included: in {red["objects"]} object(s).']
    if red['fields']:
        lines += ['', '| field (in objects.json) | objects |', '|---|---:|']
        lines += [f'| {_m(field)} | {count} |' for field, count in red['fields'].items()]
    lines += ['', '## What this answer could not look at', '']
    lines += [f'- {_m(c["text"])}' + (f' ({_m(", ".join(c["bundles"]))})' if c['bundles'] else '') for c in model['coverage']]
    lines += ['', '## This package', '',
              '- `objects.json`: every object above, with its workspace, kind, the fields that matched, how strong the match is, '
              'and the object itself (machine-readable, for portability).',
              '- `files/`: the files of the person\'s runs, by workspace bundle.',
              '- `manifest.json`: the SHA-256 of every file, the bundles read, the fields redacted.', '',
              '_Written by gdpr.azureml.subject\\_package from the export bundles only; no service was called._', '']
    return '\n'.join(lines).encode('utf-8')
