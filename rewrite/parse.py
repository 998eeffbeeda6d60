"""tree-sitter-bash parsing and small node helpers: spans, text, lines."""
from __future__ import annotations

from collections.abc import Iterator
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


def line_col(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and byte column of OFFSET, as flake8 and ShellCheck print them."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


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


class Index(NamedTuple):
    """One pass over a tree: parent links and nodes of chosen types, in source order.

    tree-sitter's Node.parent walks down from the root on every call; climbing a 10,000-deep
    tree that way is quadratic, so climbs use these links instead.
    """

    parents: dict[Node, Node]
    nodes: dict[str, list[Node]]

    def parent(self, node: Node) -> Node | None:
        return self.parents.get(node)

    def ancestors(self, node: Node) -> Iterator[Node]:
        current = self.parents.get(node)
        while current is not None:
            yield current
            current = self.parents.get(current)


def index(root: Node, types: frozenset[str]) -> Index:
    parents: dict[Node, Node] = {}
    nodes: dict[str, list[Node]] = {kind: [] for kind in types}
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type in nodes:
            nodes[node.type].append(node)
        children = node.children
        for child in children:
            parents[child] = node
        stack.extend(reversed(children))
    return Index(parents, nodes)
