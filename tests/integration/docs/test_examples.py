"""Every module's EXAMPLES run, as written, against the emulator.

Each module's EXAMPLES are read from its source (the ``EXAMPLES`` string), the placeholder values the
examples share are replaced by the demo scenario's (one mapping for every module, ``PLACEHOLDERS``),
and the tasks run in one play with ansible-playbook. The emulator is reset to the demo scenario
before each module, so destructive examples (they delete, that is what the emulator is for) do not
disturb the next module.

The placeholders of the examples (keep new examples to them):

- subscription ``00000000-1111-2222-3333-444444444444``, resource group ``ml-prod``, workspace ``churn-models``
  (so a bundle folder is ``/srv/gdpr/exports/ml-prod_churn-models``, its audit log
  ``/srv/gdpr/exports/audit/ml-prod_churn-models.jsonl``); every path under ``/srv/gdpr/``;
- object ids as they look in Azure; those the demo scenario does not have are mapped below to one it has.
  Ids that exist nowhere (``churn:3``) stay: a delete of an absent object is not an error.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if not p.name.startswith("_"))
SUBSCRIPTION = "00000000-0000-4000-8000-000000000001"

PLACEHOLDERS = {
    # coordinates
    "00000000-1111-2222-3333-444444444444": SUBSCRIPTION,
    "ml-prod": "rg-gdpr-demo",
    "churn-models": "ws-sales-analytics",
    # objects the demo scenario names differently
    "churn-classifier:3": "churn-classifier:2",
    "6c2f0e1d9b8a4c7e": "34c1e25d5baeddcabf0c0af9d0815fb8",
    "img-churn-classifier:2": "img-churn-classifier:1",
    "churn-scoring": "svc-000-aci",
    "customer_churn_v2_1583144100_a1b2c3d4": "customer_churn_v2_1583144100_94d58106",
    "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d": "05bceb20-d3e3-470f-87cc-aad927da4956",
    "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a": "4f21d14b-5974-4994-9821-fd365a234af6",
    "2a5e3c5d-8f2b-4a51-9c1e-0d6f7b2f1a10": "5cfef9ee-3e0e-4ff4-acf1-051cd3e863c4",
    "0f8fad5b-d9cb-469f-a165-70867728950e": "26e5f081-8415-4331-b329-053d839a36a3",
    # the emulator takes a bearer token: examples that show other auth sources use it instead
    "auth_source: cli": "auth_source: token",
    "auth_source: env": "auth_source: token",
}
BUNDLE = "/srv/gdpr/exports/ml-prod_churn-models"

# What an example needs in place first (written with the same placeholders).
EXPORT_FIRST = [{
    "name": "Set up - export the workspace the examples read",
    "gdpr.azureml.export_bundle": {"subscription_id": "00000000-1111-2222-3333-444444444444", "resource_group": "ml-prod",
                                   "workspace_name": "churn-models", "dest": BUNDLE},
}]


def _delete_all(module):
    return {"name": "Set up - delete the %ss that depend on the objects of the examples" % module,
            "gdpr.azureml.%s" % module: {"resource_group": "ml-prod", "workspace_name": "churn-models", "state": "absent", "all": True}}


SETUP = {
    "subject_info": EXPORT_FIRST,
    "bundle_report": EXPORT_FIRST,
    "subject_package": EXPORT_FIRST,
    "purge_plan": EXPORT_FIRST,
    # the service deletes examples need no setup; images are used by services, models by both
    "image": [_delete_all("service")],
    "model": [_delete_all("service"), _delete_all("image")],
}


def examples_of(module):
    tree = ast.parse((ROOT / "plugins" / "modules" / (module + ".py")).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "EXAMPLES" for t in node.targets):
            return node.value.value
    raise AssertionError("%s has no EXAMPLES" % module)


def substitute(text, tmp_path):
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    return text.replace("/srv/gdpr/", str(tmp_path / "srv" / "gdpr") + "/")


def test_every_module_has_examples_in_the_shared_placeholders():
    for module in MODULES:
        text = examples_of(module)
        tasks = yaml.safe_load(text)
        assert isinstance(tasks, list) and tasks, module
        assert any("gdpr.azureml.%s" % module in task or any("gdpr.azureml.%s" % module in str(t) for t in task.get("block", []))
                   for task in tasks), "%s: no example calls the module" % module
        for task in tasks:
            assert task.get("name"), "%s: every example task has a name" % module
        assert "/srv/gdpr/" in text or "bundle_dir" not in text, module


# Modules whose examples need the workspaces' storage (the emulator with --storage azurite).
STORAGE_MODULES = ("storage_info", "export_bundle")


@pytest.mark.parametrize("module", MODULES)
def test_examples_run_against_the_emulator(module, request, tmp_path):
    ansible = request.getfixturevalue("storage_ansible" if module in STORAGE_MODULES else "ansible")
    for folder in ("exports/audit", "audit"):
        (tmp_path / "srv" / "gdpr" / folder).mkdir(parents=True, exist_ok=True)
    tasks = yaml.safe_load(substitute(yaml.safe_dump(SETUP.get(module, []), sort_keys=False), tmp_path)) or []
    tasks += yaml.safe_load(substitute(examples_of(module), tmp_path))
    play = [{"name": "EXAMPLES of gdpr.azureml.%s" % module, "hosts": "localhost", "gather_facts": False,
             "vars": {"azure_subscription_id": SUBSCRIPTION, "arm_token": ansible.emulator.token,
                      "storage_token": ansible.env()["AZUREML_STORAGE_ACCESS_TOKEN"] if module in STORAGE_MODULES else ""},
             "tasks": tasks}]
    playbook = ansible.write_playbook("examples-%s.yml" % module, yaml.safe_dump(play, sort_keys=False, allow_unicode=True))
    run = ansible.playbook(playbook, env={"AZURE_SUBSCRIPTION_ID": SUBSCRIPTION})
    assert run.rc == 0, run.stdout[-4000:] + run.stderr[-2000:]
    recap = run.recap["localhost"]
    assert recap["failed"] == 0 and recap["ok"] >= 1
    names = [inner["name"] for task in tasks for inner in (task.get("block") or [task])]
    seen = {r["task"] for r in run.results}
    assert set(names) <= seen, "examples that did not run: %s" % sorted(set(names) - seen)
