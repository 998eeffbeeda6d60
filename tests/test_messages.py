"""messages: echo and printf arguments rendered as bash prints them, and the literal pieces a rewording touches."""
from __future__ import annotations

import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st
from tree_sitter import Node

from rewrite.messages import message_pieces, render, render_printf
from rewrite.parse import arguments, parse, walk

WORD = st.text("abdsxyz%019-", min_size=1, max_size=6).map(str.encode)  # `%` too: a value is never a format
PLAIN = st.text("abdsxyz%", min_size=1, max_size=6).map(str.encode)  # a word echo prints as it is, not a number


def _command(line: bytes) -> Node:
    """The first command of LINE, parsed."""
    return next(n for n in walk(parse(line).root_node) if n.type == "command")


def _bash(line: bytes) -> bytes:
    return subprocess.run(["bash", "-c", line.decode()], capture_output=True, check=True).stdout


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(WORD.filter(lambda w: b"%" not in w), st.sampled_from([b"%s", b"%d"])), min_size=1,
                max_size=5), st.data())
def test_printf_fills_each_conversion_once_as_bash_does(holes: list[tuple[bytes, bytes]], data: st.DataObject) -> None:
    form = b"".join(text + b" " + hole + b" " for text, hole in holes) + b"end"
    values = [data.draw(WORD) if hole == b"%s" else str(data.draw(st.integers(0, 999))).encode()
              for _, hole in holes]
    line = b"printf -- '" + form + b"' " + b" ".join(b"'" + v + b"'" for v in values)
    _, rendered, translated, unbounded = render_printf(arguments(_command(line)), {})
    assert (rendered, translated, unbounded) == (_bash(line), False, False)


def test_a_value_holding_a_conversion_is_printed_as_it_is() -> None:
    line = b"printf '%s is %s\\n' '50%s' running"
    assert render_printf(arguments(_command(line)), {})[1] == _bash(line) == b"50%s is running\n"


@settings(max_examples=40, deadline=None)
@given(st.lists(PLAIN, min_size=1, max_size=8), st.lists(st.sampled_from([b" ", b"  ", b"\t"]), min_size=8,
                                                        max_size=8))
def test_echo_words_render_as_bash_prints_them_and_a_run_of_words_is_one_piece(
        words: list[bytes], blanks: list[bytes]) -> None:
    line = b"echo " + b"".join(w + blank for w, blank in zip(words, blanks)).rstrip()
    node = _command(line)
    written, rendered, translated, unbounded = render(arguments(node), {})
    assert rendered + b"\n" == _bash(line)
    assert written == b" ".join(words) and not translated and not unbounded
    literals, dollars = message_pieces(arguments(node))
    assert literals == ((literals[0][0], line[len(b"echo "):len(line)]),) and dollars == ()
    assert line[literals[0][0].start:literals[0][0].end] == literals[0][1]
