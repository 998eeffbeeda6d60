"""`patch --verify`: every written file's status runs in the verify sandbox before success is reported."""
from __future__ import annotations

import shutil

import pytest

from corpus_cases import INPUT, REPO
from rewrite.cli import main
from rewrite.lsb import CheckResult, LsbReport, StepResult
from rewrite.verify_command import check_failures

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")


def test_patched_outputs_verify_in_every_state(tmp_path, capsys):
    scripts = [str(REPO / INPUT / "redhat-2010" / n) for n in ("httpd", "tomcat")]
    assert main(["patch", "--verify", "--dest", str(tmp_path / "D"), *scripts]) == 1  # 1: files were patched
    assert "Verified 3 files: 3 right in every state, 0 not\n" in capsys.readouterr().err


def test_an_output_still_judged_wrong_is_reported(tmp_path, capsys):
    """Text and exit codes are fixed, but the script only tests that its pid file exists: with a
    stale pid file it still says running, which no edit of its words can mend."""
    script = tmp_path / "sloppy"
    script.write_bytes(b'#!/bin/sh\nPIDFILE=/var/run/sloppy.pid\ncase "$1" in\n  status)\n'
                       b'    if [ -f $PIDFILE ]; then echo "sloppy is running"; exit 0; fi\n'
                       b'    echo "sloppy is not running"; exit 0 ;;\nesac\n')
    script.chmod(0o755)
    assert main(["patch", "--verify", "--dest", str(tmp_path / "D"), str(script)]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'D' / 'sloppy'}: dead-pidfile: wrong for rm, lrmd, lsb: stdout 'sloppy is running'" in err
    assert "Verified 1 file: 0 right in every state, 1 not\n" in err


# `patch --verify --lsb`: the LSB checklist (`verify --lsb`) on every written script, not on library copies.

def test_lsb_checklist_passes_on_patched_copies_and_skips_the_library_copy(tmp_path, capsys):
    """statusexit0's status exits 0 when stopped; its patched copy passes every check. httpd's copy
    sources the patched `functions` copy, which is verified but has no start or stop to check."""
    dest = tmp_path / "D"
    scripts = [str(REPO / INPUT / "lsb" / "statusexit0"), str(REPO / INPUT / "redhat-2010" / "httpd")]
    assert main(["patch", "-q", "--verify", "--lsb", "--dest", str(dest), *scripts]) == 1  # 1: files were patched
    err = capsys.readouterr().err
    assert "Verified 3 files: 3 right in every state, 0 not\nLSB checklist on 2 scripts: 2 passed every check, " \
           "0 not\n" in err
    assert " lsb" not in err and "cannot run the LSB checklist" not in err


def test_lsb_check_still_failing_on_the_copy_is_named_with_expected_and_got(tmp_path, capsys):
    """statusexit0, but `stop` of a stopped service exits 1: patch mends the status path, not stop."""
    script = tmp_path / "stopfails0"
    script.write_bytes((REPO / INPUT / "lsb" / "statusexit0").read_bytes().replace(
        b"\t[ -f $PIDFILE ] && kill $(cat $PIDFILE)\n", b"\t[ -f $PIDFILE ] || exit 1\n\tkill $(cat $PIDFILE)\n"))
    script.chmod(0o755)
    dest = tmp_path / "D"
    assert main(["patch", "-q", "--verify", "--lsb", "--dest", str(dest), str(script)]) == 1
    err = capsys.readouterr().err
    assert "Verified 1 file: 1 right in every state, 0 not\n" \
           f"{dest / 'stopfails0'}: lsb stop-stopped: expected 0, got 1\n" \
           "LSB checklist on 1 script: 0 passed every check, 1 not\n" in err


HRX = """#!/bin/bash
PIDFILE=/var/run/hrx.pid
case "$1" in
  start) /opt/hrx/bin/hrx-init || exit 1; /usr/sbin/hrx ;;
  stop) read -r p 2>/dev/null <$PIDFILE && kill $p; rm -f $PIDFILE; exit 0 ;;
  status) read -r p 2>/dev/null <$PIDFILE && [ -d /proc/$p ] && { echo "hrx is running"; exit 0; }
    [ -f $PIDFILE ] && { echo "hrx dead but pid file exists"; exit 1; }; echo "hrx is not running"; exit 3 ;;
  restart) "$0" stop; "$0" start ;;
  *) exit 2 ;;
esac
"""


def test_lsb_check_without_a_verdict_makes_exit_2(tmp_path, capsys):
    """pidcheck's and hrx's copies are right in every state (`patch --verify` alone: exit 1), but
    pidcheck's status ignores a stale pid file (3, not 1: a wrong check, 1) and hrx's start runs a
    program the sandbox does not have (no verdict: 2)."""
    dest = tmp_path / "D"
    args = ["patch", "-q", "--verify", "--dest", str(dest), "--functions",
            str(REPO / INPUT / "redhat-2010" / "functions"), str(REPO / INPUT / "handmade" / "pidcheck")]
    assert main([*args, "--lsb"]) == 1
    err = capsys.readouterr().err
    assert f"{dest / 'pidcheck'}: lsb status-dead-pidfile: expected 1, got 3\n" in err
    assert err.endswith("LSB checklist on 1 script: 0 passed every check, 1 not\n1 file: 1 patched\n")
    hrx = tmp_path / "hrx"
    hrx.write_text(HRX)
    hrx.chmod(0o755)
    assert main([*args, "--lsb", str(hrx)]) == 2
    err = capsys.readouterr().err
    assert f"{dest / 'hrx'}: lsb start-stopped: runs /opt/hrx/bin/hrx-init (missing): the sandbox cannot stand " \
           "in for it, verify on the real host\n" in err
    assert main(args) == 1
    assert " lsb " not in capsys.readouterr().err


def test_lsb_without_verify_is_a_usage_error(tmp_path, capsys):
    dest = tmp_path / "D"
    assert main(["patch", "--lsb", "--dest", str(dest), str(REPO / INPUT / "lsb" / "statusexit0")]) == 2
    err = capsys.readouterr().err
    assert err.endswith("Error: --lsb runs the LSB checklist on what --verify runs: give --verify too\n")
    assert not dest.exists()  # refused before anything is written


def _step(action, expected, exit, why=()):
    return StepResult(action, expected, exit, b"", b"", None, (), tuple(why))


@pytest.mark.parametrize(("steps", "line"), (
    pytest.param((_step("stop", (0,), 1, ["exit 1, LSB specifies 0"]),), "expected 0, got 1", id="exit alone"),
    pytest.param((_step("start", (0,), 0, ["no fake daemon is running after it"]), _step("status", (0,), 3)),
                 "expected 0, got 0: no fake daemon is running after it", id="the exit was right"),
    pytest.param((_step("start", (0,), 1, ["exit 1, LSB specifies 0", "no fake daemon is running after it"]),),
                 "expected 0, got 1: no fake daemon is running after it", id="exit and more"),
    pytest.param((_step("stop", (0,), 0), _step("status", (3,), 0, ["exit 0, LSB specifies 3"])),
                 "expected 0, got 0: then status: exit 0, LSB specifies 3", id="the follow-up"),
))
def test_check_failure_lines(steps, line):
    checks = (CheckResult("status-stopped", (3,), (_step("status", (3,), 3),)),
              CheckResult("x-check", steps[0].expected, steps),
              CheckResult("restart", (0,), (), problem="runs /x (a stub)"),
              CheckResult("status-dead-pidfile", (1,), (), skipped="no pid file"))
    assert check_failures(LsbReport("D/s", checks)) == ["D/s: lsb restart: runs /x (a stub)",
                                                        f"D/s: lsb x-check: {line}"]
