"""The copied official specs are verbatim: every file of tests/emulator/specs/README.md's table has
the git blob SHA and size written there, no other spec file is present, and the MIT licence notice
travels with them."""

import hashlib
import re

from azureml_emulator import spec_validation as sv

README = sv.SPECS_ROOT / "README.md"
ROW = re.compile(r"^\| `(?P<path>[^`]+)` \| `(?P<sha>[0-9a-f]{40})` \| (?P<size>\d+) \|", re.M)
ABBREVIATIONS = {
    "RM/": "resource-manager/Microsoft.MachineLearningServices/stable/2019-11-01/",
    "DP/": "data-plane/Microsoft.MachineLearningServices/preview/2019-09-30/",
    "V2/": "resource-manager/Microsoft.MachineLearningServices/stable/2025-12-01/examples/",
}


def blob_sha(data):
    """What ``git hash-object`` prints for a file holding ``data``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # noqa: S324 - git's object id, not security


def listed():
    rows = {}
    for m in ROW.finditer(README.read_text(encoding="utf-8")):
        path = m["path"]
        for short, full in ABBREVIATIONS.items():
            if path.startswith(short):
                path = full + path[len(short):]
        rows["specification/machinelearningservices/" + path] = (m["sha"], int(m["size"]))
    return rows


def test_every_copied_spec_file_is_byte_identical_to_upstream():
    rows = listed()
    assert len(rows) == 20
    for path, (sha, size) in rows.items():
        data = (sv.SPECS_ROOT / path).read_bytes()
        assert (blob_sha(data), len(data)) == (sha, size), path


def test_the_folder_holds_the_listed_files_and_their_licence_only():
    on_disk = {p.relative_to(sv.SPECS_ROOT).as_posix() for p in sv.SPECS_ROOT.rglob("*") if p.is_file()}
    assert on_disk == set(listed()) | {"README.md", "LICENSE"}
    licence = (sv.SPECS_ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("The MIT License (MIT)") and "Microsoft Corporation" in licence


def test_every_spec_the_validator_reads_is_a_copy():
    for name, rel in sv.SPEC_FILES.items():
        assert (sv.SPECS_ROOT / "specification" / "machinelearningservices" / rel).is_file(), name


def test_blob_sha_is_gits():
    # `printf 'hello\n' | git hash-object --stdin`
    assert blob_sha(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"
