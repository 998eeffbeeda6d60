"""The bubblewrap sandbox: its command line, its isolation, the prelude's report, the timeout."""
from __future__ import annotations

import os
import shutil
import time

import pytest

from rewrite import sandbox
from rewrite.sandbox import Layout, Prelude, host_path, overlays, parse_report

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")


def _flags(argv: list[str], flag: str) -> list[tuple[str, ...]]:
    width = {"--ro-bind": 2, "--symlink": 2, "--tmpfs": 1, "--dir": 1}[flag]
    return [tuple(argv[i + 1:i + 1 + width]) for i, a in enumerate(argv) if a == flag]


def test_bwrap_argv_isolation_and_layout():
    argv = sandbox.bwrap_argv(Layout((("/host/script", "/etc/rc.d/init.d/x"),), ("/usr/sbin/xd",)), ["cmd"])
    for flag in ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
                 "--new-session"):
        assert flag in argv
    assert argv[-2:] == ["--", "cmd"]
    assert ("/usr", "/usr") in _flags(argv, "--ro-bind")
    assert ("/host/script", "/etc/rc.d/init.d/x") in _flags(argv, "--ro-bind")
    tmpfs = [t[0] for t in _flags(argv, "--tmpfs")]
    assert {"/run", "/var", "/etc", "/tmp", "/usr/sbin", "/usr/bin"} <= set(tmpfs)
    symlinks = _flags(argv, "--symlink")
    assert ("/run", "/var/run") in symlinks and ("/run/lock", "/var/lock") in symlinks
    assert ("rc.d/init.d", "/etc/init.d") in symlinks
    assert any(dest == "/usr/bin/sh" and target.endswith("/bash") for target, dest in symlinks)
    assert ("/run/lock/subsys",) in _flags(argv, "--dir")


def test_host_path_and_overlays():
    if os.path.islink("/sbin"):
        assert host_path("/sbin/xd") == "/usr/sbin/xd"
    assert host_path("/opt/x/bin/y") == "/opt/x/bin/y"
    assert overlays(["/opt/app/bin/app", "/etc/sysconfig/x"]) == ("/usr/bin",)
    assert overlays(["/usr/sbin/hr-test-missing-daemon", "/usr/bin/sh"]) == ("/usr/bin", "/usr/sbin")
    assert overlays(["/usr/local/sbin/hr-test-missing/deeper/d"]) == ("/usr/bin", "/usr/local/sbin")


def test_parse_report_frames_the_trace():
    trace = b"+/x:1: echo\n@@exit 9\n"
    meta = (b"@@pids 1000001 1000002\n\nstray chatter\n@@note no stub at /a\n@@exit 3\n@@stubs /usr/sbin/t\n"
            b"@@trace %d\n" % len(trace) + trace)
    report = parse_report(meta)
    assert report.exit == 3
    assert report.pids == (1000001, 1000002)
    assert report.trace == trace
    assert report.notes == ("stray chatter", "no stub at /a")
    assert report.stubs_run == ("/usr/sbin/t",)
    assert parse_report(b"@@fail cannot make /proc read-only\n").failure == "cannot make /proc read-only"


def _run_in_sandbox(command: tuple[str, ...], state: str = "stopped", timeout: float = 10.0,
                    layout: Layout = Layout(writable=("/usr/sbin/hr-testd",)),
                    fake: str = "/usr/sbin/hr-testd") -> sandbox.Completed:
    prelude = Prelude(state, 1 if state == "running-1" else 0, fake, "/var/run/hr-testd.pid",
                      True, "/var/lock/subsys/hr-testd", "script", command[0], "none", "", command)
    return sandbox.run(lambda fd: sandbox.bwrap_argv(layout, sandbox.prelude_command(prelude, fd)), timeout,
                       marker=b"@@exit ")


@needs_bwrap
def test_the_status_command_runs_without_capabilities_or_network():
    probe = ("/bin/bash", "-c", """
        grep CapEff /proc/self/status
        { echo 1 >/proc/sys/kernel/ns_last_pid; } 2>/dev/null && echo proc-writable
        awk -F: 'NR > 2 { printf "%s", $1 } END { print "" }' /proc/net/dev
        readlink -f /bin/sh
        touch /usr/lib/hr-escape 2>/dev/null && echo usr-writable
        pidof hr-testd; cat /var/run/hr-testd.pid; ls /var/lock/subsys
        echo to-stderr >&2
        exit 7""")
    done = _run_in_sandbox(probe, state="running-1")
    report = parse_report(done.meta)
    lines = done.stdout.decode().splitlines()
    assert lines[0].split() == ["CapEff:", "0000000000000000"]
    assert "proc-writable" not in lines and "usr-writable" not in lines
    assert lines[1].split() == ["lo"]
    assert lines[2].endswith("/bash")
    assert lines[3] == lines[4] == str(report.pids[0])  # pidof sees the fake; the pid file names it
    assert lines[5] == "hr-testd"
    assert done.stderr == b"to-stderr\n"
    assert report.exit == 7 and not done.timed_out
    if int(open("/proc/sys/kernel/pid_max").read()) >= 32768:
        assert report.pids[0] >= 10000  # the pid counter was moved: 5 digits at least, 7 where pid_max allows


@needs_bwrap
def test_nothing_outside_the_sandbox_is_written(tmp_path):
    probe = ("/bin/sh", "-c", "echo x >/var/run/hr-test-outside.pid; touch /var/lock/subsys/hr-test-outside "
                              "/etc/hr-test-outside /tmp/hr-test-outside; mkdir -p /opt/hr-test-outside")
    done = _run_in_sandbox(probe)
    assert parse_report(done.meta).exit == 0
    for path in ("/usr/lib/hr-escape", "/usr/bin/hr-escape", "/run/hr-test-outside.pid", "/run/lock/subsys/hr-test-outside", "/etc/hr-test-outside",
                 "/tmp/hr-test-outside", "/opt/hr-test-outside", "/usr/sbin/hr-testd"):
        assert not os.path.lexists(path)


def _alive(token: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if token.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            continue
    return found


@needs_bwrap
def test_timeout_kills_the_whole_sandbox():
    start = time.monotonic()
    done = _run_in_sandbox(("/bin/sh", "-c", "echo partial; /usr/sbin/hr-testd 613.25 & sleep 613.5"),
                           state="running-1", timeout=0.5)
    assert done.timed_out
    assert time.monotonic() - start < 5
    assert done.stdout == b"partial\n"
    assert parse_report(done.meta).exit is None
    time.sleep(0.2)
    assert _alive("613.25") == [] and _alive("613.5") == []


@needs_bwrap
def test_prelude_failure_is_reported():
    done = _run_in_sandbox(("/bin/true",), fake="/proc/hr-testd")  # /proc is read-only by then
    assert parse_report(done.meta).failure == "cannot place the fake daemon at /proc/hr-testd"


def test_missing_bwrap_is_one_line(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(sandbox.SandboxError, match="bwrap not found: install bubblewrap"):
        sandbox.bwrap()


def test_overlays_never_rebuild_usr_itself():
    assert overlays(["/usr/hr-new-top/x"]) == ("/usr/bin",)


def test_a_command_that_cannot_start_is_a_sandbox_error():
    with pytest.raises(sandbox.SandboxError, match="cannot start bwrap: "):
        sandbox.run(lambda fd: ["/nonexistent/bwrap"], 1.0)
