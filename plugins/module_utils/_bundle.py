# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""Read and verify export bundles (the layout of ``shared/INTERFACE.md`` and ``docs/export.md``).

A bundle is a folder holding one JSON array per kind (written by ``_jsonfile``: one item per
line) and ``manifest.json``, written last. A bundle without a manifest is incomplete. The purge
trusts a bundle only when :func:`verify_bundle` finds no problem.
"""

import json
import os

from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import sha256_file
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import KINDS

MANIFEST_NAME = 'manifest.json'
FORMAT_VERSION = 1


class BundleError(Exception):
    """The bundle cannot be read (unreadable manifest, a kind file that is not a JSON array)."""


def manifest_path(bundle_dir):
    return os.path.join(bundle_dir, MANIFEST_NAME)


def read_manifest(bundle_dir):
    """The parsed manifest of ``bundle_dir``; None when there is none (an incomplete bundle)."""
    path = manifest_path(bundle_dir)
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding='utf-8') as f:
            manifest = json.load(f)
    except (OSError, ValueError) as exc:
        raise BundleError(f'cannot read {path}: {exc}') from exc
    if not isinstance(manifest, dict):
        raise BundleError(f'{path} is not a JSON object')
    return manifest


def verify_bundle(bundle_dir, workspace_id=None, kinds=None):
    """Everything wrong with the bundle in ``bundle_dir``, as sentences; ``[]`` when it is complete.

    Checks: the folder and its manifest exist and parse, the format version is known, the
    manifest is of ``workspace_id`` (compared case-insensitively, as ARM ids are), each kind in
    ``kinds`` (default: every kind the manifest lists) is listed, its file exists and its SHA-256
    is the manifest's.
    """
    if not os.path.isdir(bundle_dir):
        return [f'no export bundle at {bundle_dir}']
    try:
        manifest = read_manifest(bundle_dir)
    except BundleError as exc:
        return [str(exc)]
    if manifest is None:
        return [f'the export bundle at {bundle_dir} has no {MANIFEST_NAME}: it is incomplete (export again)']
    problems = []
    if manifest.get('format_version') != FORMAT_VERSION:
        problems.append(f"{MANIFEST_NAME} has format_version {manifest.get('format_version')!r}, expected {FORMAT_VERSION}")
    bundle_ws = str((manifest.get('workspace') or {}).get('id') or '')
    if workspace_id and bundle_ws.lower() != str(workspace_id).lower():
        problems.append(f'the export bundle at {bundle_dir} is of workspace {bundle_ws or "(none)"}, not {workspace_id}')
    listed = manifest.get('kinds') or {}
    if not isinstance(listed, dict):
        return problems + [f'{MANIFEST_NAME} has no kinds map']
    for name in (kinds if kinds is not None else sorted(listed)):
        entry = listed.get(name)
        if not isinstance(entry, dict):
            problems.append(f'kind {name} is not in the export bundle')
            continue
        path = os.path.join(bundle_dir, os.path.basename(str(entry.get('file') or '')))
        if not os.path.isfile(path):
            problems.append(f'{path} is missing')
        elif sha256_file(path) != entry.get('sha256'):
            problems.append(f'{path} does not match its checksum in {MANIFEST_NAME} (changed since the export)')
    return problems


def iter_objects(path):
    """Yield the objects of one kind file, one at a time.

    Files written by ``_jsonfile`` hold one item per line, so they are read line by line
    (bounded memory); any other valid JSON array is parsed whole.
    """
    try:
        with open(path, encoding='utf-8') as f:
            first = f.readline()
            if first.strip() == '[]':
                return
            if first.rstrip('\n') == '[':
                for raw in f:
                    line = raw.rstrip('\n')
                    if line == ']':
                        return
                    yield json.loads(line[:-1] if line.endswith(',') else line)
                raise BundleError(f'{path} ends before its closing bracket')
            f.seek(0)
            data = json.load(f)
    except ValueError as exc:
        raise BundleError(f'{path} is not a JSON array: {exc}') from exc
    if isinstance(data, dict):  # workspace.json may hold one object
        data = [data]
    if not isinstance(data, list):
        raise BundleError(f'{path} is not a JSON array')
    yield from data


def object_ids(bundle_dir, kind_name):
    """The ids (``_kinds`` id field) of the objects of ``kind_name`` in the bundle."""
    kind = KINDS[kind_name]
    path = os.path.join(bundle_dir, kind.file)
    if not os.path.isfile(path):
        raise BundleError(f'{path} is missing')
    return {kind.object_id(obj) for obj in iter_objects(path)}
