"""A message as a consumer reads it: echo and printf arguments rendered with sample values, and
the literal pieces a rewording may touch."""
from __future__ import annotations

import re

from tree_sitter import Node

from rewrite.parse import Span, text, unquote, walk
from rewrite.values import expansion_value, var_name

HOLE = re.compile(rb"%[sd]")  # a printf conversion a sample value fills
PID_SAMPLE = b" ".join(b"%d" % (1000001 + i) for i in range(9))  # nine 7-digit pids



def render(args: list[Node], env: dict[bytes, bytes]) -> tuple[bytes, bytes, bool, bool]:
    """(text as written, text with sample values, translated?, unbounded before a state word?)."""
    written: list[bytes] = []
    rendered: list[bytes] = []
    translated = False
    unknown_at: int | None = None
    offset = 0  # where the next word starts in the rendered text
    for arg in args:
        if arg.type == "$":
            translated = True
            continue
        written.append(text(arg))
        piece, unknown = _render_word(arg, env)
        if unknown is not None and unknown_at is None:
            unknown_at = offset + unknown
        rendered.append(piece)
        offset += len(piece) + 1
    out = b" ".join(rendered)
    return b" ".join(written), out, translated, unknown_at is not None and _state_after(out, unknown_at)


def _state_after(out: bytes, offset: int) -> bool:
    lower = out.lower()
    return any(word in lower[offset:] for word in (b"running", b"stopped")) or b"OK" in out[offset:]


def _render_word(node: Node, env: dict[bytes, bytes]) -> tuple[bytes, int | None]:
    """The word with sample values, and the offset of its first value of unknown length."""
    literal = unquote(node)
    if literal is not None:
        return literal, None
    if node.type in ("simple_expansion", "expansion"):
        value = expansion_value(node, env)
        if value is not None:
            return value, None
        name = var_name(node) or b"value"
        return (PID_SAMPLE if b"pid" in name.lower() else name), 0
    if node.type in ("string", "concatenation", "translated_string"):
        pieces: list[bytes] = []
        unknown: int | None = None
        for child in node.named_children:
            if child.type == "string_content":
                piece, child_unknown = text(child), None
            else:
                piece, child_unknown = _render_word(child, env)
            if child_unknown is not None and unknown is None:
                unknown = len(b"".join(pieces)) + child_unknown
            pieces.append(piece)
        return b"".join(pieces), unknown
    return b"output", 0  # command substitution, arithmetic: unknown at scan time


def echo_args(args: list[Node]) -> tuple[list[Node], bool]:
    """Drop echo's options; say whether it ends its line (no -n)."""
    newline = True
    while args and args[0].type == "word" and text(args[0])[:1] == b"-" and set(text(args[0])[1:]) <= set(b"neE"):
        newline = newline and b"n" not in text(args[0])
        args = args[1:]
    return args, newline



def redirect_words(stmt: Node) -> tuple[list[Node], bytes]:
    """Words tree-sitter hangs under a redirection (`echo >&2 "text"`), and the redirections alone."""
    if stmt.type != "redirected_statement":
        return [], b""
    extra: list[Node] = []
    heads = []
    for redirect in stmt.children_by_field_name("redirect"):
        destinations = redirect.children_by_field_name("destination")
        extra += destinations[1:]
        end = destinations[0].end_byte if destinations else redirect.end_byte
        heads.append(b" " + (redirect.text or b"")[:end - redirect.start_byte])
    return extra, b"".join(heads)


def printf_format(args: list[Node]) -> list[Node]:
    return [a for a in args if not (a.type == "word" and text(a) == b"--")]


def message_pieces(args: list[Node]) -> tuple[tuple[tuple[Span, bytes], ...], tuple[Span, ...]]:
    """Literal fragments of a message (spans and bytes) and its $"..." dollar signs.

    Unquoted words in a row (`echo $p is not running`) are one fragment, blanks included, so that a
    phrase is reworded as a whole (`is not running` -> `is stopped`, not `is not stopped`)."""
    literals: list[tuple[int, int, list[bytes]]] = []  # start, end, the bytes in pieces (a run grows by two)
    dollars = []
    texts: dict[Node, bytes] = {}  # the commands' text, for the bytes between two arguments
    previous: Node | None = None  # the last argument, when it was a plain word
    for arg in args:
        if arg.type == "$":
            dollars.append(Span(arg.start_byte, arg.end_byte))
        if arg.type == "word" and previous is not None:
            gap = _between(previous, arg, texts)
            if gap and not gap.strip(b" \t"):
                start, _, pieces = literals[-1]
                pieces += (gap, text(arg))
                literals[-1] = (start, arg.end_byte, pieces)
                previous = arg
                continue
        previous = arg if arg.type == "word" else None
        glued = {(c.start_byte, c.end_byte) for c in arg.named_children} if arg.type == "concatenation" else set()
        for sub in walk(arg):  # a word glued to an expansion (`running$p`) is one of the concatenation's children
            if sub.type in ("string_content", "raw_string") or (sub.type == "word" and (
                    sub is arg or (sub.start_byte, sub.end_byte) in glued)):
                literals.append((sub.start_byte, sub.end_byte, [text(sub)]))
    return tuple((Span(start, end), b"".join(pieces)) for start, end, pieces in literals), tuple(dollars)


def _between(left: Node, right: Node, texts: dict[Node, bytes]) -> bytes:
    """The source bytes between two arguments of one command (TEXTS: the commands' text, read once each)."""
    parent = left.parent
    if parent is None:
        return b""
    if parent not in texts:
        texts[parent] = parent.text or b""
    return texts[parent][left.end_byte - parent.start_byte:right.start_byte - parent.start_byte]


def render_printf(args: list[Node], env: dict[bytes, bytes]) -> tuple[bytes, bytes, bool, bool]:
    if args and args[0].type == "word" and text(args[0]) == b"--":
        args = args[1:]
    translated = bool(args) and args[0].type == "$"
    if translated:
        args = args[1:]
    if not args:
        return b"", b"", translated, False
    written, out, _, _ = render(args[:1], env)
    form = out.replace(b"\\n", b"\n").replace(b"%%", b"\0")
    pieces: list[bytes] = []
    unknown_at: list[int] = []
    done = length = 0  # the format's bytes before DONE are in PIECES, LENGTH bytes in all
    for arg, hole in zip(args[1:], HOLE.finditer(form)):  # each argument fills the next hole, as printf does
        piece, unknown = _render_word(arg, env)
        pieces += (form[done:hole.start()], piece)
        length += hole.start() - done
        if unknown is not None:
            unknown_at.append(length + unknown)
        length += len(piece)
        done = hole.end()
    out = (b"".join(pieces) + form[done:]).replace(b"\0", b"%")
    written_all = b" ".join([written] + [text(a) for a in args[1:]])
    return written_all, out, translated, any(_state_after(out, at) for at in unknown_at)
