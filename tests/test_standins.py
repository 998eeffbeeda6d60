"""Stand-ins: programs the sandbox provides when a script runs one the host lacks, judged by what they do."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from rewrite import lsb, standins
from rewrite.standins import CHECKPROC, KILLPROC, PIDOF, STARTPROC, Tool, installer, needed
from rewrite.verify import verify_many

NOTE = "answered by ha-rewrite's stand-in for {} (a well-behaved program of its kind): confirm on the real host"
needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
ON_HOST = [p for p in ("/sbin/checkproc", "/sbin/startproc", "/sbin/killproc", "/usr/sbin/rndc",
                        "/usr/bin/my_print_defaults", "/sbin/initlog")
           if os.path.lexists(p)]


def _script(directory: Path, name: str, body: str) -> str:
    path = directory / name
    path.write_text(body)
    path.chmod(0o755)
    return str(path)


@pytest.mark.skipif(bool(ON_HOST), reason="the host has a real one: no stand-in is placed")
def test_needed_places_a_tool_where_the_script_names_it_or_at_its_default():
    texts = [b"/sbin/checkproc -p $PIDFILE $BIN\nrndc status\n# rndc_helper is another word\n"]
    assert [(p.path, p.tool.name) for p in needed(texts)] == [("/sbin/checkproc", "checkproc"),
                                                               ("/usr/sbin/rndc", "rndc")]
    assert needed([b"$RNDC status; my_rndc; rndc.conf; $SBIN/checkproc x\n"]) == ()


def test_needed_skips_what_the_host_has_and_pidof_only_at_a_named_path():
    host = Tool("sh", "/bin/sh", "#!/bin/sh\n")
    assert needed([b"sh -c true\n"], (host,)) == ()
    assert needed([b"pidof -x httpd\n"], (PIDOF,)) == ()
    named = needed([b"/opt/hr/sbin/pidof httpd\n"], (PIDOF,))
    assert [p.path for p in named] == ["/opt/hr/sbin/pidof"]


def test_installer_writes_each_body_with_a_quoted_path():
    script = installer((standins.Placed("/opt/it's/checkproc", CHECKPROC),))
    assert script.startswith("mkdir -p -- \"$(dirname -- '/opt/it'\\''s/checkproc')\"")
    assert CHECKPROC.body in script and script.count("HR_STAND_IN") == 2


def _states(report):
    return {s.state: (s.exit, s.ok, s.problem) for s in report.states}


@needs_bwrap
def test_checkproc_rndc_and_my_print_defaults_answer_from_the_sandbox_state(tmp_path):
    suse = _script(tmp_path, "hrd", '#!/bin/sh\nPIDFILE=/var/run/hrd.pid\ncase "$1" in\n  status)\n'
                                    '    /sbin/checkproc -p $PIDFILE /usr/sbin/hrd; rc=$?\n'
                                    '    case $rc in 0) echo running ;; *) echo "stopped ($rc)" ;; esac; exit $rc ;;\n'
                                    'esac\n')
    bind = _script(tmp_path, "named", '#!/bin/sh\ncase "$1" in\n  status)\n'
                                      '    /usr/sbin/rndc status >/dev/null 2>&1 && { echo running; exit 0; }\n'
                                      '    echo stopped; exit 3 ;;\nesac\n')
    mysql = _script(tmp_path, "mysqld", '#!/bin/sh\ncase "$1" in\n  status)\n'
                                        '    pf=$(/usr/bin/my_print_defaults mysqld | sed -n "s/^--pid-file=//p")\n'
                                        '    pf=${pf:-/var/run/mysqld/mysqld.pid}\n'
                                        '    [ -f "$pf" ] && kill -0 $(cat "$pf") 2>/dev/null \\\n'
                                        '        && { echo running; exit 0; }\n'
                                        '    echo stopped; exit 3 ;;\nesac\n')
    by_checkproc, by_rndc, by_defaults = verify_many([suse, bind, mysql], states=["running-1", "stopped",
                                                                                 "dead-pidfile"])
    assert _states(by_checkproc) == {"running-1": (0, True, ""), "stopped": (3, True, ""),
                                     "dead-pidfile": (1, True, "")}
    assert _states(by_rndc) == {"running-1": (0, True, ""), "stopped": (3, True, ""), "dead-pidfile": (3, True, "")}
    assert _states(by_defaults) == {"running-1": (0, True, ""), "stopped": (3, True, ""),
                                    "dead-pidfile": (3, True, "")}
    assert by_defaults.targets is not None and by_defaults.targets.pidfile == "/var/run/mysqld/mysqld.pid"


@needs_bwrap
def test_rndc_stops_named_and_initlog_runs_its_command(tmp_path):
    script = _script(tmp_path, "named", '#!/bin/bash\nPIDFILE=/var/run/named.pid\ncase "$1" in\n'
                                        '  start) pidof named >/dev/null && exit 0\n'
                                        '    initlog -q -c "/usr/sbin/named -u named" ;;\n'
                                        '  stop) /usr/sbin/rndc stop >/dev/null 2>&1; sleep 0.2; exit 0 ;;\n'
                                        '  status) pidof named >/dev/null && { echo running; exit 0; }\n'
                                        '    [ -f $PIDFILE ] && { echo "dead, pid file"; exit 1; }\n'
                                        '    echo stopped; exit 3 ;;\n'
                                        '  restart) "$0" stop; "$0" start ;;\n  *) exit 2 ;;\nesac\n')
    (report,) = lsb.run_checklist([script])
    assert {c.check: (c.ok, c.problem) for c in report.checks if not c.ok} == {}
    start = {c.check: c for c in report.checks}["start-stopped"]
    assert len(start.steps[0].alive) == 1


@pytest.mark.skipif(bool(ON_HOST), reason="the host has a real one: no stand-in is placed")
def test_needed_places_startproc_and_killproc_where_a_suse_script_calls_them():
    texts = [b"/sbin/startproc -p $PIDFILE $BIN\n/sbin/killproc -p $PIDFILE -TERM $BIN\n"]
    assert [(p.path, p.tool) for p in needed(texts, (STARTPROC, KILLPROC))] == [("/sbin/startproc", STARTPROC),
                                                                              ("/sbin/killproc", KILLPROC)]
    redhat = [b"killproc() {\n    kill -TERM $pid\n}\n", b"stop() {\n    killproc httpd\n}\n"]
    assert needed(redhat, (KILLPROC,)) == ()  # the library's function runs, not a program
    assert [p.path for p in needed([b"function killproc () { :; }\n/sbin/killproc -TERM $BIN\n"], (KILLPROC,))] \
        == ["/sbin/killproc"]  # a path the script names is a program
    assert [p.path for p in needed([b"killproc -p $PIDFILE $BIN\n"], (KILLPROC,))] == ["/sbin/killproc"]


# A SUSE-style script without rc.status: each action prints what the stand-in answered, and exits
# with it but for killproc's 7 on a stopped service (rc.status scripts turn that into a failure).
SUSE_STARTPROC = """#!/bin/bash
BIN=/usr/sbin/hrd
PIDFILE=/var/run/hrd.pid
case "$1" in
  start) /sbin/startproc -p $PIDFILE $BIN -o opt; rc=$?; echo "startproc $rc"; exit $rc ;;
  stop) /sbin/killproc -p $PIDFILE -TERM $BIN; rc=$?; echo "killproc $rc"
    [ -e $PIDFILE ] && echo "pid file left"; [ $rc = 7 ] && exit 0; exit $rc ;;
  status) /sbin/checkproc -p $PIDFILE $BIN; rc=$?
    case $rc in 0) echo running ;; *) echo "stopped ($rc)" ;; esac; exit $rc ;;
  restart) "$0" stop; "$0" start ;;
  restart) "$0" stop; "$0" start ;;
  *) exit 2 ;;
esac
"""


@needs_bwrap
def test_startproc_and_killproc_start_and_signal_the_fake_daemon(tmp_path):
    (report,) = lsb.run_checklist([_script(tmp_path, "hrd", SUSE_STARTPROC)])
    assert {c.check: (c.ok, c.problem) for c in report.checks if not c.ok} == {}
    first = {c.check: (c.steps[0].exit, c.steps[0].stdout, len(c.steps[0].alive)) for c in report.checks
             if c.check in ("start-stopped", "start-running", "stop-running", "stop-stopped")}
    assert first == {
        "start-stopped": (0, b"startproc 0\n", 1),  # started in the background: it runs afterwards
        "start-running": (0, b"startproc 0\n", 1),  # already running: nothing started, still one
        "stop-running": (0, b"killproc 0\n", 0),  # signalled with TERM, ended, its pid file removed
        "stop-stopped": (0, b"killproc 7\n", 0),  # nothing to signal: 7, program not running
    }


@needs_bwrap
def test_startproc_fails_when_nothing_runs_afterwards_and_killproc_without_a_pid_file(tmp_path):
    """startproc exits 1 when the program it started is gone at once; killproc finds the processes
    by their executable when the script names no pid file."""
    script = _script(tmp_path, "hrd", """#!/bin/bash
case "$1" in
  start) /sbin/startproc /usr/sbin/hrd --test; echo "startproc $?" ;;
  stop) /sbin/killproc /usr/sbin/hrd; echo "killproc $?" ;;
  status) /sbin/checkproc /usr/sbin/hrd && { echo running; exit 0; }; echo stopped; exit 3 ;;
esac
""")
    (report,) = lsb.run_checklist([script])
    steps = {c.check: (c.steps[0].stdout, len(c.steps[0].alive)) for c in report.checks
             if c.check in ("start-stopped", "stop-running", "stop-stopped")}
    assert steps == {"start-stopped": (b"startproc 1\n", 0),  # the fake answers --test and exits
                     "stop-running": (b"killproc 0\n", 0),
                     "stop-stopped": (b"killproc 0\n", 0)}  # no signal named: 0, program was not running


@needs_bwrap
def test_killproc_on_nothing_running_exits_0_without_a_signal_and_7_with_one(tmp_path):
    """killproc(8), EXIT CODES: 0 "program was not running (no signal specified)", 7 "Program was
    not running to receive the specified signal"."""
    script = _script(tmp_path, "hrd", """#!/bin/bash
BIN=/usr/sbin/hrd
PIDFILE=/var/run/hrd.pid
case "$1" in
  stop) /sbin/killproc -p $PIDFILE $BIN; a=$?; /sbin/killproc -p $PIDFILE -TERM $BIN; b=$?
    /sbin/killproc -HUP $BIN; echo "none $a, TERM $b, HUP $?" ;;
  status) /sbin/checkproc -p $PIDFILE $BIN && { echo running; exit 0; }; echo stopped; exit 3 ;;
esac
""")
    (report,) = lsb.run_checklist([script], checks=["stop-stopped"])
    assert report.checks[0].steps[0].stdout == b"none 0, TERM 7, HUP 7\n"


@needs_bwrap
@pytest.mark.skipif(any(os.path.lexists(p) for p in ("/usr/sbin/rpcinfo", "/usr/sbin/exportfs")),
                    reason="the host has a real one: no stand-in is placed")
def test_rpcinfo_and_exportfs_answer_as_a_host_with_rpcbind_and_nothing_to_export(tmp_path):
    """An NFS script's start asks rpcinfo whether rpcbind answers and re-exports with exportfs; both
    answer as on a host where rpcbind runs, and verify's report says a stand-in answered."""
    nfs = _script(tmp_path, "hrnfsd", '#!/bin/bash\nPIDFILE=/var/run/hrnfsd.pid\n'
                                      '[ -x /usr/sbin/exportfs ] || exit 5\ncase "$1" in\n  status)\n'
                                      '    rpcinfo -p localhost >/dev/null 2>&1 || { echo "no rpcbind"; exit 4; }\n'
                                      '    /usr/sbin/exportfs -r || { echo "no exports"; exit 4; }\n'
                                      '    [ -f $PIDFILE ] && kill -0 $(cat $PIDFILE) 2>/dev/null'
                                      ' && { echo running; exit 0; }\n'
                                      '    echo stopped; exit 3 ;;\nesac\n')
    assert [p.tool.name for p in needed([Path(nfs).read_bytes()])] == ["rpcinfo", "exportfs"]
    (report,) = verify_many([nfs], states=["running-1", "stopped"])
    assert _states(report) == {"running-1": (0, True, ""), "stopped": (3, True, "")}
    assert all(any("stand-in for" in n and "/usr/sbin/exportfs" in n for n in s.notes) for s in report.states)


SWITCHING = """#!/bin/bash
# Starts its daemon as another user three ways; the sandbox has no such user and no capability.
BIN=/usr/sbin/hrd
PIDFILE=/var/run/hrd.pid
running() { read -r pid 2>/dev/null <$PIDFILE && [ -d /proc/$pid ]; }
case "$1" in
  start) running && exit 0
    su -s /bin/sh hrdaemon -c "$BIN --daemon" || exit 1
    runuser -u hrdaemon -- /bin/true || exit 1
    start-stop-daemon --stop --quiet --user hrdaemon --chuid hrdaemon --exec /bin/false --oknodo || exit 1 ;;
  stop) running || exit 0; kill $pid; rm -f $PIDFILE ;;
  status) running && { echo running; exit 0; }; echo stopped; exit 3 ;;
  restart) "$0" stop; "$0" start ;;
  *) exit 2 ;;
esac
"""


@needs_bwrap
def test_su_runuser_and_start_stop_daemon_run_the_command_without_switching_user(tmp_path):
    """Each would refuse in the sandbox (no such user, no capability): their stand-ins run the
    command as the sandbox's user, with its exit code, and the checks say which answered."""
    (report,) = lsb.run_checklist([_script(tmp_path, "hrd", SWITCHING)], checks=["start-stopped", "restart"])
    assert [(c.check, c.ok, c.problem) for c in report.checks] == [("start-stopped", True, ""), ("restart", True, "")]
    assert report.checks[0].notes == (NOTE.format("/usr/bin/su /usr/sbin/runuser /usr/sbin/start-stop-daemon"),)


DATA_PIDFILE = """#!/bin/bash
# The daemon writes its pid in its data directory; start copies it to the pid file status reads.
PIDFILE=/var/run/hrd.pid
case "$1" in
  start) /usr/sbin/hrd; for i in 1 2 3 4 5; do [ -f /srv/hrd/data/hrd.pid ] && break; sleep 0.2; done
    [ -f /srv/hrd/data/hrd.pid ] || { echo "no pid"; exit 1; }
    head -n 1 /srv/hrd/data/hrd.pid >$PIDFILE ;;
  stop) read -r pid <$PIDFILE 2>/dev/null && kill $pid; rm -f $PIDFILE /srv/hrd/data/hrd.pid; exit 0 ;;
  status) read -r pid 2>/dev/null <$PIDFILE && [ -d /proc/$pid ] && { echo running; exit 0; }
    [ -f $PIDFILE ] && { echo "dead, pid file"; exit 1; }; echo stopped; exit 3 ;;
  restart) "$0" stop; "$0" start ;;
  *) exit 2 ;;
esac
"""


@needs_bwrap
def test_the_fake_daemon_writes_the_pid_file_a_script_tests_in_its_data_directory(tmp_path):
    """Not a stub (which would hold no pid): the fake writes its pid there as it starts, and only then."""
    (report,) = lsb.run_checklist([_script(tmp_path, "hrd", DATA_PIDFILE)])
    assert {c.check: c.why for c in report.checks if not c.ok or c.problem} == {}
    assert report.checks[0].check == "status-stopped" and report.checks[0].steps[0].stdout == b"stopped\n"


@needs_bwrap
@pytest.mark.skipif(os.path.lexists("/usr/bin/mysql_install_db"), reason="the host has a real one")
def test_mysql_install_db_makes_the_system_tables_directory(tmp_path):
    script = _script(tmp_path, "hrd", """#!/bin/bash
case "$1" in
  start) datadir=$(echo /srv/my)  # known when it runs only, as mysqld's from my_print_defaults
    [ -d "$datadir/mysql" ] && exit 1; /usr/bin/mysql_install_db --datadir="$datadir" --user=mysql || exit 1
    [ -d "$datadir/mysql" ] || exit 1; /usr/sbin/hrd ;;
  status) pidof hrd >/dev/null && { echo running; exit 0; }; echo stopped; exit 3 ;;
esac
""")
    (report,) = lsb.run_checklist([script], checks=["start-stopped"])
    assert (report.checks[0].ok, report.checks[0].notes) == (True, (NOTE.format("/usr/bin/mysql_install_db"),))


def test_a_stand_in_that_wraps_the_host_s_program_goes_only_where_the_host_has_it():
    tools = (standins.START_STOP_DAEMON,)
    assert needed([b"/opt/hr/sbin/start-stop-daemon --stop\n"], tools) == ()  # not on the host: left missing
    found = [p.path for p in needed([b"start-stop-daemon --start --chuid x --exec /usr/sbin/x\n"], tools)]
    assert found == (["/usr/sbin/start-stop-daemon"] if os.path.lexists("/usr/sbin/start-stop-daemon") else [])
