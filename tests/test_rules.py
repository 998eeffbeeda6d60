"""Every rule of the README's table, driven on in-memory scripts.

The pure pipeline (`scan_bytes` -> `findings_for` -> `splice`) for a script's own lines; the whole
pipeline (`process`) for scripts that source a `functions` library written beside them.
"""
from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest

from rewrite.families import BY_LIBRARY, REDHAT

from rewrite.contract import rm_verdict
from rewrite.edits import splice
from rewrite import pipeline
from rewrite.pipeline import COMPLIANT
from rewrite.pipeline import NEEDS_WRAPPER
from rewrite.pipeline import NOT_A_SCRIPT
from rewrite.pipeline import PATCHABLE
from rewrite.pipeline import UNPARSEABLE
from rewrite.pipeline import FileResult
from rewrite.pipeline import Libraries
from rewrite.pipeline import process
from rewrite.parse import parse
from rewrite.parse import walk
from rewrite.scan import scan_bytes
from rewrite.walk import swallows_statements
from rewrite.transform import RULES
from rewrite.transform import Settings
from rewrite.transform import findings_for

# A small Red Hat style `functions`: status() prints `... is running...` through $"...".
LIB = (
    b'# functions: shared init helpers\n'
    b'echo_success() {\n'
    b'\techo -n "[  OK  ]"\n'
    b'\treturn 0\n'
    b'}\n'
    b'status() {\n'
    b'\tlocal base=${1##*/}\n'
    b'\tlocal pid\n'
    b'\tpid=$(pidof -o %PPID $1)\n'
    b'\tif [ -n "$pid" ]; then\n'
    b'\t\techo $"${base} (pid $pid) is running..."\n'
    b'\t\treturn 0\n'
    b'\tfi\n'
    b'\tif [ -f /var/run/${base}.pid ]; then\n'
    b'\t\techo $"${base} dead but pid file exists"\n'
    b'\t\treturn 1\n'
    b'\tfi\n'
    b'\techo $"${base} is stopped"\n'
    b'\treturn 3\n'
    b'}\n'
)
LIB_PATCHED = LIB.replace(b'echo $"${base} (pid $pid) is running..."', b'echo "running"')


def _fix(src: bytes, settings: Settings = Settings()) -> tuple[bytes, tuple[str, ...]]:
    """The pure pipeline on a script's own lines: patched bytes and the rule ids found."""
    scan = scan_bytes('foo', src)
    findings = findings_for(scan, 'foo', settings)
    return splice(src, [e for f in findings for e in f.edits]), tuple(sorted(f.rule for f in findings))


def _process(directory: Path, src: bytes, lib: bytes | None = None,
             settings: Settings = Settings()) -> tuple[FileResult, Libraries]:
    """The whole pipeline on DIRECTORY/foo, with DIRECTORY/functions beside it when LIB is given."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / 'foo'
    script.write_bytes(src)
    if lib is not None:
        (directory / 'functions').write_bytes(lib)
    libraries = Libraries(settings=settings)
    return process(str(script), settings, libraries), libraries


def _rules(result: FileResult) -> tuple[str, ...]:
    return tuple(sorted(f.rule for f in result.findings))


def test_every_rule_is_in_the_readme_table():
    readme = (Path(__file__).resolve().parent.parent / 'README.md').read_text()
    for rule, name in RULES.items():
        assert f'| {rule} | {name} |' in readme


# ------------------------------------------------------------------- a script's own lines


@pytest.mark.parametrize(
    ('src', 'expected', 'rules'),
    (
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "foo (pid $pid) is running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            ('HB001',),
            id='HB001: pid list before running',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "$NAME is running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            ('HB001',),
            id='HB001: name of unknown length before running',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "foo: ' + b'x' * 70 + b' is running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            ('HB001',),
            id='HB001: literal text puts running past byte 79',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\tprintf "foo (pid %s) is running\\n" "$pid"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            ('HB001',),
            id='HB001: printf with a pid list',
        ),
        pytest.param(
            b'NAME=foo\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tprintf "%s is running\\n" "$NAME"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            b'NAME=foo\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tprintf "%s is running\\n" "$NAME"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            (),
            id='printf with a known short name: left alone',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\tprintf "%s is running\\n" "$NAME"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            ('HB001',),
            id='HB001: printf %s of unknown length before running',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo $"${base} (pid $pid) is running..."\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            ('HB001', 'HB002'),
            id='HB001+HB002: the Red Hat running line',
        ),
        pytest.param(
            b'prog=foo\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\techo $"$prog is running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            b'prog=foo\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            ('HB002',),
            id='HB002: translated, known short name',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "knotd is running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            ('HB003',),
            id='HB003: knotd matches lrmd *not*running*',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "knotd (pid $PID) is running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            ('HB001', 'HB003'),
            id='HB001+HB003: knotd with a pid, one edit for both',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "FOO IS RUNNING"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            ('HB003',),
            id='HB003: RUNNING fails rm [Rr]unning',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "foo is alive"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            ('HB003',),
            id='HB003: no running or OK at all',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "foo is not running"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "foo is stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            ('HB010',),
            id='HB010: is not running -> is stopped',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "foo isn\'t running"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "foo is stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            ('HB010',),
            id="HB010: isn't running -> is stopped",
        ),
        pytest.param(
            b'prog=foo\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\techo $"$prog is not running"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            b'prog=foo\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "$prog is stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            ('HB010',),
            id='HB010: $"..." reworded drops the $',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo -n "foo is not running"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo -n "foo is stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            ('HB010',),
            id='HB010: echo -n reworded, option kept',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\tprintf "%s is not running\\n" "$NAME"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\tprintf "%s is stopped\\n" "$NAME"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            ('HB010',),
            id='HB010: printf format reworded',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\tprintf $"%s is not running\\n" "$NAME"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\tprintf "%s is stopped\\n" "$NAME"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            ('HB010',),
            id='HB010: translated printf format reworded, $ dropped',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "foo: not running (check OK file)"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "foo: stopped (check ok file)"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            ('HB010',),
            id='HB010: not running and OK both reworded',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo down, running$since ${name}OK\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo down, stopped$since ${name}ok\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            ('HB010',),
            id='HB010: words glued to an expansion reworded too',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo $NAME is not  running, $NAME: not running; exit 3\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo $NAME is stopped, $NAME: stopped; exit 3\n'
            b'\t;;\n'
            b'esac\n',
            ('HB010',),
            id='HB010: unquoted words reworded as a phrase',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "foo is not\n'
            b'running"; exit 3\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "foo is not\n'
            b'stopped"; exit 3\n'
            b'\t;;\n'
            b'esac\n',
            ('HB010',),
            id='HB010: a message across lines keeps its line break',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "$NAME (pid $pid) is\n'
            b'running"; exit 0\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "running" \\\n'
            b'; exit 0\n'
            b'\t;;\n'
            b'esac\n',
            ('HB001',),
            id='HB001: a running line across lines: its line break stays, as a continuation',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\tif [ -f /var/run/foo.pid ]; then\n'
            b'\t\techo "foo (pid $pid) is running"\n'
            b'\telif [ -f /var/lock/subsys/foo ]; then\n'
            b'\t\techo "foo dead but subsys locked"\n'
            b'\telse\n'
            b'\t\techo "foo is not running"\n'
            b'\tfi\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\tif [ -f /var/run/foo.pid ]; then\n'
            b'\t\techo "running"\n'
            b'\telif [ -f /var/lock/subsys/foo ]; then\n'
            b'\t\techo "foo dead but subsys locked"; exit 2\n'
            b'\telse\n'
            b'\t\techo "foo is stopped"; exit 3\n'
            b'\tfi\n'
            b'\t;;\n'
            b'esac\n',
            ('HB001', 'HB010', 'HB062', 'HB062'),
            id='HB001+HB010: if/elif/else branches; stopped branches fall through: HB062',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\t[ -f /p ] && echo "foo (pid $pid) is running" || echo "foo is not running"\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\t[ -f /p ] && echo "running" || echo "foo is stopped"\n'
            b'\t;;\n'
            b'esac\n',
            ('HB001', 'HB010'),
            id='HB001+HB010: && / || list',
        ),
        pytest.param(
            b'foo_status() {\n'
            b'\tif [ -f /p ]; then\n'
            b'\t\techo "foo (pid $pid) is running"\n'
            b'\t\treturn 0\n'
            b'\tfi\n'
            b'\techo "foo is not running"\n'
            b'\treturn 3\n'
            b'}\n'
            b'case "$1" in\n'
            b'status|monitor)\n'
            b'\tfoo_status\n'
            b'\texit $?\n'
            b'\t;;\n'
            b'esac\n',
            b'foo_status() {\n'
            b'\tif [ -f /p ]; then\n'
            b'\t\techo "running"\n'
            b'\t\treturn 0\n'
            b'\tfi\n'
            b'\techo "foo is stopped"\n'
            b'\treturn 3\n'
            b'}\n'
            b'case "$1" in\n'
            b'status|monitor)\n'
            b'\tfoo_status\n'
            b'\texit $?\n'
            b'\t;;\n'
            b'esac\n',
            ('HB001', 'HB010'),
            id='status|monitor arm calls the script\'s own function',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'"status")\n'
            b'\techo "$NAME is running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'"status")\n'
            b'\techo "running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            ('HB001',),
            id='quoted "status") pattern',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "Checking foo..."\n'
            b'\tif [ -f /p ]; then\n'
            b'\t\techo "running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "Checking foo..." >&2\n'
            b'\tif [ -f /p ]; then\n'
            b'\t\techo "running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            ('HB020',),
            id='HB020: banner before the status line',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo -n "Checking foo: "\n'
            b'\tif [ -f /p ]; then\n'
            b'\t\techo "running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo -n "Checking foo: " >&2\n'
            b'\tif [ -f /p ]; then\n'
            b'\t\techo "running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            ('HB020',),
            id='HB020: echo -n banner',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\tlsmod | grep -q drbd || echo "drbd not loaded"\n'
            b'\tif [ -f /p ]; then\n'
            b'\t\techo "running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\tlsmod | grep -q drbd || echo "drbd not loaded" >&2\n'
            b'\tif [ -f /p ]; then\n'
            b'\t\techo "running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            ('HB020',),
            id='HB020: a warning on stdout (compare the >&2 noop)',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "running"\n'
            b'\tfooctl status\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "running"\n'
            b'\tfooctl status >&2\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            ('HB021',),
            id='HB021: external report after the status line',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\tif [ -f /p ]; then\n'
            b'\t\techo "foo (pid $pid) is running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "foo is not running"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\tif [ -f /p ]; then\n'
            b'\t\techo "running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "foo is stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            ('HB001', 'HB010'),
            id='HB001+HB010: both branches of one arm',
        ),
        pytest.param(
            b'# svc, no #! line (one ending in CR is refused: HB051)\r\n'
            b'case "$1" in\r\n'
            b'status)\r\n'
            b'\tif [ -f /p ]; then\r\n'
            b'\t\techo "foo (pid $pid) is running"\r\n'
            b'\t\texit 0\r\n'
            b'\tfi\r\n'
            b'\techo "foo is not running"\r\n'
            b'\texit 3\r\n'
            b'\t;;\r\n'
            b'esac\r\n',
            b'# svc, no #! line (one ending in CR is refused: HB051)\r\n'
            b'case "$1" in\r\n'
            b'status)\r\n'
            b'\tif [ -f /p ]; then\r\n'
            b'\t\techo "running"\r\n'
            b'\t\texit 0\r\n'
            b'\tfi\r\n'
            b'\techo "foo is stopped"\r\n'
            b'\texit 3\r\n'
            b'\t;;\r\n'
            b'esac\r\n',
            ('HB001', 'HB010'),
            id='CRLF: every \\r\\n kept',
        ),
        pytest.param(
            b'#!/bin/sh\n'
            b'# Gr\xfc\xdfe, caf\xe9\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tif [ -f /p ]; then\n'
            b'\t\techo "foo (pid $pid) is running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "foo is not running"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac',
            b'#!/bin/sh\n'
            b'# Gr\xfc\xdfe, caf\xe9\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tif [ -f /p ]; then\n'
            b'\t\techo "running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "foo is stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac',
            ('HB001', 'HB010'),
            id='Latin-1 comment and no final newline kept',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\tcase "$RC" in\n'
            b'\t0) echo "foo (pid $pid) is running" ;;\n'
            b'\t*) echo "foo is not running" ;;\n'
            b'\tesac\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\tcase "$RC" in\n'
            b'\t0) echo "running" ;;\n'
            b'\t*) echo "foo is stopped"; exit 3 ;;\n'
            b'\tesac\n'
            b'\t;;\n'
            b'esac\n',
            ('HB001', 'HB010', 'HB062'),
            id='inner case: each arm ends at ;; (the stopped one gets its exit 3)',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "foo"\n'
            b'\tRETVAL=0\n'
            b'\t;;\n'
            b'*)\n'
            b'\techo "usage"\n'
            b'\texit 2\n'
            b'\t;;\n'
            b'esac\n'
            b'exit $RETVAL\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "running"\n'
            b'\tRETVAL=0\n'
            b'\t;;\n'
            b'*)\n'
            b'\techo "usage"\n'
            b'\texit 2\n'
            b'\t;;\n'
            b'esac\n'
            b'exit $RETVAL\n',
            ('HB003',),
            id='exit code after ;; comes from exit $RETVAL, not the *) arm',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo 2>/dev/null "foo is not running"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo 2>/dev/null "foo is stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            ('HB010',),
            id='echo words after a stderr redirect still reach stdout',
        ),
    ),
)
def test_fix(src, expected, rules):
    assert _fix(src) == (expected, rules)


def test_reordered_arms_get_the_exit_code_right():
    """The same arms in the other order: `exit $RETVAL` after `esac` gives code 0 either way."""
    src = (
        b'case "$1" in\n'
        b'*)\n'
        b'\techo "usage"\n'
        b'\texit 2\n'
        b'\t;;\n'
        b'status)\n'
        b'\techo "foo"\n'
        b'\tRETVAL=0\n'
        b'\t;;\n'
        b'esac\n'
        b'exit $RETVAL\n'
    )
    assert _fix(src) == (src.replace(b'echo "foo"', b'echo "running"'), ('HB003',))


@pytest.mark.parametrize(
    ('settings', 'src', 'expected'),
    (
        pytest.param(
            Settings(word=b'OK'),
            b'case "$1" in\n'
            b'status)\n'
            b'\techo $"${base} (pid $pid) is running..."\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "OK"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            id='--word OK: the running line prints OK',
        ),
        pytest.param(
            Settings(word=b'OK'),
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "knotd is running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "OK"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            id='--word OK: HB003 fix prints OK',
        ),
        pytest.param(
            Settings(word=b'OK'),
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "OK"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "OK"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            id='--word OK: already OK',
        ),
        pytest.param(
            Settings(word=b'OK'),
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "foo is not running"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "foo is stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            id='--word OK: stopped lines still say stopped',
        ),
    ),
)
def test_fix_with_settings(settings, src, expected):
    assert _fix(src, settings)[0] == expected


# ------------------------------------------------------------------- lines no edit can fix


@pytest.mark.parametrize(
    ('src', 'lib', 'state', 'rules'),
    (
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\t$FOOCTL status\n'
            b'\t;;\n'
            b'esac\n',
            None,
            NEEDS_WRAPPER,
            ('HB040',),
            id='HB040: $FOOCTL status prints the state',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\tfooctl status\n'
            b'\t;;\n'
            b'esac\n',
            None,
            NEEDS_WRAPPER,
            ('HB040',),
            id='HB040: a named external program prints the state',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\tfor inst in $INSTANCES; do\n'
            b'\t\techo "$inst: running"\n'
            b'\tdone\n'
            b'\t;;\n'
            b'esac\n',
            None,
            NEEDS_WRAPPER,
            ('HB001', 'HB041'),
            id='HB041: a loop prints one line per instance',
        ),
        pytest.param(
            b'. /etc/rc.d/init.d/functions\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tstatus food\n'
            b'\tstatus foo-helper\n'
            b'\t;;\n'
            b'esac\n',
            LIB,
            NEEDS_WRAPPER,
            ('HB030', 'HB041'),
            id='HB041: status a; status b',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'start)\n'
            b'\techo "Starting foo"\n'
            b'\t;;\n'
            b'esac\n',
            None,
            NEEDS_WRAPPER,
            ('HB042',),
            id='HB042: no status operation',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\t[ -f /var/run/foo.pid ]\n'
            b'\texit $?\n'
            b'\t;;\n'
            b'esac\n',
            None,
            NEEDS_WRAPPER,
            ('HB042',),
            id='HB042: status prints nothing, exit code only',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "foo is running" >&2\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            None,
            NEEDS_WRAPPER,
            ('HB042',),
            id='HB042: the only state line goes to stderr',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "$STATE"\n'
            b'\texit $RC\n'
            b'\t;;\n'
            b'esac\n',
            None,
            NEEDS_WRAPPER,
            ('HB043',),
            id='HB043: text and exit code known at run time only',
        ),
        pytest.param(
            b'MSG="not running"\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "$MSG"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            None,
            NEEDS_WRAPPER,
            ('HB010',),
            id='HB010: the word comes from a variable, no literal to reword',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "running\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            None,
            UNPARSEABLE,
            ('HB050',),
            id='HB050: unterminated quote in the status arm',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\t[ "$RETVAL" -eq 0 ] || exit 3\n'
            b'\techo "foo is not running"\n'
            b'\tlogger -t foo checked 2>/dev/null\n'
            b'\t[ -n "$DEBUG" ] && set -x\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            None,
            UNPARSEABLE,
            ('HB050',),
            id='HB050: tree-sitter-bash #316 hides a stopped line inside a [ ... ] test',
        ),
    ),
)
def test_not_patchable(tmp_path, src, lib, state, rules):
    result, _ = _process(tmp_path, src, lib)
    assert (result.state, _rules(result)) == (state, rules)
    assert result.patched is None or (result.wrapped and result.patched.startswith(b"#!/bin/sh\n# Heartbeat wrapper"))


@pytest.mark.parametrize(("src", "message"), (
    (b'#!/bin/sh\ncase "$1" in\nstatus)\n\techo "running\n\texit 0\n\t;;\nesac\n',
     "parse error on the status path at line 3"),
    (b'#!/bin/sh\n. /etc/default/foo\n: ${NAME:=`basename $0`\nstart() {\n\tfoo\n}\n',
     "parse error at line 3, where a status operation may hide: none was found elsewhere"),
))
def test_a_parse_error_says_whether_a_status_path_was_found(tmp_path, src, message):
    """With no status operation found, a parse error anywhere may hide one (the file is
    `unparseable`, not `needs-wrapper`), but it is not on a status path."""
    result, _ = _process(tmp_path, src)
    assert (result.state, result.reason) == (UNPARSEABLE, message)
    assert [f.message for f in result.findings] == [message + ": fix the script by hand"]


@pytest.mark.parametrize(("line", "program"), (
    (b"$FOOCTL status", "$FOOCTL"),
    (b"/usr/sbin/fooctl status", "/usr/sbin/fooctl"),
    (b"`ps -p $PID | grep foo`", "ps"),  # OCF's minio runs a substitution's output as a command
    (b"$(fooctl status)", "fooctl"),
))
def test_an_external_program_is_named_without_its_quoting(tmp_path, line, program):
    result, _ = _process(tmp_path, b'case "$1" in\nstatus)\n\t' + line + b'\n\t;;\nesac\n')
    assert [f.message for f in result.findings if f.rule == "HB040"] == [
        f"status is printed by an external program ({program}): needs a wrapper"]


@pytest.mark.parametrize(("src", "state", "reason"), (
    (b'/* sg_simple.c */\nint main(void) { return 0; }\n', NOT_A_SCRIPT,
     "not shell: no #! line, and parse error at line 2, where a status operation may hide: none was found elsewhere"),
    (b': ${NAME:=`basename $0`\n', NOT_A_SCRIPT,  # a sourced fragment tree-sitter-bash cannot read
     "not shell: no #! line, and parse error at line 1, where a status operation may hide: none was found elsewhere"),
    (b'#!/bin/sh\n: ${NAME:=`basename $0`\n', UNPARSEABLE,
     "parse error at line 2, where a status operation may hide: none was found elsewhere"),
    (b'case "$1" in\nstatus)\n\techo "running\n\texit 0\n\t;;\nesac\n', UNPARSEABLE,  # its status arm is broken
     "parse error on the status path at line 2"),
))
def test_a_file_without_a_shebang_that_is_not_shell_is_not_a_script(tmp_path, src, state, reason):
    """C, JavaScript or Tcl in a walked tree or a list of paths: no `#!` line, no status operation,
    and not shell; with a `#!` line, or a `status)` arm, it is a script that fails to parse."""
    result, _ = _process(tmp_path, src)
    assert (result.state, result.reason) == (state, reason)
    assert result.findings == () if state == NOT_A_SCRIPT else [f.rule for f in result.findings] == ["HB050"]


def test_parse_error_elsewhere_does_not_stop_the_scan(tmp_path):
    src = (
        b'case "$1" in\n'
        b'start)\n'
        b'\tfoo )\n'
        b'\t;;\n'
        b'status)\n'
        b'\techo "$NAME is running"\n'
        b'\texit 0\n'
        b'\t;;\n'
        b'esac\n'
    )
    result, _ = _process(tmp_path, src)
    assert (result.state, _rules(result)) == (PATCHABLE, ('HB001',))
    assert result.patched == src.replace(b'echo "$NAME is running"', b'echo "running"')


def test_parser_misreading_elsewhere_does_not_stop_the_scan(tmp_path):
    """tree-sitter-bash #316 outside the status path (in `start)`) is none of its business."""
    src = (
        b'case "$1" in\n'
        b'start)\n'
        b'\t[ $RETVAL -eq 0 ]\n'
        b'\tdaemon foo >/dev/null\n'
        b'\t[ ]\n'
        b'\t;;\n'
        b'status)\n'
        b'\techo "$NAME is running"\n'
        b'\texit 0\n'
        b'\t;;\n'
        b'esac\n'
    )
    assert any(swallows_statements(n) for n in walk(parse(src).root_node))  # the upstream bug is still there
    result, _ = _process(tmp_path, src)
    assert (result.state, _rules(result)) == (PATCHABLE, ('HB001',))


# ------------------------------------------------------------------- the functions library


def test_library_rules(tmp_path):
    """The library is judged as a file of its own: HB001 and HB002 on its running line."""
    (tmp_path / 'functions').write_bytes(LIB)
    result = process(str(tmp_path / 'functions'), Settings(), Libraries(explicit=str(tmp_path / 'functions')))
    assert (result.kind, result.state, _rules(result)) == ('library', PATCHABLE, ('HB001', 'HB002'))
    assert result.patched == LIB_PATCHED


@pytest.mark.parametrize(
    ('src', 'expected', 'rules'),
    (
        pytest.param(
            b'. /etc/rc.d/init.d/functions\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'esac\n',
            b'. /etc/ha.d/resource.d/functions\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'esac\n',
            ('HB030',),
            id='HB030: the seed case, status foo',
        ),
        pytest.param(
            b'. /etc/rc.d/init.d/functions\n'
            b'rh_status() {\n'
            b'\tstatus -p /var/run/foo.pid foo\n'
            b'}\n'
            b'rh_status_q() {\n'
            b'\trh_status >/dev/null 2>&1\n'
            b'}\n'
            b'case "$1" in\n'
            b'start)\n'
            b'\trh_status_q && exit 0\n'
            b'\t;;\n'
            b'status)\n'
            b'\trh_status\n'
            b'\t;;\n'
            b'esac\n',
            b'. /etc/ha.d/resource.d/functions\n'
            b'rh_status() {\n'
            b'\tstatus -p /var/run/foo.pid foo\n'
            b'}\n'
            b'rh_status_q() {\n'
            b'\trh_status >/dev/null 2>&1\n'
            b'}\n'
            b'case "$1" in\n'
            b'start)\n'
            b'\trh_status_q && exit 0\n'
            b'\t;;\n'
            b'status)\n'
            b'\trh_status\n'
            b'\t;;\n'
            b'esac\n',
            ('HB030',),
            id='HB030: through an rh_status wrapper',
        ),
        pytest.param(
            b'INITD=/etc/rc.d/init.d\n'
            b'. $INITD/functions\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'esac\n',
            b'INITD=/etc/rc.d/init.d\n'
            b'. /etc/ha.d/resource.d/functions\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'esac\n',
            ('HB030',),
            id='HB030: library sourced through a variable',
        ),
        pytest.param(
            b'INITD=/etc/rc.d/init.d\n'
            b'. "${INITD}/functions"\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'esac\n',
            b'INITD=/etc/rc.d/init.d\n'
            b'. /etc/ha.d/resource.d/functions\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'esac\n',
            ('HB030',),
            id='HB030: library sourced through a quoted ${VAR}',
        ),
        pytest.param(
            b'[ -f /etc/init.d/functions ] && . /etc/init.d/functions\n'
            b'case "$1" in\n'
            b'"status")\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'esac\n',
            b'[ -f /etc/init.d/functions ] && . /etc/ha.d/resource.d/functions\n'
            b'case "$1" in\n'
            b'"status")\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'esac\n',
            ('HB030',),
            id='HB030: [ -f ... ] && . /etc/init.d/functions',
        ),
        pytest.param(
            b'source /etc/init.d/functions\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'esac\n',
            b'source /etc/ha.d/resource.d/functions\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'esac\n',
            ('HB030',),
            id='HB030: source instead of .',
        ),
        pytest.param(  # no `#!` line (a CRLF one is refused, HB051): every other byte kept
            b'. /etc/rc.d/init.d/functions\r\n'
            b'case "$1" in\r\n'
            b'status)\r\n'
            b'\tstatus foo\r\n'
            b'\t;;\r\n'
            b'esac\r\n',
            b'. /etc/ha.d/resource.d/functions\r\n'
            b'case "$1" in\r\n'
            b'status)\r\n'
            b'\tstatus foo\r\n'
            b'\t;;\r\n'
            b'esac\r\n',
            ('HB030',),
            id='HB030: CRLF script keeps its \\r\\n',
        ),
        pytest.param(
            b'. /etc/rc.d/init.d/functions\n'
            b'status() {\n'
            b'\tif [ -f /var/run/foo.pid ]; then\n'
            b'\t\techo "foo (pid $pid) is running"\n'
            b'\t\treturn 0\n'
            b'\tfi\n'
            b'\techo "foo is not running"\n'
            b'\treturn 3\n'
            b'}\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'esac\n',
            b'. /etc/rc.d/init.d/functions\n'
            b'status() {\n'
            b'\tif [ -f /var/run/foo.pid ]; then\n'
            b'\t\techo "running"\n'
            b'\t\treturn 0\n'
            b'\tfi\n'
            b'\techo "foo is stopped"\n'
            b'\treturn 3\n'
            b'}\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'esac\n',
            ('HB001', 'HB010'),
            id='own status() after sourcing shadows the library: not rewired',
        ),
        pytest.param(
            b'status() {\n'
            b'\tif [ -f /var/run/foo.pid ]; then\n'
            b'\t\techo "foo (pid $pid) is running"\n'
            b'\t\treturn 0\n'
            b'\tfi\n'
            b'\techo "foo is not running"\n'
            b'\treturn 3\n'
            b'}\n'
            b'. /etc/rc.d/init.d/functions\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'esac\n',
            b'status() {\n'
            b'\tif [ -f /var/run/foo.pid ]; then\n'
            b'\t\techo "foo (pid $pid) is running"\n'
            b'\t\treturn 0\n'
            b'\tfi\n'
            b'\techo "foo is not running"\n'
            b'\treturn 3\n'
            b'}\n'
            b'. /etc/ha.d/resource.d/functions\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'esac\n',
            ('HB030',),
            id='own status() before sourcing is overwritten: rewired, own lines kept',
        ),
        pytest.param(
            b'. /etc/rc.d/init.d/functions\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tif [ -f /var/run/foo.pid ]; then\n'
            b'\t\techo_success\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            b'. /etc/rc.d/init.d/functions\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tif [ -f /var/run/foo.pid ]; then\n'
            b'\t\techo "running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            ('HB004',),
            id='HB004: echo_success draws [  OK  ]; library status() not called',
        ),
        pytest.param(
            b'. /etc/rc.d/init.d/functions\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "Checking foo..."\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'esac\n',
            b'. /etc/ha.d/resource.d/functions\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "Checking foo..." >&2\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'esac\n',
            ('HB020', 'HB030'),
            id='HB020+HB030: banner before the library status line',
        ),
        pytest.param(
            b'. /etc/rc.d/init.d/functions\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tfooctl status\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'esac\n',
            b'. /etc/ha.d/resource.d/functions\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tfooctl status >&2\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'esac\n',
            ('HB020', 'HB030'),
            id='HB020+HB030: external report before the library status line',
        ),
    ),
)
def test_fix_with_library(tmp_path, src, expected, rules):
    result, libraries = _process(tmp_path, src, LIB)
    assert (result.state, result.patched, _rules(result)) == (PATCHABLE, expected, rules)
    assert result.rewired is ('HB030' in rules)
    assert result.library == str(tmp_path / 'functions')
    library = libraries.results()[str(tmp_path / 'functions')]
    assert (library.state, library.patched) == (PATCHABLE, LIB_PATCHED)


def test_deploy_dir_with_a_space_is_quoted(tmp_path):
    settings = Settings(deploy_dir='/srv/ha dir')
    src = (
        b'. /etc/rc.d/init.d/functions\n'
        b'case "$1" in\n'
        b'status)\n'
        b'\tstatus foo\n'
        b'\t;;\n'
        b'esac\n'
    )
    expected = (
        b". '/srv/ha dir/functions'\n"
        b'case "$1" in\n'
        b'status)\n'
        b'\tstatus foo\n'
        b'\t;;\n'
        b'esac\n'
    )
    result, _ = _process(tmp_path, src, LIB, settings)
    assert (result.state, result.patched, _rules(result)) == (PATCHABLE, expected, ('HB030',))


def test_deploy_dir_trailing_slash(tmp_path):
    src = (
        b'. /etc/rc.d/init.d/functions\n'
        b'case "$1" in\n'
        b'status)\n'
        b'\tstatus foo\n'
        b'\t;;\n'
        b'esac\n'
    )
    result, _ = _process(tmp_path, src, LIB, Settings(deploy_dir='/srv/ha/'))
    assert result.patched == src.replace(b'/etc/rc.d/init.d/functions', b'/srv/ha/functions')


def test_word_ok_patches_the_library(tmp_path):
    src = (
        b'. /etc/rc.d/init.d/functions\n'
        b'case "$1" in\n'
        b'status)\n'
        b'\tstatus foo\n'
        b'\t;;\n'
        b'esac\n'
    )
    result, libraries = _process(tmp_path, src, LIB, Settings(word=b'OK'))
    assert _rules(result) == ('HB030',)
    library = libraries.results()[str(tmp_path / 'functions')]
    assert library.patched == LIB_PATCHED.replace(b'echo "running"', b'echo "OK"')


def test_missing_library_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr('rewrite.families.REDHAT', REDHAT._replace(defaults=()))
    monkeypatch.setitem(BY_LIBRARY, b'functions', REDHAT._replace(defaults=()))
    src = (
        b'. /etc/rc.d/init.d/functions\n'
        b'case "$1" in\n'
        b'status)\n'
        b'\tstatus foo\n'
        b'\t;;\n'
        b'esac\n'
    )
    result, _ = _process(tmp_path, src)
    assert (result.state, result.patched) == ('error', None)
    assert 'not found' in result.reason


# ------------------------------------------------------------------- already compliant


@pytest.mark.parametrize(
    ('src', 'lib'),
    (
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\tif [ -f /var/run/foo.pid ]; then\n'
            b'\t\techo "running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            None,
            id='exactly running / stopped',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\tif [ -f /var/run/foo.pid ]; then\n'
            b'\t\techo running\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo stopped\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            None,
            id='unquoted words',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\tif pidof food >/dev/null; then\n'
            b'\t\techo "running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\tif [ -f /var/run/foo.pid ]; then\n'
            b'\t\techo "foo dead but pid file exists"\n'
            b'\t\texit 1\n'
            b'\tfi\n'
            b'\techo "foo is stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            None,
            id='dead but pid file exists says stopped',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "checking whether foo is running" >&2\n'
            b'\tif [ -f /var/run/foo.pid ]; then\n'
            b'\t\techo "running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "foo is not running, see the log" 1>&2\n'
            b'\techo "stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            None,
            id='output redirected >&2',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\tlsmod | grep -q drbd || echo >&2 "drbd not loaded"\n'
            b'\tif [ -f /var/run/foo.pid ]; then\n'
            b'\t\techo "running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            None,
            id='echo >&2 "drbd not loaded" is not stdout',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\tfooctl ping >/dev/null\n'
            b'\techo "foo is not running" >/dev/null 2>&1\n'
            b'\tif [ $? -eq 0 ]; then\n'
            b'\t\techo "running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            None,
            id='output redirected >/dev/null',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\t{\n'
            b'\t\techo "Checking foo..."\n'
            b'\t\tfooctl ping\n'
            b'\t} >&2\n'
            b'\tif [ $? -eq 0 ]; then\n'
            b'\t\techo "running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            None,
            id='block redirected >&2',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\tPID=$(echo "$PIDS is running" | cut -d" " -f1)\n'
            b'\tif [ -n "$(echo $PID)" ]; then\n'
            b'\t\techo "running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            None,
            id='echo inside $(...) is captured, not printed',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'start)\n'
            b'\techo "Checking foo..."\n'
            b'\techo "foo (pid $pid) is running"\n'
            b'\techo "foo is not running"\n'
            b'\t;;\n'
            b'status)\n'
            b'\techo "running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            None,
            id='status text in the start) arm only',
        ),
        pytest.param(
            b'rh_status() {\n'
            b'\techo "foo (pid $pid) is running"\n'
            b'}\n'
            b'rh_status_q() {\n'
            b'\trh_status >/dev/null 2>&1\n'
            b'}\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tif rh_status_q; then\n'
            b'\t\techo "running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            None,
            id='status_q: rh_status >/dev/null 2>&1',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "foo (pid $(cat /var/run/foo.pid)) is running" >/dev/null\n'
            b'\techo "running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            None,
            id='long line sent to /dev/null',
        ),
        pytest.param(
            b'. /etc/rc.d/init.d/functions\n'
            b'case "$1" in\n'
            b'start)\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'status)\n'
            b'\tif [ -f /var/run/foo.pid ]; then\n'
            b'\t\techo "running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            LIB,
            id='library status() only called from start): not rewired',
        ),
        pytest.param(
            b'. /etc/ha.d/resource.d/functions\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'esac\n',
            LIB_PATCHED,
            id='already sources the patched copy',
        ),
        pytest.param(
            b'. /etc/rc.d/init.d/functions\n'
            b'rh_status() {\n'
            b'\tstatus -p /var/run/foo.pid foo\n'
            b'}\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tif rh_status >/dev/null 2>&1; then\n'
            b'\t\techo "running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            LIB,
            id='status_q through the library: its output never reaches stdout',
        ),
    ),
)
def test_noop(tmp_path, src, lib):
    result, _ = _process(tmp_path, src, lib)
    assert (result.state, result.findings, result.patched) == (COMPLIANT, (), None)
    if lib is None:
        assert _fix(src) == (src, ())


def test_running_trailer_fools_rm(tmp_path):
    src = (
        b'case "$1" in\n'
        b'status)\n'
        b'\techo "running"\n'
        b'\techo "worker 2 is not running"\n'
        b'\texit 0\n'
        b'\t;;\n'
        b'esac\n'
    )
    assert rm_verdict(b'running\nworker 2 is not running\n') == 'stopped'
    result, _ = _process(tmp_path, src)
    assert [f.rule for f in result.findings] == ['HB021']
    assert result.patched == src.replace(b'is not running"', b'is not running" >&2')


# ------------------------------------------------------------------- a second run


@pytest.mark.parametrize(
    ('src', 'lib'),
    (
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\tif [ -f /p ]; then\n'
            b'\t\techo $"${base} (pid $pid) is running..."\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "foo: not running (check OK file)"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            None,
            id='HB001+HB002+HB010',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "Checking foo..."\n'
            b'\tif [ -f /p ]; then\n'
            b'\t\techo "knotd is running"\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\tprintf $"%s is not running\\n" "$NAME"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            None,
            id='HB020+HB003+HB010 printf',
        ),
        pytest.param(
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "running"\n'
            b'\tfooctl status\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac\n',
            None,
            id='HB021',
        ),
        pytest.param(
            b'INITD=/etc/rc.d/init.d\n'
            b'. $INITD/functions\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "Checking foo..."\n'
            b'\tstatus foo\n'
            b'\t;;\n'
            b'esac\n',
            LIB,
            id='HB030+HB020: patched script and patched library',
        ),
        pytest.param(
            b'. /etc/rc.d/init.d/functions\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\tif [ -f /var/run/foo.pid ]; then\n'
            b'\t\techo_success\n'
            b'\t\texit 0\n'
            b'\tfi\n'
            b'\techo "stopped"\n'
            b'\texit 3\n'
            b'\t;;\n'
            b'esac\n',
            LIB,
            id='HB004',
        ),
        pytest.param(
            b'# svc, no #! line (one ending in CR is refused: HB051)\r\n'
            b'# caf\xe9\r\n'
            b'. /etc/rc.d/init.d/functions\r\n'
            b'case "$1" in\r\n'
            b'status)\r\n'
            b'\tstatus foo\r\n'
            b'\t;;\r\n'
            b'esac',
            LIB,
            id='CRLF, Latin-1, no final newline',
        ),
    ),
)
def test_second_run_changes_nothing(tmp_path, src, lib):
    first, libraries = _process(tmp_path / 'first', src, lib)
    assert first.state == PATCHABLE
    patched_lib = None
    if lib is not None:
        library = libraries.results()[str(tmp_path / 'first' / 'functions')]
        patched_lib = library.patched if library.patched is not None else lib
    again, again_libraries = _process(tmp_path / 'again', first.patched, patched_lib)
    assert (again.state, [e for f in again.findings for e in f.edits]) == (COMPLIANT, [])
    assert again.patched is None
    if lib is not None:
        library = again_libraries.results()[str(tmp_path / 'again' / 'functions')]
        assert (library.state, library.patched) == (COMPLIANT, None)


@pytest.mark.parametrize(
    'src',
    (
        pytest.param(
            b'# svc, no #! line (one ending in CR is refused: HB051)\r\n'
            b'# caf\xe9 \xff\r\n'
            b'case "$1" in\r\n'
            b'status)\r\n'
            b'\techo "foo (pid $pid) is running"\r\n'
            b'\texit 0\r\n'
            b'\t;;\r\n'
            b'esac\r\n',
            id='CRLF and Latin-1',
        ),
        pytest.param(
            b'#!/bin/sh\n'
            b'# \xe9\xe8\xf6\xfc\n'
            b'case "$1" in\n'
            b'status)\n'
            b'\techo "foo (pid $pid) is running"\n'
            b'\texit 0\n'
            b'\t;;\n'
            b'esac',
            id='Latin-1, no final newline',
        ),
    ),
)
def test_every_other_byte_kept(tmp_path, src):
    """Contract rule 4: only the edited span differs; prefix and suffix are the original bytes."""
    result, _ = _process(tmp_path, src)
    old = b'echo "foo (pid $pid) is running"'
    assert result.state == PATCHABLE
    start = src.index(old)
    assert result.patched == src[:start] + b'echo "running"' + src[start + len(old):]
    assert result.diff  # a diff is produced for bytes that are not UTF-8


@pytest.mark.parametrize(("src", "where"), (
    (b'MSG="not running"\ncase "$1" in\nstatus)\n\techo "$MSG"\n\texit 3\n\t;;\nesac\n',
     "the word comes from a variable"),
    (b'case "$1" in\nstatus)\n\tcat <<EOF\nsvc: not running\nEOF\n\texit 3\n\t;;\nesac\n',
     "a here-document prints it"),
))
def test_a_stopped_word_no_edit_can_reach_says_where_it_comes_from(tmp_path, src, where):
    result, _ = _process(tmp_path, src)
    assert [f.message.rsplit(": ", 1)[-1] for f in result.findings if f.rule == "HB010"] == [where]


def test_a_script_whose_hash_bang_line_ends_in_cr_is_refused(tmp_path):
    """A CRLF script cannot run (the kernel looks for `/bin/sh\\r`): no copy, patched or wrapped."""
    result, _ = _process(tmp_path, b"#!/bin/sh\r\ncase \"$1\" in\r\nstatus) echo running ;;\r\nesac\r\n")
    assert (result.state, _rules(result), result.patched) == (UNPARSEABLE, ("HB051",), None)
    assert "convert it with dos2unix, then patch it" in result.reason


@pytest.mark.parametrize(("stopped", "rules", "parses"), (
    pytest.param(b'echo "x is not running"; exit 3', ["HB010"], 1, id="a reworded message: settled, one parse"),
    pytest.param(b'echo "x is stopped"; exit 0', ["HB060"], 2, id="an exit code: planned again on the patched bytes"),
))
def test_a_plan_of_settled_edits_is_not_planned_again(tmp_path, stopped, rules, parses):
    src = (b'#!/bin/sh\ncase "$1" in\n  status)\n    if [ -f /var/run/x.pid ]; then echo "running"; exit 0; fi\n'
           b'    ' + stopped + b' ;;\nesac\n')
    with mock.patch.object(pipeline, "parse", wraps=pipeline.parse) as parse:
        result, _ = _process(tmp_path, src)
    assert sorted(f.rule for f in result.findings) == rules
    assert parse.call_count == parses
