"""parse.line_col: the 1-based line and byte column findings print, from a newline index kept per file."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from rewrite.parse import line_col


@given(st.binary(max_size=300).map(lambda b: b.replace(b"\x00", b"\n")), st.data())
def test_line_col_counts_the_newlines_before_the_offset(data: bytes, draw: st.DataObject) -> None:
    offset = draw.draw(st.integers(0, len(data)))
    line_start = data.rfind(b"\n", 0, offset) + 1
    assert line_col(data, offset) == (data.count(b"\n", 0, offset) + 1, offset - line_start + 1)


def test_offsets_in_two_files_in_turn() -> None:
    first, second = b"a\nb\nc\n", b"\n\n\n\nx"
    assert [line_col(first, 4), line_col(second, 4), line_col(first, 0), line_col(second, 5)] == \
        [(3, 1), (5, 1), (1, 1), (5, 2)]
