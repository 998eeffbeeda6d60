"""Unified diffs of original vs patched bytes: write them, check them with unidiff, apply them.

Everything is bytes. Only b"\\n" ends a line (a CR stays part of its line), and a last line
without a newline is marked with GNU diff's "\\ No newline at end of file", so that GNU
`patch -p1` and `git apply` reproduce the patched bytes exactly.
"""
from __future__ import annotations

import difflib
import os
from collections.abc import Iterator, Sequence
from typing import Literal

from unidiff.errors import UnidiffParseError
from unidiff.patch import Hunk
from unidiff.patch import PatchedFile
from unidiff.patch import PatchSet

from rewrite.parse import line_col

NO_NEWLINE = b"\\ No newline at end of file\n"

Opcode = tuple[Literal["replace", "delete", "insert", "equal"], int, int, int, int]


class DiffError(Exception):
    """A diff that does not parse, check or apply; the message is one line."""


def split_lines(data: bytes) -> list[bytes]:
    """DATA's lines, each keeping its b"\\n"; only b"\\n" ends a line."""
    parts = data.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


# -- writing ------------------------------------------------------------------------------


Change = tuple[int, int, bytes]  # bytes [start, end) of the old text replaced by the bytes given
Block = tuple[int, int, int, int]  # lines a[a1:a2] of the old text became b[b1:b2] of the new


def unified_diff(old: bytes, new: bytes, old_name: str, new_name: str, context: int = 3,
                 changes: Sequence[Change] = ()) -> bytes:
    """A GNU-style unified diff from OLD to NEW (b"" when they are identical).

    CHANGES: the edits that make NEW from OLD (sorted, apart), when known: only the lines they touch
    are matched, the lines between them are equal."""
    if old == new:
        return b""
    a, b = split_lines(old), split_lines(new)
    matcher = _Matcher(a, b, _blocks(old, a, b, changes) if changes else [(0, len(a), 0, len(b))])
    hunks = [_hunk(a, b, group) for group in matcher.get_grouped_opcodes(context)]
    return _file_header(old_name, new_name) + b"".join(hunks)


def new_file_diff(new: bytes, name: str) -> bytes:
    """A diff creating NAME (`--- /dev/null`), as GNU patch and git apply expect for a new file."""
    diff = unified_diff(b"", new, name, name)
    return b"--- /dev/null\n" + diff.split(b"\n", 1)[1] if diff else b""


def _blocks(old: bytes, a: list[bytes], b: list[bytes], changes: Sequence[Change]) -> list[Block]:
    """The lines each change touches, before and after it, joined where they meet; one block of
    the whole texts when the lines between them do not come out equal (they always should)."""
    blocks: list[Block] = []
    shift = 0  # lines the changes before this one added
    for start, end, text in changes:
        first, last = line_col(old, start)[0] - 1, line_col(old, end)[0] - 1  # 0-based lines of its ends
        a1, a2 = first, min(last + 1, len(a))
        grown = text.count(b"\n") - (last - first)
        b1, b2 = a1 + shift, a2 + shift + grown
        shift += grown
        if blocks and a1 <= blocks[-1][1]:
            a1, b1 = blocks.pop()[::2]
        blocks.append((a1, a2, b1, b2))
    if blocks and blocks[-1][1] == len(a):
        blocks[-1] = blocks[-1][:3] + (len(b),)  # the last line, with or without its newline
    done = (0, 0)
    for a1, a2, b1, b2 in blocks + [(len(a), len(a), len(b), len(b))]:
        if a1 - done[0] != b1 - done[1] or a[done[0]:a1] != b[done[1]:b1] or a2 < a1 or b2 < b1:
            return [(0, len(a), 0, len(b))]
        done = (a2, b2)
    return blocks


class _Matcher(difflib.SequenceMatcher[bytes]):
    """Line opcodes from A to B where only BLOCKS may differ.

    Each block is matched without its common first and last lines: SequenceMatcher is quadratic on
    repetitive text (10,000 identical `fi` lines), and edits touch a few lines.
    """

    def __init__(self, a: list[bytes], b: list[bytes], blocks: list[Block]) -> None:
        super().__init__(None, [], [], autojunk=False)
        self.whole, self.blocks = (a, b), blocks

    def get_opcodes(self) -> list[Opcode]:
        a, b = self.whole
        codes: list[Opcode] = []
        done = (0, 0)
        for a1, a2, b1, b2 in self.blocks:
            codes.append(("equal", done[0], a1, done[1], b1))
            codes += _block_opcodes(a, b, (a1, a2, b1, b2))
            done = (a2, b2)
        codes.append(("equal", done[0], len(a), done[1], len(b)))
        return _merge_equal(codes)


def _block_opcodes(a: list[bytes], b: list[bytes], block: Block) -> list[Opcode]:
    a1, a2, b1, b2 = block
    head = 0
    while head < min(a2 - a1, b2 - b1) and a[a1 + head] == b[b1 + head]:
        head += 1
    tail = 0
    while tail < min(a2 - a1, b2 - b1) - head and a[a2 - 1 - tail] == b[b2 - 1 - tail]:
        tail += 1
    matcher = difflib.SequenceMatcher(None, a[a1 + head:a2 - tail], b[b1 + head:b2 - tail], autojunk=False)
    middle: list[Opcode] = [(tag, i1 + a1 + head, i2 + a1 + head, j1 + b1 + head, j2 + b1 + head)
                            for tag, i1, i2, j1, j2 in matcher.get_opcodes()]
    return [("equal", a1, a1 + head, b1, b1 + head), *middle, ("equal", a2 - tail, a2, b2 - tail, b2)]


def _merge_equal(codes: list[Opcode]) -> list[Opcode]:
    """Join neighbouring `equal` runs, as difflib's own opcodes never have two in a row."""
    merged: list[Opcode] = []
    for code in codes:
        if code[2] == code[1] and code[4] == code[3]:
            continue
        if merged and merged[-1][0] == code[0] == "equal":
            tag, i1, _, j1, _ = merged[-1]
            merged[-1] = (tag, i1, code[2], j1, code[4])
        else:
            merged.append(code)
    return merged or [("equal", 0, 0, 0, 0)]


def _file_header(old_name: str, new_name: str) -> bytes:
    return b"--- a/" + _name(old_name) + b"\n+++ b/" + _name(new_name) + b"\n"


def check_name(name: str) -> None:
    """Raise DiffError when NAME cannot stand in a diff's header (the one check a diff's writing can fail)."""
    _name(name)


def _name(name: str) -> bytes:
    raw = os.fsencode(name)
    if any(c in raw for c in b"\n\r\t"):
        raise DiffError(f"file name {name!r} contains a newline, CR or tab")
    return raw


def _hunk(a: Sequence[bytes], b: Sequence[bytes], group: Sequence[tuple[str, int, int, int, int]]) -> bytes:
    _, i1, _, j1, _ = group[0]
    _, _, i2, _, j2 = group[-1]
    head = b"@@ -%s +%s @@\n" % (_range(i1, i2), _range(j1, j2))
    return head + b"".join(_body(a, b, group))


def _range(start: int, end: int) -> bytes:
    """GNU diff's range for the 0-based half-open [START, END): `l`, `l,n`, or `l,0`."""
    count = end - start
    if count == 0:
        return b"%d,0" % start  # an empty range names the line before it
    if count == 1:
        return b"%d" % (start + 1)
    return b"%d,%d" % (start + 1, count)


def _body(a: Sequence[bytes], b: Sequence[bytes], group: Sequence[tuple[str, int, int, int, int]]) -> Iterator[bytes]:
    for tag, i1, i2, j1, j2 in group:
        if tag == "equal":
            yield from (_diff_line(b" ", line) for line in a[i1:i2])
        else:
            yield from (_diff_line(b"-", line) for line in a[i1:i2])
            yield from (_diff_line(b"+", line) for line in b[j1:j2])


def _diff_line(prefix: bytes, line: bytes) -> bytes:
    if line.endswith(b"\n"):
        return prefix + line
    return prefix + line + b"\n" + NO_NEWLINE


# -- checking -----------------------------------------------------------------------------


def check_diff(diff: bytes) -> None:
    """Raise DiffError unless DIFF parses as a unified diff whose hunks match their headers."""
    parse_diff(diff)


def parse_diff(diff: bytes) -> PatchSet:
    """DIFF parsed by unidiff (decoded as Latin-1, so every byte survives) and checked."""
    try:
        patch = PatchSet(diff.decode("latin-1"))
    except UnidiffParseError as exc:
        raise DiffError(f"unparseable diff: {_one_line(str(exc))}") from exc
    if not patch:
        raise DiffError("no file header (---/+++) in diff")
    for patched in patch:
        if not patched:
            raise DiffError(f"no hunk for {_one_line(patched.path)}")
    _check_all_lines_used(diff, patch)
    return patch


def _check_all_lines_used(diff: bytes, patch: PatchSet) -> None:
    """Catch a hunk longer than its header says: unidiff files its extra lines nowhere."""
    used = sum(_lines_in_file(patched) for patched in patch)
    if used != len(split_lines(diff)):
        raise DiffError("a hunk has more lines than its @@ header counts")


def _lines_in_file(patched: PatchedFile) -> int:
    info = len(patched.patch_info or ())
    return info + 2 + sum(1 + len(hunk) for hunk in patched)


def _one_line(text: str) -> str:
    return text.rstrip("\n").encode("unicode_escape").decode("ascii")


# -- applying -----------------------------------------------------------------------------


def apply_diff(old: bytes, diff: bytes) -> bytes:
    """OLD with the single-file DIFF applied exactly (no fuzz, no offset); b"" changes nothing."""
    if not diff:
        return old
    patch = parse_diff(diff)
    if len(patch) != 1:
        raise DiffError(f"diff patches {len(patch)} files, expected one")
    lines = split_lines(old)
    out: list[bytes] = []
    pos = 0
    for hunk in patch[0]:
        pos = _apply_hunk(lines, pos, hunk, out)
    out += lines[pos:]
    _check_newlines(out)
    return b"".join(out)


def _apply_hunk(lines: list[bytes], pos: int, hunk: Hunk, out: list[bytes]) -> int:
    """Append the lines up to HUNK and its new side to OUT; return where old resumes."""
    start = hunk.source_start - 1 if hunk.source_length else hunk.source_start
    if start < pos:
        raise DiffError(f"hunk {_where(hunk)} overlaps the previous one or is out of order")
    source, target = _sides(hunk)
    end = start + len(source)
    if lines[start:end] != source:
        raise DiffError(f"hunk {_where(hunk)} does not match the original")
    out += lines[pos:start]
    out += target
    return end


def _sides(hunk: Hunk) -> tuple[list[bytes], list[bytes]]:
    """HUNK's old and new lines as bytes, with no-newline markers applied."""
    source: list[bytes] = []
    target: list[bytes] = []
    previous = ""
    for line in hunk:
        kind = line.line_type
        if kind == "\\":
            _drop_newline(previous, source, target, hunk)
        elif kind in (" ", "-", "+"):
            value = line.value.encode("latin-1")
            if kind != "+":
                source.append(value)
            if kind != "-":
                target.append(value)
        previous = kind
    return source, target


def _drop_newline(kind: str, source: list[bytes], target: list[bytes], hunk: Hunk) -> None:
    if kind not in (" ", "-", "+"):
        raise DiffError(f"hunk {_where(hunk)} has a misplaced no-newline marker")
    if kind != "+":
        source[-1] = source[-1].removesuffix(b"\n")
    if kind != "-":
        target[-1] = target[-1].removesuffix(b"\n")


def _check_newlines(out: list[bytes]) -> None:
    if any(not line.endswith(b"\n") for line in out[:-1]):
        raise DiffError("a no-newline marker is not on the last line of the new file")


def _where(hunk: Hunk) -> str:
    old = f"{hunk.source_start},{hunk.source_length}"
    new = f"{hunk.target_start},{hunk.target_length}"
    return f"@@ -{old} +{new} @@"
