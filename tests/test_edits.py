"""`splice`: byte edits on the original; every byte outside the edited spans stays identical.

Contract rule exercised: 4 (nothing else in the script changes).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from rewrite.edits import Edit
from rewrite.edits import OverlapError
from rewrite.edits import normalize
from rewrite.edits import splice

CORPUS = Path(__file__).resolve().parent.parent / 'corpus' / 'input'


def _corpus_files():
    for path in sorted(CORPUS.glob('*/*')):
        yield pytest.param(path, id=str(path.relative_to(CORPUS)))


@pytest.mark.parametrize(
    's',
    (
        pytest.param(b'', id='empty'),
        b'echo running\n',
        pytest.param(b'echo running', id='no final newline'),
        pytest.param(b'echo running\r\nexit 0\r\n', id='CRLF'),
        pytest.param(b'# caf\xe9\nexit 0\n', id='Latin-1'),
        pytest.param(b'a\x00b\n', id='NUL byte'),
    ),
)
def test_splice_no_edits_noop(s):
    assert splice(s, []) == s
    assert splice(s, ()) == s


@pytest.mark.parametrize('path', list(_corpus_files()))
def test_splice_no_edits_corpus_round_trip(path):
    data = path.read_bytes()
    assert splice(data, []) == data


SRC = b'echo "foo is not running"\nexit 3\n'


@pytest.mark.parametrize(
    ('s', 'edits', 'expected'),
    (
        pytest.param(
            SRC,
            [Edit(10, 24, b'is stopped', 'HB010')],
            b'echo "foo is stopped"\n'
            b'exit 3\n',
            id='one replacement',
        ),
        pytest.param(
            SRC,
            [Edit(6, 9, b'bar', 'X'), Edit(10, 24, b'is stopped', 'HB010')],
            b'echo "bar is stopped"\n'
            b'exit 3\n',
            id='two edits, in order',
        ),
        pytest.param(
            SRC,
            [Edit(10, 24, b'is stopped', 'HB010'), Edit(6, 9, b'bar', 'X')],
            b'echo "bar is stopped"\n'
            b'exit 3\n',
            id='two edits, reversed: applied regardless of order',
        ),
        pytest.param(
            SRC,
            [Edit(31, 32, b'0', 'X'), Edit(0, 4, b'printf', 'Y'), Edit(10, 24, b'is stopped', 'Z')],
            b'printf "foo is stopped"\n'
            b'exit 0\n',
            id='three edits, shuffled',
        ),
        pytest.param(
            SRC,
            [Edit(10, 24, b'is stopped', 'HB010'), Edit(10, 24, b'is stopped', 'HB010')],
            b'echo "foo is stopped"\n'
            b'exit 3\n',
            id='exact duplicates merged',
        ),
        pytest.param(
            SRC,
            [Edit(10, 24, b'is stopped', 'HB010'), Edit(10, 24, b'is stopped', 'HB003')],
            b'echo "foo is stopped"\n'
            b'exit 3\n',
            id='same change found by two rules merged',
        ),
        pytest.param(
            SRC,
            [Edit(25, 25, b' >&2', 'HB020'), Edit(25, 25, b' >&2', 'HB021')],
            b'echo "foo is not running" >&2\n'
            b'exit 3\n',
            id='same insertion by two rules merged',
        ),
        pytest.param(
            SRC,
            [Edit(6, 9, b'', 'X')],
            b'echo " is not running"\n'
            b'exit 3\n',
            id='deletion',
        ),
        pytest.param(
            SRC,
            [Edit(0, 0, b'#!/bin/sh\n', 'X')],
            b'#!/bin/sh\n'
            b'echo "foo is not running"\n'
            b'exit 3\n',
            id='insertion at start',
        ),
        pytest.param(
            SRC,
            [Edit(len(SRC), len(SRC), b'# end\n', 'X')],
            b'echo "foo is not running"\n'
            b'exit 3\n'
            b'# end\n',
            id='insertion at end',
        ),
        pytest.param(
            SRC,
            [Edit(0, len(SRC), b'exit 0\n', 'X')],
            b'exit 0\n',
            id='replace everything',
        ),
        pytest.param(
            SRC,
            [Edit(0, 25, b'echo "running"', 'HB001'), Edit(25, 25, b' >&2', 'HB020')],
            b'echo "running" >&2\n'
            b'exit 3\n',
            id='insertion right after a replaced span',
        ),
        pytest.param(
            SRC,
            [Edit(6, 9, b'bar', 'X'), Edit(6, 6, b'[', 'Y')],
            b'echo "[bar is not running"\n'
            b'exit 3\n',
            id='insertion right before a replaced span',
        ),
        pytest.param(
            SRC,
            [Edit(6, 9, b'bar', 'X'), Edit(9, 10, b'_', 'Y')],
            b'echo "bar_is not running"\n'
            b'exit 3\n',
            id='adjacent spans do not overlap',
        ),
        pytest.param(
            b'# caf\xe9\r\n'
            b'echo "foo is not running"\r\n'
            b'exit 3\r\n',
            [Edit(18, 32, b'is stopped', 'HB010')],
            b'# caf\xe9\r\n'
            b'echo "foo is stopped"\r\n'
            b'exit 3\r\n',
            id='Latin-1 and CRLF bytes kept',
        ),
        pytest.param(
            b'echo "caf\xe9 is not running"',
            [Edit(6, 10, b'th\xe9', 'X')],
            b'echo "th\xe9 is not running"',
            id='Latin-1 replacement, no final newline',
        ),
        pytest.param(
            b'echo "\xff\xfe"\r\n',
            [Edit(0, 4, b'printf', 'X')],
            b'printf "\xff\xfe"\r\n',
            id='bytes invalid in UTF-8 kept',
        ),
    ),
)
def test_splice(s, edits, expected):
    assert splice(s, edits) == expected


@pytest.mark.parametrize(
    'edits',
    (
        pytest.param([Edit(6, 12, b'a', 'X'), Edit(9, 15, b'b', 'Y')], id='partial overlap'),
        pytest.param([Edit(9, 15, b'b', 'Y'), Edit(6, 12, b'a', 'X')], id='partial overlap, reversed'),
        pytest.param([Edit(6, 20, b'a', 'X'), Edit(9, 12, b'b', 'Y')], id='one span inside another'),
        pytest.param([Edit(6, 12, b'a', 'X'), Edit(6, 12, b'b', 'Y')],
                     id='same span, different replacements'),
        pytest.param([Edit(6, 12, b'a', 'X'), Edit(9, 9, b'b', 'Y')], id='insertion inside a replaced span'),
    ),
)
def test_splice_overlap_raises(edits):
    with pytest.raises(OverlapError):
        splice(SRC, edits)


@pytest.mark.parametrize(('edits', 'at'), (
    pytest.param([Edit(9, 9, b'b', 'Y'), Edit(9, 9, b'a', 'X')], 9, id='two insertions at one point'),
    pytest.param([Edit(0, 0, b'b', 'Y'), Edit(0, 0, b'a', 'X')], 0, id='two insertions at start'),
    pytest.param([Edit(len(SRC), len(SRC), b'b', 'Y'), Edit(len(SRC), len(SRC), b'a', 'X')], len(SRC),
                 id='two insertions at end'),
))
def test_insertions_at_one_point_join_in_rule_order(edits, at):
    assert splice(SRC, edits) == SRC[:at] + b'ab' + SRC[at:]


def test_overlap_error_is_a_value_error():
    with pytest.raises(ValueError):
        splice(SRC, [Edit(0, 5, b'a', 'X'), Edit(1, 2, b'b', 'Y')])


def test_overlap_error_names_both_rules():
    with pytest.raises(OverlapError) as excinfo:
        splice(SRC, [Edit(6, 12, b'a', 'HB001'), Edit(9, 15, b'b', 'HB010')])
    assert 'HB001' in str(excinfo.value)
    assert 'HB010' in str(excinfo.value)


def test_normalize_sorts_and_merges():
    edits = [Edit(10, 24, b'is stopped', 'HB010'), Edit(0, 4, b'printf', 'X'), Edit(10, 24, b'is stopped', 'Y')]
    assert [(e.start, e.end, e.new) for e in normalize(edits)] == [(0, 4, b'printf'), (10, 24, b'is stopped')]


def test_splice_accepts_a_generator():
    assert splice(SRC, (e for e in [Edit(31, 32, b'0', 'X')])) == b'echo "foo is not running"\nexit 0\n'
