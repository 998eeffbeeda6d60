"""What the scanner knows without running a script: top-level literal assignments and the
expansions of them (`$NAME`, `${NAME:-default}`)."""
from __future__ import annotations

from tree_sitter import Node

from rewrite.parse import text, unquote



def literal_assignments(root: Node) -> dict[bytes, bytes]:
    """Top-level `NAME=literal` (and `NAME=${X-literal}`) assignments, last one wins."""
    values: dict[bytes, bytes] = {}
    for node in root.children:
        if node.type == "variable_assignment":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if name is not None and value is not None:
                resolved = literal_value(value, values)
                if resolved is not None:
                    values[text(name)] = resolved
    return values


def literal_value(node: Node, env: dict[bytes, bytes]) -> bytes | None:
    """The value of a word built from literals and known variables, or None."""
    literal = unquote(node)
    if literal is not None:
        return literal
    if node.type in ("simple_expansion", "expansion"):
        return expansion_value(node, env)
    if node.type in ("string", "concatenation"):
        parts = []
        for child in node.named_children:
            if child.type == "string_content":
                parts.append(text(child))
                continue
            value = literal_value(child, env)
            if value is None:
                return None
            parts.append(value)
        return b"".join(parts)
    return None


def expansion_value(node: Node, env: dict[bytes, bytes]) -> bytes | None:
    names = [c for c in node.named_children if c.type == "variable_name"]
    if not names:
        return None
    name = text(names[0])
    ops = [text(c) for c in node.children if not c.is_named and c.type not in ("${", "}", "$")]
    if not ops:
        return env.get(name)
    defaults = [c for c in node.named_children if c is not names[0]]
    if ops[0] in (b"-", b":-", b"=", b":=") and len(defaults) == 1:
        return env.get(name, unquote(defaults[0]))
    return None


def var_name(node: Node) -> bytes | None:
    names = [c for c in node.named_children if c.type == "variable_name"]
    return text(names[0]) if names else None
