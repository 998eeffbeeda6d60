"""Stand-ins: programs the sandbox provides when a script runs one the host lacks, judged by what they do."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from rewrite import lsb, standins
from rewrite.standins import CHECKPROC, PIDOF, RNDC, Tool, installer, needed
from rewrite.verify import verify_many

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
ON_HOST = [p for p in ("/sbin/checkproc", "/usr/sbin/rndc", "/usr/bin/my_print_defaults", "/sbin/initlog")
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
