"""LSB exit codes on status paths (HB060-HB062): the message says the state, the code must agree.

Running 0, stale pid file 1, stale lock file 2, stopped 3. Each case is checked as whole bytes,
then run with real bash for the exit code the patched script gives.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from rewrite.pipeline import Libraries, process
from rewrite.transform import Settings


def _patch(tmp_path: Path, src: bytes) -> tuple[bytes | None, list[str]]:
    path = tmp_path / "svc"
    path.write_bytes(src)
    result = process(str(path), Settings(), Libraries())
    return result.patched, [f.rule for f in result.findings]


def _status(tmp_path: Path, script: bytes, pidfile: bool) -> int:
    path = tmp_path / "run-me"
    path.write_bytes(script)
    env = {"PATH": "/usr/bin:/bin", "PIDFILE": str(tmp_path / "pid") if pidfile else str(tmp_path / "none")}
    if pidfile:
        (tmp_path / "pid").write_text("1\n")
    return subprocess.run(["bash", str(path), "status"], capture_output=True, env=env).returncode


HEAD = b'#!/bin/bash\n'


@pytest.mark.parametrize(("src", "expected", "rules"), (
    pytest.param(
        HEAD + b'case "$1" in\n  status)\n'
               b'    if [ -f "$PIDFILE" ]; then echo "svc is running"; exit 0; fi\n'
               b'    echo "svc is stopped"\n'
               b'    ;;\nesac\nexit 0\n',
        HEAD + b'case "$1" in\n  status)\n'
               b'    if [ -f "$PIDFILE" ]; then echo "svc is running"; exit 0; fi\n'
               b'    echo "svc is stopped"; exit 3\n'
               b'    ;;\nesac\nexit 0\n',
        ["HB062"], id="stopped ends on an echo, the script exits 0 after esac"),
    pytest.param(
        HEAD + b'do_status() {\n'
               b'    if [ -f "$PIDFILE" ]; then echo "svc is running"; return 0; fi\n'
               b'    echo "svc is stopped"\n'
               b'    return\n}\n'
               b'case "$1" in\n  status) do_status ;;\nesac\n',
        HEAD + b'do_status() {\n'
               b'    if [ -f "$PIDFILE" ]; then echo "svc is running"; return 0; fi\n'
               b'    echo "svc is stopped"\n'
               b'    return 3\n}\n'
               b'case "$1" in\n  status) do_status ;;\nesac\n',
        ["HB061"], id="a bare return after the stopped echo"),
    pytest.param(
        HEAD + b'case "$1" in\n  status)\n'
               b'    if [ -f "$PIDFILE" ]; then echo "svc is running"; exit 0; fi\n'
               b'    echo "svc is stopped"\n'
               b'    exit 1\n'
               b'    ;;\nesac\n',
        HEAD + b'case "$1" in\n  status)\n'
               b'    if [ -f "$PIDFILE" ]; then echo "svc is running"; exit 0; fi\n'
               b'    echo "svc is stopped"\n'
               b'    exit 3\n'
               b'    ;;\nesac\n',
        ["HB060"], id="stopped exits 1 instead of 3"),
    pytest.param(
        HEAD + b'do_status() {\n'
               b'    if [ -f "$PIDFILE" ]; then\n        echo "svc is running"\n'
               b'    else\n        echo "svc is not running"\n    fi\n}\n'
               b'case "$1" in\n  status) do_status ;;\nesac\n',
        HEAD + b'do_status() {\n'
               b'    if [ -f "$PIDFILE" ]; then\n        echo "svc is running"\n'
               b'    else\n        echo "svc is stopped"; return 3\n    fi\n}\n'
               b'case "$1" in\n  status) do_status ;;\nesac\n',
        ["HB010", "HB062"], id="the function falls off its end: reworded, and given its code"),
    pytest.param(
        HEAD + b'case "$1" in\n  status)\n'
               b'    if [ -f "$PIDFILE" ]; then echo "svc dead but pid file exists"; exit 0; fi\n'
               b'    echo "svc is stopped"; exit 3 ;;\nesac\n',
        HEAD + b'case "$1" in\n  status)\n'
               b'    if [ -f "$PIDFILE" ]; then echo "svc dead but pid file exists"; exit 1; fi\n'
               b'    echo "svc is stopped"; exit 3 ;;\nesac\n',
        ["HB060"], id="a stale pid file exits 1"),
))
def test_exit_code_fix(tmp_path, src, expected, rules):
    patched, found = _patch(tmp_path, src)
    assert (patched, found) == (expected, rules)
    again, found_again = _patch(tmp_path, patched)
    assert (again, found_again) == (None, [])


@pytest.mark.parametrize("src", (
    pytest.param(HEAD + b'case "$1" in\n  status)\n    [ -f "$PIDFILE" ] && echo "svc is running" && exit 0\n'
                        b'    echo "svc is stopped"; exit 3 ;;\nesac\n', id="already right"),
    pytest.param(HEAD + b'case "$1" in\n  status) echo "state: $STATE"; exit $RC ;;\nesac\n',
                 id="message says nothing"),
    pytest.param(HEAD + b'case "$1" in\n  status) [ -f "$PIDFILE" ] || echo "svc is stopped" ;;\nesac\n',
                 id="inside a list: no safe place for an exit"),
))
def test_no_exit_code_fix(tmp_path, src):
    _, found = _patch(tmp_path, src)
    assert not [r for r in found if r.startswith("HB06")]


def test_patched_codes_run_right_in_bash(tmp_path):
    src = (HEAD + b'do_status() {\n    if [ -f "$PIDFILE" ]; then\n        echo "svc is running"\n'
           b'    else\n        echo "svc is not running"\n    fi\n}\ncase "$1" in\n  status) do_status ;;\nesac\n')
    assert (_status(tmp_path, src, True), _status(tmp_path, src, False)) == (0, 0)
    patched, _ = _patch(tmp_path, src)
    assert patched is not None
    assert (_status(tmp_path, patched, True), _status(tmp_path, patched, False)) == (0, 3)
