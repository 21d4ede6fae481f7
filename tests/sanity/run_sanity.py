"""Run ``ansible-test sanity`` on the collection exactly as it ships.

ansible-test needs the collection under ``ansible_collections/<ns>/<name>`` as a real directory
(it resolves symlinks), so this script builds the collection tarball with ``ansible-galaxy
collection build`` (which applies ``build_ignore``: the emulator and dev files are not shipped)
and unpacks it under ``build/sanity``. ansible-test's venv bootstrap downloads ``get-pip`` from
the internet; these machines have none, so an offline stand-in is written to its cache first
(it installs pip with ensurepip). No ignore file is used.
"""
import glob
import os
import shutil
import subprocess
import sys
import tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORK = os.path.join(ROOT, "build", "sanity")
DEST = os.path.join(WORK, "ansible_collections", "gdpr", "azureml")
GET_PIP = os.path.expanduser("~/.ansible/test/cache/get_pip_24_2.py")
GET_PIP_STANDIN = '''import subprocess, sys
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
'''


def main():
    bindir = os.path.dirname(sys.executable)
    # Start from a clean copy each time, but keep tests/output: ansible-test's venvs live there.
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
    if not os.path.exists(GET_PIP):
        os.makedirs(os.path.dirname(GET_PIP), exist_ok=True)
        with open(GET_PIP, "w") as f:
            f.write(GET_PIP_STANDIN)
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
    cmd = [os.path.join(bindir, "ansible-test"), "sanity", "--venv", "--python", "%d.%d" % sys.version_info[:2], "--color", "no"]
    cmd += sys.argv[1:]
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=DEST, env=env)


if __name__ == "__main__":
    sys.exit(main())
