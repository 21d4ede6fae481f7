"""docs/reference.md is the public contract: it cannot drift from the code.

Every option of every module (its DOCUMENTATION, and the doc fragments it extends), every option of the inventory
plugin, every role variable (``roles/*/meta/argument_specs.yml``), every playbook and the variables its header lists,
and every filter and test plugin must be in docs/reference.md, in its section. Options and role variables are
checked row by row: the row must start with ``| `name` | type | default | choices |`` exactly as :func:`row` writes it
from the code's documentation, so a changed type, default or choice fails too.

Print the tables from the code (to paste into docs/reference.md after a change):

    PYTHONPATH=build/collections .venv/bin/python tests/unit/test_reference_doc.py
"""
from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "reference.md"
PLUGINS = ROOT / "plugins"


# --- the code's documentation -------------------------------------------------------------------------------------

def plugin_doc(path: Path) -> dict:
    """The DOCUMENTATION (or a doc fragment's) of a plugin file, parsed without importing it."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DOCUMENTATION" for t in node.targets):
            return yaml.safe_load(node.value.value)
    raise AssertionError("%s has no DOCUMENTATION" % path)


def fragments() -> dict:
    """``{gdpr.azureml.<fragment>[.<variant>]: options}`` of the collection's doc fragments."""
    found = {}
    for path in sorted((PLUGINS / "doc_fragments").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                name = node.targets[0].id
                if name.isupper():
                    suffix = "" if name == "DOCUMENTATION" else "." + name.lower()
                    found["gdpr.azureml.%s%s" % (path.stem, suffix)] = (yaml.safe_load(node.value.value) or {}).get("options") or {}
    return found


def modules() -> dict:
    return {p.stem: plugin_doc(p) for p in sorted((PLUGINS / "modules").glob("*.py"))}


def role_specs() -> dict:
    return {p.parents[1].name: yaml.safe_load(p.read_text(encoding="utf-8"))["argument_specs"]["main"]["options"]
            for p in sorted((ROOT / "roles").glob("*/meta/argument_specs.yml"))}


def playbook_variables() -> dict:
    """``{playbook: [variable, ...]}``: the names its header comment lists (``#   name   what``) after ``Variables:``."""
    found = {}
    for path in sorted((ROOT / "playbooks").glob("*.yml")):
        names, listing = [], False
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                if line.strip() not in ("", "---"):
                    break
                continue
            listing = listing or "Variables:" in line
            m = re.match(r"#   ([a-z_]+)\s+\S", line)
            if listing and m:
                names.append(m.group(1))
        found[path.stem] = names
    return found


def flatten(options: dict, prefix: str = "") -> list:
    """``[(dotted name, spec)]``, sub-options after their option (``suboptions`` of modules, ``options`` of roles)."""
    rows = []
    for name, spec in (options or {}).items():
        rows.append((prefix + name, spec))
        rows.extend(flatten(spec.get("suboptions") or spec.get("options") or {}, prefix + name + "."))
    return rows


# --- the rows of docs/reference.md ----------------------------------------------------------------------------------

def _value(value) -> str:
    return "`%s`" % (value if isinstance(value, str) else json.dumps(value))


def row(name: str, spec: dict) -> str:
    """``| `name` | type | default | choices |``: what the test requires of each option's row (a description may follow)."""
    kind = spec.get("type", "str")
    if spec.get("elements"):
        kind += " of " + spec["elements"]
    choices = spec.get("choices")
    if spec.get("required"):
        default = "required"
    elif "default" not in spec or spec["default"] is None:
        default = "-"
    elif choices and spec["default"] == choices:
        default = "all choices"
    else:
        default = _value(spec["default"])
    return "| `%s` | %s | %s | %s |" % (name, kind, default, ", ".join(_value(c) for c in choices) if choices else "-")


_MARKUP = [(r"RV\(([^)]*)\)", r"`\1`"), (r"\b[COVEPM]\(([^)]*)\)", r"`\1`"), (r"I\(([^)]*)\)", r"*\1*"), (r"U\(([^)]*)\)", r"<\1>"),
           (r"L\(([^,]*),\s*([^)]*)\)", r"[\1](\2)"), (r"\|", r"\\|")]


def summary(spec: dict, limit: int = 110) -> str:
    """The first sentence of an option's description, Ansible markup as Markdown (for the tables' last column)."""
    text = spec.get("description") or ""
    text = (text[0] if isinstance(text, list) and text else text) or ""
    for pattern, repl in _MARKUP:
        text = re.sub(pattern, repl, text)
    text = " ".join(text.split())
    first = re.split(r"(?<=\.)\s", text)[0]
    if len(first) > limit:
        return first[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"
    return first.rstrip(".")


def table(options: dict, header: str = "option") -> str:
    lines = ["| %s | type | default | choices | what |" % header, "|---|---|---|---|---|"]
    lines += ["%s %s |" % (row(name, spec), summary(spec)) for name, spec in flatten(options)]
    return "\n".join(lines)


# --- docs/reference.md -------------------------------------------------------------------------------------------

def section(heading: str) -> str:
    """The text under ``heading`` (a whole heading line) up to the next heading of the same or a higher level."""
    text = REFERENCE.read_text(encoding="utf-8")
    level = len(heading) - len(heading.lstrip("#"))
    start = text.find("\n" + heading + "\n")
    assert start >= 0, "docs/reference.md has no heading %r" % heading
    body = text[start + len(heading) + 2:]
    end = re.search(r"^#{1,%d} " % level, body, re.M)
    return body[:end.start()] if end else body


def _missing_rows(text: str, options: dict) -> list:
    lines = text.splitlines()
    return [row(name, spec) for name, spec in flatten(options) if not any(line.startswith(row(name, spec)) for line in lines)]


MODULES = modules()
FRAGMENTS = fragments()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_option_is_in_the_reference(name):
    doc = MODULES[name]
    text = section("### `gdpr.azureml.%s`" % name)
    missing = _missing_rows(text, doc.get("options") or {})
    assert not missing, "docs/reference.md, module %s: rows missing or out of date:\n%s" % (name, "\n".join(missing))
    for fragment in doc.get("extends_documentation_fragment") or []:
        if FRAGMENTS.get(fragment):  # a fragment with options: the module's section names it
            assert "`%s`" % fragment in text, "docs/reference.md, module %s: does not say it takes the options of %s" % (name, fragment)


@pytest.mark.parametrize("fragment", sorted(f for f, options in FRAGMENTS.items() if options))
def test_every_doc_fragment_option_is_in_the_reference(fragment):
    missing = _missing_rows(section("### `%s`" % fragment), FRAGMENTS[fragment])
    assert not missing, "docs/reference.md, fragment %s: rows missing or out of date:\n%s" % (fragment, "\n".join(missing))


def test_every_inventory_plugin_option_is_in_the_reference():
    for path in sorted((PLUGINS / "inventory").glob("*.py")):
        doc = plugin_doc(path)
        text = section("### `gdpr.azureml.%s`" % doc["name"])
        missing = _missing_rows(text, doc.get("options"))
        assert not missing, "docs/reference.md, inventory %s: rows missing or out of date:\n%s" % (doc["name"], "\n".join(missing))
        for fragment in doc.get("extends_documentation_fragment") or []:
            assert "`%s`" % fragment in text, "docs/reference.md, inventory %s: does not name %s" % (doc["name"], fragment)


@pytest.mark.parametrize("role", sorted(role_specs()))
def test_every_role_variable_is_in_the_reference(role):
    text = section("### `gdpr.azureml.%s`" % role)
    missing = _missing_rows(text, role_specs()[role])
    assert not missing, "docs/reference.md, role %s: rows missing or out of date:\n%s" % (role, "\n".join(missing))
    defaults = ROOT / "roles" / role / "defaults" / "main.yml"
    for name in yaml.safe_load(defaults.read_text(encoding="utf-8")) or {}:  # a default nobody declared is a hidden variable
        assert name in role_specs()[role], "%s sets %s, which meta/argument_specs.yml does not declare" % (defaults, name)


def test_the_export_role_takes_every_common_option_in_azureml_options():
    """``azureml_options`` of a host goes to the module as is: the role's argument spec must not refuse a common option
    (the workspace coordinates come from the host variables instead)."""
    common = set(FRAGMENTS["gdpr.azureml.common"]) - {"subscription_id", "resource_group", "workspace_name", "location"}
    declared = set(role_specs()["export_workspace_data"]["azureml_options"]["options"])
    assert common <= declared, "azureml_options of export_workspace_data refuses %s" % sorted(common - declared)
    assert all(spec.get("no_log") for name, spec in role_specs()["export_workspace_data"]["azureml_options"]["options"].items()
               if name in ("secret", "access_token", "storage_access_token", "storage_account_key"))


def test_every_playbook_and_its_variables_are_in_the_reference():
    text = section("## Playbooks")
    for playbook, names in playbook_variables().items():
        block = section("### `gdpr.azureml.%s`" % playbook)
        assert block.strip(), playbook
        missing = [n for n in names if "`%s`" % n not in block]
        assert not missing, "docs/reference.md, playbook %s: variables missing: %s" % (playbook, ", ".join(missing))
    assert text is not None


def test_every_filter_and_test_plugin_is_in_the_reference():
    text = section("## Filter and test plugins")
    for folder in ("filter", "test"):
        for path in sorted((PLUGINS / folder).glob("*.py")):
            name = plugin_doc(path)["name"]
            assert "`gdpr.azureml.%s`" % name in text, "docs/reference.md: the %s plugin %s is missing" % (folder, name)


def slug(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_of_the_reference_resolves():
    """Relative links name files that exist, and anchors name headings of their page."""
    text = REFERENCE.read_text(encoding="utf-8")
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        page, anchor = (target.split("#", 1) + [""])[:2]
        path = (REFERENCE.parent / page) if page else REFERENCE
        if not path.is_file():
            broken.append(target)
        elif anchor and anchor not in {slug(h) for h in re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.M)}:
            broken.append(target)
    assert not broken, "docs/reference.md: broken links: %s" % ", ".join(broken)


def test_nothing_cites_files_outside_the_repository():
    text = REFERENCE.read_text(encoding="utf-8")
    assert not re.search(r"\.\./shared|shared/(INTERFACE|API-NOTES|ENDPOINTS|REAL-AZURE|azure-specs|seed)", text)


if __name__ == "__main__":  # print every table from the code
    for fragment, options in FRAGMENTS.items():
        if options:
            print("\n### `%s`\n\n%s" % (fragment, table(options)))
    for name, doc in MODULES.items():
        print("\n### `gdpr.azureml.%s`\n\n%s\n\n%s" % (name, doc.get("short_description"), table(doc.get("options") or {})))
    for path in sorted((PLUGINS / "inventory").glob("*.py")):
        doc = plugin_doc(path)
        print("\n### `gdpr.azureml.%s`\n\n%s" % (doc["name"], table(doc.get("options"))))
    for role, options in role_specs().items():
        print("\n### `gdpr.azureml.%s`\n\n%s" % (role, table(options, "variable")))
    print(json.dumps(playbook_variables(), indent=1), file=sys.stderr)
