from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewrite.diffs import Change
from rewrite.diffs import DiffError
from rewrite.diffs import _blocks
from rewrite.diffs import apply_diff
from rewrite.diffs import check_diff
from rewrite.diffs import split_lines
from rewrite.diffs import unified_diff

NAME = "init.d/httpd"
# git must not see the repository of a hook that may be running these tests
GIT_ENV = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
GIT_ENV["GIT_CONFIG_NOSYSTEM"] = "1"
LONG = b"".join(b"line %d\n" % i for i in range(1, 41))


def change(data: bytes, *numbers: int) -> bytes:
    """DATA with each 1-based line in NUMBERS upper-cased."""
    lines = split_lines(data)
    for n in numbers:
        lines[n - 1] = lines[n - 1].upper()
    return b"".join(lines)


# (old, new, number of hunks)
CASES = (
    pytest.param(LONG, change(LONG, 20), 1, id="one change mid long file"),
    pytest.param(LONG, change(LONG, 10, 18), 2, id="changes 7 apart: two hunks"),
    pytest.param(LONG, change(LONG, 10, 17), 1, id="changes 6 apart: merged"),
    pytest.param(LONG, change(LONG, 1, 40), 2, id="first and last line"),
    pytest.param(b"a\nb\n", b"#!/bin/sh\na\nb\n", 1, id="insert at start"),
    pytest.param(b"a\nb\n", b"a\nb\nexit 0\n", 1, id="insert at end"),
    pytest.param(LONG, LONG[:20] + b"new\n" + LONG[20:], 1, id="insert in the middle"),
    pytest.param(b"a\nb\nc\n", b"", 1, id="delete everything"),
    pytest.param(b"a\nb\nc", b"", 1, id="delete everything, no final newline"),
    pytest.param(b"", b"a\nb\n", 1, id="empty old"),
    pytest.param(b"", b"a", 1, id="empty old, new without final newline"),
    pytest.param(b"a\nb\nc", b"a\nB\nc", 1, id="no final newline on both"),
    pytest.param(LONG + b"end", change(LONG, 2) + b"end", 1, id="no final newline, unchanged"),
    pytest.param(b"a\nb\nc", b"a\nb\nc\n", 1, id="no final newline on old"),
    pytest.param(b"a\nb\nc\n", b"a\nb\nc", 1, id="no final newline on new"),
    pytest.param(b"a\nb\nc", b"a\nb\nd\n", 1, id="last line changed, newline added"),
    pytest.param(b"a\r\nb\r\nc\r\n", b"a\r\nB\r\nc\r\n", 1, id="CRLF"),
    pytest.param(b"a\r\nb\r\n", b"a\r\nb\n", 1, id="CRLF to LF"),
    pytest.param(b"a\r\nb\r", b"a\r\nc\r", 1, id="CR without final newline"),
    pytest.param(b"a\rb\n", b"a\rc\n", 1, id="lone CR is not a line break"),
    pytest.param(b"x\x0by\x0cz\x1cw\x85v\n", b"x\x0by\x0cz\x1cw\x85V\n", 1,
                 id="no splitlines breaks"),
    pytest.param(b"echo caf\xe9\n\xff\n", b"echo 'caf\xe9s'\n\xff\n", 1, id="Latin-1"),
    pytest.param(b"a\n\x00b\nc\n", b"a\n\x00B\nc\n", 1, id="NUL byte"),
    pytest.param(b"a\x00\nb\n", b"a\x00\nB\n", 1, id="NUL in context"),
    pytest.param(b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n", b"--- a/y\n+++ b/x\n@@ -1 +1 @@\n", 1,
                 id="lines that look like diff headers"),
    pytest.param(b"\\ No newline at end of file\n", b"\\ no\n", 1,
                 id="line that looks like the marker"),
)


def run_tool(cmd: list[str], tmp_path: Path, old: bytes, diff: bytes) -> bytes:
    target = tmp_path / NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(old)
    proc = subprocess.run(cmd, cwd=tmp_path, input=diff, capture_output=True, env=GIT_ENV)
    assert proc.returncode == 0, proc.stderr
    return target.read_bytes()


@pytest.mark.parametrize(("old", "new", "hunks"), CASES)
def test_gnu_patch_reproduces_new(tmp_path: Path, old: bytes, new: bytes, hunks: int) -> None:
    diff = unified_diff(old, new, NAME, NAME)
    assert diff.count(b"\n@@ -") == hunks
    assert run_tool(["patch", "--quiet", "-p1"], tmp_path, old, diff) == new


@pytest.mark.parametrize(("old", "new", "hunks"), CASES)
def test_git_apply_reproduces_new(tmp_path: Path, old: bytes, new: bytes, hunks: int) -> None:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True, env=GIT_ENV)
    diff = unified_diff(old, new, NAME, NAME)
    cmd = ["git", "-c", "core.autocrlf=false", "apply", "--whitespace=nowarn"]
    assert run_tool(cmd, tmp_path, old, diff) == new


@pytest.mark.parametrize(("old", "new", "hunks"), CASES)
def test_check_and_apply_diff(old: bytes, new: bytes, hunks: int) -> None:
    diff = unified_diff(old, new, NAME, NAME)
    check_diff(diff)
    assert apply_diff(old, diff) == new


@pytest.mark.parametrize(("old", "new", "hunks"), CASES)
def test_apply_diff_with_every_context(old: bytes, new: bytes, hunks: int) -> None:
    for context in (0, 1, 2, 5):
        assert apply_diff(old, unified_diff(old, new, NAME, NAME, context)) == new


def test_identical_inputs_give_empty_diff() -> None:
    assert unified_diff(LONG, LONG, NAME, NAME) == b""
    assert unified_diff(b"", b"", NAME, NAME) == b""
    assert apply_diff(LONG, b"") == LONG


def test_random_round_trips() -> None:
    rng = random.Random(20240601)
    pieces = (b"a\n", b"b\n", b"c\r\n", b"\n", b"\xe9\n", b"x")
    for _ in range(500):
        old = b"".join(rng.choices(pieces, k=rng.randint(0, 25)))
        new = b"".join(rng.choices(pieces, k=rng.randint(0, 25)))
        for context in (0, 3):
            assert apply_diff(old, unified_diff(old, new, "f", "f", context)) == new


@pytest.mark.parametrize(("data", "lines"), (
    (b"", []),
    (b"a", [b"a"]),
    (b"a\n", [b"a\n"]),
    (b"\n\n", [b"\n", b"\n"]),
    (b"a\r\nb\rc\x0cd\x1ce\x85f", [b"a\r\n", b"b\rc\x0cd\x1ce\x85f"]),
))
def test_split_lines(data: bytes, lines: list[bytes]) -> None:
    assert split_lines(data) == lines


# -- golden: the exact bytes, hand-written and equal to GNU diffutils' `diff -u` output ----

GOLDEN_OLD = b'#!/bin/sh\ncase "$1" in\nstatus)\n\techo "$prog is running..."\n\t;;\nesac'
GOLDEN_NEW = b'#!/bin/sh\ncase "$1" in\nstatus)\n\techo "running"\n\t;;\nesac\n'
GOLDEN = (
    pytest.param(3, (
        b"--- a/init.d/httpd\n"
        b"+++ b/init.d/httpd\n"
        b"@@ -1,6 +1,6 @@\n"
        b" #!/bin/sh\n"
        b' case "$1" in\n'
        b" status)\n"
        b'-\techo "$prog is running..."\n'
        b'+\techo "running"\n'
        b" \t;;\n"
        b"-esac\n"
        b"\\ No newline at end of file\n"
        b"+esac\n"
    ), id="context 3"),
    pytest.param(0, (
        b"--- a/init.d/httpd\n"
        b"+++ b/init.d/httpd\n"
        b"@@ -4 +4 @@\n"
        b'-\techo "$prog is running..."\n'
        b'+\techo "running"\n'
        b"@@ -6 +6 @@\n"
        b"-esac\n"
        b"\\ No newline at end of file\n"
        b"+esac\n"
    ), id="context 0"),
)


@pytest.mark.parametrize(("context", "expected"), GOLDEN)
def test_golden(context: int, expected: bytes) -> None:
    assert unified_diff(GOLDEN_OLD, GOLDEN_NEW, NAME, NAME, context) == expected


def gnu_diff(tmp_path: Path, old: bytes, new: bytes, context: int) -> bytes:
    """`diff -U` output from its first @@ (its headers carry timestamps)."""
    if shutil.which("diff") is None:  # pragma: no cover - diffutils is installed in CI
        pytest.skip("GNU diff not installed")
    (tmp_path / "old").write_bytes(old)
    (tmp_path / "new").write_bytes(new)
    out = subprocess.run(["diff", f"-U{context}", "old", "new"], cwd=tmp_path,
                         capture_output=True, check=False).stdout
    return out[out.index(b"@@"):]


@pytest.mark.parametrize(("context", "expected"), GOLDEN)
def test_golden_matches_gnu_diff(tmp_path: Path, context: int, expected: bytes) -> None:
    assert gnu_diff(tmp_path, GOLDEN_OLD, GOLDEN_NEW, context) == expected[expected.index(b"@@"):]


@pytest.mark.parametrize("gap", range(4, 9))
@pytest.mark.parametrize("context", (0, 2, 3))
def test_hunk_grouping_matches_gnu_diff(tmp_path: Path, gap: int, context: int) -> None:
    new = change(LONG, 10, 10 + gap)
    ours = unified_diff(LONG, new, "f", "f", context)
    assert ours[ours.index(b"@@"):] == gnu_diff(tmp_path, LONG, new, context)


@pytest.mark.parametrize(("old", "new"), (
    (b"", b"a\n"), (b"a\n", b""), (b"a", b""), (b"", b"a"), (b"a", b"a\n"), (b"a\n", b"a"),
    (b"a\nb\nc\n", b"c\n"), (b"a\nb\nc\n", b"a\n"), (b"a\nb\nc\n", b"z\na\nb\nc\n"),
))
@pytest.mark.parametrize("context", (0, 3))
def test_ranges_match_gnu_diff(tmp_path: Path, old: bytes, new: bytes, context: int) -> None:
    ours = unified_diff(old, new, "f", "f", context)
    assert ours[ours.index(b"@@"):] == gnu_diff(tmp_path, old, new, context)


def test_file_names_in_headers() -> None:
    diff = unified_diff(b"a\n", b"b\n", "etc/init.d/httpd", "resource.d/httpd")
    assert diff.startswith(b"--- a/etc/init.d/httpd\n+++ b/resource.d/httpd\n@@ -1 +1 @@\n")
    undecodable = os.fsdecode(b"caf\xe9")
    assert unified_diff(b"a\n", b"b\n", undecodable, undecodable).startswith(b"--- a/caf\xe9\n")


@pytest.mark.parametrize("name", ("a\nb", "a\tb", "a\rb"))
def test_file_name_that_would_break_the_header(name: str) -> None:
    with pytest.raises(DiffError, match="file name"):
        unified_diff(b"a\n", b"b\n", name, "x")


# -- check_diff ---------------------------------------------------------------------------

GOOD = b"--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+B\n"


@pytest.mark.parametrize(("diff", "reason"), (
    pytest.param(b"", "no file header", id="empty"),
    pytest.param(b"hello world\n\x00\xff\n", "no file header", id="garbage"),
    pytest.param(b"--- a/f\n+++ b/f\n", "no hunk for f", id="headers only"),
    pytest.param(b"Binary files a/f and b/f differ\n", "no hunk", id="binary"),
    pytest.param(b"+++ b/f\n@@ -1 +1 @@\n-a\n+b\n", "unparseable diff: Target without",
                 id="no ---"),
    pytest.param(b"@@ -1 +1 @@\n-a\n+b\n", "unparseable diff: Unexpected hunk", id="hunk first"),
    pytest.param(b"--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n", "shorter than expected",
                 id="hunk shorter than header"),
    pytest.param(b"--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+B\n c\n", "more lines than",
                 id="hunk longer than header"),
    pytest.param(b"--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n+c\n", "more lines than",
                 id="extra added line"),
    pytest.param(b"--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n*b\n+B\n", r"line expected: \*b$",
                 id="bad line type"),
    pytest.param(GOOD + b"trailing garbage\n", "more lines than", id="trailing garbage"),
))
def test_check_diff_rejects(diff: bytes, reason: str) -> None:
    with pytest.raises(DiffError, match=reason) as info:
        check_diff(diff)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("diff", (
    pytest.param(GOOD, id="good"),
    pytest.param(GOOD + b"\n", id="trailing blank line"),
    pytest.param(b"diff --git a/f b/f\nindex 0123abc..4567def 100755\n" + GOOD, id="git header"),
    pytest.param(GOOD + b"--- a/g\n+++ b/g\n@@ -0,0 +1 @@\n+x\n", id="two files"),
))
def test_check_diff_accepts(diff: bytes) -> None:
    check_diff(diff)


# -- apply_diff ---------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "reason"), (
    pytest.param(b"a\nX\n", "hunk @@ -1,2 \\+1,2 @@ does not match", id="removed line differs"),
    pytest.param(b"A\nb\n", "does not match", id="context line differs"),
    pytest.param(b"a\n", "does not match", id="old too short"),
    pytest.param(b"a\nb", "does not match", id="old lacks final newline"),
    pytest.param(b"a\r\nb\r\n", "does not match", id="old has CRLF"),
))
def test_apply_diff_rejects_changed_original(old: bytes, reason: str) -> None:
    with pytest.raises(DiffError, match=reason):
        apply_diff(old, GOOD)


def test_apply_diff_is_exact_not_fuzzy() -> None:
    diff = unified_diff(LONG, change(LONG, 20), NAME, NAME)
    with pytest.raises(DiffError, match="does not match"):
        apply_diff(b"extra\n" + LONG, diff)


@pytest.mark.parametrize(("old", "diff", "reason"), (
    pytest.param(b"a\n", GOOD + b"--- a/g\n+++ b/g\n@@ -0,0 +1 @@\n+x\n", "patches 2 files",
                 id="two files"),
    pytest.param(b"a\nb\nc\n", b"--- a/f\n+++ b/f\n@@ -3 +3 @@\n-c\n+C\n@@ -1 +1 @@\n-a\n+A\n",
                 "out of order", id="hunks out of order"),
    pytest.param(b"a\nb\nc\n", b"--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n-a\n-b\n+A\n+B\n"
                 b"@@ -2 +2 @@\n-b\n+B\n", "overlaps", id="hunks overlap"),
    pytest.param(b"a\n", b"--- a/f\n+++ b/f\n@@ -1 +1 @@\n\\ No newline at end of file\n-a\n+b\n",
                 "misplaced no-newline marker", id="marker first"),
    pytest.param(b"a\n", b"--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n"
                 b"\\ No newline at end of file\n+b\n", "misplaced", id="marker twice"),
    pytest.param(b"a\nb\n", b"--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n-a\n+x\n"
                 b"\\ No newline at end of file\n b\n", "not on the last line",
                 id="marker mid-file"),
    pytest.param(b"a\n", b"garbage\n", "no file header", id="garbage"),
))
def test_apply_diff_rejects_bad_diff(old: bytes, diff: bytes, reason: str) -> None:
    with pytest.raises(DiffError, match=reason):
        apply_diff(old, diff)


def test_apply_diff_ignores_trailing_blank_line() -> None:
    assert apply_diff(b"a\nb\n", GOOD + b"\n") == b"a\nB\n"


def test_apply_diff_reads_lines_that_look_like_headers() -> None:
    old, new = b"--- a\n+++ b\n", b"-- a\n++ b\n"
    assert apply_diff(old, unified_diff(old, new, "f", "f")) == new


@st.composite
def _edited(draw: st.DrawFn) -> tuple[bytes, list[Change]]:
    """A text of short lines (CRs, no final newline) and edits of it: sorted, apart, any bytes, any span."""
    old = b"".join(draw(st.lists(st.sampled_from([b"a\n", b"b\n", b"fi\n", b"fi\n", b"c\r\n", b"\n", b"x"]),
                                 max_size=30)))
    cuts = sorted(draw(st.lists(st.integers(0, len(old)), max_size=8)))
    edits = []
    for start, end in zip(cuts[::2], cuts[1::2]):
        if not edits or start > edits[-1][1]:
            edits.append((start, end, draw(st.sampled_from([b"", b"X", b"fi\n", b"\n", b"y\nz", b" >&2"]))))
    return old, edits


@settings(max_examples=400)
@given(_edited())
def test_a_diff_from_known_edits_matches_only_the_lines_they_touch(edited: tuple[bytes, list[Change]]) -> None:
    old, edits = edited
    new = _splice(old, edits)
    diff = unified_diff(old, new, "f", "f", changes=edits)
    assert apply_diff(old, diff) == new
    a, b = split_lines(old), split_lines(new)
    touched = sum(old.count(b"\n", 0, end) - old.count(b"\n", 0, start) + 1 for start, end, _ in edits)
    assert sum(a2 - a1 for a1, a2, _, _ in _blocks(old, a, b, edits)) <= touched  # no fall back to the whole


def _splice(old: bytes, edits: list[Change]) -> bytes:
    out, done = [], 0
    for start, end, text in edits:
        out += [old[done:start], text]
        done = end
    return b"".join(out + [old[done:]])


def test_a_diff_from_known_edits_among_10000_identical_lines_applies_with_gnu_patch(tmp_path: Path) -> None:
    old = b"start\n" + b"fi\n" * 10_000 + b"end\n"
    edits = [(0, 5, b"START"), (len(old) - 4, len(old) - 1, b"END")]
    diff = unified_diff(old, _splice(old, edits), NAME, NAME, changes=edits)
    assert diff.count(b"\n@@ -") == 2
    assert run_tool(["patch", "--quiet", "-p1"], tmp_path, old, diff) == _splice(old, edits)
