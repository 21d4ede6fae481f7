# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""Does the export bundle cover what a purge erases? The "export first" rail of ``docs/purge.md``, content not ids.

- Objects deleted one by one (services, images, models, assets): each one must be in the bundle, with the content it has
  now (its digest, ``_digests``): an object deleted and created again under the same id is not the exported one.
- A workspace delete erases everything the workspace holds: the bundle must hold every kind (and the artifact contents it
  took must verify), and every object that can be listed now (every kind but the pipeline ones, which the API cannot
  list) must be in it with the same content. The plan counts what goes with the workspace, per kind.
"""

import os

from ansible_collections.gdpr.azureml.plugins.module_utils._bundle import (
    BundleError, find_objects, read_digests, read_manifest, verify_bundle,
)
from ansible_collections.gdpr.azureml.plugins.module_utils._digests import Comparison, changed_fields
from ansible_collections.gdpr.azureml.plugins.module_utils._export import list_digests
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import DELETABLE_KINDS, KIND_NAMES, KINDS, SAME_AS, other_view
from ansible_collections.gdpr.azureml.plugins.module_utils._scrub import scrub

# What a workspace delete takes with it that a listing can see: every kind listed in full (not the pipeline ones, which
# cannot be listed, nor the registries, which are the resource group's and stay).
LISTABLE = tuple(name for name in KIND_NAMES if KINDS[name].scope == 'all')
UNLISTABLE = tuple(name for name in KIND_NAMES if KINDS[name].pipeline_kind)
EXAMPLES = 10  # ids (or changed objects) spelled out per kind in a refusal


def _ids_text(ids, limit=EXAMPLES):
    ids = sorted(ids)
    return ', '.join(ids[:limit]) + (f' (and {len(ids) - limit} more)' if len(ids) > limit else '')


def check_bundle(export_dir, workspace_id, required, erasure=False):
    """``(problems, digests)``: why the bundle in ``export_dir`` cannot cover a purge of ``workspace_id`` that needs the kinds
    ``required``, and the bundle's ``{kind: {id: digest}}`` (None when they cannot be trusted or read)."""
    problems = [f'export bundle: {p}' for p in verify_bundle(export_dir, workspace_id, require_digests=True)]
    try:
        manifest = read_manifest(export_dir) if os.path.isdir(export_dir) else None
    except BundleError:
        manifest = None
    if manifest is None:
        return problems, None
    listed = manifest.get('kinds') if isinstance(manifest.get('kinds'), dict) else {}
    missing = [k for k in required if k not in listed]
    if missing:
        hint = (': a workspace delete erases every kind, so its bundle must hold every kind (export_workspace_data_kinds '
                'at its default), export again' if erasure else '')
        problems.append(f"export bundle: kind(s) {', '.join(missing)} not in the export bundle at {export_dir}{hint}")
    if problems:
        return problems, None
    try:
        return problems, read_digests(export_dir)
    except BundleError as exc:
        return problems + [f'export bundle: {exc}'], None


def compare_planned(listed, objects, exported):
    """A :class:`Comparison` of the objects to delete one by one (``objects``: ``{kind: ids}``) as ``listed`` now."""
    comparison = Comparison(exported)
    for kind_name, ids in objects.items():
        wanted = set(ids)
        for obj in listed.get(kind_name) or []:
            if KINDS[kind_name].object_id(obj) in wanted:
                comparison.add(kind_name, scrub(kind_name, obj))
    return comparison


def list_erasure(client, workspace_object, listed, exported):
    """A :class:`Comparison` of everything a workspace delete takes with it: the workspace, the deletable kinds already
    ``listed`` (all four), and every other listable kind, listed now as the export lists them."""
    comparison = Comparison(exported)
    comparison.add('workspace', workspace_object)
    for kind_name in DELETABLE_KINDS:
        for obj in listed.get(kind_name) or []:
            comparison.add(kind_name, scrub(kind_name, obj))
    list_digests(client, [k for k in LISTABLE if k != 'workspace' and k not in DELETABLE_KINDS], comparison)
    return comparison


def content_problems(export_dir, comparison, erasure=False):
    """The refusals of a :class:`Comparison` with the bundle: objects it does not hold, objects whose content changed (by
    id, naming the fields that changed)."""
    problems = []
    for kind_name in KIND_NAMES:
        if erasure:
            label = 'to delete or to erase with the workspace' if kind_name in DELETABLE_KINDS else 'that the workspace delete erases'
        else:
            label = 'to delete'
        new, changed = comparison.new.get(kind_name) or [], comparison.changed.get(kind_name) or []
        if new:
            problems.append(f'{len(new)} {kind_name} {label} are not in the export bundle at {export_dir} (created after the '
                            f'export?): {_ids_text(new)}. Objects are never deleted unexported: export again, then plan again')
        if changed:
            kept = comparison.kept.get(kind_name) or {}
            try:
                exported = find_objects(export_dir, kind_name, kept)
            except (BundleError, OSError, ValueError):
                exported = {}
            described = []
            for obj_id in sorted(changed)[:EXAMPLES]:
                fields = changed_fields(kind_name, exported[obj_id], kept[obj_id]) if obj_id in exported and obj_id in kept else []
                described.append(f"{obj_id} (fields {', '.join(fields)})" if fields else obj_id)
            more = f' (and {len(changed) - EXAMPLES} more)' if len(changed) > EXAMPLES else ''
            problems.append(f'{len(changed)} {kind_name} {label} changed since the export (the bundle holds other content under '
                            f'the same id): {"; ".join(described)}{more}. Objects are never deleted unexported: export again, '
                            'then plan again')
    return problems


def erasure_counts(comparison, objects, export_dir):
    """``{kind: n}``: what a workspace delete takes with it, besides the objects deleted one by one before it (``objects``);
    the pipeline kinds, which cannot be listed, as many as the bundle holds (every one goes). An object of two views (a job is
    the run of the same id, a v2 model version the v1 model ``name:version``) is counted once, under the other kind (runs,
    models); only the objects of a kind that the other kind did not list count under it."""
    counts = {}
    for kind_name in LISTABLE:
        n = comparison.count(kind_name) - (len(objects.get(kind_name) or []) if kind_name in DELETABLE_KINDS else 0)
        other = SAME_AS.get(kind_name)
        if other in LISTABLE:
            seen = comparison.ids.get(other) or set()
            planned = set(objects.get(kind_name) or ())
            n -= sum(1 for i in comparison.ids.get(kind_name) or ()
                     if i not in planned and (other_view(kind_name, i) or (None, None))[1] in seen)
        # ... and the objects of this kind deleted one by one under their other view (runs as jobs) are not erased again
        seen = comparison.ids.get(kind_name) or set()
        for alias in (k for k, target in SAME_AS.items() if target == kind_name):
            n -= sum(1 for i in objects.get(alias) or () if (other_view(alias, i) or (None, None))[1] in seen)
        if n > 0:
            counts[kind_name] = n
    try:
        manifest = read_manifest(export_dir) if export_dir and os.path.isdir(export_dir) else None
    except BundleError:
        manifest = None
    for kind_name in UNLISTABLE:
        entry = ((manifest or {}).get('kinds') or {}).get(kind_name)
        n = entry.get('count') if isinstance(entry, dict) and isinstance(entry.get('count'), int) else 0
        if n > 0:
            counts[kind_name] = n
    return counts
