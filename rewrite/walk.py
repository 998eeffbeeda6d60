"""The walk of a status path: every command that may write to stdout, with the stream it reaches,
following calls into functions as bash resolves them."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Union

from tree_sitter import Node

from rewrite.families import STATE_PRINTER
from rewrite.library import Library
from rewrite.parse import Index, arguments, command_name, text

# Builtins and utilities that write nothing to stdout.
QUIET = frozenset(
    b"""return exit local declare typeset export readonly [ [[ test true false : shift set unset
    . source read cd kill sleep rm touch mkdir chmod chown ln let trap ulimit umask wait break
    continue getopts usleep logger checkproc rc_reset rc_exit rc_failed rc_check""".split()
)
SYSTEMD_GUARD = b"_use_systemctl"


def node_key(path: str, node: Node) -> tuple[str, int, int, str]:
    return (path, node.start_byte, node.end_byte, node.type)





SILENT_NODES = frozenset((
    "function_definition", "comment", "variable_assignment", "declaration_command", "test_command",
    "heredoc_body", "command_substitution", "string", "word", "raw_string", "simple_expansion", "expansion",
    "number", "arithmetic_expansion", "unset_command", "concatenation", "extglob_pattern",
))


@dataclass(frozen=True, eq=False)
class CallSite:
    """A call that led to a function's body, with the one that led to it: a chain shared by every
    call below it, so that a chain of calls N deep costs N of them, not N * N / 2."""

    path: str
    node: Node
    outer: CallSite | None = None


@dataclass(frozen=True)
class Context:
    path: str
    stream: str = "stdout"
    in_loop: bool = False
    calls: CallSite | None = None  # the innermost call site that led here


Work = Union[tuple[Node, Context], Callable[[], list["Work"]]]
# Walks a library function on its own for a call from a script (see scan.library_walk), once per
# library, function, stream and loop: gets the body, the stream and whether it is in a loop, and
# answers whether a command in it writes to stdout, and whether one that is not an external program does.
Enter = Callable[[Node, str, bool], tuple[bool, bool]]
LIBRARY_CALL = "library"  # a `raw` kind: a call from the script into a library function walked on its own


class Walker:
    def __init__(self, path: str, env: dict[bytes, bytes], library: Library | None,
                 script_functions: dict[bytes, Node], library_visible: bool, parents: Index,
                 enter: Enter | None = None) -> None:
        self.path = path
        self.tree_index = parents
        self.family = library.family if library is not None else None
        self.printers = self.family.printers if self.family is not None else {}
        self.library = library
        self.functions = script_functions
        self.library_visible = library_visible
        self.enter = enter
        # (context, command node, kind); LIBRARY_CALL: (the function's context, its body, LIBRARY_CALL)
        self.raw: list[tuple[Context, Node, str]] = []
        self.printing: set[tuple[str, int, int, str]] = set()
        self._printed: set[CallSite] = set()  # the call sites whose nodes are in `printing`
        # calls into functions that print; the body of a library function walked on its own, else None
        self.calls: list[tuple[Context, Node, Node | None]] = []
        self.errors: list[int] = []
        self.active: set[tuple[str, int, int, str]] = set()
        self.envs: dict[str, dict[bytes, bytes]] = {path: env}
        if library is not None and library.path != path:
            self.envs[library.path] = library.env

    def env(self, path: str) -> dict[bytes, bytes]:
        return self.envs[path]

    # statements ------------------------------------------------------
    def visit(self, node: Node, ctx: Context) -> None:
        """Walk NODE with an explicit stack: a script nested 10,000 deep is walked, not a RecursionError."""
        stack: list[Work] = [(node, ctx)]
        while stack:
            item = stack.pop()
            todo = item() if callable(item) else self._step(*item)
            stack.extend(reversed(todo))

    def _step(self, node: Node, ctx: Context) -> list[Work]:
        kind = node.type
        if kind == "ERROR" or node.is_missing or swallows_statements(node):
            self.errors.append(node.start_byte)
            return []
        if kind == "command":
            return self.command(node, ctx)
        if kind == "redirected_statement":
            return self.redirected(node, ctx)
        if kind == "pipeline":
            parts = list(node.named_children)
            piped = Context(ctx.path, "pipe", ctx.in_loop, ctx.calls)
            work: list[Work] = [(part, piped) for part in parts[:-1]]
            return work + [(part, ctx) for part in parts[-1:]]
        if kind == "if_statement" and self._systemd_guard(node):
            return [(c, ctx) for c in node.named_children[1:] if c.type in ("elif_clause", "else_clause")]
        if kind in ("while_statement", "for_statement", "c_style_for_statement", "until_statement"):
            looped = Context(ctx.path, ctx.stream, True, ctx.calls)
            return [(child, looped) for child in node.named_children if _visited(child)]
        if kind in SILENT_NODES:
            return []
        return [(child, ctx) for child in node.named_children if _visited(child)]

    def _systemd_guard(self, node: Node) -> bool:
        """Red Hat's systemctl redirect: never taken from /etc/ha.d/resource.d, where $0 is not in init.d."""
        condition = node.child_by_field_name("condition")
        return condition is not None and SYSTEMD_GUARD in text(condition)

    def redirected(self, node: Node, ctx: Context) -> list[Work]:
        stream = ctx.stream
        body = node.child_by_field_name("body")
        heredoc = False
        for redirect in node.children_by_field_name("redirect"):
            if redirect.type in ("heredoc_redirect", "herestring_redirect"):
                heredoc = True
                for after in redirect.children_by_field_name("redirect"):  # `cat <<EOF >&2`
                    stream = _redirect_stream(after, stream) if after.type == "file_redirect" else stream
            elif redirect.type == "file_redirect":
                stream = _redirect_stream(redirect, stream)
        inner = Context(ctx.path, stream, ctx.in_loop, ctx.calls)
        if body is None:
            return []
        if heredoc and body.type == "command" and command_name(body) == b"cat" and not arguments(body):
            self.record(inner, body, "heredoc", node)
            return []
        return [(body, inner)]

    def command(self, node: Node, ctx: Context) -> list[Work]:
        name = command_name(node)
        in_library = self.library is not None and ctx.path == self.library.path
        if name is None:
            self.record(ctx, node, "external")
        elif name in (b"echo", b"printf"):
            self.record(ctx, node, name.decode())
        elif name in self.printers and (in_library or (self.library_visible and name not in self.functions)):
            self.record(ctx, node, "printer")
        elif name == STATE_PRINTER and self.family is not None and self.family.name == "suse" \
                and any(text(a) == b"-v" for a in arguments(node)):
            self.record(ctx, node, "state")
        elif name in self.functions and not in_library:
            return self.call(ctx, node, self.path, self.functions[name])
        elif self.library is not None and (in_library or self.library_visible) and name in self.library.functions:
            return self.call(ctx, node, self.library.path, self.library.functions[name])
        elif name.rsplit(b"/", 1)[-1] in QUIET or any(text(a) in (b"-q", b"--quiet", b"--silent")
                                                        for a in arguments(node)):
            pass
        elif name == b"cat" and not arguments(node):
            pass  # copies stdin: nothing of the script's own
        else:
            self.record(ctx, node, "external")
        return []

    def call(self, ctx: Context, node: Node, path: str, body: Node) -> list[Work]:
        """Walk the called function's body, then note the call if it printed to stdout."""
        inner = Context(path, ctx.stream, ctx.in_loop, CallSite(ctx.path, node, ctx.calls))
        if self.enter is not None and path != ctx.path:
            # From the script into the library: what the library's code prints does not depend on
            # the script (it never calls the script's functions), so it is walked and judged once.
            writes, prints = self.enter(body, ctx.stream, ctx.in_loop)
            self.raw.append((inner, body, LIBRARY_CALL))
            if writes:
                self._printing(inner.calls)
            if prints:
                self.calls.append((ctx, node, body))
            return []
        key = node_key(path, body)
        if key in self.active:
            return []  # recursion: bash would loop; one pass shows every output
        self.active.add(key)
        raw, calls = len(self.raw), len(self.calls)

        def after() -> list[Work]:
            self.active.discard(key)
            if self.printed_since(raw, calls):
                self.calls.append((ctx, node, None))
            return []

        return [(body, inner), after]

    def printed_since(self, raw: int, calls: int) -> bool:
        """Whether a command that is not an external program wrote to stdout after the walk's first
        RAW records and CALLS calls: itself, or in a library function walked on its own (whose
        LIBRARY_CALL record says nothing of what it prints: its call is in `calls` when it prints)."""
        return any(c.stream == "stdout" and k not in ("external", LIBRARY_CALL) for c, _, k in self.raw[raw:]) \
            or any(entered is not None for _, _, entered in self.calls[calls:])

    def record(self, ctx: Context, node: Node, kind: str, statement: Node | None = None) -> None:
        self.raw.append((ctx, node, kind))
        if ctx.stream == "stdout":
            self._printing(CallSite(ctx.path, statement or node, ctx.calls))

    def _printing(self, site: CallSite | None) -> None:
        """Something printed at SITE: it, the call sites that led to it and every node around them print."""
        while site is not None and site not in self._printed:  # a site's outer ones are in when it is
            self._printed.add(site)
            self.printing.add(node_key(site.path, site.node))
            for above in self.tree_index.ancestors(site.node):
                self.printing.add(node_key(site.path, above))
            site = site.outer


def _visited(node: Node) -> bool:
    """Does the walk step into NODE: not a silent one, unless it hides statements (#316)."""
    return node.type not in SILENT_NODES or swallows_statements(node)


def swallows_statements(node: Node) -> bool:
    """tree-sitter-bash #316: with a redirection between two `[ ... ]` tests, the first test is read
    as one `[ ... ]` holding every statement up to the second, with no ERROR node. A test holds no
    redirected statement in bash, let alone one across lines."""
    return node.type == "test_command" and b"\n" in text(node) and \
        any(c.type == "redirected_statement" for c in node.named_children)


def _redirect_stream(redirect: Node, stream: str) -> str:
    descriptor = redirect.child_by_field_name("descriptor")
    operator = [text(c) for c in redirect.children if not c.is_named]
    destination = redirect.child_by_field_name("destination")
    target = text(destination) if destination is not None else b""
    op = operator[0] if operator else b">"
    fd = text(descriptor) if descriptor is not None else b"1"
    if op in (b"<", b"<&", b"<>") or (fd != b"1" and op not in (b"&>", b"&>>")):
        return stream
    if op in (b">&", b"&>") and target == b"2":
        return "stderr"
    if op in (b">&",) and target == b"1":
        return stream
    if target == b"/dev/null":
        return "null"
    if op == b">&" and target == b"-":
        return "null"
    return "file"
