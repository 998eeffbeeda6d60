"""Wrappers for scripts whose status no edit can fix, and the Heartbeat configuration snippets."""
from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from corpus_cases import INPUT, REPO
from rewrite.cli import main
from rewrite.parse import parse

EXTERNAL = b"""#!/bin/sh
# status comes from a program the tool cannot rewrite
CTL=%(ctl)s
case "$1" in
  status) $CTL status; exit $? ;;
  *) exit 0 ;;
esac
"""
ALWAYS_OK = b"""#!/bin/sh
case "$1" in
  status) /usr/bin/somectl status; exit 0 ;;
esac
"""


def _script(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    path.chmod(0o755)
    return path


@pytest.fixture
def wrapped(tmp_path):
    """An original whose status is its ctl's exit code, the ctl, and the generated wrapper."""
    ctl = _script(tmp_path / "ctl", b'#!/bin/sh\n[ -n "$CTL_OUT" ] && echo "$CTL_OUT"\n'
                                    b'[ -n "$CTL_ERR" ] && echo "$CTL_ERR" >&2\n'
                                    b'[ -n "$CTL_HANG" ] && sleep 30\nexit "${CTL_CODE:-0}"\n')
    original = _script(tmp_path / "svc", EXTERNAL % {b"ctl": bytes(ctl)})
    assert main(["patch", "--dest", str(tmp_path / "D"), str(original)]) == 1
    return tmp_path / "D" / "svc"


def _status(wrapper: Path, **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(wrapper), "status"], capture_output=True, timeout=10,
                          env={"PATH": "/usr/bin:/bin", **env})


def test_wrapper_passes_bash_n(wrapped):
    subprocess.run(["bash", "-n", str(wrapped)], check=True)
    subprocess.run(["sh", "-n", str(wrapped)], check=True)


@pytest.mark.parametrize(("env", "stdout", "code"), (
    ({"CTL_CODE": "0", "CTL_OUT": "Server is alive and not stopped"}, b"running\n", 0),
    ({"CTL_CODE": "3", "CTL_OUT": "svc is running?? no"}, b"stopped\n", 3),
    ({"CTL_CODE": "1"}, b"stopped\n", 1),
    ({"CTL_CODE": "0"}, b"running\n", 0),  # the original prints nothing
    ({"CTL_CODE": "0", "CTL_ERR": "warning on stderr"}, b"running\n", 0),
))
def test_wrapper_status_is_the_exit_code(wrapped, env, stdout, code):
    run = _status(wrapped, **env)
    assert (run.stdout, run.returncode, run.stderr) == (stdout, code, b"")


def test_wrapper_status_of_a_hanging_original_is_killed_by_the_caller(wrapped):
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run([str(wrapped), "status"], capture_output=True, timeout=1,
                       env={"PATH": "/usr/bin:/bin", "CTL_HANG": "1"})


def test_wrapper_passes_other_operations_and_arguments_exactly(tmp_path):
    original = _script(tmp_path / "echoer", b'#!/bin/sh\nprintf "<%s>" "$@"\necho\ncase "$1" in\n'
                                             b'  status) $CTL status ;;\nesac\n')
    assert main(["patch", "--dest", str(tmp_path / "D"), str(original)]) == 1
    run = subprocess.run([str(tmp_path / "D" / "echoer"), "10.0.0.1", "two words", "", "*", "start"],
                         capture_output=True, check=True)
    assert run.stdout == b"<10.0.0.1><two words><><*><start>\n"


def test_status_is_the_last_argument(tmp_path):
    """Heartbeat calls `NAME [ARG...] status`; a status in the middle is an argument."""
    original = _script(tmp_path / "svc", b'#!/bin/sh\nfor op in "$@"; do :; done\n'
                                         b'case "$op" in\n  status) $CTL status ;;\n'
                                         b'  *) printf "<%s>" "$@"; echo ;;\nesac\n')
    main(["patch", "--dest", str(tmp_path / "D"), str(original)])
    wrapper = tmp_path / "D" / "svc"
    assert subprocess.run([str(wrapper), "status", "stop"], capture_output=True).stdout == b"<status><stop>\n"
    run = subprocess.run([str(wrapper), "10.0.0.1", "status"], capture_output=True,
                         env={"PATH": "/usr/bin:/bin", "CTL": "false"})
    assert (run.stdout, run.returncode) == (b"stopped\n", 1)


def test_not_lsb_compliant_status_is_refused_unless_trusted(tmp_path, capsys):
    original = _script(tmp_path / "alwaysok", ALWAYS_OK)
    assert main(["patch", "--dest", str(tmp_path / "D"), str(original)]) == 1
    assert not (tmp_path / "D").exists()
    assert ("no wrapper: its status exits 0 whatever the state (not LSB compliant) (--trust-exit-codes wraps "
            "it anyway)") in capsys.readouterr().err
    assert main(["patch", "--trust-exit-codes", "--dest", str(tmp_path / "D"), str(original)]) == 1
    assert (tmp_path / "D" / "alwaysok").exists()


def test_original_dir_names_where_the_original_will_live(tmp_path):
    original = _script(tmp_path / "svc", EXTERNAL % {b"ctl": b"/usr/bin/svcctl"})
    main(["patch", "--original-dir", "/etc/init.d", "--dest", str(tmp_path / "D"), str(original)])
    assert b"\noriginal=/etc/init.d/svc\n" in (tmp_path / "D" / "svc").read_bytes()


@pytest.mark.parametrize("tool", (["patch", "-p1", "--quiet"], ["git", "apply"]))
def test_wrapper_review_applies_as_a_new_file(tmp_path, tool):
    original = _script(tmp_path / "svc", EXTERNAL % {b"ctl": b"/usr/bin/svcctl"})
    review = tmp_path / "review.patch"
    assert main(["diff", "-o", str(review), str(original)]) == 1
    assert main(["apply", str(review), "--dest", str(tmp_path / "D")]) == 1
    main(["patch", "--dest", str(tmp_path / "D2"), str(original)])
    assert (tmp_path / "D" / "svc").read_bytes() == (tmp_path / "D2" / "svc").read_bytes()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=scratch, check=True)
    subprocess.run(tool, stdin=review.open("rb"), cwd=scratch, check=True)
    assert (scratch / "svc").read_bytes() == (tmp_path / "D" / "svc").read_bytes()


# ---------------------------------------------------------------------------- config


def test_config_text(capsys):
    assert main(["config", "--node", "node1", "httpd"]) == 0
    assert capsys.readouterr().out == (
        "# /etc/ha.d/haresources: the node, then its resources in start order\n"
        "node1 httpd\n"
        '# CIB, for: cibadmin -C -o resources -X "$(ha-rewrite config --format cib ...)"\n'
        '<primitive id="rsc_httpd" class="heartbeat" type="httpd">\n'
        "  <operations>\n"
        '    <op id="rsc_httpd-monitor" name="monitor" interval="10s" timeout="20s"/>\n'
        "  </operations>\n"
        "</primitive>\n")


def test_config_cib_is_well_formed_and_matches_the_options(capsys):
    assert main(["config", "--format", "cib", "--interval", "1s", "--timeout", "2s", "httpd", "named"]) == 0
    root = ET.fromstring(capsys.readouterr().out)
    assert (root.tag, root.get("id")) == ("group", "grp_httpd")
    assert [(p.get("class"), p.get("type")) for p in root] == [("heartbeat", "httpd"), ("heartbeat", "named")]
    ops = root.findall("./primitive/operations/op")
    assert [(o.get("name"), o.get("interval"), o.get("timeout")) for o in ops] == [("monitor", "1s", "2s")] * 2
    assert len({o.get("id") for o in ops}) == 2


def test_config_haresources_line(capsys):
    assert main(["config", "--format", "haresources", "--node", "n1", "IPaddr", "httpd"]) == 0
    assert capsys.readouterr().out == "n1 IPaddr httpd\n"


@pytest.mark.parametrize("argv", (["a b"], ["../x"], ["--interval", "ten", "x"], ["--timeout", "2x", "x"]))
def test_config_rejects_bad_names_and_durations(argv, capsys):
    assert main(["config", *argv]) == 2
    assert "Invalid value" in capsys.readouterr().err


# ---------------------------------------------------------------------------- LSB mode

LOGGING = b"""#!/bin/sh
# logs every call; status prints $STATUS_TEXT and exits $STATUS_CODE; start and stop fail
printf '%s|' "$@" >> "$CALLS"; echo >> "$CALLS"
for op in "$@"; do :; done
case "$op" in
  status) echo "$STATUS_TEXT"; exit "${STATUS_CODE:-0}" ;;
  start|stop) exit 1 ;;
  *) echo "other: $*" ;;
esac
"""


@pytest.fixture
def lsb_wrapped(tmp_path):
    original = _script(tmp_path / "svc", LOGGING)
    assert main(["patch", "--lsb-wrapper", "--dest", str(tmp_path / "D"), str(original)]) == 1
    return tmp_path / "D" / "svc", tmp_path / "calls"


def _run(wrapper, calls, args, **env):
    run = subprocess.run([str(wrapper), *args], capture_output=True, timeout=10,
                         env={"PATH": "/usr/bin:/bin", "CALLS": str(calls), **env})
    return run.stdout, run.returncode


@pytest.mark.parametrize(("text", "code", "stdout", "status"), (
    ("svc is running", "0", b"running\n", 0),
    ("svc is not running", "0", b"stopped\n", 3),  # the seed's case: status always exits 0
    ("svc dead but pid file exists", "0", b"stopped\n", 1),
    ("svc dead but subsys locked", "0", b"stopped\n", 2),
    ("", "3", b"stopped\n", 3),  # prints nothing: a code within LSB's range is kept
    ("", "0", b"running\n", 0),
    ("gibberish", "0", b"stopped\n", 3),
    # a list of daemons, line by line: a running one wins (as rm reads it), else the stalest
    ("sendmail (pid 7) is running...\nsm-client dead but pid file exists", "0", b"running\n", 0),
    ("sm-client dead but pid file exists\nsendmail (pid 7) is running...", "0", b"running\n", 0),
    ("nfsd is stopped\nrpc.mountd dead but subsys locked", "0", b"stopped\n", 2),
    ("nfsd dead but subsys locked\nrpc.mountd dead but pid file exists\nx is stopped", "0", b"stopped\n", 1),
    ("a is not running\nb is stopped", "0", b"stopped\n", 3),
))
def test_lsb_wrapper_status_maps_the_verdict(lsb_wrapped, text, code, stdout, status):
    wrapper, calls = lsb_wrapped
    assert _run(wrapper, calls, ["10.0.0.1", "status"], STATUS_TEXT=text, STATUS_CODE=code) == (stdout, status)
    assert calls.read_text() == "10.0.0.1|status|\n"


def test_lsb_wrapper_start_on_running_succeeds_without_the_original(lsb_wrapped):
    wrapper, calls = lsb_wrapped
    assert _run(wrapper, calls, ["start"], STATUS_TEXT="svc is running") == (b"", 0)
    assert calls.read_text() == "status|\n"
    assert _run(wrapper, calls, ["start"], STATUS_TEXT="svc is stopped", STATUS_CODE="3")[1] == 1  # really starts


def test_lsb_wrapper_stop_on_stopped_succeeds_after_running_the_original(lsb_wrapped):
    wrapper, calls = lsb_wrapped
    assert _run(wrapper, calls, ["stop"], STATUS_TEXT="svc is stopped", STATUS_CODE="3") == (b"", 0)
    assert calls.read_text() == "status|\nstop|\n"
    assert _run(wrapper, calls, ["stop"], STATUS_TEXT="svc is running")[1] == 1  # a real failure stays one


def test_lsb_wrapper_passes_other_operations(lsb_wrapped):
    wrapper, calls = lsb_wrapped
    assert _run(wrapper, calls, ["a b", "reload"]) == (b"other: a b reload\n", 0)


def test_lsb_wrapper_rescans_compliant_and_passes_sh_n(lsb_wrapped, capsys):
    wrapper, _ = lsb_wrapped
    subprocess.run(["sh", "-n", str(wrapper)], check=True)
    assert main(["scan", str(wrapper)]) == 0


OLD_STYLE = b"""#!/bin/sh
PIDFILE=/var/run/oldd.pid
case "$1" in
  start|stop) echo "$1: $*" >> "$CALLS" ;;
  status) [ -f $PIDFILE ] && kill -0 $(cat $PIDFILE) 2>/dev/null && { echo "oldd is running"; exit 0; }
    echo "oldd is stopped"; exit 3 ;;
  reload) echo reloaded ;;
  *) echo "Usage: $0 {start|stop|status|reload}"; exit 1 ;;
esac
"""


def test_lsb_wrapper_learns_actions_and_pid_file_from_the_original(tmp_path):
    original = _script(tmp_path / "oldd", OLD_STYLE.replace(b"/var/run", str(tmp_path).encode()))
    assert main(["patch", "--lsb-wrapper", "--dest", str(tmp_path / "D"), str(original)]) == 0  # compliant
    wrapper, calls = tmp_path / "D" / "oldd", tmp_path / "calls"
    assert f"\npidfile={tmp_path}/oldd.pid\n".encode() in wrapper.read_bytes()
    assert _run(wrapper, calls, ["reload"]) == (b"reloaded\n", 0)  # an action it names: passed on
    assert _run(wrapper, calls, ["frobnicate"]) == (f"Usage: {original} {{start|stop|status|reload}}\n".encode(), 2)
    assert _run(wrapper, calls, ["status"]) == (b"stopped\n", 3)
    (tmp_path / "oldd.pid").write_text("999999999\n")  # no such process: stale
    assert _run(wrapper, calls, ["status"]) == (b"stopped\n", 1)


@pytest.mark.parametrize(("source", "actions"), (
    pytest.param(b'case "$1" in start) ;; "stop") ;; st*|x) ;; esac\n', None, id="a glob: not sure"),
    pytest.param(b'case "$1" in start|stop) ;; status) ;; *) ;; esac\n', ("start", "stop", "status"), id="plain"),
    pytest.param(b'f() { case "$1" in a) ;; esac; }\ncase "$2" in b) ;; esac\n', None, id="no dispatch on $1"),
))
def test_dispatch_actions(source, actions):
    from rewrite.wrapper import dispatch_actions
    assert dispatch_actions(parse(source).root_node) == actions


# ------------------------------------------------------- the pid file the original names

PIDFILE_ONLY = b"""#!/bin/sh
# status believes its pid file, never asks whether the process lives; it prints nothing
PIDFILE=%(pidfile)s
case "$1" in
  status) [ -f $PIDFILE ] && exit 0; exit 3 ;;
  *) exit 0 ;;
esac
"""
OK_NOT_OK = b"""#!/bin/sh
# status says OK / NOT OK (Heartbeat reads both as running), exits 0 / 3; a stale pid file reads as 3
PIDFILE=%(pidfile)s
case "$1" in
  status) if [ -f $PIDFILE ] && kill -0 $(cat $PIDFILE) 2>/dev/null; then echo OK; exit 0; fi
    echo "NOT OK"; exit 3 ;;
  *) exit 0 ;;
esac
"""


@pytest.fixture
def live_pid():
    sleeper = subprocess.Popen(["sleep", "60"])
    yield sleeper.pid
    sleeper.kill()
    sleeper.wait()


def _wrapped_with_pidfile(tmp_path: Path, source: bytes, *options: str) -> tuple[Path, Path]:
    pidfile = tmp_path / "svc.pid"
    original = _script(tmp_path / "svc", source % {b"pidfile": bytes(pidfile)})
    main(["patch", *options, "--dest", str(tmp_path / "D"), str(original)])
    wrapper = tmp_path / "D" / "svc"
    assert f"\npidfile={pidfile}\n".encode() in wrapper.read_bytes()
    subprocess.run(["sh", "-n", str(wrapper)], check=True)
    return wrapper, pidfile


@pytest.mark.parametrize("options", ([], ["--lsb-wrapper"]), ids=("plain", "lsb"))
def test_a_wrapper_reads_running_with_the_pid_files_process_gone_as_dead(tmp_path, live_pid, options):
    wrapper, pidfile = _wrapped_with_pidfile(tmp_path, PIDFILE_ONLY, *options)
    assert _status(wrapper).stdout == b"stopped\n"
    pidfile.write_text(f"{live_pid}\n")
    assert (_status(wrapper).stdout, _status(wrapper).returncode) == (b"running\n", 0)
    pidfile.write_text("999999999\n")  # no such process: the original still says running (exit 0)
    assert (_status(wrapper).stdout, _status(wrapper).returncode) == (b"stopped\n", 1)
    pidfile.write_text(f"{live_pid} 999999999\n")  # not one pid: the original's word stands
    assert _status(wrapper).returncode == 0


def test_an_lsb_wrapper_trusts_the_exit_codes_of_a_status_whose_branches_end_on_lsb_codes(tmp_path, live_pid):
    wrapper, pidfile = _wrapped_with_pidfile(tmp_path, OK_NOT_OK, "--lsb-wrapper")
    assert b"status judged by its exit code" in wrapper.read_bytes()
    assert (_status(wrapper).stdout, _status(wrapper).returncode) == (b"stopped\n", 3)  # NOT OK, by its code
    pidfile.write_text("999999999\n")
    assert (_status(wrapper).stdout, _status(wrapper).returncode) == (b"stopped\n", 1)
    pidfile.write_text(f"{live_pid}\n")
    assert (_status(wrapper).stdout, _status(wrapper).returncode) == (b"running\n", 0)


def test_an_lsb_wrapper_judges_words_when_a_status_branch_has_no_lsb_code(tmp_path):
    wrapper, _ = _wrapped_with_pidfile(tmp_path, OK_NOT_OK.replace(b"exit 3", b"exit 0"), "--lsb-wrapper")
    assert b"status judged by its words" in wrapper.read_bytes()
    assert (_status(wrapper).stdout, _status(wrapper).returncode) == (b"running\n", 0)  # NOT OK, as rm reads it


SUSE_STYLE = b"""#!/bin/sh
# SUSE style: a banner that says `running`, then rc_status -v, whose code rc_exit passes on
. /etc/rc.status
rc_reset
case "$1" in
  status) echo -n "Checking for running svc: "; /sbin/checkproc /usr/sbin/svcd; rc_status -v ;;
  *) echo "Usage: $0 {status}"; exit 1 ;;
esac
rc_exit
"""


def test_an_lsb_wrapper_judges_rc_status_by_the_code_it_passes_on(tmp_path):
    original = _script(tmp_path / "svc", SUSE_STYLE)
    rc_status = str(REPO / INPUT / "suse" / "rc.status")
    assert main(["patch", "--lsb-wrapper", "--rc-status", rc_status, "--dest", str(tmp_path / "D"), str(original)]) == 1
    assert b"status judged by its exit code" in (tmp_path / "D" / "svc").read_bytes()
    # its words alone would read the banner's `running`: the same script ending in `exit 0` is judged by them
    (tmp_path / "w").mkdir()
    worded = _script(tmp_path / "w" / "svc", SUSE_STYLE.replace(b"rc_exit\n", b"exit 0\n"))
    assert main(["patch", "--lsb-wrapper", "--rc-status", rc_status, "--dest", str(tmp_path / "W"), str(worded)]) == 1
    assert b"status judged by its words" in (tmp_path / "W" / "svc").read_bytes()
