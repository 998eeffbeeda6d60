"""tree-sitter-bash parsing and small node helpers: spans, text, lines."""
from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import NamedTuple

import tree_sitter_bash
from tree_sitter import Language, Node, Parser, Tree


@lru_cache(maxsize=1)
def _parser() -> Parser:
    return Parser(Language(tree_sitter_bash.language()))


def parse(data: bytes) -> Tree:
    """Parse raw bytes; tree-sitter never raises, errors become ERROR/MISSING nodes."""
    return _parser().parse(data)


class Span(NamedTuple):
    """A byte range [start, end) of a file."""

    start: int
    end: int


def text(node: Node) -> bytes:
    """The source bytes a node spans."""
    return node.text or b""


def walk(node: Node) -> Iterator[Node]:
    """Every node below NODE, NODE first, in source order (iterative: deep trees are fine)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def first_error(node: Node) -> Node | None:
    """The first ERROR or MISSING node below NODE, if any."""
    if not node.has_error:
        return None
    for sub in walk(node):
        if sub.type == "ERROR" or sub.is_missing:
            return sub
    return None  # pragma: no cover - has_error implies a node


def in_function(node: Node) -> bool:
    """Is NODE inside a function definition (it runs only when the function is called)?"""
    parent = node.parent
    while parent is not None:
        if parent.type == "function_definition":
            return True
        parent = parent.parent
    return False


def line_col(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and byte column of OFFSET, as flake8 and ShellCheck print them."""
    newlines = _newlines(data)
    before = bisect.bisect_left(newlines, offset)  # the newlines before OFFSET
    line_start = newlines[before - 1] + 1 if before else 0
    return before + 1, offset - line_start + 1


@lru_cache(maxsize=4)  # the file being reported on: one count, not one per finding (a bytes' hash is kept)
def _newlines(data: bytes) -> tuple[int, ...]:
    """The offsets of DATA's newlines, in order."""
    return tuple(m.start() for m in re.finditer(b"\n", data))


def command_name(node: Node) -> bytes | None:
    """The literal name of a `command` node (`echo`, `status`), None for `$VAR args`."""
    name = node.child_by_field_name("name")
    if name is None or name.named_child_count != 1 or name.named_children[0].type != "word":
        return None
    return text(name)


def arguments(node: Node) -> list[Node]:
    """The argument nodes of a `command` node, a `$"..."` pair kept as two nodes."""
    return [c for c in node.children_by_field_name("argument")]


def unquote(node: Node) -> bytes | None:
    """The value of a literal word or quoted string, None when it holds an expansion."""
    if node.type in ("word", "extglob_pattern", "number"):
        return text(node).replace(b"\\", b"") if b"$" not in text(node) else None
    if node.type == "raw_string":
        return text(node)[1:-1]
    if node.type == "string":
        parts = [c for c in node.named_children if c.type != "string_content"]
        return None if parts else text(node)[1:-1]
    if node.type == "concatenation":
        values = [unquote(c) for c in node.named_children]
        return None if any(v is None for v in values) else b"".join(v or b"" for v in values)
    return None


class Index:
    """Nodes of chosen types (found by a tree-sitter query, in C) and parent links on demand.

    tree-sitter's Node.parent walks down from the root on every call: climbing a 10,000-deep tree
    that way is quadratic. Here the first climb from a node records the whole chain from the root
    (`child_with_descendant`, one step per level) and every later climb reads the links.
    """

    def __init__(self, roots: list[Node], nodes: dict[str, list[Node]]) -> None:
        self.roots = roots
        self.nodes = nodes
        self._parents: dict[Node, Node | None] = {root: None for root in roots}
        self._children: dict[Node, tuple[list[Node], dict[Node, int]]] = {}

    def parent(self, node: Node) -> Node | None:
        if node not in self._parents:
            self._chain(node)
        return self._parents.get(node)

    def ancestors(self, node: Node) -> Iterator[Node]:
        current = self.parent(node)
        while current is not None:
            yield current
            current = self.parent(current)

    def siblings(self, parent: Node, child: Node) -> tuple[list[Node], int]:
        """PARENT's children (read once per parent: each read builds new Node objects) and CHILD's place."""
        if parent not in self._children:
            children = parent.children
            self._children[parent] = children, {c: i for i, c in enumerate(children)}
        children, places = self._children[parent]
        return children, places[child]

    def merged(self, other: Index) -> Index:
        """One index over both trees (a script and the library it calls into)."""
        both = Index(self.roots + other.roots, self.nodes)
        both._parents.update(self._parents)
        both._parents.update(other._parents)
        both._children.update(self._children)
        both._children.update(other._children)
        return both

    def _chain(self, node: Node) -> None:
        for root in self.roots:
            if not (root.start_byte <= node.start_byte and node.end_byte <= root.end_byte):
                continue
            current = root
            while current != node:
                child = current.child_with_descendant(node)
                if child is None:
                    break
                self._parents[child] = current
                current = child
            if current == node:
                return
        self._parents[node] = None


# Every node the scanner looks for starts at a token found here: `case` (its case_items), `function`
# or the `(` of `name()` (a function definition), `.` or `source` as a command's name. Each find is
# checked in the tree (`descendant_for_byte_range`), so one in a comment or a string is dropped: the
# search only has to miss nothing, which a test against a full tree-sitter query checks. Each
# pattern starts with its literal, which `re` finds fast, and then looks behind it.
_NAME = rb"(?<![^\s;&|({`!]%s)(?![^\s;&|)<>])"  # a command name: what may stand before and after
_TOKENS = re.compile(b"|".join((rb"case", rb"function", rb"\((?<![$(]\()",  # not `$(`, `((`
                                rb"\." + _NAME % rb"\.", rb"source" + _NAME % rb"source")))


def commands_named(root: Node, names: Sequence[bytes]) -> list[Node]:
    """The `command` nodes below ROOT whose name is one of NAMES, or a path ending in one
    (`/sbin/checkproc`), in source order: found from ROOT's tokens, as index finds its nodes."""
    pattern = re.compile(rb"(?<![^\s;&|({`!/])(?:%s)(?![^\s;&|)<>])" % b"|".join(re.escape(n) for n in names))
    found: dict[Node, None] = {}
    offset = root.start_byte
    for match in pattern.finditer(text(root)):
        node = root.descendant_for_byte_range(offset + match.start(), offset + match.end())
        if node is None or node.type != "word" or node.end_byte != offset + match.end():
            continue
        parent = node.parent
        command = parent.parent if parent is not None and parent.type == "command_name" else None
        if command is not None and command.type == "command" and command.child_by_field_name("name") == parent \
                and text(node).rsplit(b"/", 1)[-1] in names:
            found[command] = None
    return list(found)


def index(root: Node) -> Index:
    """The `case_item`, `function_definition` and `.`/`source` command (`source`) nodes below ROOT,
    each list in source order (outer first), found from ROOT's tokens without walking the tree.

    ROOT's text leaves out the comments and blank lines before and after it: nothing sought is there.
    """
    found: dict[str, dict[Node, None]] = {"case_item": {}, "function_definition": {}, "source": {}}
    offset = root.start_byte
    for match in _TOKENS.finditer(text(root)):
        start, token = match.start(), match.group()
        node = root.descendant_for_byte_range(offset + start, offset + start + len(token))
        name = token in (b".", b"source")  # a word; the others are keywords and punctuation
        if node is None or node.type != ("word" if name else token.decode()) or name and text(node) != token:
            continue
        parent = node.parent
        if parent is None:
            continue
        if token == b"case":
            found["case_item"].update((c, None) for c in parent.named_children if c.type == "case_item")
        elif token in (b"function", b"("):
            if parent.type == "function_definition":
                found["function_definition"][parent] = None
        else:
            command = parent.parent if parent.type == "command_name" else None
            if command is not None and command.type == "command" and command.child_by_field_name("name") == parent:
                found["source"][command] = None
    nodes = {kind: sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte)) for kind, nodes in found.items()}
    return Index([root], nodes)
