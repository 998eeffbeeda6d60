"""verify --lsb: the LSB checklist, run by each script's own code in the sandbox against a fake daemon."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from corpus_cases import INPUT, REPO
from rewrite import lsb, sandbox
from rewrite.cli import main
from rewrite.lsb import CHECK_NAMES, LsbReport, action_lines, parse_steps, run_checklist
from rewrite.lsb_steps import PROGRAM
from rewrite.targets import backgrounds, started
from rewrite.verify import missing_programs

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
SSD = any(os.path.isfile(p) for p in ("/sbin/start-stop-daemon", "/usr/sbin/start-stop-daemon"))
LIB2010 = REPO / INPUT / "redhat-2010" / "functions"
USLEEP_ON_HOST = os.path.lexists("/usr/bin/usleep")

# A small compliant script; each variant below breaks one arm the way real scripts do.
TEMPLATE = """#!/bin/sh
DAEMON=/usr/sbin/{name}
PIDFILE=/var/run/{name}.pid
running() {{ [ -f $PIDFILE ] && kill -0 $(cat $PIDFILE) 2>/dev/null; }}
case "$1" in
  start) {start} ;;
  stop) {stop} ;;
  status) {status} ;;
  restart) "$0" stop; "$0" start ;;
  *) {other} ;;
esac
"""
ARMS = {
    "start": "running && exit 0; $DAEMON",
    # as killproc does, stop waits (2 s at most) for the daemon to end: restart's start would find it
    # still running on a busy machine, and the fake, as a real daemon, would refuse to start again
    "stop": "running && { pid=$(cat $PIDFILE); kill $pid; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20;"
            " do kill -0 $pid 2>/dev/null || break; sleep 0.1; done; }; rm -f $PIDFILE; exit 0",
    "status": 'if running; then echo "{name} is running"; exit 0; fi\n'
              '    [ -f $PIDFILE ] && {{ echo "{name} is dead"; exit 1; }}; echo "{name} is stopped"; exit 3',
    "other": 'echo "usage: {name} start|stop|status|restart"; exit 2',
}
VARIANTS = {
    "goodd": {},
    # status of a stopped service exits 0: it ends on an echo
    "echoendd": {"status": 'if running; then echo "{name} is running"; exit 0; fi; echo "{name} is stopped"'},
    # ... or 1 instead of 3
    "exitoned": {"status": 'if running; then echo running; exit 0; fi; echo "{name} is stopped"; exit 1'},
    # stop of a stopped service fails
    "stopfaild": {"stop": 'running || { echo "{name} is not running"; exit 1; }; kill $(cat $PIDFILE); rm -f $PIDFILE'},
    # start of a running one fails: it says so, or starts the daemon again, which refuses
    "startfaild": {"start": 'running && { echo "{name} is already running"; exit 1; }; $DAEMON'},
    "nocheckd": {"start": "$DAEMON"},
    # stop that forgets the process
    "nokilld": {"stop": "rm -f $PIDFILE; exit 0"},
    # right codes, words rm and lrmd read the other way
    "isntd": {"status": 'if running; then echo running; exit 0; fi\n'
                        '    [ -f $PIDFILE ] && { echo dead; exit 1; }; echo "{name} isn\'t running"; exit 3'},
    "badusaged": {"other": 'echo "usage: {name} start|stop"; exit 1'},
    # the script puts the daemon in the background itself: the fake must not fork
    "bgd": {"start": "running && exit 0; $DAEMON --foreground </dev/null >/dev/null 2>&1 & echo $! >$PIDFILE"},
    # stop does not wait, and the daemon it kills has not ended when restart's start runs (a busy machine, held
    # here: a stopped process keeps its TERM pending until it is continued; its parent, the fake's guard, is
    # stopped first so that it does not see the stop); the fake waits for it to end, as on an idle machine
    "slowendd": {"stop": "running && { pid=$(cat $PIDFILE); read -r _ _ _ guard _ </proc/$pid/stat;"
                         " kill -STOP $guard $pid; until grep -q '^State:.T' /proc/$pid/status; do sleep 0.01; done;"
                         " kill $pid; (sleep 0.5; kill -CONT $pid $guard) & };"
                         " rm -f $PIDFILE; exit 0"},
}
EARLY = """#!/bin/sh
DAEMON=$(echo /opt/hr/sbin/hr-engine)
[ -x "$DAEMON" ] || exit 5
case "$1" in
  start|stop|restart) exit 0 ;;
  status) exit 3 ;;
  *) exit 2 ;;
esac
"""


def _write(directory: Path, name: str, body: str) -> str:
    path = directory / name
    path.write_text(body)
    path.chmod(0o755)
    return str(path)


def _variant(directory: Path, name: str) -> str:
    arms = {**ARMS, **VARIANTS[name]}
    return _write(directory, name, TEMPLATE.format(name=name, **{k: v.replace("{name}", name).replace("{{", "{")
                                                                 .replace("}}", "}") for k, v in arms.items()}))


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> dict[str, LsbReport]:
    """Every script of this module, checked in one run: all their checks side by side."""
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed")
    directory = tmp_path_factory.mktemp("lsb")
    paths = {name: _variant(directory, name) for name in VARIANTS}
    paths["early"] = _write(directory, "early", EARLY)
    for name in ("redhat-2010/httpd", "handmade/myapp") + (("debian/nginx",) if SSD else ()):
        paths[name] = str(REPO / INPUT / name)
    reports = run_checklist(list(paths.values()))
    return dict(zip(paths, reports))


def _wrong(report: LsbReport) -> dict[str, tuple[tuple[int, ...], tuple[int | None, ...], tuple[str, ...]]]:
    """check -> (expected, exit of each step, why) for every failed check; pids as N."""
    assert report.error == "" and [c.check for c in report.checks] == list(CHECK_NAMES)
    assert [c.problem for c in report.checks if c.problem] == []
    return {c.check: (c.expected, tuple(s.exit for s in c.steps), tuple(re.sub(r"\d{4,}", "N", w) for w in c.why))
            for c in report.checks if not c.ok}


EXIT_0_FOR_3 = ("exit 0, LSB specifies 3",)
NO_PIDFILE = "the script names no pid file: LSB's status 1 (dead, pid file exists) cannot apply"


@needs_bwrap
@pytest.mark.parametrize("name, wrong", [
    pytest.param("goodd", {}, id="compliant"),
    pytest.param("echoendd", {"status-stopped": ((3,), (0,), EXIT_0_FOR_3),
                              "stop-running": ((0,), (0, 0), ("then status: exit 0, LSB specifies 3",)),
                              "status-dead-pidfile": ((1,), (0,), ("exit 0, LSB specifies 1",))},
                 id="status of a stopped service ends on an echo: exit 0"),
    pytest.param("exitoned", {"status-stopped": ((3,), (1,), ("exit 1, LSB specifies 3",)),
                              "stop-running": ((0,), (0, 1), ("then status: exit 1, LSB specifies 3",))},
                 id="status of a stopped service exits 1"),
    pytest.param("stopfaild", {"stop-stopped": ((0,), (1,), ("exit 1, LSB specifies 0",))},
                 id="stop of a stopped service fails"),
    pytest.param("startfaild", {"start-running": ((0,), (1,), ("exit 1, LSB specifies 0",))},
                 id="start of a running service fails"),
    pytest.param("nocheckd", {"start-running": ((0,), (1,), ("exit 1, LSB specifies 0",))},
                 id="start of a running service starts it again: the fake refuses"),
    pytest.param("nokilld", {"stop-running": ((0,), (0, 3), ("the fake daemon still runs after it (pid N)",)),
                             "restart": ((0,), (1, 3), ("exit 1, LSB specifies 0",))},  # the old one refuses
                 id="stop leaves the daemon running"),
    pytest.param("isntd", {"status-stopped": ((3,), (3,), ("rm and lrmd read its stdout as running",)),
                           "stop-running": ((0,), (0, 3), ("then status: rm and lrmd read its stdout as running",))},
                 id="status exit codes right, words read as running"),
    pytest.param("badusaged", {"unknown-action": ((2, 3), (1,), ("exit 1, LSB specifies 2 or 3",))},
                 id="unknown action exits 1"),
    pytest.param("bgd", {}, id="the script backgrounds the daemon itself"),
    pytest.param("slowendd", {}, id="stop does not wait for the daemon it killed"),
])
def test_each_recurring_failure_is_named(checked, name, wrong):
    assert _wrong(checked[name]) == wrong


def test_ending_sees_a_signal_on_its_way_and_a_trap_at_work(tmp_path):
    """The launcher's test for an instance that was killed and has not ended yet (restart's start waits for it)."""
    lib = PROGRAM.split("cat <<'LIB'\n", 1)[1].split("\nLIB\n", 1)[0]

    def ending(pid: int) -> bool:
        run = subprocess.run(["bash", "-c", lib + '\nending "$1"', "ending", str(pid)], env={"hr": str(tmp_path)},
                             capture_output=True, timeout=30)
        assert run.stderr == b""
        return run.returncode == 0

    held = subprocess.Popen(["sleep", "30"])
    try:
        assert not ending(held.pid)
        held.send_signal(signal.SIGSTOP)
        for _ in range(500):
            if "\nState:\tT" in Path(f"/proc/{held.pid}/status").read_text():
                break
            time.sleep(0.01)
        assert not ending(held.pid)  # stopped, nothing pending
        held.send_signal(signal.SIGTERM)  # pending until continued: a stopped process is not woken for it
        assert ending(held.pid)
        held.send_signal(signal.SIGCONT)
        assert held.wait(timeout=10) == -signal.SIGTERM
        assert ending(held.pid)  # gone: launch looks again
        (tmp_path / f"ending.{os.getpid()}").touch()  # a foreground fake's trap writes it first
        assert ending(os.getpid())
    finally:
        held.kill()
        held.wait()


@needs_bwrap
def test_the_fake_daemon_is_started_and_stopped_by_the_script(checked):
    good = {c.check: c for c in checked["goodd"].checks}
    start, status = good["start-stopped"].steps
    assert good["start-stopped"].pids == () and len(start.alive) == 1 and status.alive == start.alive
    assert status.stdout == b"goodd is running\n" and status.verdicts == ("running", "running", "running")
    stop = good["stop-running"]
    assert len(stop.pids) == 1 and stop.steps[0].alive == () and stop.steps[1].stdout == b"goodd is stopped\n"
    assert good["start-running"].steps[0].alive == good["start-running"].pids  # no second daemon
    restart = good["restart"]
    assert len(restart.steps[0].alive) == 1 and restart.steps[0].alive != restart.pids  # a new process
    refused = {c.check: c for c in checked["nocheckd"].checks}["start-running"].steps[0]
    assert re.fullmatch(rb"nocheckd: already running \(pid \d+\): address already in use\n", refused.stderr)
    assert not checked["goodd"].foreground and checked["bgd"].foreground
    for path in ("/.ha-rewrite", "/usr/sbin/goodd", "/run/goodd.pid") + (() if USLEEP_ON_HOST else ("/usr/bin/usleep",)):
        assert not os.path.lexists(path)  # all of it lived in the sandbox


@needs_bwrap
def test_a_fake_daemon_replaces_a_program_the_host_has(tmp_path):
    """verify (and the checklist) put the fake over a host binary: /usr/sbin becomes a tmpfs of links."""
    from rewrite.verify import verify_script

    name = next(n for n in sorted(os.listdir("/usr/sbin")) if os.path.isfile(f"/usr/sbin/{n}") and len(n) <= 15
                and n.isalnum())
    script = _write(tmp_path, "hostd", f'#!/bin/sh\ncase "$1" in\n  status) pidof {name} >/dev/null && '
                                       '{ echo running; exit 0; }; echo stopped; exit 3 ;;\nesac\n')
    report = verify_script(script, daemon=name, states=["running-1", "stopped"])
    assert report.targets is not None and report.targets.binary == f"/usr/sbin/{name}"
    assert [(s.state, s.problem, s.ok) for s in report.states] == [("running-1", "", True), ("stopped", "", True)]


@needs_bwrap
def test_early_exit_for_a_missing_binary_is_reported_not_judged(checked):
    report = checked["early"]
    assert report.code == 2
    assert {c.problem for c in report.applied} == {"exits 5 at line 3: /opt/hr/sbin/hr-engine missing"}
    assert all(not c.ok and c.exit == 5 for c in report.applied)
    assert [(c.check, c.skipped) for c in report.checks if c.skipped] == [("status-dead-pidfile", NO_PIDFILE)]
    assert lsb.problems(report) == [f"{report.path}: lsb: exits 5 at line 3: /opt/hr/sbin/hr-engine missing "
                                    "(every check)"]


@needs_bwrap
def test_redhat_httpd_daemon_and_killproc(checked):
    """httpd calls RHEL 6's `daemon --pidfile=FILE`; killproc stops the fake through its pid file."""
    original = checked["redhat-2010/httpd"]
    assert _wrong(original) == {}
    checks = {c.check: c for c in original.checks}
    assert b"  OK  " in checks["start-stopped"].stdout and len(checks["start-stopped"].steps[0].alive) == 1
    assert checks["stop-running"].stdout.startswith(b"Stopping httpd: ") and checks["stop-running"].pids
    assert re.fullmatch(rb"httpd \(pid +\d+\) is running\.\.\.\n", checks["status-running"].stdout)


@needs_bwrap
def test_handmade_myapp_switches_user_with_su_through_its_stand_in(checked):
    """The sandbox has no user myapp and cannot switch: su's stand-in runs the command, and says so."""
    report = checked["handmade/myapp"]
    assert report.foreground  # `su ... -c "$DAEMON ... &"`
    assert [(c.check, c.ok, c.problem) for c in report.checks if not c.ok or c.problem] == []
    start = next(c for c in report.checks if c.check == "start-stopped")
    assert start.notes == ("answered by ha-rewrite's stand-in for /usr/bin/su (a well-behaved program of its "
                           "kind): confirm on the real host",)
    assert len(start.steps[0].alive) == 1


@needs_bwrap
def test_a_user_switch_with_no_stand_in_gives_no_verdict(tmp_path):
    script = tmp_path / "hrdaemon"
    script.write_text("""#!/bin/bash
case "$1" in
  start) setpriv --reuid=hrd --regid=hrd --clear-groups /usr/sbin/hrdaemon ;;
  status) pidof hrdaemon >/dev/null && { echo running; exit 0; }; echo stopped; exit 3 ;;
esac
""")
    script.chmod(0o755)
    (report,) = lsb.run_checklist([str(script)], checks=["start-stopped"])
    assert report.checks[0].problem == ("switches user with setpriv (setpriv: failed to parse reuid: 'hrd'): "
                                        "the sandbox cannot, verify on the real host")


@needs_bwrap
@pytest.mark.skipif(not SSD, reason="start-stop-daemon (Debian's dpkg) is not on this host")
def test_debian_nginx_with_start_stop_daemon(checked):
    report = checked["debian/nginx"]
    assert _wrong(report) == {}
    checks = {c.check: c for c in report.checks}
    assert checks["start-stopped"].stdout == b"Starting web server: nginx.\n"
    assert len(checks["start-stopped"].steps[0].alive) == 1
    # --test saw the running fake through /proc/PID/exe: do_start returned 1, no second daemon
    assert checks["start-running"].steps[0].alive == checks["start-running"].pids
    stop = checks["stop-running"]  # --stop --name nginx, QUIT first: the fake's pid file goes with it
    assert stop.steps[0].alive == () and stop.steps[1].exit == 3


@needs_bwrap
def test_timeouts_kill_a_step_and_each_step_gets_its_own(tmp_path):
    hang = _write(tmp_path, "hangd", '#!/bin/sh\ncase "$1" in start) sleep 611.25 ;; status) exit 3 ;; esac\n')
    slow = _write(tmp_path, "slowd", '#!/bin/sh\ncase "$1" in\n  start) sleep 1.2; /usr/sbin/slowd ;;\n'
                                     '  status) sleep 1.2; pidof slowd >/dev/null && { echo running; exit 0; }\n'
                                     '    exit 3 ;;\nesac\n')
    start = time.monotonic()
    hung, slowed = run_checklist([hang, slow], timeout=2.0, checks=["start-stopped"])
    assert time.monotonic() - start < 15
    assert hung.checks[0].problem == "start: no answer within 2 s: killed with its process group"
    assert slowed.checks[0].ok and slowed.checks[0].problem == ""  # 2.4 s in all, under 2 s a step
    time.sleep(0.2)
    assert not any(b"611.25" in _cmdline(pid) for pid in os.listdir("/proc") if pid.isdigit())


def _cmdline(pid: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@needs_bwrap
def test_cli_text_and_exit_code(tmp_path, capsys):
    early = _write(tmp_path, "early", EARLY)
    assert main(["verify", "--lsb", early]) == 2
    captured = capsys.readouterr()
    assert f"{early}: lsb: exits 5 at line 3: /opt/hr/sbin/hr-engine missing (every check)\n" in captured.err
    out = captured.out
    assert "   -- LSB checklist\n" in out
    assert "   status-stopped       3         5             no verdict\n" in out
    assert "   unknown-action       2 or 3    5             no verdict\n" in out
    assert "   every check: exits 5 at line 3: /opt/hr/sbin/hr-engine missing\n" in out
    assert out.endswith("1 script: 1 could not be run\n")


@needs_bwrap
def test_cli_json(tmp_path, capsys):
    script = _variant(tmp_path, "exitoned")
    assert main(["verify", "--lsb", "--format", "json", script]) == 1
    (entry,) = json.loads(capsys.readouterr().out)["scripts"]
    assert entry["ok"] is False and entry["lsb_error"] == "" and len(entry["states"]) == 5
    assert [c["check"] for c in entry["lsb"]] == list(CHECK_NAMES)
    first = entry["lsb"][0]
    assert {k: first[k] for k in ("check", "expected", "exit", "ok", "stdout", "stderr", "problem", "why")} == {
        "check": "status-stopped", "expected": [3], "exit": 1, "ok": False, "stdout": "exitoned is stopped\n",
        "stderr": "", "problem": "", "why": ["exit 1, LSB specifies 3"]}
    assert first["steps"][0]["verdicts"] == {"rm": "stopped", "lrmd": "stopped", "lsb": "stopped"}
    stop = next(c for c in entry["lsb"] if c["check"] == "stop-running")
    assert [(s["action"], s["expected"], s["exit"], s["ok"]) for s in stop["steps"]] == [
        ("stop", [0], 0, True), ("status", [3], 1, False)]
    assert stop["steps"][0]["alive"] == [] and len(stop["pids"]) == 1


@needs_bwrap
def test_cli_usage_and_libraries(capsys):
    assert main(["verify", "--lsb", "--compare", "a", "b"]) == 2
    assert "--lsb runs on SCRIPT paths" in capsys.readouterr().err
    reports = run_checklist([str(LIB2010)])
    assert reports[0].error == "a functions library has no start or stop: run the checklist on a script"
    assert reports[0].code == 2


# The pure parts: no sandbox.

def test_action_lines_pick_the_dispatch_arm():
    data = (b'f() {\n  case "$1" in start) x ;; esac\n}\ncase "$1" in\n  start|restart)\n    go\n    ;;\n'
            b'  "stop") halt ;;\n  *) usage ;;\nesac\n')
    assert action_lines(data, "start") == ((5, 7),)
    assert action_lines(data, "restart") == ((5, 7),)
    assert action_lines(data, "stop") == ((8, 8),)
    assert action_lines(data, "no-such-action") == ((9, 9),)
    assert action_lines(b'case "$2" in start) x ;; esac\n', "start") == ()


def test_parse_steps_frames_outputs_and_traces():
    out, err, trace = b"a\n@@step 9 9\n", b"", b"+/x:1: exit 5\n"
    meta = (b"@@step 0 3\n@@out %d\n" % len(out) + out + b"@@err 0\n@@alive 1000001 1000002\n"
            b"@@stubs /usr/sbin/a /usr/sbin/b\n@@control /usr/sbin/x stop\n@@step trace\n"
            b"@@trace status %d\n" % len(trace) + trace)
    steps, traces = parse_steps(meta)
    assert steps == [lsb.RawStep(3, out, err, (1000001, 1000002), ("/usr/sbin/a", "/usr/sbin/b"), "/usr/sbin/x stop")]
    assert traces == {"status": trace}


def test_background_and_started_binary_forms():
    myapp = (REPO / INPUT / "handmade" / "myapp").read_bytes()
    assert backgrounds(myapp, "/etc/init.d/myapp", "/opt/myapp/bin/myapp")  # inside su -c "... &"
    assert backgrounds(b'D=/usr/sbin/d\nstart-stop-daemon --start -b -m --pidfile /run/d.pid \\\n  --exec $D\n',
                       "/x", "/usr/sbin/d")
    assert not backgrounds(b'D=/usr/sbin/d\n$D -c /etc/d.conf >/dev/null 2>&1 && echo ok\n', "/x", "/usr/sbin/d")
    assert not backgrounds(b'D=/usr/sbin/d\n# $D &\n', "/x", "/usr/sbin/d")
    assert started(b'DAEMON=/usr/sbin/rsyslogd\nstart-stop-daemon --start --exec $DAEMON -- -i x\n',
                   "/x", "/usr/sbin/rsyslog") == "/usr/sbin/rsyslogd"
    assert started(b'start-stop-daemon --start --startas=/usr/bin/a --exec /usr/bin/b\n', "/x", "-") == "/usr/bin/a"
    assert started(b'daemon --user u --pidfile=/run/p +5 "/usr/sbin/r /etc/r.conf"\n', "/x", "-") == "/usr/sbin/r"
    assert started(b'start_daemon -p /run/c.pid /usr/sbin/cron\n', "/x", "-") == "/usr/sbin/cron"
    assert started(b'daemon $UNKNOWN\nstartproc -u nobody /usr/sbin/sd\n', "/x", "-") == "/usr/sbin/sd"
    assert started(b'daemon ntpd -g\n', "/x", "/usr/sbin/ntpd") == "/usr/sbin/ntpd"  # a PATH name: keep


def test_reasons_and_filters():
    assert lsb._exit_reason(b"+/t:3: '[' -x /opt/d ']'\n+/t:3: exit 5\n", "/t") == "/opt/d missing"
    assert lsb._exit_reason(b"++/t:9: test -f '/etc/a b.conf'\n++/t:10: exit 6\n", "/t") == "/etc/a b.conf missing"
    assert lsb._exit_reason(b"+/t:4: exit 1\n", "/t") == "before its action"
    assert lsb._enabling("f /etc/default/x\nf /etc/ssh/sshd_not_to_be_run\nf /etc/x/disabled\nx /usr/sbin/y\n") \
        == "f /etc/default/x\nx /usr/sbin/y\n"
    stderr = (b"/etc/init.d/x: line 3: /usr/sbin/rndc: No such file or directory\n"
              b"/etc/init.d/x: line 4: usleep: command not found\n"
              b"/etc/init.d/x: line 5: /var/run/x.pid: No such file or directory\n"
              b"/etc/init.d/x: line 6: /var/log/x/out.log: No such file or directory\n")
    assert missing_programs(stderr) == [b"/usr/sbin/rndc", b"usleep"]
    assert sandbox.overlays(["/usr/bin/env", "/usr/lib/os-release"]) == ("/usr/bin", "/usr/lib")


def test_the_deadline_moves_on_each_marker(tmp_path):
    def argv(fd: int) -> list[str]:
        return ["/bin/bash", "-c", f"for i in 1 2 3; do sleep 0.3; echo '@@step x' >&{fd}; done"]

    done = sandbox.run(argv, 0.5, marker=b"@@step ")
    assert not done.timed_out and done.meta.count(b"@@step ") == 3
    assert sandbox.run(argv, 0.5).timed_out  # without the marker: 0.9 s is past 0.5 s


@needs_bwrap
def test_a_check_that_cannot_apply_is_skipped_in_text_and_json(tmp_path, capsys):
    script = _write(tmp_path, "nopid", '#!/bin/sh\ncase "$1" in\n'
                                       '  start) pidof nopid >/dev/null || /usr/sbin/nopid ;;\n'
                                       '  stop) pkill -f ^/usr/sbin/nopid; sleep 0.2; exit 0 ;;\n'
                                       '  status) pidof nopid >/dev/null && { echo running; exit 0; }\n'
                                       '    echo stopped; exit 3 ;;\n'
                                       '  restart) "$0" stop; sleep 0.2; "$0" start ;;\n  *) exit 2 ;;\nesac\n')
    assert main(["verify", "--lsb", script]) == 0
    out = capsys.readouterr().out
    assert "   status-dead-pidfile  1         -             skipped\n" in out
    assert f"   status-dead-pidfile: skipped: {NO_PIDFILE}\n" in out
    assert main(["verify", "--lsb", "--format", "json", script]) == 0
    (entry,) = json.loads(capsys.readouterr().out)["scripts"]
    skipped = next(c for c in entry["lsb"] if c["check"] == "status-dead-pidfile")
    assert (skipped["ok"], skipped["skipped"], skipped["exit"], skipped["steps"]) == (True, NO_PIDFILE, None, [])
