"""Scripts that run several daemons, instances or mounts: verify and verify --lsb, in the real sandbox.

Each script here is written for the test and runs its own logic with real bash against the fakes:
two daemons with their own binaries, two instances of one binary (each with its own pid file), a
daemon the script backgrounds itself from a path its status never names, a start that loops over
config files and host keys, and a script whose only state is its mounted file systems.
"""
from __future__ import annotations

import json
import re
import shutil

import pytest

from corpus_cases import INPUT, REPO
from rewrite.cli import main
from rewrite.lsb import LsbReport, run_checklist
from rewrite.verify import ScriptReport, verify_many

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")

LIB2010 = str(REPO / INPUT / "redhat-2010" / "functions")
RED_HAT = "#!/bin/bash\n. /etc/rc.d/init.d/functions\n"

# Two daemons, each from its own binary; status answers for both (the worse code wins).
TWO = RED_HAT + """
start() { daemon /usr/sbin/alphad && daemon /usr/sbin/betad && touch /var/lock/subsys/two; }
stop() {
    killproc alphad; a=$?; killproc betad; b=$?
    rm -f /var/lock/subsys/two; [ $a -eq 0 ] && return $b; return $a
}
case "$1" in
  start) start ;;
  stop) stop; exit 0 ;;
  restart) stop; start ;;
  status)
    status -l two alphad; a=$?
    status -l two betad; b=$?
    [ $a -eq 0 ] && exit $b; exit $a ;;
  *) echo "Usage: $0 {start|stop|restart|status}"; exit 2 ;;
esac
"""
# One binary, two instances: the MTA and its queue runner, told apart by their pid files.
INSTANCES = RED_HAT + """
start() {
    daemon /usr/sbin/mtad -bd || return 1
    daemon --check mta-queue /usr/sbin/mtad -q && touch /var/lock/subsys/mtad /var/lock/subsys/mta-queue
}
case "$1" in
  start) start ;;
  stop)
    killproc -p /var/run/mta-queue.pid mtad; killproc -p /var/run/mtad.pid mtad
    rm -f /var/lock/subsys/mtad /var/lock/subsys/mta-queue; exit 0 ;;
  restart) "$0" stop; "$0" start ;;
  status)
    status -l mtad mtad; a=$?
    status -l mta-queue mta-queue; b=$?
    [ $a -eq 0 ] && exit $b; exit $a ;;
  *) echo "Usage: $0 {start|stop|restart|status}"; exit 2 ;;
esac
"""
# The script backgrounds a daemon its status never names; the daemon removes its pid file on TERM.
BACKGROUND = """#!/bin/bash
NAME=qworker
DAEMON=/usr/local/sbin/qworkerd
PIDFILE=/var/run/$NAME.pid
running() { [ -s $PIDFILE ] && kill -0 "$(cat $PIDFILE)" 2>/dev/null; }
case "$1" in
  start)
    running && exit 0
    $DAEMON --pidfile $PIDFILE >/dev/null 2>&1 </dev/null &
    for i in 1 2 3 4 5 6 7 8 9 10; do running && exit 0; sleep 0.2; done
    exit 1 ;;
  stop)
    running || exit 0
    kill "$(cat $PIDFILE)"
    for i in 1 2 3 4 5 6 7 8 9 10; do [ -f $PIDFILE ] || exit 0; sleep 0.2; done
    echo "$NAME left its pid file behind" >&2; exit 1 ;;
  restart) "$0" stop && "$0" start ;;
  status)
    running && { echo "$NAME is running"; exit 0; }
    [ -f $PIDFILE ] && { echo "$NAME is dead"; exit 1; }
    echo "$NAME is stopped"; exit 3 ;;
  *) echo "Usage: $0 {start|stop|restart|status}"; exit 2 ;;
esac
"""
# Start needs a host key per type and runs one daemon per config file, both found by loops.
LOOPS = RED_HAT + """
keys() {
    for type in rsa ed25519; do
        key=/etc/loopd/host_${type}_key
        test -f $key || { echo "loopd: no $type host key" >&2; return 1; }
    done
}
start() {
    keys || return 1
    [ -d /etc/loopd ] || return 6
    for conf in `ls /etc/loopd/*.conf`; do daemon /usr/sbin/loopd $conf || return 1; done
    touch /var/lock/subsys/loopd
}
case "$1" in
  start) start ;;
  stop) killproc loopd; rm -f /var/lock/subsys/loopd; exit 0 ;;
  restart) "$0" stop; "$0" start ;;
  status) status loopd ;;
  *) echo "Usage: $0 {start|stop|restart|status}"; exit 2 ;;
esac
"""
# No daemon at all: each instance is a mounted file system.
MOUNTS = """#!/bin/bash
VOLUMES="red blue"
ROOT=/srv/vol
mounted() { grep -q " $ROOT/$1 " /proc/mounts; }
case "$1" in
  start)
    for v in $VOLUMES; do
      mounted $v && continue
      mkdir -p $ROOT/$v && mount -t ext4 /dev/vg/$v $ROOT/$v || exit 1
    done ;;
  stop) for v in $VOLUMES; do mounted $v && { umount $ROOT/$v || exit 1; }; done; exit 0 ;;
  restart) "$0" stop && "$0" start ;;
  status)
    for v in $VOLUMES; do mounted $v || { echo "$v is stopped"; exit 3; }; done
    echo "running"; exit 0 ;;
  *) echo "Usage: $0 {start|stop|restart|status}"; exit 2 ;;
esac
"""
SCRIPTS = {"two": TWO, "instances": INSTANCES, "background": BACKGROUND, "loops": LOOPS, "mounts": MOUNTS}


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, str]:
    directory = tmp_path_factory.mktemp("multi")
    paths = {}
    for name, body in SCRIPTS.items():
        path = directory / name
        path.write_text(body)
        path.chmod(0o755)
        paths[name] = str(path)
    return paths


@pytest.fixture(scope="module")
def verified(written) -> dict[str, ScriptReport]:
    names = ("two", "instances", "mounts")
    return dict(zip(names, verify_many([written[n] for n in names], library=LIB2010)))


@pytest.fixture(scope="module")
def checked(written) -> dict[str, LsbReport]:
    return dict(zip(written, run_checklist(list(written.values()), library=LIB2010)))


def _checks(report: LsbReport) -> dict[str, tuple[tuple[int | None, ...], tuple[str, ...], str]]:
    """check -> (exit of each step, why, problem) for every check that is not ok; pids as N."""
    assert report.error == ""
    return {c.check: (tuple(s.exit for s in c.steps), tuple(re.sub(r"\d{4,}", "N", w) for w in c.why), c.problem)
            for c in report.checks if not c.ok}


def test_running_states_start_every_daemon_the_status_checks(verified):
    states = {s.state: s for s in verified["two"].states}
    # right but for running-9, whose nine pids push "running" past lrmd's window (the library's own fault)
    wrong = [(s.state, s.fooled, s.problem) for s in verified["two"].states if not s.ok]
    assert wrong == [("running-9", ("lrmd",), "")]
    running = states["running-1"]
    assert len(running.pids) == 2 and running.exit == 0
    assert re.fullmatch(rb"alphad \(pid +\d+\) is running\.\.\.\nbetad \(pid +\d+\) is running\.\.\.\n",
                        running.stdout)
    assert len(states["running-9"].pids) == 10  # nine of the main daemon, one of the other
    assert states["stopped"].stdout == b"alphad is stopped\nbetad is stopped\n" and states["stopped"].exit == 3
    assert states["dead-pidfile"].exit == 1 and states["dead-pidfile"].stdout.startswith(b"alphad dead but pid")


def test_each_instance_of_one_binary_has_its_own_pid_file(verified, checked):
    targets = verified["instances"].targets
    assert targets is not None and targets.binaries == ("/usr/sbin/mtad",)
    assert [(f.daemon, f.binary, f.pidfile) for f in targets.others] == \
        [("mta-queue", "/usr/sbin/mtad", "/var/run/mta-queue.pid")]
    running = {s.state: s for s in verified["instances"].states}["running-1"]
    assert running.ok and running.exit == 0 and len(running.pids) == 2
    assert re.fullmatch(rb"mtad \(pid +(\d+)\) is running\.\.\.\nmta-queue \(pid +(\d+)\) is running\.\.\.\n",
                        running.stdout)
    assert _checks(checked["instances"]) == {}
    start = {c.check: c for c in checked["instances"].checks}["start-stopped"].steps[0]
    assert len(start.alive) == 2  # the second launch of the binary took the free instance


def test_two_daemons_are_started_and_stopped_by_the_script(checked):
    assert _checks(checked["two"]) == {}
    checks = {c.check: c for c in checked["two"].checks}
    assert len(checks["status-running"].pids) == 2 and len(checks["start-stopped"].steps[0].alive) == 2
    assert checks["stop-running"].steps[0].alive == () and checks["restart"].steps[1].exit == 0


def test_a_daemon_the_script_backgrounds_from_its_own_path(checked):
    """`$DAEMON ... &` names the fake's path; the daemon, ended by TERM, removes its pid file."""
    report = checked["background"]
    assert report.foreground and report.targets is not None
    assert report.targets.binary == "/usr/local/sbin/qworkerd"
    assert _checks(report) == {}


def test_loops_find_the_host_keys_and_config_files_start_needs(checked):
    assert _checks(checked["loops"]) == {}
    start = {c.check: c for c in checked["loops"].checks}["start-stopped"].steps[0]
    assert b"Starting" not in start.stderr and len(start.alive) == 1


def test_mounted_file_systems_are_mounted_by_the_script_through_the_sandbox_s_server(verified, checked):
    """The script's own mount and umount (stand-ins) ask the prelude's mount server, which mounts a
    tmpfs at, or unmounts, the script's mount points: start and stop really change the state."""
    report = verified["mounts"]
    assert report.targets is not None and report.targets.mounts == ("/srv/vol/red", "/srv/vol/blue")
    assert not report.targets.processes
    states = {s.state: s for s in report.states}
    assert (states["running-1"].stdout, states["running-1"].exit, states["running-1"].pids) == (b"running\n", 0, ())
    assert (states["stopped"].stdout, states["stopped"].exit) == (b"red is stopped\n", 3)
    assert _checks(checked["mounts"]) == {}
    checks = {c.check: c for c in checked["mounts"].checks}
    assert checks["status-running"].ok and checks["start-running"].ok and checks["status-running"].pids == ()
    start, stop = checks["start-stopped"], checks["stop-running"]
    assert (start.steps[1].stdout, stop.steps[1].stdout) == (b"running\n", b"red is stopped\n")
    assert start.notes == ("answered by ha-rewrite's stand-in for /usr/bin/mount (a well-behaved program of its "
                           "kind): confirm on the real host",)


def test_a_mount_elsewhere_is_refused_as_without_privileges(tmp_path):
    """Only at the mount points the script's text names: one it computes as it runs is refused."""
    script = tmp_path / "vols"
    script.write_text(MOUNTS.replace("mkdir -p $ROOT/$v && mount", 'mount -t tmpfs x "$(echo /srv/dyn)" || exit 1\n'
                                     "      mkdir -p $ROOT/$v && mount"))
    script.chmod(0o755)
    (report,) = run_checklist([str(script)], checks=["start-stopped"])
    assert report.checks[0].problem == ("mounts a file system with mount (mount: /srv/dyn: permission denied.): "
                                        "the sandbox cannot, verify on the real host")


def test_cli_names_every_fake_and_mount(written, capsys):
    assert main(["verify", "--functions", LIB2010, written["two"], written["mounts"]]) == 1  # two's running-9
    out = capsys.readouterr().out
    assert "   daemon alphad at /usr/sbin/alphad, pid file /var/run/alphad.pid, lock file /var/lock/subsys/two\n" \
           "   and daemon betad at /usr/sbin/betad, pid file /var/run/betad.pid\n" in out
    assert "   and a file system mounted at /srv/vol/red, /srv/vol/blue " \
           "(no daemon: the running states start none)\n" in out
    assert main(["verify", "--format", "json", "--functions", LIB2010, written["two"]]) == 1
    targets = json.loads(capsys.readouterr().out)["scripts"][0]["targets"]
    assert (targets["others"], targets["mounts"], targets["processes"]) == \
        ([{"daemon": "betad", "binary": "/usr/sbin/betad", "pidfile": "/var/run/betad.pid"}], [], True)


def test_lsb_text_names_the_file_systems_of_a_script_with_no_daemon(written, capsys):
    assert main(["verify", "--lsb", written["mounts"]]) == 0
    out = capsys.readouterr().out
    assert "   no fake daemon: its instances are the file systems at /srv/vol/red, /srv/vol/blue (a tmpfs each, " \
           "by the sandbox's mount server)\n" in out
    assert "fake daemon mounts at" not in out


def test_mounting_twice_or_unmounting_nothing_fails_as_util_linux_would(tmp_path):
    """No guard: start of a running (mounted) service and stop of a stopped one fail, a wrong answer."""
    script = tmp_path / "vols"
    script.write_text(MOUNTS.replace("mounted $v && continue", ":").replace("mounted $v && { umount", "{ umount"))
    script.chmod(0o755)
    (report,) = run_checklist([str(script)], checks=["start-running", "stop-stopped"])
    got = {c.check: (c.problem, c.why, c.steps[0].stderr) for c in report.checks}
    assert got == {
        "start-running": ("", ("exit 1, LSB specifies 0",),
                          b"mount: /srv/vol/red: /dev/vg/red already mounted or mount point busy.\n"),
        "stop-stopped": ("", ("exit 1, LSB specifies 0",), b"umount: /srv/vol/red: not mounted.\n"),
    }
