"""Run ``ansible-test sanity`` on the collection exactly as it ships, with the ansible-core of the Python running it.

    .venv/bin/python tests/sanity/run_sanity.py                      # ansible-core 2.19 (make sanity)
    .venv-matrix/2.16/bin/python tests/sanity/run_sanity.py          # ansible-core 2.16 (make matrix-sanity)
    .venv/bin/python tests/sanity/run_sanity.py --test pep8          # extra arguments go to ansible-test sanity

The ansible-test used is the one next to this interpreter, and ``--python`` is this interpreter's version.
ansible-test needs the collection under ``ansible_collections/<ns>/<name>`` as a real directory
(it resolves symlinks), so this script builds the collection tarball with that ``ansible-galaxy collection build``
(which applies ``build_ignore``: the emulator and dev files are not shipped) and unpacks it under
``build/sanity/<ansible-core minor>``. No ignore file is used.

ansible-test keeps its sanity virtualenvs under ``~/.ansible/test/venv``; two runs at once (two worktrees, or two
versions) that create the same one race ("No module named pylint"). Each run therefore gets a HOME of its own,
``build/home`` (kept between runs: the virtualenvs are made once), with the user's pip configuration and pip cache
linked in (ansible-test passes pip only HOME and PATH of the environment). Its venv bootstrap downloads
``get-pip-<version>.py`` from the internet, which these machines cannot reach: an offline stand-in (it installs pip
with ensurepip) is written to that HOME's cache under the name this ansible-test asks for (2.16: ``get_pip_23_1_2.py``,
2.18/2.19: ``get_pip_24_2.py``, 2.20/2.21: ``get_pip_25_2.py``).
"""
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import types

from ansible.release import __version__ as ANSIBLE_VERSION

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MINOR = ".".join(ANSIBLE_VERSION.split(".")[:2])
WORK = os.path.join(ROOT, "build", "sanity", MINOR)
DEST = os.path.join(WORK, "ansible_collections", "gdpr", "azureml")
PYTHON = "%d.%d" % sys.version_info[:2]
GET_PIP_STANDIN = '''import subprocess, sys
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
'''
# The longest path ansible-test puts in a shebang is HOME + this (Linux stops reading a shebang at 127 characters).
VENV_PYTHON_SUFFIX = "/.ansible/test/venv/sanity.validate-modules/3.13/01234567/bin/python"


def unpack_collection(bindir):
    """The built tarball, unpacked into DEST (tests/output, ansible-test's own output, is kept)."""
    if os.path.isdir(DEST):
        for name in os.listdir(DEST):
            if name != "tests":
                path = os.path.join(DEST, name)
                shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
        for name in os.listdir(os.path.join(DEST, "tests")):
            if name != "output":
                path = os.path.join(DEST, "tests", name)
                shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
    dist = os.path.join(WORK, "dist")
    shutil.rmtree(dist, ignore_errors=True)
    os.makedirs(dist)
    subprocess.check_call([os.path.join(bindir, "ansible-galaxy"), "collection", "build", "--output-path", dist, ROOT],
                          stdout=subprocess.DEVNULL)
    (tarball,) = glob.glob(os.path.join(dist, "gdpr-azureml-*.tar.gz"))
    os.makedirs(DEST, exist_ok=True)
    with tarfile.open(tarball) as tar:
        tar.extractall(DEST, filter="data")
    # ansible-test lists the files to check through git; give the unpacked copy a repository.
    git = ["git", "-c", "user.name=sanity", "-c", "user.email=sanity@localhost"]
    # ansible-test keeps its venvs under tests/output: they must stay out of the file list.
    with open(os.path.join(DEST, ".gitignore"), "w") as f:
        f.write("tests/output/\n")
    subprocess.check_call(git + ["init", "-q"], cwd=DEST)
    subprocess.check_call(git + ["add", "-A"], cwd=DEST)
    subprocess.check_call(git + ["commit", "-qm", "collection as built"], cwd=DEST)


def private_home():
    """A HOME for ansible-test alone, with the user's pip configuration and cache linked in."""
    home = os.path.join(ROOT, "build", "home")
    if len(home) + len(VENV_PYTHON_SUFFIX) > 127:  # a deep checkout: a short per-checkout folder instead
        home = os.path.join(tempfile.gettempdir(), "gdpr-azureml-home-" + hashlib.sha256(ROOT.encode()).hexdigest()[:8])
    real = os.path.expanduser("~")
    for rel in (os.path.join(".config", "pip"), ".pip", os.path.join(".cache", "pip")):
        source, link = os.path.join(real, rel), os.path.join(home, rel)
        if os.path.isdir(source) and not os.path.lexists(link):
            os.makedirs(os.path.dirname(link), exist_ok=True)
            os.symlink(source, link)
    return home


def write_get_pip(home):
    """The offline stand-in for the get-pip script this ansible-test downloads (named after its pip version)."""
    from ansible_test._internal.python_requirements import get_venv_packages

    pip_version = get_venv_packages(types.SimpleNamespace(version=PYTHON))["pip"]
    path = os.path.join(home, ".ansible", "test", "cache", "get_pip_%s.py" % pip_version.replace(".", "_"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(GET_PIP_STANDIN)
    return path


def main():
    bindir = os.path.dirname(sys.executable)
    unpack_collection(bindir)
    home = private_home()
    write_get_pip(home)
    env = dict(os.environ, HOME=home, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
    cmd = [os.path.join(bindir, "ansible-test"), "sanity", "--venv", "--python", PYTHON, "--color", "no"]
    cmd += sys.argv[1:]
    print("+ [ansible-core %s, Python %s, HOME=%s] %s" % (ANSIBLE_VERSION, PYTHON, home, " ".join(cmd)), flush=True)
    return subprocess.call(cmd, cwd=DEST, env=env)


if __name__ == "__main__":
    sys.exit(main())
