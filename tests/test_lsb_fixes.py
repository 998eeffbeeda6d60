"""LSB exit codes on status paths (HB060-HB062): the message says the state, the code must agree.

Running 0, stale pid file 1, stale lock file 2, stopped 3. Each case is checked as whole bytes,
then run with real bash for the exit code the patched script gives.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from rewrite.pipeline import NEEDS_WRAPPER, PATCHABLE, Libraries, process
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
    pytest.param(
        HEAD + b'case "$1" in\n  status)\n'
               b'    if [ -f "$PIDFILE" ]; then echo "svc is running"; else echo "svc is stopped"; fi\n'
               b'    exit 0 ;;\nesac\n',
        HEAD + b'case "$1" in\n  status)\n'
               b'    if [ -f "$PIDFILE" ]; then echo "svc is running"; else echo "svc is stopped"; exit 3; fi\n'
               b'    exit 0 ;;\nesac\n',
        ["HB060"], id="one exit after if/else: the running branch keeps it, the stopped one gets its own"),
    pytest.param(
        HEAD + b'do_status() {\n'
               b'    if [ -f "$PIDFILE" ]; then\n        echo "svc is not running"\n'
               b'    else\n        echo "svc is running"\n    fi\n    return\n}\n'
               b'case "$1" in\n  status) do_status ;;\nesac\n',
        HEAD + b'do_status() {\n'
               b'    if [ -f "$PIDFILE" ]; then\n        echo "svc is stopped"; return 3\n'
               b'    else\n        echo "svc is running"\n    fi\n    return\n}\n'
               b'case "$1" in\n  status) do_status ;;\nesac\n',
        ["HB010", "HB061"], id="one bare return after if/else: the stopped branch gets its own"),
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


def test_one_exit_two_codes_and_a_statement_before_it_is_left_alone(tmp_path):
    """An exit of the stopped branch's own would skip what runs between the `fi` and the shared
    exit (here a log line), so it is not added: the finding asks for a fix by hand."""
    path = tmp_path / "svc"
    path.write_bytes(HEAD + b'case "$1" in\n  status)\n'
                            b'    if [ -f "$PIDFILE" ]; then echo "svc is running"; else echo "svc is stopped"; fi\n'
                            b'    logger -t svc "status checked"\n'
                            b'    exit 0 ;;\nesac\n')
    result = process(str(path), Settings(), Libraries())
    exits = [f for f in result.findings if f.rule.startswith("HB06")]
    assert [(f.rule, f.wrapper, f.edits) for f in exits] == [("HB060", True, ())]
    assert result.patched is None


def test_one_exit_two_codes_and_no_place_for_another_is_left_alone(tmp_path):
    """`a && echo running || echo stopped; exit 0`: changing the exit breaks the running branch, and
    a list has no place for an exit of its own. No edit: the finding says so (fix by hand)."""
    path = tmp_path / "svc"
    path.write_bytes(HEAD + b'case "$1" in\n  status)\n'
                            b'    if [ ! -d /etc/svc ]; then echo "svc is stopped"; exit 3; fi\n'
                            b'    [ -f "$PIDFILE" ] && echo "svc is running" || echo "svc is stopped"\n'
                            b'    exit 0 ;;\nesac\n')
    result = process(str(path), Settings(), Libraries())
    exits = [f for f in result.findings if f.rule.startswith("HB06")]
    assert [(f.rule, f.wrapper, f.edits) for f in exits] == [("HB060", True, ())]
    assert "fix by hand" in exits[0].message
    # Its other branch exits 3, so the codes look LSB-like; but a wrapper would trust that exit 0.
    assert (result.state, result.patched) == (NEEDS_WRAPPER, None)
    assert "no wrapper: its status exit codes are wrong where no edit can fix them, and a wrapper answers from them" in result.reason


@pytest.mark.parametrize("src", (
    pytest.param(HEAD + b'do_status() {\n    if [ -f "$PIDFILE" ]; then\n        echo "svc is running"\n'
                 b'    else\n        echo "svc is not running"\n    fi\n}\ncase "$1" in\n  status) do_status ;;\nesac\n',
                 id="falls off its end"),
    pytest.param(HEAD + b'case "$1" in\n  status)\n'
                 b'    if [ -f "$PIDFILE" ]; then echo "svc is running"; else echo "svc is stopped"; fi\n'
                 b'    exit 0 ;;\nesac\n', id="one exit after if/else"),
))
def test_patched_codes_run_right_in_bash(tmp_path, src):
    assert (_status(tmp_path, src, True), _status(tmp_path, src, False)) == (0, 0)
    patched, _ = _patch(tmp_path, src)
    assert patched is not None
    assert (_status(tmp_path, patched, True), _status(tmp_path, patched, False)) == (0, 3)


@pytest.mark.parametrize(("src", "word"), (
    pytest.param(HEAD + b'case "$1" in\n  status)\n    if [ -f "$PIDFILE" ]; then\n        echo "svc is running"\n'
                        b'    else\n        echo "svc is stopped"\n    fi\n    logger "status checked"\n    ;;\nesac\n'
                        b'exit 0\n', "exit", id="case arm"),
    pytest.param(HEAD + b'do_status() {\n    if [ -f "$PIDFILE" ]; then\n        echo "svc is running"\n'
                        b'    else\n        echo "svc is stopped"\n    fi\n    rm -f /tmp/svc.checking\n}\n'
                        b'case "$1" in\n  status) do_status; exit $? ;;\nesac\n', "return", id="function"),
))
def test_a_missing_exit_that_would_skip_statements_after_the_branch_is_not_added(tmp_path, src, word):
    """`else echo stopped; fi; logger checked`: `; exit 3` after the echo would skip the logger line."""
    path = tmp_path / "svc"
    path.write_bytes(src)
    result = process(str(path), Settings(), Libraries())
    exits = [f for f in result.findings if f.rule == "HB062"]
    assert exits and all(f.wrapper and not f.edits for f in exits)
    assert f"`{word} 3` after it would skip the statements after its block: fix by hand" in exits[-1].message
    assert (result.state, result.patched) == (NEEDS_WRAPPER, None)


def test_a_missing_exit_with_nothing_after_the_branch_is_added(tmp_path):
    path = tmp_path / "svc"
    path.write_bytes(HEAD + b'case "$1" in\n  status)\n    if [ -f "$PIDFILE" ]; then\n        echo "svc is running"\n'
                            b'    else\n        echo "svc is stopped"\n    fi\n    ;;\nesac\nexit 0\n')
    result = process(str(path), Settings(), Libraries())
    assert result.state == PATCHABLE and b'echo "svc is stopped"; exit 3\n' in (result.patched or b"")
