#!/usr/bin/env bash
# Print the path of a Python X.Y for the version matrix (make matrix), or fail saying how to get one.
#   tests/matrix/python.sh 3.12 "ansible-core 2.20"
# Looks in pyenv's versions first (the newest installed X.Y.z; `pyenv root`, else $PYENV_ROOT or ~/.pyenv, so a
# pyenv that is installed but not initialised in this shell counts), then for a working pythonX.Y on PATH (a pyenv
# shim of a version that is not selected does not count: each candidate is run, not only found).
set -euo pipefail
want=${1:?usage: python.sh X.Y [what needs it]}
why=${2:-the version matrix}
works() { "$1" -c 'import ensurepip, ssl, venv' >/dev/null 2>&1; }
root=${PYENV_ROOT:-$HOME/.pyenv}
if command -v pyenv >/dev/null 2>&1; then
    root=$(pyenv root)
fi
if [ -d "$root/versions" ]; then
    while read -r dir; do
        if works "$dir/bin/python$want"; then
            echo "$dir/bin/python$want"
            exit 0
        fi
    done < <(printf '%s\n' "$root/versions/$want".[0-9]* | sort -rV)
fi
if command -v "python$want" >/dev/null 2>&1 && works "python$want"; then
    command -v "python$want"
    exit 0
fi
{
    echo "*** Python $want is missing: $why needs it (make matrix)."
    if command -v pyenv >/dev/null 2>&1 || [ -d "$root/versions" ]; then
        echo "*** pyenv ($root) has no working $want.x and no python$want is on PATH. Install it with:  pyenv install $want"
    else
        echo "*** Neither pyenv nor a working python$want (with venv, ensurepip and ssl) is on PATH."
        echo "*** Debian 12 has no python$want package: install pyenv (https://github.com/pyenv/pyenv#installation),"
        echo "*** then:  pyenv install $want   (or put any python$want on PATH)."
    fi
} >&2
exit 1
