"""The consumers of CONTRACT.md as code: each case names the contract rule it exercises.

Rules: `rm` (ResourceManager: all of stdout, `*[Nn][Oo][Tt]\\ *[Rr]unning*` first, then
`*[Rr]unning*` or `*OK*`), `lrmd` (first line inside a 79-byte window, lowercased `*stopped*` or
`*not*running*` first, then lowercased `*running*` or case-sensitive `*OK*`), `lsb` (exit code),
rule 2 (a stopped path prints neither `running` in any case nor `OK`).
"""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewrite.contract import LRMD_WINDOW
from rewrite.contract import RUNNING
from rewrite.contract import STOPPED
from rewrite.contract import UNKNOWN
from rewrite.contract import Verdicts
from rewrite.contract import judge
from rewrite.contract import lrmd_buffer
from rewrite.contract import lrmd_verdict
from rewrite.contract import lsb_verdict
from rewrite.contract import rm_verdict
from rewrite.contract import says_running
from rewrite.contract import text_outcome

# Red Hat's status() with ten httpd children: `running` ends past byte 79.
HTTPD_LONG = b'httpd (pid 30180 30179 30178 30177 30176 30175 30174 30173 30172 30171) is running...\n'
# The same line with three children: `running` ends well inside the window.
HTTPD_SHORT = b'httpd (pid 3018 3017 3016) is running...\n'


def test_httpd_long_line_puts_running_past_the_window():
    assert HTTPD_LONG.index(b'running') < LRMD_WINDOW < HTTPD_LONG.index(b'running') + len(b'running')


@pytest.mark.parametrize(
    ('stdout', 'expected'),
    (
        pytest.param(b'running\n', RUNNING, id='rm running: [Rr]unning'),
        pytest.param(b'Running\n', RUNNING, id='rm running: [Rr]unning, capital R'),
        pytest.param(b'RUNNING\n', STOPPED, id='rm stopped: [Rr]unning needs lowercase unning'),
        pytest.param(b'rUNNING\n', STOPPED, id='rm stopped: only the R is case-blind'),
        pytest.param(b'OK\n', RUNNING, id='rm running: *OK*'),
        pytest.param(b'[  OK  ]\n', RUNNING, id='rm running: *OK* in echo_success marker'),
        pytest.param(b'ok\n', STOPPED, id='rm stopped: *OK* is case-sensitive'),
        pytest.param(b'Ok\n', STOPPED, id='rm stopped: *OK* is case-sensitive, Ok'),
        pytest.param(b'stopped\n', STOPPED, id='rm stopped: matches neither pattern'),
        pytest.param(b'', STOPPED, id='rm stopped: empty output'),
        pytest.param(b'\n', STOPPED, id='rm stopped: blank line'),
        pytest.param(b'foo is not running\n', STOPPED, id='rm stopped: not-running checked first'),
        pytest.param(b'foo is NOT Running\n', STOPPED, id='rm stopped: [Nn][Oo][Tt] and [Rr]unning'),
        pytest.param(b'not running, OK\n', STOPPED, id='rm stopped: not-running checked before OK'),
        pytest.param(b'not\nrunning\n', RUNNING,
                     id='rm running: [Nn][Oo][Tt] needs a space right after it'),
        pytest.param(b'not \nrunning\n', STOPPED, id='rm stopped: the glob star spans lines'),
        pytest.param(b'knotd (pid 12) is running\n', RUNNING,
                     id='rm running: knotd has no space after not'),
        pytest.param(b'notrunning\n', RUNNING, id='rm running: no space after not'),
        pytest.param(b'cannot say; running\n', STOPPED,
                     id='rm stopped: any not-space before running, even inside a word'),
        pytest.param(HTTPD_LONG, RUNNING, id='rm running: reads all of stdout, no window'),
        pytest.param(b'banner\nrunning\n', RUNNING, id='rm running: reads every line'),
        pytest.param(b'a' * 200 + b' running\n', RUNNING, id='rm running: no length limit'),
        pytest.param(b'RUNNING OK\n', RUNNING, id='rm running: OK saves an uppercase line'),
    ),
)
def test_rm_verdict(stdout, expected):
    assert rm_verdict(stdout) == expected


@pytest.mark.parametrize(
    ('stdout', 'expected'),
    (
        pytest.param(b'running\n', RUNNING, id='lrmd running: *running*'),
        pytest.param(b'Running\n', RUNNING, id='lrmd running: running is case-blind'),
        pytest.param(b'RUNNING\n', RUNNING, id='lrmd running: running is case-blind, upper'),
        pytest.param(b'[  OK  ]\n', RUNNING, id='lrmd running: *OK* in echo_success marker'),
        pytest.param(b'OK\n', RUNNING, id='lrmd running: *OK*'),
        pytest.param(b'ok\n', STOPPED, id='lrmd stopped: *OK* is case-sensitive'),
        pytest.param(b'stopped\n', STOPPED, id='lrmd stopped: *stopped*'),
        pytest.param(b'STOPPED but running\n', STOPPED, id='lrmd stopped: *stopped* checked first'),
        pytest.param(b'stopped OK\n', STOPPED, id='lrmd stopped: *stopped* checked before OK'),
        pytest.param(b'foo is not running\n', STOPPED, id='lrmd stopped: *not*running* checked first'),
        pytest.param(b'knotd (pid 12) is running\n', STOPPED,
                     id='lrmd stopped: *not*running* matches knotd'),
        pytest.param(b'notrunning\n', STOPPED, id='lrmd stopped: *not*running* needs no space'),
        pytest.param(b'NOT RUNNING\n', STOPPED, id='lrmd stopped: *not*running* lowercased'),
        pytest.param(b'', STOPPED, id='lrmd stopped: empty output'),
        pytest.param(b'\n', STOPPED, id='lrmd stopped: blank first line'),
        pytest.param(b'foo is up\n', STOPPED, id='lrmd stopped: matches nothing'),
        pytest.param(b'banner\nrunning\n', STOPPED, id='lrmd stopped: first line only'),
        pytest.param(b'\nrunning\n', STOPPED, id='lrmd stopped: blank line before the status'),
        pytest.param(b'running\nnot running\n', RUNNING, id='lrmd running: second line unseen'),
        pytest.param(b'stopped\nOK\n', STOPPED, id='lrmd stopped: OK on the second line unseen'),
        pytest.param(HTTPD_SHORT, RUNNING, id='lrmd running: short pid list inside 79 bytes'),
        pytest.param(HTTPD_LONG, STOPPED, id='lrmd stopped: running past byte 79 is cut off'),
        pytest.param(b'x' * 72 + b'running\n', RUNNING, id='lrmd running: running ends at byte 79'),
        pytest.param(b'x' * 73 + b'running\n', STOPPED, id='lrmd stopped: running ends at byte 80'),
        pytest.param(b'x' * 75 + b' running', STOPPED,
                     id='lrmd stopped: no newline within 79 bytes, judged on 79'),
        pytest.param(b'x' * 77 + b'OK', RUNNING, id='lrmd running: OK ends at byte 79, no newline'),
        pytest.param(b'x' * 78 + b'OK', STOPPED, id='lrmd stopped: OK ends at byte 80, no newline'),
        pytest.param(b'x' * 100 + b'\nrunning\n', STOPPED,
                     id='lrmd stopped: no newline within 79 bytes, later lines unseen'),
    ),
)
def test_lrmd_verdict(stdout, expected):
    assert lrmd_verdict(stdout) == expected


@pytest.mark.parametrize(
    ('stdout', 'expected'),
    (
        pytest.param(HTTPD_LONG, RUNNING, id='lrmd window=None: the whole first line'),
        pytest.param(b'banner\nrunning\n', STOPPED, id='lrmd window=None: still the first line only'),
        pytest.param(b'knotd is running\n', STOPPED, id='lrmd window=None: not-running still first'),
    ),
)
def test_lrmd_verdict_without_window(stdout, expected):
    assert lrmd_verdict(stdout, window=None) == expected


@pytest.mark.parametrize(
    ('stdout', 'expected'),
    (
        pytest.param(b'running\nmore\n', b'running', id='lrmd: cut at the first newline'),
        pytest.param(b'x' * 100, b'x' * 79, id='lrmd: 79 bytes + NUL, no newline'),
        pytest.param(b'x' * 78 + b'\n', b'x' * 78, id='lrmd: newline at byte 79'),
        pytest.param(b'', b'', id='lrmd: empty'),
    ),
)
def test_lrmd_buffer(stdout, expected):
    assert lrmd_buffer(stdout) == expected


@pytest.mark.parametrize(
    ('code', 'expected'),
    (
        pytest.param(0, RUNNING, id='lsb 0: running'),
        pytest.param(1, STOPPED, id='lsb 1: dead, pid file exists'),
        pytest.param(2, STOPPED, id='lsb 2: dead, lock file exists'),
        pytest.param(3, STOPPED, id='lsb 3: not running'),
        pytest.param(4, UNKNOWN, id='lsb 4: unknown'),
        pytest.param(None, UNKNOWN, id='lsb None: code not known at scan time'),
        pytest.param(127, UNKNOWN, id='lsb other: not an LSB status code'),
    ),
)
def test_lsb_verdict(code, expected):
    assert lsb_verdict(code) == expected


@pytest.mark.parametrize(
    ('stdout', 'code', 'expected'),
    (
        pytest.param(b'running\n', 0, Verdicts(RUNNING, RUNNING, RUNNING), id='rule 1: the bare word'),
        pytest.param(b'OK\n', 0, Verdicts(RUNNING, RUNNING, RUNNING), id='rule 1: the word OK'),
        pytest.param(b'stopped\n', 3, Verdicts(STOPPED, STOPPED, STOPPED), id='rule 2: stopped, 3'),
        pytest.param(b'foo dead but pid file exists\n', 1, Verdicts(STOPPED, STOPPED, STOPPED),
                     id='rule 2: dead but pid file exists, 1'),
        pytest.param(HTTPD_LONG, 0, Verdicts(RUNNING, STOPPED, RUNNING),
                     id='lrmd window: httpd pid list cuts running off'),
        pytest.param(b'knotd (pid 12) is running\n', 0, Verdicts(RUNNING, STOPPED, RUNNING),
                     id='lrmd *not*running*: knotd'),
        pytest.param(b'RUNNING\n', 0, Verdicts(STOPPED, RUNNING, RUNNING),
                     id='rm [Rr]unning: uppercase is stopped for rm only'),
        pytest.param(b'Checking foo...\nrunning\n', 0, Verdicts(RUNNING, STOPPED, RUNNING),
                     id='lrmd first line: banner before the status line'),
        pytest.param(b'foo is not running\n', 3, Verdicts(STOPPED, STOPPED, STOPPED),
                     id='not running: stopped everywhere'),
        pytest.param(b'sslproxy: not running (check OK file)\n', 3, Verdicts(STOPPED, STOPPED, STOPPED),
                     id='not-running checked before OK by rm and lrmd'),
        pytest.param(b'', 3, Verdicts(STOPPED, STOPPED, STOPPED), id='empty output: stopped'),
        pytest.param(b'', 0, Verdicts(STOPPED, STOPPED, RUNNING), id='empty output: only lsb says running'),
        pytest.param(b'foo status unknown due to insufficient privileges.\n', 4,
                     Verdicts(STOPPED, STOPPED, UNKNOWN), id='lsb 4: unknown, text matches nothing'),
    ),
)
def test_judge(stdout, code, expected):
    assert judge(stdout, code) == expected


@pytest.mark.parametrize(
    ('text', 'expected'),
    (
        pytest.param(b'running', True, id='rule 2: running'),
        pytest.param(b'Running', True, id='rule 2: running in any case, Running'),
        pytest.param(b'RUNNING', True, id='rule 2: running in any case, RUNNING'),
        pytest.param(b'foo is not running', True, id='rule 2: not running still says running'),
        pytest.param(b'OK', True, id='rule 2: OK'),
        pytest.param(b'[  OK  ]', True, id='rule 2: the echo_success marker'),
        pytest.param(b'BROKEN', True, id='rule 2: OK inside a word matches *OK*'),
        pytest.param(b'ok', False, id='rule 2: only upper-case OK'),
        pytest.param(b'foo is stopped', False, id='rule 2: stopped'),
        pytest.param(b'foo dead but pid file exists', False, id='rule 2: dead but pid file exists'),
        pytest.param(b'', False, id='rule 2: nothing'),
    ),
)
def test_says_running(text, expected):
    assert says_running(text) is expected


@pytest.mark.parametrize(
    ('text', 'expected'),
    (
        pytest.param(b'httpd (pid 3018) is running...', RUNNING, id='is running'),
        pytest.param(b'running', RUNNING, id='the bare word'),
        pytest.param(b'[  OK  ]', RUNNING, id='OK marker'),
        pytest.param(b'foo is alive', RUNNING, id='alive'),
        pytest.param(b'knotd (pid 12) is running', RUNNING,
                     id='knotd: not inside a word does not negate (human reading, not lrmd)'),
        pytest.param(b'foo is not running', STOPPED, id='is not running'),
        pytest.param(b"foo isn't running", STOPPED, id="isn't running"),
        pytest.param(b'sslproxy: not running (check OK file)', STOPPED, id='not running checked before OK'),
        pytest.param(b'foo is stopped', STOPPED, id='is stopped'),
        pytest.param(b'foo dead but pid file exists', STOPPED, id='dead but pid file exists'),
        pytest.param(b'foo dead but subsys locked', STOPPED, id='dead but subsys locked'),
        pytest.param(b'[FAILED]', STOPPED, id='FAILED marker'),
        pytest.param(b'foo: unused', STOPPED, id='SUSE unused'),
        pytest.param(b'foo status unknown due to insufficient privileges.', UNKNOWN, id='lsb 4 message'),
        pytest.param(b'Checking foo...', UNKNOWN, id='banner'),
        pytest.param(b'', UNKNOWN, id='nothing'),
    ),
)
def test_text_outcome(text, expected):
    assert text_outcome(text) == expected


# The globs as regular expressions, as the consumers state them: `.*` retries every end of the text
# after each `not`, which made a text of many `not`s quadratic. The verdicts must be theirs.
_RM_GLOB = re.compile(rb"[Nn][Oo][Tt] .*[Rr]unning", re.DOTALL)
_LRMD_GLOB = re.compile(rb"stopped|not.*running", re.DOTALL)
_STOPPED_TEXT = re.compile(
    rb"\b(not|isn't|is\s+not|never)\b.*\b(running|ok)\b|\b(stopped|dead|unused|inactive|down|failed|failure)\b",
    re.IGNORECASE | re.DOTALL)
_RUNNING_TEXT = re.compile(rb"\b(running|alive|active|up)\b|\bOK\b", re.IGNORECASE)
TOKENS = [b"not", b"Not", b"NOT", b"no", b"is", b"isn't", b"never", b"running", b"Running", b"RUNNING", b"ok", b"OK",
          b"stopped", b"dead", b"up", b"x", b" ", b"  ", b"\t", b"\n", b"-", b"'"]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(TOKENS), max_size=14).map(b"".join))
def test_verdicts_are_the_globs(text: bytes) -> None:
    rm = STOPPED if _RM_GLOB.search(text) else RUNNING if re.search(rb"[Rr]unning|OK", text) else STOPPED
    line = text.split(b"\n", 1)[0]
    lrmd = STOPPED if _LRMD_GLOB.search(line.lower()) else RUNNING if b"running" in line.lower() or b"OK" in line \
        else STOPPED
    human = STOPPED if _STOPPED_TEXT.search(text) else RUNNING if _RUNNING_TEXT.search(text) else UNKNOWN
    assert (rm_verdict(text), lrmd_verdict(text, None), text_outcome(text)) == (rm, lrmd, human)
