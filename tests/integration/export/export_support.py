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


def state_ids(ws, kind, registries=()):
    """The ids the emulator's state gives the objects of ``kind`` in workspace ``ws``, as the bundle names them. One store,
    two views: the jobs are the runs (not the child jobs of pipelines, which only run history lists), the model versions
    the v1 models ``name:version``; ``registries``: the ARM ids of the resource group's registries the bundle's v2 objects
    refer to (see :func:`referenced_registries`)."""
    if kind == "workspace":
        return [ws["id"]]
    if kind == "jobs":
        return [f'{ws["id"]}/jobs/{run["id"]}' for run in ws["objects"]["runs"] if not run.get("parent_run_id")]
    if kind == "model_versions":
        return ["%s/models/%s/versions/%s" % ((ws["id"],) + tuple(m["id"].split(":", 1))) for m in ws["objects"]["models"]]
    if kind == "registries":
        return list(registries)
    if kind == "computes" and os.environ.get("AZUREML_TEST_API_PROFILE") == "documented":
        # compute instances (the demo's ws_hr-people has 2) are served from api-version 2020-01-01 on: the documented
        # profile reads computes at 2019-11-01, where Azure lists none of them
        return [obj["id"] for obj in ws["objects"]["computes"] if not obj.get("assigned_user")]
    return [obj["id"] for obj in ws["objects"].get(kind, [])]


def referenced_registries(state, ws, bundle_dir):
    """The ARM ids of the registries of ``ws``'s resource group (``state["registries"]``) whose name an object of the bundle
    names in ``azureml://registries/<name>/``."""
    import re
    names = set()
    for name, kind in KINDS.items():
        path = os.path.join(bundle_dir, kind.file)
        if kind.api == "v2" and name != "registries" and os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                names |= {n.lower() for n in re.findall(r"azureml://registries/([^/\"]+)", f.read())}
    prefix = f'/subscriptions/{ws["subscription_id"]}/resourceGroups/{ws["resource_group"]}/'.lower()
    return [r for r in state.get("registries", []) if r.lower().startswith(prefix) and r.rsplit("/", 1)[1].lower() in names]


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
