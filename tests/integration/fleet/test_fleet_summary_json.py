"""gdpr.azureml.fleet_summary_json: the fleet summary written on the controller by an action plugin, no module process.

Changed/not-changed pair, check mode (nothing written), diff mode, modes 0600/0700, the bytes of
``to_nice_json(sort_keys=true)``, refusals (a relative path, a symbolic link), and no AnsiballZ payload for it where an
``ansible.builtin.copy`` of the same file leaves two (``stat``, ``copy``).
"""
from __future__ import annotations

import json
import os
import stat

SUMMARY = {"operation": "export", "totals": {"workspaces": 2, "ok": 2}, "workspaces": [{"host": "b"}, {"host": "a", "é": "ü"}]}
PLAY = """
- hosts: localhost
  gather_facts: false
  vars:
    ansible_connection: local
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Write
      gdpr.azureml.fleet_summary_json:
        path: "{{ path }}"
        summary: "{{ summary }}"
"""


def _write(ansible, path, summary=None, **kwargs):
    playbook = ansible.write_playbook("summary.yml", PLAY)
    run = ansible.playbook(playbook, extra_vars={"path": str(path), "summary": summary or SUMMARY}, **kwargs)
    results = [r for r in run.results if r["task"] == "Write"]
    return run, results[0] if results else None


def test_writes_once_then_reports_no_change_with_private_modes(ansible, tmp_path):
    path = tmp_path / "new" / "deeper" / "fleet-summary.json"
    run, first = _write(ansible, path)
    assert run.rc == 0, run.stdout[-3000:]
    assert first["result"]["changed"] is True
    assert first["result"]["created_dirs"] == [str(tmp_path / "new"), str(tmp_path / "new" / "deeper")]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == SUMMARY
    assert text == json.dumps(SUMMARY, indent=4, sort_keys=True, separators=(",", ": ")) + "\n"  # to_nice_json's bytes
    mtime = path.stat().st_mtime_ns
    run, second = _write(ansible, path)
    assert run.rc == 0 and second["result"]["changed"] is False
    assert path.stat().st_mtime_ns == mtime  # not written again
    os.chmod(path, 0o644)
    run, third = _write(ansible, path)
    assert third["result"]["changed"] is True and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_check_mode_writes_nothing_and_diff_shows_the_content(ansible, tmp_path):
    path = tmp_path / "out" / "fleet-summary.json"
    run, result = _write(ansible, path, check=True, diff=True)
    assert run.rc == 0, run.stdout[-3000:]
    assert result["result"]["changed"] is True and result["result"]["created_dirs"] == [str(tmp_path / "out")]
    assert not (tmp_path / "out").exists()
    assert json.loads(result["result"]["diff"]["after"]) == SUMMARY and result["result"]["diff"]["before"] == ""
    _write(ansible, path)
    run, result = _write(ansible, path, dict(SUMMARY, operation="purge"), check=True, diff=True)
    assert result["result"]["changed"] is True
    assert json.loads(path.read_text(encoding="utf-8")) == SUMMARY  # unchanged by check mode
    assert json.loads(result["result"]["diff"]["before"]) == SUMMARY


def test_refuses_a_relative_path_and_a_symbolic_link(ansible, tmp_path):
    run, result = _write(ansible, "fleet-summary.json")
    assert run.rc != 0 and "absolute path" in result["result"]["msg"]
    target = tmp_path / "elsewhere.json"
    target.write_text("{}", encoding="utf-8")
    link = tmp_path / "fleet-summary.json"
    link.symlink_to(target)
    run, result = _write(ansible, link)
    assert run.rc != 0 and "not a regular file" in result["result"]["msg"]
    assert target.read_text(encoding="utf-8") == "{}" and link.is_symlink()


def test_starts_no_module_process(ansible, tmp_path):
    """AnsiballZ payloads kept (ANSIBLE_KEEP_REMOTE_FILES): none for the action plugin, two for a copy of the same file."""
    remote = tmp_path / "remote-tmp"
    env = {"ANSIBLE_KEEP_REMOTE_FILES": "1", "ANSIBLE_REMOTE_TMP": str(remote)}
    run, result = _write(ansible, tmp_path / "a" / "fleet-summary.json", env=env)
    assert run.rc == 0 and result["result"]["changed"] is True
    assert sorted(p.name for p in remote.rglob("AnsiballZ_*")) == []
    copy = ansible.write_playbook("copy.yml", PLAY.replace("gdpr.azureml.fleet_summary_json:", "ansible.builtin.copy:")
                                  .replace("path:", "dest:").replace('summary: "{{ summary }}"', 'content: "{{ summary | to_nice_json }}"'))
    run = ansible.playbook(copy, extra_vars={"path": str(tmp_path / "b.json"), "summary": SUMMARY}, env=env)
    assert run.rc == 0, run.stdout[-3000:]
    assert sorted(p.name for p in remote.rglob("AnsiballZ_*")) == ["AnsiballZ_copy.py", "AnsiballZ_stat.py"]  # the check can fail
