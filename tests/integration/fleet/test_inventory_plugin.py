"""The inventory plugin gdpr.azureml.workspaces against the emulator's demo fleet (real ansible-inventory runs)."""
from __future__ import annotations

import math

DEMO_SUBSCRIPTION = "00000000-0000-4000-8000-000000000001"  # docs/emulator.md, scenario demo

KEYED = [{"key": "azureml_resource_group", "prefix": "rg"}, {"key": "azureml_location", "prefix": "location"}]


def hosts_of(data, group):
    return sorted(data.get(group, {}).get("hosts", []))


def expected_hosts(state):
    return {"%s_%s" % (ws["resource_group"], ws["name"]): ws for ws in state["workspaces"]}


def test_every_workspace_once_with_its_variables_and_groups_over_pages_of_two(fresh_emulator, write_inventory, run_inventory):
    fresh_emulator.configure(page_size=2)
    fresh_emulator.clear_journal()
    state = fresh_emulator.state()
    expected = expected_hosts(state)
    path = write_inventory({"subscriptions": [DEMO_SUBSCRIPTION], "keyed_groups": KEYED})

    listed = run_inventory(path, "--list")
    assert listed.rc == 0, listed.output
    data = listed.data
    hostvars = data["_meta"]["hostvars"]
    assert sorted(hostvars) == sorted(expected)
    assert len(state["workspaces"]) >= 5
    for name, ws in expected.items():
        assert {k: v for k, v in hostvars[name].items() if k != "azureml_tags"} == {
            "azureml_subscription_id": ws["subscription_id"],
            "azureml_resource_group": ws["resource_group"],
            "azureml_workspace_name": ws["name"],
            "azureml_location": ws["location"],
            "azureml_workspace_id": ws["id"],
            "azureml_workspace_kind": "default",  # the emulator's workspaces give no kind (as those created before kinds)
            "ansible_connection": "local",
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        }
        assert isinstance(hostvars[name]["azureml_tags"], dict)
    for group in {ws["resource_group"] for ws in state["workspaces"]}:
        members = sorted(n for n, ws in expected.items() if ws["resource_group"] == group)
        assert hosts_of(data, "rg_" + group.replace("-", "_")) == members
    for location in {ws["location"] for ws in state["workspaces"]}:
        assert hosts_of(data, "location_" + location) == sorted(n for n, ws in expected.items() if ws["location"] == location)

    # every page of the subscription-level list, each once, and nothing else
    calls = [e for e in fresh_emulator.journal() if e["op"]]
    assert {e["op"] for e in calls} == {"workspaces.list_subscription"}
    assert len(calls) == math.ceil(len(state["workspaces"]) / 2)
    assert all(e["status"] == 200 for e in calls)

    graph = run_inventory(path, "--graph")
    assert graph.rc == 0, graph.output
    for name in expected:
        assert graph.stdout.count("--" + name + "\n") == 2  # under its resource group and its location


def test_filters_and_hostnames(fresh_emulator, write_inventory, run_inventory):
    fresh_emulator.configure(page_size=2)
    path = write_inventory({"subscriptions": [DEMO_SUBSCRIPTION], "resource_groups": ["RG-ML-RESEARCH"], "hostnames": ["name"],
                            "compose": {"azureml_options": "{'concurrency': 2}"}})
    listed = run_inventory(path, "--list")
    assert listed.rc == 0, listed.output
    research = sorted(ws["name"] for ws in fresh_emulator.state()["workspaces"] if ws["resource_group"] == "rg-ml-research")
    assert sorted(listed.data["_meta"]["hostvars"]) == research
    assert all(v["azureml_options"] == {"concurrency": 2} for v in listed.data["_meta"]["hostvars"].values())


def test_service_principal_through_the_fake_azure_ad_and_the_secret_is_never_printed(fresh_emulator, write_inventory, run_inventory):
    fresh_emulator.configure(page_size=2)
    emu = fresh_emulator
    before = emu.counters()["token_grants"]
    path = write_inventory({"subscriptions": [DEMO_SUBSCRIPTION]})
    env = {
        "ANSIBLE_AZURE_AUTH_SOURCE": "env", "AZUREML_ACCESS_TOKEN": None,
        "AZURE_TENANT": emu.tenant, "AZURE_CLIENT_ID": emu.client_id, "AZURE_SECRET": emu.client_secret,
        "AZURE_AUTHORITY_HOST": emu.aad_url, "REQUESTS_CA_BUNDLE": emu.ca_path,
    }
    listed = run_inventory(path, "--list", "-vvv", env=env)
    assert listed.rc == 0, listed.output
    assert sorted(listed.data["_meta"]["hostvars"]) == sorted(expected_hosts(emu.state()))
    assert emu.counters()["token_grants"] == before + 1
    assert emu.client_secret not in listed.output
    tokens = [e for e in emu.journal() if e["op"] == "workspaces.list_subscription"]
    assert tokens  # the pages were read with the granted token

    # a wrong secret: the inventory source fails with Azure AD's message, the secret is not printed
    wrong = dict(env, AZURE_SECRET="wrong-secret-value-123", ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="true")
    failed = run_inventory(path, "--list", env=wrong)
    assert failed.rc != 0
    assert "AADSTS7000215" in failed.output
    assert "wrong-secret-value-123" not in failed.output


def test_an_arm_error_fails_the_source_with_the_request_id(fresh_emulator, write_inventory, run_inventory):
    missing = "00000000-0000-4000-8000-0000000000ff"
    path = write_inventory({"subscriptions": [DEMO_SUBSCRIPTION, missing]})
    failed = run_inventory(path, "--list", env={"ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "true"})
    assert failed.rc != 0
    text = " ".join(failed.output.split())
    assert f"list the workspaces of subscription {missing}: the service said " in text
    assert "(HTTP 404, code SubscriptionNotFound, request id " in text
    request_ids = {e["request_id"] for e in fresh_emulator.journal() if e["status"] == 404}
    assert any(rid in text for rid in request_ids)
    assert fresh_emulator.token not in failed.output


def test_a_cached_inventory_sends_no_request(fresh_emulator, write_inventory, run_inventory, tmp_path):
    path = write_inventory({"subscriptions": [DEMO_SUBSCRIPTION], "cache": True, "cache_plugin": "ansible.builtin.jsonfile",
                            "cache_connection": str(tmp_path / "cache"), "cache_timeout": 600})
    first = run_inventory(path, "--list")
    assert first.rc == 0, first.output
    fresh_emulator.clear_journal()
    second = run_inventory(path, "--list")
    assert second.rc == 0, second.output
    assert second.data["_meta"]["hostvars"] == first.data["_meta"]["hostvars"]
    assert [e for e in fresh_emulator.journal() if e["op"]] == []
    cached = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "cache").iterdir())
    assert fresh_emulator.token not in cached
    flushed = run_inventory(path, "--list", "--flush-cache")
    assert flushed.rc == 0, flushed.output
    assert [e for e in fresh_emulator.journal() if e["op"]]
