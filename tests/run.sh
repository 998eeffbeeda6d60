#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine with Python 3.11:
# system tools the tests drive for real, a virtualenv with the package, mypy, pytest under coverage.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v patch >/dev/null || missing+=(patch)
command -v git >/dev/null || missing+=(git)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/pip install -q '.[test]'
.venv/bin/mypy
.venv/bin/coverage run -m pytest "$@"
.venv/bin/coverage report
