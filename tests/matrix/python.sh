#!/usr/bin/env bash
# Print the path of a Python X.Y for the version matrix (make matrix), or fail saying how to get one.
#   tests/matrix/python.sh 3.12 "ansible-core 2.20 and 2.21"
# Looks in pyenv first (the newest installed X.Y.*), then for a working pythonX.Y on PATH (a pyenv shim of a
# version that is not selected does not count: it is run, not only found).
set -euo pipefail
want=${1:?usage: python.sh X.Y [what needs it]}
why=${2:-the version matrix}
if command -v pyenv >/dev/null 2>&1; then
    version=$(pyenv latest "$want" 2>/dev/null || true)
    candidate="$(pyenv root)/versions/$version/bin/python$want"
    if [ -n "$version" ] && "$candidate" -c 'import ensurepip, ssl, venv' >/dev/null 2>&1; then
        echo "$candidate"
        exit 0
    fi
fi
if command -v "python$want" >/dev/null 2>&1 && "python$want" -c 'import ensurepip, ssl, venv' >/dev/null 2>&1; then
    command -v "python$want"
    exit 0
fi
{
    echo "*** Python $want is missing: $why needs it (make matrix)."
    if command -v pyenv >/dev/null 2>&1; then
        echo "*** pyenv ($(command -v pyenv)) has no working $want.x. Install it with:  pyenv install $want"
    else
        echo "*** Neither pyenv nor a working python$want (with venv, ensurepip and ssl) is on PATH."
        echo "*** Debian 12 has no python$want package: install pyenv (https://github.com/pyenv/pyenv#installation),"
        echo "*** then:  pyenv install $want   (or put any python$want on PATH)."
    fi
} >&2
exit 1
