"""Control programs (`$APACHECTL status`, `$DAEMON start`, systemctl): found in a script's text, and
their stand-ins judged by what they do in the real sandbox with real bash."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from rewrite import lsb
from rewrite.controls import SYSTEMD_DIR, control_programs, directories, log_directories, placements
from rewrite.standins import CONTROL, SELF_CONTROL, SYSTEMCTL, Placed, installer, needed
from rewrite.verify import verify_many
from rewrite.verify_command import lsb_view

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
ABSENT = [p for p in ("/usr/sbin/hrctl", "/usr/sbin/hrd", "/usr/sbin/hrother") if os.path.lexists(p)]
needs_absent = pytest.mark.skipif(bool(ABSENT), reason="the host has a program the tests assume missing")
NOTE = "answered by ha-rewrite's stand-in for {} (a well-behaved program of its kind): confirm on the real host"


def _script(directory: Path, name: str, body: str) -> str:
    path = directory / name
    path.write_text(body)
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize(("src", "expected"), (
    pytest.param(b"CTL=/usr/sbin/hrctl\n$CTL status\n", ("/usr/sbin/hrctl",), id="variable"),
    pytest.param(b'CTL=/usr/sbin/hrctl\n"$CTL" -c /etc/x reread\n', (), id="no verb first"),
    pytest.param(b"f() { /usr/sbin/hrctl stop >/dev/null 2>&1; }\n", ("/usr/sbin/hrctl",), id="in a function"),
    pytest.param(b"X=/usr/sbin/a\n$X start\n/usr/sbin/b restart\n$X stop\n", ("/usr/sbin/a", "/usr/sbin/b"),
                 id="each once, in order"),
    pytest.param(b"$0 status\n/etc/init.d/other stop\n", (), id="init scripts"),
    pytest.param(b"hrctl status\n$UNKNOWN status\n", (), id="no absolute path"),
    pytest.param(b"/sbin/checkproc status\n/usr/sbin/rndc status\nsystemctl status x\n", (),
                 id="programs with stand-ins of their own"),
    pytest.param(b"/usr/sbin/hrctl --status\n/usr/sbin/hrctl reload\n", (), id="an option, another verb"),
    pytest.param(b'S=/usr/sbin/hrctl\nrunuser -s /bin/sh hr -c "${S} stop" >>/var/log/hr 2>&1\n', ("/usr/sbin/hrctl",),
                 id="in the -c string of runuser"),
    pytest.param(b"if [ -x /sbin/runuser ]; then SU=runuser; else SU=su; fi\n"
                 b"$SU -l hr -c '/usr/bin/hr_ctl stop -D /srv' >/dev/null\n", ("/usr/bin/hr_ctl",),
                 id="in the -c string of $SU, every SU a switcher"),
    pytest.param(b"if x; then SU=runuser; else SU=/bin/echo; fi\n$SU -c '/usr/bin/hr_ctl stop'\n", (),
                 id="not when SU may be something else"),
    pytest.param(b"/usr/bin/redis-cli shutdown\n", ("/usr/bin/redis-cli",), id="shutdown"),
    pytest.param(b'/usr/bin/mysqladmin --socket="$S" ping\n', ("/usr/bin/mysqladmin",), id="ping after an option"),
))
def test_control_programs_are_called_with_a_control_subcommand_first(src, expected):
    assert control_programs(src, "/etc/rc.d/init.d/hr") == expected


@needs_absent
def test_placements_put_the_daemon_own_control_program_at_self_control():
    src = b"DAEMON=/usr/sbin/hrd\nCTL=/usr/sbin/hrctl\n$DAEMON status\n$CTL stop\n/bin/true start\n"
    found = placements(src, "/etc/rc.d/init.d/hr", "/usr/sbin/hrd")
    assert found == (Placed(SELF_CONTROL, CONTROL), Placed("/usr/sbin/hrctl", CONTROL))  # not the host's true
    assert placements(src, "/etc/rc.d/init.d/hr", "/usr/sbin/x", frozenset({"/usr/sbin/hrctl"})) \
        == (Placed("/usr/sbin/hrd", CONTROL),)


def test_systemctl_is_placed_even_where_the_host_has_one():
    """No systemd runs in the sandbox: the host's systemctl could not answer there."""
    assert needed([b"systemctl status myservice.service\n"], (SYSTEMCTL,)) == (Placed("/usr/bin/systemctl", SYSTEMCTL),)
    assert needed([b"/bin/systemctl is-active x\n"], (SYSTEMCTL,)) == (Placed("/bin/systemctl", SYSTEMCTL),)


def test_directories_systemd_only_when_the_script_tests_it_and_log_directories():
    systemctl = (Placed("/usr/bin/systemctl", SYSTEMCTL),)
    tests_it = b"[ -d /run/systemd/system ] || exit 1\nsystemctl status x\n"
    assert directories(tests_it, "/etc/init.d/x", systemctl) == (SYSTEMD_DIR,)
    assert directories(b"systemctl status x\n", "/etc/init.d/x", systemctl) == ()
    assert directories(tests_it, "/etc/init.d/x", ()) == ()  # no systemctl stand-in: the host's systemd
    logs = (b'D=/var/log/hr\n$X >"$D/out" 2>>$D/err\necho >/var/log/flat.log\n'
            b'echo >/var/log/a/../b/x\necho >/var/log/../x/y\n')
    assert log_directories(logs, "/etc/init.d/x") == ("/var/log/hr", "/var/log/b")
    assert installer((), ("/var/log/hr",)) == "mkdir -p -- '/var/log/hr'\n"


# A script whose every action is its control program's (apachectl's, rabbitmqctl's).
BY_CONTROL = """#!/bin/bash
CTL=/usr/sbin/hrctl
DAEMON=/usr/sbin/hrd
PIDFILE=/var/run/hrd.pid
[ -x $CTL ] || exit 5
case "$1" in
  start) $CTL start -c /etc/hrd.conf; rc=$?; $CTL wait $PIDFILE; echo "start $rc wait $?"; exit $rc ;;
  stop) $CTL stop; s=$?; $CTL --socket=/run/hrd.sock ping 2>/dev/null >&2
    echo "stop $s ping $? $([ -e $PIDFILE ] && echo 'pid file left')" ;;
  status) $CTL status; exit $? ;;
  restart) $CTL graceful; g=$?; $CTL restart; r=$?; $CTL ping >&2; echo "graceful $g restart $r ping $?" ;;
  *) exit 2 ;;
esac
"""
# A daemon that answers its own subcommands (daemonctl's).
BY_ITSELF = """#!/bin/bash
DAEMON=/usr/sbin/hrd
PIDFILE=/var/run/hrd.pid
case "$1" in
  start) $DAEMON start -p $PIDFILE; echo "start $?" ;;
  stop) $DAEMON stop -p $PIDFILE; echo "stop $?" ;;
  status) $DAEMON status; exit $? ;;
  restart) $DAEMON stop; $DAEMON start ;;
  *) exit 2 ;;
esac
"""
# A systemd shim (myservice's): it runs only where /run/systemd/system exists.
BY_SYSTEMCTL = """#!/bin/sh
[ -d /run/systemd/system ] || { echo "not systemd" >&2; exit 1; }
systemctl list-unit-files hrd.service | grep -q '^hrd.service' || exit 5
case "$1" in
  start|stop|restart) systemctl "$1" hrd.service ;;
  status) systemctl status hrd.service ;;
  *) exit 2 ;;
esac
"""


def _three_scripts(tmp_path):
    """BY_CONTROL, BY_ITSELF and BY_SYSTEMCTL, each named hrd in a directory of its own."""
    scripts = []
    for name, body in (("ctl", BY_CONTROL), ("self", BY_ITSELF), ("systemd", BY_SYSTEMCTL)):
        (tmp_path / name).mkdir()
        scripts.append(_script(tmp_path / name, "hrd", body))
    return scripts


def _states(report):
    return {s.state: (s.exit, s.first_line, s.problem) for s in report.states}


@needs_bwrap
@needs_absent
def test_control_stand_ins_answer_status_from_the_fake_daemon(tmp_path):
    scripts = _three_scripts(tmp_path)
    by_control, by_itself, by_systemctl = verify_many(scripts, states=["running-1", "stopped", "dead-pidfile"])
    pid = by_control.states[0].pids[0]
    assert _states(by_control) == {"running-1": (0, b"hrd is running (pid %d)" % pid, ""),
                                   "stopped": (3, b"hrd is stopped", ""), "dead-pidfile": (3, b"hrd is stopped", "")}
    assert all(NOTE.format("/usr/sbin/hrctl") in s.notes for s in by_control.states)
    pid = by_itself.states[0].pids[0]
    assert _states(by_itself) == {"running-1": (0, b"hrd is running (pid %d)" % pid, ""),
                                  "stopped": (3, b"hrd is stopped", ""), "dead-pidfile": (3, b"hrd is stopped", "")}
    assert all(NOTE.format("/usr/sbin/hrd") in s.notes for s in by_itself.states)
    assert _states(by_systemctl) == {"running-1": (0, b"* hrd.service - hrd", ""),
                                     "stopped": (3, b"* hrd.service - hrd", ""),
                                     "dead-pidfile": (3, b"* hrd.service - hrd", "")}
    assert by_systemctl.states[0].stdout.split(b"\n")[1] == b"     Active: active (running)"
    assert by_systemctl.states[1].stdout.split(b"\n")[1] == b"     Active: inactive (dead)"


CHECKS = ("start-stopped", "start-running", "stop-running", "stop-stopped", "restart")


@needs_bwrap
@needs_absent
def test_control_stand_ins_start_and_stop_the_fake_daemon(tmp_path):
    scripts = _three_scripts(tmp_path)
    by_control, by_itself, by_systemctl = lsb.run_checklist(scripts, checks=CHECKS)
    for report in (by_control, by_itself):
        assert {c.check: (c.ok, c.problem, c.why) for c in report.checks if not c.ok} == {}
    lrmd = ("then status: lrmd reads its stdout as stopped",)  # systemctl's report: `running` on line 2
    assert {c.check: (c.problem, c.why) for c in by_systemctl.checks if not c.ok} == {"start-stopped": ("", lrmd),
                                                                                       "restart": ("", lrmd)}
    assert {c.check: (c.steps[0].exit, len(c.steps[0].alive)) for c in by_systemctl.checks} == {
        "start-stopped": (0, 1), "start-running": (0, 1), "stop-running": (0, 0), "stop-stopped": (0, 0),
        "restart": (0, 1)}
    first = {c.check: (c.steps[0].stdout, len(c.steps[0].alive)) for c in by_control.checks}
    assert first == {"start-stopped": (b"start 0 wait 0\n", 1), "start-running": (b"start 0 wait 0\n", 1),
                     "stop-running": (b"stop 0 ping 1 \n", 0), "stop-stopped": (b"stop 0 ping 1 \n", 0),
                     "restart": (b"graceful 0 restart 0 ping 0\n", 1)}
    assert all(NOTE.format("/usr/sbin/hrctl") in c.notes for c in by_control.checks)
    assert lsb_view(by_control)["notes"].count(NOTE.format("/usr/sbin/hrctl")) == 1  # the text view says it once
    first = {c.check: (c.steps[0].stdout, len(c.steps[0].alive)) for c in by_itself.checks}
    assert first == {"start-stopped": (b"start 0\n", 1), "start-running": (b"start 0\n", 1),
                     "stop-running": (b"stop 0\n", 0), "stop-stopped": (b"stop 0\n", 0), "restart": (b"", 1)}
    assert all(NOTE.format("/usr/sbin/hrd") in c.notes for c in by_itself.checks)
