"""A byte-span edit and the splice that applies non-overlapping edits."""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class Edit(NamedTuple):
    """Replace bytes [start, end) of the original with NEW; RULE names why."""

    start: int
    end: int
    new: bytes
    rule: str


class OverlapError(ValueError):
    """Two edits claim the same bytes with different replacements."""


def normalize(edits: Iterable[Edit]) -> list[Edit]:
    """Sort edits, drop exact duplicates, join insertions at one point in rule order, refuse overlaps."""
    result: list[Edit] = []
    for edit in sorted(set(edits), key=lambda e: (e.start, e.end, e.rule, e.new)):
        if result and (edit.start, edit.end) == (result[-1].start, result[-1].end) and edit.new == result[-1].new:
            continue  # the same change found by two rules
        if result and edit.start == result[-1].end == result[-1].start == edit.end:
            # two insertions at one point, e.g. ` >&2` (HB021) and `; exit 0` (HB062) after one
            # statement: joined in rule order, so the redirection stays on its command
            result[-1] = result[-1]._replace(new=result[-1].new + edit.new, rule=f"{result[-1].rule}+{edit.rule}")
            continue
        if result and edit.start < result[-1].end:
            raise OverlapError(f"edits overlap at byte {edit.start}: {result[-1].rule} and {edit.rule}")
        result.append(edit)
    return result


def splice(src: bytes, edits: Iterable[Edit]) -> bytes:
    """Apply EDITS to SRC; every byte outside the edited spans stays identical."""
    out: list[bytes] = []
    pos = 0
    for edit in normalize(edits):
        out += [src[pos:edit.start], edit.new]
        pos = edit.end
    out.append(src[pos:])
    return b"".join(out)
