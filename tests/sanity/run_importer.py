"""Run Galaxy's importer (``galaxy-importer``, what Galaxy and Automation Hub run on an upload) on the built tarball.

Run with the Python of ``.venv-importer`` (``make galaxy-importer``): galaxy-importer pins versions the dev tools
do not accept. It builds the collection with ``ansible-galaxy collection build`` (which applies ``build_ignore``)
into ``build/importer`` and imports it with the importer's defaults (ansible-doc and ansible-lint on, no container
engine needed), from that venv only: nothing of the repository is on any path of the import. It passes when the
importer exits 0, prints no ERROR or WARNING line, and its result lists every module and plugin with its
documentation (ansible-doc read it) and every role with a description and a README.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORK = os.path.join(ROOT, "build", "importer")
BAD_LINE = re.compile(r"\b(ERROR|WARNING)\b")


def main():
    bindir = os.path.dirname(sys.executable)
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    env = {k: v for k, v in os.environ.items() if k not in ("ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_PATHS", "PYTHONPATH")}
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")  # the importer calls ansible-doc and ansible-lint by name
    subprocess.check_call([os.path.join(bindir, "ansible-galaxy"), "collection", "build", "--output-path", WORK, ROOT],
                          stdout=subprocess.DEVNULL, env=env)
    (tarball,) = glob.glob(os.path.join(WORK, "gdpr-azureml-*.tar.gz"))
    proc = subprocess.run([sys.executable, "-m", "galaxy_importer.main", tarball], cwd=WORK, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    print(proc.stdout, end="")
    problems = ["galaxy-importer exited %d" % proc.returncode] if proc.returncode else []
    problems += ["importer said: " + line for line in proc.stdout.splitlines() if BAD_LINE.search(line)]
    result_file = os.path.join(WORK, "importer_result.json")
    if os.path.exists(result_file):
        with open(result_file, encoding="utf-8") as f:
            result = json.load(f)
        problems += check_result(result)
    elif not problems:
        problems.append("no importer_result.json")
    for problem in problems:
        print("galaxy-importer check FAILED: " + problem, file=sys.stderr)
    if not problems:
        print("galaxy-importer: %s imported, no error, no warning" % os.path.basename(tarball))
    return 1 if problems else 0


def check_result(result):
    """What the import must have found: documented plugins, described roles with a README."""
    problems = []
    contents = result.get("contents", [])
    modules = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")))
    found = {(c["content_type"], c["name"]) for c in contents}
    for name in modules:
        if ("module", name) not in found:
            problems.append("module %s was not found by the importer" % name)
    for content in contents:
        if content["content_type"] == "role" and not content.get("description"):
            problems.append("role %s: no description" % content["name"])
    for role in sorted(os.listdir(os.path.join(ROOT, "roles"))):
        if ("role", role) not in found:
            problems.append("role %s was not found by the importer" % role)
    blob = result.get("docs_blob", {})
    if not (blob.get("collection_readme") or {}).get("html"):
        problems.append("no collection README")
    for doc in blob.get("contents", []):
        kind, name = doc["content_type"], doc["content_name"]
        if kind in ("module", "inventory") and not ((doc.get("doc_strings") or {}).get("doc") or {}).get("short_description"):
            problems.append("%s %s: no documentation (ansible-doc)" % (kind, name))
        if kind == "role" and not doc.get("readme_html"):
            problems.append("role %s: no README" % name)
    return problems


if __name__ == "__main__":
    sys.exit(main())
