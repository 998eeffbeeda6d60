#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine with Python 3.11:
# system tools the tests drive for real, a virtualenv with the package, mypy, pytest under coverage.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v patch >/dev/null || missing+=(patch)
command -v git >/dev/null || missing+=(git)
command -v chromium >/dev/null || missing+=(chromium)  # opens the HTML report in tests
command -v bwrap >/dev/null || missing+=(bubblewrap)
# Heartbeat's own ResourceManager, run by the verify tests (never as a service).
[ -f /usr/share/heartbeat/ResourceManager ] || missing+=(heartbeat)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    # No service may start during the install: a policy-rc.d that refuses (exit 101), removed after.
    policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        policy=$(mktemp)
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        $sudo cp "$policy" /usr/sbin/policy-rc.d
        rm -f "$policy"
        trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    if [ -n "$policy" ]; then
        $sudo rm -f /usr/sbin/policy-rc.d
        trap - EXIT
    fi
fi

python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/pip install -q '.[test]'
.venv/bin/mypy
.venv/bin/coverage run -m pytest "$@"
.venv/bin/coverage report

# Again with the oldest dependency versions pyproject.toml accepts (tests/constraints-min.txt):
# every test but the sandboxed runs (verify, pre-commit), which add no other use of them.
python3 -m venv .venv-min
.venv-min/bin/pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv-min/bin/pip install -q -c tests/constraints-min.txt '.[test]'
.venv-min/bin/python -m pytest -q -p no:cacheprovider --ignore=tests/test_corpus_verify.py \
    --ignore=tests/test_precommit.py "$@"
