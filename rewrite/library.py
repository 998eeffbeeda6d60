"""A parsed function library the scripts call into (Red Hat `functions`, Debian `init-functions`,
SUSE `rc.status`)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from tree_sitter import Node, Tree

from rewrite.families import REDHAT, Family
from rewrite.parse import Index, index, parse, text
from rewrite.values import literal_assignments

if TYPE_CHECKING:
    from rewrite.scan import LibraryWalk


@dataclass
class Library:
    """A parsed function library the scripts call into."""

    path: str
    data: bytes
    tree: Tree
    functions: dict[bytes, Node]
    index: Index
    family: Family = REDHAT
    # Its functions' walks from scripts' calls, by (body, stream, in a loop): see scan.library_walk.
    walks: dict[tuple[Node, str, bool], LibraryWalk] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, path: str, data: bytes, family: Family = REDHAT, prepared: tuple[Tree, Index] | None = None) -> Library:
        """The library in DATA; PREPARED: its tree and index, when the caller has them already."""
        tree, found = prepared or _parsed(data)
        return cls(path, data, tree, dict(function_defs(found)), found, family)

    @cached_property
    def env(self) -> dict[bytes, bytes]:
        """Its top-level literal assignments (see literal_assignments), read once."""
        return literal_assignments(self.tree.root_node)


def _parsed(data: bytes) -> tuple[Tree, Index]:
    tree = parse(data)
    return tree, index(tree.root_node)


def function_defs(found: Index) -> Iterator[tuple[bytes, Node]]:
    for sub in found.nodes["function_definition"]:
        name = sub.child_by_field_name("name")
        body = sub.child_by_field_name("body")
        if name is not None and body is not None:
            yield text(name), body
