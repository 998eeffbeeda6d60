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


def _shift_to(edits: list[Edit], pos: int, after_insertions: bool) -> int:
    """Where POS of the bytes EDITS apply to lies in their result (POS is never inside an edit).

    An insertion at POS is counted as before it only when AFTER_INSERTIONS: the left or right
    edge of a span that includes the insertion."""
    return pos + sum(len(e.new) - (e.end - e.start) for e in edits
                     if e.end < pos or (e.end == pos and (e.start < pos or after_insertions)))


def shift_back(edits: list[Edit], pos: int, end: bool) -> int:
    """Where POS of the result of EDITS came from in their input: a position inside an edit's new
    bytes stands for the whole edit (its start for a span's start, its end when END)."""
    shift = 0
    for edit in edits:
        begin = edit.start + shift
        if pos <= begin:
            break
        if pos < begin + len(edit.new):
            return edit.end if end else edit.start
        shift += len(edit.new) - (edit.end - edit.start)
    return pos - shift


def compose(src: bytes, first: Iterable[Edit], second: Iterable[Edit]) -> list[Edit]:
    """Edits on SRC equal to applying FIRST to SRC, then SECOND (edits on that result).

    SECOND's spans are carried back to SRC; edits that overlap or touch there are merged into one
    that writes the final bytes of their joint span, named by all their rules. Every byte of SRC
    outside the returned spans is left as it is, so the diff stays one original -> final diff."""
    ones, twos = normalize(first), normalize(second)
    middle = splice(src, ones)
    spans = [(e.start, e.end, e.rule) for e in ones]
    spans += [(shift_back(ones, e.start, False), shift_back(ones, e.end, True), e.rule) for e in twos]
    merged: list[tuple[int, int, list[str]]] = []
    for start, end, rule in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]), merged[-1][2] + [rule])
        else:
            merged.append((start, end, [rule]))
    final = splice(middle, twos)
    result = []
    for start, end, rules in merged:
        mid_start, mid_end = _shift_to(ones, start, False), _shift_to(ones, end, True)
        new = final[_shift_to(twos, mid_start, False):_shift_to(twos, mid_end, True)]
        if new != src[start:end]:
            result.append(Edit(start, end, new, "+".join(dict.fromkeys(r for rule in rules for r in rule.split("+")))))
    if splice(src, result) != final:  # pragma: no cover - a broken mapping must never reach a copy
        raise OverlapError("composed edits do not reproduce the second pass")
    return result
