"""verify: each state prepared in a sandbox, the status run judged by rm, lrmd and lsb."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from corpus_cases import EXPECTED, INPUT, REPO
from rewrite.cli import main
from rewrite.verify import STATES, ScriptReport, StateResult, failures, verify_many, verify_script

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")

LIB2010 = str(REPO / INPUT / "redhat-2010" / "functions")


def _script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(body)
    path.chmod(0o755)
    return str(path)


def _by_state(report: ScriptReport) -> dict[str, StateResult]:
    assert [s.state for s in report.states] == list(STATES)
    return {s.state: s for s in report.states}


def _fooled(report: ScriptReport) -> dict[str, tuple[str, ...]]:
    return {s.state: s.fooled for s in report.states}


def test_unpatched_libraries_fail_running_9_for_lrmd_only():
    reports = verify_many([str(REPO / INPUT / f"redhat-{era}" / "functions") for era in ("2004", "2010")])
    for report in reports:
        states = _by_state(report)
        if states["running-9"].pids[0] < 1_000_000:  # pragma: no cover - kernels before 6.14
            pytest.skip("pid_max is global on this kernel: 5-digit pids, nine of them fit in 79 bytes")
        assert report.kind == "library" and report.code == 1
        assert _fooled(report) == {"running-1": (), "running-9": ("lrmd",), "stopped": (), "dead-pidfile": (),
                                   "dead-lock": ()}
        nine = states["running-9"]
        assert len(nine.pids) == 9 and len(nine.first_line) > 79
        assert nine.first_line.endswith(b"is running...") and nine.verdicts is not None
        assert (nine.verdicts.rm, nine.verdicts.lsb) == ("running", "running")
        assert [states[s].exit for s in STATES] == [0, 0, 3, 1, 2]


def test_patched_copies_are_right_in_every_state_for_every_consumer(tmp_path):
    stage = tmp_path / "stage"
    assert main(["patch", "--dest", str(stage), str(REPO / INPUT / "redhat-2010" / "httpd")]) == 1
    reports = verify_many([str(REPO / EXPECTED / "redhat-2004" / "functions"), str(stage / "functions"),
                           str(stage / "httpd")], staged_dir=str(stage))
    for report in reports:
        assert report.code == 0, failures(report)
        assert all(s.verdicts is not None and set(s.verdicts) == {s.expected} for s in report.states)
    assert reports[2].command == "/etc/ha.d/resource.d/httpd status"
    assert _by_state(reports[2])["running-9"].stdout == b"running\n"


def test_each_state_is_prepared_as_named(tmp_path):
    probe = _script(tmp_path, "probed", """#!/bin/bash
pidfile=/var/run/probed.pid
case "$1" in
  status)
    set -- $(pidof probed); n=$#  # not `pidof probed | wc -w`: the child exec'ing wc can read as probed
    pid=$(cat $pidfile 2>/dev/null)
    alive=no; [ -n "$pid" ] && [ -d /proc/$pid ] && alive=yes
    lock=no; [ -f /var/lock/subsys/probed ] && lock=yes
    echo "procs=$n pidfile=${pid:-none} alive=$alive lock=$lock" >&2
    if [ "$n" -gt 0 ]; then echo running; exit 0; fi
    [ -n "$pid" ] && { echo "dead, pid file left"; exit 1; }
    [ $lock = yes ] && { echo "dead, subsys locked"; exit 2; }
    echo stopped; exit 3 ;;
esac
""")
    report = verify_script(probe)
    states = _by_state(report)
    assert report.code == 0, failures(report)
    assert report.targets is not None and report.targets.binary == "/usr/sbin/probed"
    first = states["running-1"].pids[0]
    assert states["running-1"].stderr == f"procs=1 pidfile={first} alive=yes lock=yes\n".encode()
    master = states["running-9"].pids[0]
    assert states["running-9"].stderr == f"procs=9 pidfile={master} alive=yes lock=yes\n".encode()
    assert states["stopped"].stderr == b"procs=0 pidfile=none alive=no lock=no\n"
    assert states["dead-pidfile"].stderr.startswith(b"procs=0 pidfile=1")
    assert states["dead-pidfile"].stderr.endswith(b" alive=no lock=no\n")
    assert states["dead-lock"].stderr == b"procs=0 pidfile=none alive=no lock=yes\n"
    assert all(s.exit == s.lsb_exit for s in report.states)


WORDING = """#!/bin/sh
PIDFILE=/var/run/{name}.pid
case "$1" in
  status)
    {banner}
    if [ -f $PIDFILE ] && kill -0 $(cat $PIDFILE) 2>/dev/null; then
        echo "{name} is running" {redirect}
        exit 0
    fi
    echo "{name} {stopped}"
    exit 3
    ;;
esac
"""


def test_wording_shows_which_consumer_is_fooled(tmp_path, capsys):
    scripts = {
        "plaind": dict(stopped="is not running", banner="", redirect=""),
        "aposd": dict(stopped="isn't running", banner="", redirect=""),
        "bannerd": dict(stopped="is stopped", banner='echo "Checking bannerd..."', redirect=""),
        "stderrd": dict(stopped="is stopped", banner="", redirect=">&2"),
    }
    paths = [_script(tmp_path, name, WORDING.format(name=name, **parts)) for name, parts in scripts.items()]
    plaind, aposd, bannerd, stderrd = verify_many(paths)
    running_ok = {"running-1": (), "running-9": ()}
    stopped_ok = {"stopped": (), "dead-pidfile": (), "dead-lock": ()}
    assert plaind.code == 0 and _fooled(plaind) == {**running_ok, **stopped_ok}
    assert _fooled(aposd) == {**running_ok, "stopped": ("rm", "lrmd"), "dead-pidfile": ("rm", "lrmd"),
                              "dead-lock": ("rm", "lrmd")}
    assert _fooled(bannerd) == {"running-1": ("lrmd",), "running-9": ("lrmd",), **stopped_ok}
    assert _fooled(stderrd) == {"running-1": ("rm", "lrmd"), "running-9": ("rm", "lrmd"), **stopped_ok}
    assert _by_state(stderrd)["running-1"].stderr == b"stderrd is running\n"

    assert main(["verify", *paths]) == 1
    out = capsys.readouterr().out
    assert "stopped, dead-pidfile, dead-lock: stdout says 'running' or 'OK' on a stopped path " \
           "(contract rule 2); no consumer fooled" in out
    assert "stopped, dead-pidfile, dead-lock: stdout says 'running' or 'OK' on a stopped path " \
           "(contract rule 2); rm, lrmd fooled" in out
    rows = [line.split() for line in out.splitlines() if line.startswith("   running-1 ")]
    assert [row[2:5] + row[6:8] for row in rows] == [
        ["running", "running", "running", "ok", "plaind"],
        ["running", "running", "running", "ok", "aposd"],
        ["running", "stopped", "running", "WRONG:", "lrmd"],
        ["stopped", "stopped", "running", "WRONG:", "rm,lrmd"],
    ]
    assert out.endswith("4 scripts: 1 ok, 3 wrong\n")


def _alive(token: bytes) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        try:
            if token in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


def test_a_hanging_status_is_killed_and_reported(tmp_path, capsys):
    hang = _script(tmp_path, "hangd", '#!/bin/sh\ncase "$1" in\n  status) echo checking; sleep 611.75 ;;\nesac\n')
    start = time.monotonic()
    assert main(["verify", "--timeout", "1", hang]) == 2
    assert time.monotonic() - start < 8
    captured = capsys.readouterr()
    assert captured.err == f"{hang}: no answer within 1 s: killed with its process group (every state)\n"
    row = next(line.split() for line in captured.out.splitlines() if line.startswith("   running-1 "))
    assert row == ["running-1", "-", "-", "-", "-", "running", "no", "verdict", "checking"]
    time.sleep(0.2)
    assert _alive(b"611.75") == []


def test_early_exit_is_reported_not_judged(tmp_path):
    early = _script(tmp_path, "earlyd", '#!/bin/sh\ncommand -v hr-no-such-tool >/dev/null || exit 5\n'
                                        'case "$1" in\n  status) echo running; exit 0 ;;\nesac\n')
    report = verify_script(early)
    assert report.code == 2
    assert {s.problem for s in report.states} == {"exits 5 at line 2 before its status logic"}
    assert all(s.verdicts is None and not s.ok for s in report.states)


def test_stubs_let_a_script_reach_its_status_logic(tmp_path):
    body = """#!/bin/sh
DAEMON=/usr/sbin/stubd
[ -x $DAEMON ] || exit 5
[ -x /usr/sbin/stubd-helper ] || exit 5
. /etc/sysconfig/stubd
[ -d /var/lib/stubd ] || exit 6
[ -f /opt/stubd/etc/stubd.conf ] || exit 6
case "$1" in
  status)
    if pidof stubd >/dev/null; then echo running; exit 0; fi
    echo stopped; exit 3 ;;
esac
"""
    report = verify_script(_script(tmp_path, "stubd", body))
    assert report.code == 0, failures(report)


def test_programs_the_sandbox_lacks_or_stubs_give_no_verdict(tmp_path):
    """Programs run without a control subcommand first: `PROGRAM status` has a stand-in (test_controls)."""
    absent = _script(tmp_path, "absentd", '#!/bin/sh\ncase "$1" in\n  status) /usr/sbin/hr-absent --status ;;\n'
                                          'esac\n')
    stubbed = _script(tmp_path, "ctld", '#!/bin/sh\n[ -x /usr/sbin/hr-ctl ] || exit 5\n'
                                        'case "$1" in\n  status) /usr/sbin/hr-ctl -q ;;\nesac\n')
    absent_report, stubbed_report = verify_many([absent, stubbed])
    assert {s.problem for s in absent_report.states} == {
        "runs /usr/sbin/hr-absent (missing): the sandbox cannot stand in for it, verify on the real host"}
    assert {s.problem for s in stubbed_report.states} == {
        "runs /usr/sbin/hr-ctl (a stub): the sandbox cannot stand in for it, verify on the real host"}


CRLF = ("CRLF line endings: it cannot run even unpatched (the kernel looks for an interpreter named "
        "'/bin/sh\\r'); convert it with dos2unix, then patch it")


def test_crlf_script_cannot_be_executed(capsys):
    """Not a pass and not a wrong verdict: bash never starts, so there is nothing to judge."""
    script = str(REPO / INPUT / "broken" / "memcached")
    report = verify_script(script)
    assert (report.code, report.error, report.states) == (2, CRLF, ())
    assert main(["verify", "--lsb", script]) == 2
    assert capsys.readouterr().err == f"{script}: cannot verify: {CRLF}\n"


def test_lsb_code_differences_are_noted(capsys):
    assert main(["verify", str(REPO / INPUT / "redhat-2010" / "haproxy")]) == 0
    assert "   dead-lock: exit 3, LSB specifies 2 for this state\n" in capsys.readouterr().out


def test_files_that_cannot_be_verified_are_one_line_errors(tmp_path, capsys):
    perl = _script(tmp_path, "perl-script", "#!/usr/bin/perl\nprint 'running';\n")
    nostatus = _script(tmp_path, "nostatus", '#!/bin/sh\ncase "$1" in start) :;; esac\n')
    legacyd = str(REPO / INPUT / "handmade" / "legacyd")
    missing = str(tmp_path / "missing")
    assert main(["verify", perl, nostatus, legacyd, missing]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"{perl}: cannot verify: not a shell script (interpreter is perl)",
        f"{nostatus}: cannot verify: no status operation to run",
        f"{legacyd}: cannot verify: sources /etc/rc.d/init.d/functions, which was not found: give it with --functions",
        f"{missing}: cannot verify: No such file or directory",
    ]
    assert "Traceback" not in captured.out + captured.err
    assert main(["verify", "--functions", LIB2010, legacyd]) == 0


def test_a_library_sourced_only_if_it_exists_is_not_needed(tmp_path, capsys):
    """Debian's pacemaker script sources /etc/init.d/functions behind `[ -f ... ] &&`: verify ran it
    nowhere (`give it with --functions`); the sandbox now lacks the file as the node does."""
    if any(os.path.exists(p) for p in ("/etc/rc.d/init.d/functions", "/etc/init.d/functions")):
        pytest.skip("this machine has a system functions library")
    compliant = (REPO / INPUT / "handmade" / "compliant").read_text()
    guarded = "[ -f /etc/rc.d/init.d/functions ] && . /etc/rc.d/init.d/functions\n"
    script = _script(tmp_path, "relay", compliant.replace("\nNAME=", "\n" + guarded + "NAME=", 1))
    assert main(["verify", script]) == 0
    assert "cannot verify" not in capsys.readouterr().err
    unguarded = _script(tmp_path, "relay2", compliant.replace("\nNAME=", "\n. /etc/rc.d/init.d/functions\nNAME=", 1))
    assert main(["verify", unguarded]) == 2
    assert "which was not found: give it with --functions" in capsys.readouterr().err


def test_missing_bwrap_is_one_line_per_file(monkeypatch, capsys):
    monkeypatch.setenv("PATH", "/nonexistent")
    script = str(REPO / INPUT / "handmade" / "compliant")
    assert main(["verify", script]) == 2
    assert capsys.readouterr().err == (f"{script}: cannot verify: bwrap not found: install bubblewrap "
                                       "(Debian: apt-get install bubblewrap)\n")


def test_json_report(capsys):
    script = str(REPO / INPUT / "handmade" / "knotd")
    assert main(["verify", "--format", "json", script]) == 1
    report = json.loads(capsys.readouterr().out)
    (entry,) = report["scripts"]
    assert entry["path"] == script and entry["ok"] is False and entry["kind"] == "script"
    assert entry["targets"] == {"daemon": "knotd", "binary": "/usr/sbin/knotd", "pidfile": "/var/run/knot/knot.pid",
                                "lockfile": "/var/lock/subsys/knotd", "declared": True, "others": [], "mounts": [],
                                "processes": True, "written": []}
    running = entry["states"][0]
    assert running["state"] == "running-1"
    assert running["stdout"].startswith("knotd (pid ") and running["stderr"] == ""
    assert running["exit"] == 0 and running["expected"] == "running" and running["ok"] is False
    assert running["verdicts"] == {"rm": "running", "lrmd": "stopped", "lsb": "running"}
    assert running["fooled"] == ["lrmd"]
    assert [s["ok"] for s in entry["states"]] == [False, False, True, True, True]


def test_compare_prints_before_and_after(capsys):
    original = str(REPO / INPUT / "redhat-2004" / "functions")
    patched = str(REPO / EXPECTED / "redhat-2004" / "functions")
    assert main(["verify", "--compare", original, patched]) == 0
    out = capsys.readouterr().out
    assert "== before -> after\n" in out
    assert "   running-9     WRONG: lrmd          ok\n" in out
    assert out.endswith("after: 1 script: 1 ok\n")
    assert main(["verify", "--compare", original, patched, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["before"]["states"][1]["fooled"] == ["lrmd"] and report["after"]["ok"] is True


def test_usage_errors(capsys):
    assert main(["verify"]) == 2
    assert main(["verify", "--compare", "a", "b", "c"]) == 2
    assert main(["verify", "--timeout", "0", "x"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_a_patched_copy_is_staged_in_its_own_directory_by_itself():
    report = verify_script(str(REPO / EXPECTED / "redhat-2010" / "httpd"))
    assert report.command == "/etc/ha.d/resource.d/httpd status"
    assert report.code == 0, failures(report)


def test_a_wrapper_runs_its_original(tmp_path):
    original = _script(tmp_path, "listd", '#!/bin/sh\nPIDFILE=/var/run/listd.pid\ncase "$1" in\n  status)\n'
                                          '    [ -f $PIDFILE ] && kill -0 $(cat $PIDFILE) 2>/dev/null && exit 0\n'
                                          '    exit 3 ;;\nesac\n')
    stage = tmp_path / "stage"
    stage.mkdir()
    wrapper = _script(stage, "listd", f"#!/bin/sh\noriginal='{original}'\n"
                                      '"$original" "$@" >/dev/null 2>&1 && { echo running; exit 0; }\n'
                                      'code=$?; echo stopped; exit $code\n')
    report = verify_script(wrapper, staged_dir=str(stage))
    assert report.kind == "wrapper" and report.command == "/etc/ha.d/resource.d/listd status"
    assert report.targets is not None and report.targets.pidfile == "/var/run/listd.pid"
    assert report.code == 0, failures(report)


def test_library_options_and_families(tmp_path):
    lib2004, lib2010 = (str(REPO / INPUT / f"redhat-{era}" / "functions") for era in ("2004", "2010"))
    suse = _script(tmp_path, "rc.status", "rc_status() { :; }\nrc_reset() { :; }\n")
    old, new, rc = verify_many([lib2004, lib2010, suse], daemon="sshd", pidfile="/run/sshd.pid")
    assert old.command.endswith("; status sshd")  # the 2004 status() takes no -p
    assert new.command.endswith("; status -p /run/sshd.pid sshd")
    assert _by_state(new)["running-9"].stdout.startswith(b"sshd (pid  1")  # the pid file names the master
    assert rc.error == "a suse library has no status function to run alone: verify a script that uses it"
    if os.path.isfile("/lib/lsb/init-functions"):
        debian = verify_script("/lib/lsb/init-functions")
        assert debian.command.endswith("; status_of_proc /usr/sbin/httpd httpd")
        assert _by_state(debian)["running-9"].stdout == b"httpd is running.\n"


def test_shebangs_choose_how_the_trace_runs(tmp_path):
    body = 'command -v hr-no-such-tool >/dev/null || exit 6\ncase "$1" in\n  status) echo running ;;\nesac\n'
    bare = _script(tmp_path, "bared", body)
    env = _script(tmp_path, "envd", "#!/usr/bin/env bash\n" + body)
    perlish = _script(tmp_path, "dashd", "#!/bin/dash\n" + body)
    bare_report, env_report, dash_report = verify_many([bare, env, perlish], states=["stopped"])
    assert bare_report.states[0].problem == "exits 6 at line 1 before its status logic"
    assert env_report.states[0].problem == "exits 6 at line 2 before its status logic"
    assert dash_report.states[0].problem == ""  # not traced: judged as it ran
    assert dash_report.states[0].verdicts is not None and dash_report.states[0].exit == 6


def test_sandbox_failures_give_no_verdict(tmp_path, monkeypatch):
    from dataclasses import replace

    from rewrite import sandbox, verify
    from rewrite.targets import Targets

    plan = verify.make_plan(str(REPO / INPUT / "handmade" / "compliant"))
    broken = replace(plan, layout=sandbox.Layout(plan.layout.binds + (("/nonexistent-hr", "/x"),), ()))
    assert verify.run_state(broken, "stopped", 5).problem.startswith("the sandbox did not start: bwrap: ")
    unplaceable = replace(plan, targets=Targets("x", "/proc/x", "/run/x.pid", "/run/lock/x", False))
    assert verify.run_state(unplaceable, "stopped", 5).problem == \
        "the sandbox failed: cannot place the fake daemon at /proc/x"

    def gone(*args, **kwargs):
        raise sandbox.SandboxError("cannot start bwrap: gone")

    monkeypatch.setattr(sandbox, "run", gone)
    result = verify.run_state(plan, "stopped", 5)
    assert (result.problem, result.verdicts, result.fooled) == ("cannot start bwrap: gone", None, ())


def test_failures_name_the_file_and_the_consumers(tmp_path):
    banner = _script(tmp_path, "bannerd", WORDING.format(name="bannerd", stopped="is stopped",
                                                         banner='echo "Checking bannerd..."', redirect=""))
    report = verify_script(banner, states=["running-1", "stopped"])
    assert failures(report) == [f"{banner}: running-1: wrong for lrmd: stdout 'Checking bannerd...'"]


def test_a_custom_deploy_dir(tmp_path):
    stage = tmp_path / "stage"
    assert main(["patch", "--dest", str(stage), "--deploy-dir", "/opt/ha",
                 str(REPO / INPUT / "redhat-2010" / "httpd")]) == 1
    report = verify_script(str(stage / "httpd"), deploy_dir="/opt/ha", states=["running-9"])
    assert report.command == "/opt/ha/httpd status"
    assert report.states[0].stdout == b"running\n" and report.code == 0


def test_a_wrapper_runs_the_original_its_manifest_names(tmp_path):
    """`patch --original-dir` names where the original will live; this host may hold another script
    there (or none): the manifest says which file was wrapped, and that one is bound in its place."""
    body = ('#!/bin/sh\ncase "$1" in\n  status) echo "{} is {}"; exit {} ;;\n  *) exit 2 ;;\nesac\n')
    original = _script(tmp_path, "listd", body.format("listd", "not running", 3).replace("not running", "stopped"))
    decoy_dir = tmp_path / "deployed"
    decoy_dir.mkdir()
    _script(decoy_dir, "listd", body.format("listd", "running", 0))  # another script at the deploy path
    for where in (str(decoy_dir), "/nonexistent/init.d"):
        dest = tmp_path / ("D" + str(len(where)))
        assert main(["patch", "--lsb-wrapper", "--original-dir", where, "--dest", str(dest), original]) == 0
        report = verify_script(str(dest / "listd"), states=["stopped"])
        assert report.kind == "wrapper" and report.code == 0, failures(report)
        assert report.states[0].stdout == b"stopped\n" and report.states[0].exit == 3
