"""Helpers of the export integration tests (imported by conftest.py and the tests)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / "build" / "collections"
_LINK = COLLECTIONS / "ansible_collections" / "gdpr" / "azureml"
if not _LINK.exists():  # as make collection does; the tests read bundles with the collection's _bundle
    _LINK.parent.mkdir(parents=True, exist_ok=True)
    _LINK.symlink_to(ROOT)
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

from ansible_collections.gdpr.azureml.plugins.module_utils import _bundle  # noqa: E402
from ansible_collections.gdpr.azureml.plugins.module_utils._kinds import KINDS  # noqa: E402

__all__ = ["ROOT", "_bundle", "KINDS", "PIPELINE_OPTION", "bundle_ids", "host_name", "snapshot", "state_ids"]

PIPELINE_OPTION = {k.name: k.pipeline_kind for k in KINDS.values() if k.pipeline_kind}


def host_name(ws):
    return "%s_%s" % (ws["resource_group"], ws["name"])


def bundle_ids(bundle_dir, kind):
    """The ids (the kinds table's id field) of the objects of ``kind`` in a bundle, in file order."""
    return [KINDS[kind].object_id(obj) for obj in _bundle.iter_objects(os.path.join(bundle_dir, KINDS[kind].file))]


def state_ids(ws, kind):
    return [obj["id"] for obj in ws["objects"].get(kind, [])] if kind != "workspace" else [ws["id"]]


def snapshot(folder):
    """``{relative path: (inode, mtime_ns, mode)}`` of every file under ``folder`` (folders: inode and mode only;
    an export stages its files in a private folder inside the bundle, so a folder's own mtime may change)."""
    found = {}
    for top, dirs, files in os.walk(folder):
        for name in dirs:
            st = os.lstat(os.path.join(top, name))
            found[os.path.relpath(os.path.join(top, name), folder)] = (st.st_ino, None, st.st_mode)
        for name in files:
            st = os.lstat(os.path.join(top, name))
            found[os.path.relpath(os.path.join(top, name), folder)] = (st.st_ino, st.st_mtime_ns, st.st_mode)
    return found
