"""`make demo`: the main job of gdpr.azureml, end to end, on the bundled emulator.

1. start the Azure ML emulator with the demo fleet (five workspaces in two resource groups);
2. show the fleet (the inventory);
3. export every workspace into a bundle (`gdpr.azureml.export_workspaces`) and show one;
4. rehearse the purge of one workspace with `--check --diff` (the plan; nothing is deleted);
5. purge it for real (confirmed by name), then run the purge again: nothing left to change;
6. stop the emulator and say where everything is.

With ``--storage azurite`` (``make demo STORAGE=azurite``) the workspaces' storage accounts are on Azurite,
Microsoft's storage emulator, and step 3 also lists the files of one workspace's runs (``storage_info``).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "emulator"))

from azureml_emulator.testing import EmulatorProcess  # noqa: E402

OUT = ROOT / "demo-output"
INVENTORY = ROOT / "demo" / "inventory.yml"
PURGED = "ws-sales-analytics"
PURGED_HOST = "rg-gdpr-demo_ws-sales-analytics"
BIN = Path(sys.executable).parent


def banner(text):
    print("\n" + "=" * 78 + "\n== " + text + "\n" + "=" * 78, flush=True)


def run(cmd, env, check=True):
    print("$ " + " ".join(str(c) for c in cmd), flush=True)
    proc = subprocess.run([str(c) for c in cmd], env=env, cwd=str(ROOT), check=False)
    if check and proc.returncode != 0:
        raise SystemExit("demo step failed (exit %d): %s" % (proc.returncode, " ".join(str(c) for c in cmd)))
    return proc.returncode


def show_bundle(bundle):
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    print("bundle %s (mode %o)" % (bundle, bundle.stat().st_mode & 0o777))
    for _kind, entry in sorted(manifest["kinds"].items()):
        print("  %-26s %6d objects  sha256 %s…  (%s)" % (entry["file"], entry["count"], entry["sha256"][:16], entry.get("scope", "all")))


def main():
    parser = argparse.ArgumentParser(description="make demo: the main job of gdpr.azureml on the bundled emulator")
    parser.add_argument("--storage", choices=["azurite"], help="the workspaces' storage accounts on Azurite (make azurite)")
    args = parser.parse_args()
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(mode=0o700)
    exports = OUT / "exports"
    with EmulatorProcess(scenario="demo", storage=args.storage) as emu:
        env = dict(os.environ)
        env.update(
            PATH=str(BIN) + os.pathsep + env.get("PATH", ""),
            ANSIBLE_COLLECTIONS_PATH=str(ROOT / "build" / "collections"),
            ANSIBLE_PYTHON_INTERPRETER=sys.executable,
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_AZURE_AUTH_SOURCE="token",
            AZUREML_BASE_URL=emu.url,
            AZUREML_ACCESS_TOKEN=emu.token,
        )
        if args.storage:  # Azurite over HTTPS (the test CA), path style, a storage token of the fake Azure AD
            env.update(AZUREML_STORAGE_BASE_URL=emu.storage_url, REQUESTS_CA_BUNDLE=emu.ca_path,
                       AZUREML_STORAGE_ACCESS_TOKEN=emu.storage_token())
        banner("1. The emulator is up: %s (Azure AD at %s%s)" % (emu.url, emu.aad_url,
                                                                 ", storage on Azurite at %s" % emu.storage_url if args.storage else ""))
        banner("2. The fleet: one host per workspace, discovered by the inventory plugin")
        run([BIN / "ansible-inventory", "-i", ROOT / "demo" / "demo.azureml.yml", "--graph"], env)

        banner("3. Export every workspace (gdpr.azureml.export_workspaces)")
        run([BIN / "ansible-playbook", "gdpr.azureml.export_workspaces", "-i", INVENTORY,
             "-e", "export_workspace_data_dest=%s" % exports], env)
        show_bundle(exports / PURGED_HOST)
        if args.storage:
            banner("3b. The storage account of %s (Azurite): the files of its runs" % PURGED)
            run([BIN / "ansible-playbook", ROOT / "demo" / "storage.yml", "-i", INVENTORY, "-e", "target=%s" % PURGED_HOST], env)

        banner("4. Rehearse the purge of %s: --check --diff (the plan, nothing deleted)" % PURGED)
        before = emu.counters()["mutating"]
        run([BIN / "ansible-playbook", "gdpr.azureml.purge_workspaces", "-i", INVENTORY, "--check", "--diff",
             "-e", "target=%s" % PURGED_HOST, "-e", "export_workspace_data_dest=%s" % exports], env)
        print("mutating requests sent by the rehearsal: %d" % (emu.counters()["mutating"] - before))

        banner("5. Purge %s for real (confirmed by name), then once more" % PURGED)
        purge = [BIN / "ansible-playbook", "gdpr.azureml.purge_workspaces", "-i", INVENTORY,
                 "-e", "target=%s" % PURGED_HOST, "-e", "export_workspace_data_dest=%s" % exports,
                 "-e", "purge_workspace_confirm=%s" % PURGED]
        run(purge, env)
        run(purge, env)
        left = next(w for w in emu.state()["workspaces"] if w["name"] == PURGED)["objects"]
        print("left in %s: %s" % (PURGED, ", ".join("%s %d" % (k, len(left[k])) for k in ("models", "assets", "images", "services"))))

    banner("6. Done")
    print("bundles:        %s" % exports)
    print("fleet summary:  %s" % (exports / "fleet-summary.json"))
    print("purge plan:     %s" % (exports / PURGED_HOST / "purge-plan.json"))
    print("audit log:      %s" % (exports / "audit" / (PURGED_HOST + ".jsonl")))
    print("report:         %s (and report.md; every bundle has one)" % (exports / PURGED_HOST / "report.html"))


if __name__ == "__main__":
    main()
