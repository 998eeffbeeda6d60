"""Find status implementations and every command on their paths that writes to stdout.

A file is a *library* when it defines `status()` and has no `status` arm of its own (Red Hat's
`functions`); an *init script* when a `case` has a `status` arm. The walk starts at the library's
`status()` or the script's arm, follows calls as bash resolves them (a script's own function
shadows the library's when defined after the library is sourced), and records an `Output` for
each command that may write to stdout, with the stream it really reaches and the exit or return
code of the branch it ends in.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from typing import NamedTuple, Union

from tree_sitter import Node, Tree

from rewrite.families import BY_LIBRARY, REDHAT, STATE_PRINTER, Family, library_family
from rewrite.parse import Index, arguments, command_name, first_error, index, parse, text, unquote, walk

# Builtins and utilities that write nothing to stdout.
QUIET = frozenset(
    b"""return exit local declare typeset export readonly [ [[ test true false : shift set unset
    . source read cd kill sleep rm touch mkdir chmod chown ln let trap ulimit umask wait break
    continue getopts usleep logger checkproc rc_reset rc_exit rc_failed rc_check""".split()
)
TERMINATORS = (b"return", b"exit")
SOURCE_COMMANDS = (b".", b"source")
SYSTEMD_GUARD = b"_use_systemctl"
PID_SAMPLE = b" ".join(b"%d" % (1000001 + i) for i in range(9))  # nine 7-digit pids


class Span(NamedTuple):
    start: int
    end: int


@dataclass(frozen=True)
class Output:
    """A command on a status path that may write to stdout."""

    path: str  # the file holding the command (a script, or the library it calls)
    span: Span  # the command node
    kind: str  # echo | printf | printer | heredoc | external
    name: bytes
    text: bytes  # the message as written, for display
    rendered: bytes  # the message with sample values, as a consumer would see it
    translated: bool  # $"..." text: the locale decides the words
    unbounded: bool  # an expansion of unknown length comes before the state word
    stream: str  # stdout | stderr | null | file | pipe
    code: int | None  # exit/return code of the branch it ends in
    role: str  # status | preamble | trailer | blank
    in_loop: bool
    printer_outcome: str | None = None
    exit: Exit | None = None  # where the branch's exit code is set, for the LSB fixes
    line: Span = Span(0, 0)  # what a rewritten line replaces: the command and any words after redirections
    keep: bytes = b""  # the redirections to keep after a rewritten line
    literals: tuple[tuple[Span, bytes], ...] = ()  # literal pieces of the message, rewordable
    dollars: tuple[Span, ...] = ()  # the `$` of each $"..." in the message
    tail: Span | None = None  # where an exit of its own goes: the end of its block, if its exit follows at once


@dataclass(frozen=True)
class SourceLine:
    """A `. FILE` line that loads a family's function library."""

    span: Span  # the argument naming the library
    value: bytes
    family: Family


@dataclass(frozen=True)
class Scan:
    """What the scanner found in one file."""

    kind: str  # script | library | none
    outputs: tuple[Output, ...] = ()
    source_lines: tuple[SourceLine, ...] = ()
    lists: tuple[Span, ...] = ()  # calls that print a state and are followed by another
    error: int | None = None  # byte offset of a parse error on the status path
    entries: tuple[Span, ...] = ()
    library_family: Family | None = None  # for a library: its family


@dataclass
class Library:
    """A parsed function library the scripts call into."""

    path: str
    data: bytes
    tree: Tree
    functions: dict[bytes, Node]
    index: Index
    family: Family = REDHAT

    @classmethod
    def load(cls, path: str, data: bytes, family: Family = REDHAT, prepared: tuple[Tree, Index] | None = None) -> Library:
        """The library in DATA; PREPARED: its tree and index, when the caller has them already."""
        tree, found = prepared or _parsed(data)
        return cls(path, data, tree, dict(_function_defs(found)), found, family)

    @cached_property
    def env(self) -> dict[bytes, bytes]:
        """Its top-level literal assignments (see literal_assignments), read once."""
        return literal_assignments(self.tree.root_node)


def _parsed(data: bytes) -> tuple[Tree, Index]:
    tree = parse(data)
    return tree, index(tree.root_node)


def _function_defs(found: Index) -> Iterator[tuple[bytes, Node]]:
    for sub in found.nodes["function_definition"]:
        name = sub.child_by_field_name("name")
        body = sub.child_by_field_name("body")
        if name is not None and body is not None:
            yield text(name), body


def _key(path: str, node: Node) -> tuple[str, int, int, str]:
    return (path, node.start_byte, node.end_byte, node.type)


# ---------------------------------------------------------------- variables


def literal_assignments(root: Node) -> dict[bytes, bytes]:
    """Top-level `NAME=literal` (and `NAME=${X-literal}`) assignments, last one wins."""
    values: dict[bytes, bytes] = {}
    for node in root.children:
        if node.type == "variable_assignment":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if name is not None and value is not None:
                resolved = _value(value, values)
                if resolved is not None:
                    values[text(name)] = resolved
    return values


def _value(node: Node, env: dict[bytes, bytes]) -> bytes | None:
    """The value of a word built from literals and known variables, or None."""
    literal = unquote(node)
    if literal is not None:
        return literal
    if node.type in ("simple_expansion", "expansion"):
        return _expansion_value(node, env)
    if node.type in ("string", "concatenation"):
        parts = []
        for child in node.named_children:
            if child.type == "string_content":
                parts.append(text(child))
                continue
            value = _value(child, env)
            if value is None:
                return None
            parts.append(value)
        return b"".join(parts)
    return None


def _expansion_value(node: Node, env: dict[bytes, bytes]) -> bytes | None:
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


def _var_name(node: Node) -> bytes | None:
    names = [c for c in node.named_children if c.type == "variable_name"]
    return text(names[0]) if names else None


# ---------------------------------------------------------------- messages


def render(args: list[Node], env: dict[bytes, bytes]) -> tuple[bytes, bytes, bool, bool]:
    """(text as written, text with sample values, translated?, unbounded before a state word?)."""
    written: list[bytes] = []
    rendered: list[bytes] = []
    translated = False
    unknown_at: int | None = None
    for arg in args:
        if arg.type == "$":
            translated = True
            continue
        written.append(text(arg))
        offset = len(b" ".join(rendered + [b""])) if rendered else 0
        piece, unknown = _render_word(arg, env)
        if unknown is not None and unknown_at is None:
            unknown_at = offset + unknown
        rendered.append(piece)
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
        value = _expansion_value(node, env)
        if value is not None:
            return value, None
        name = _var_name(node) or b"value"
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


def _echo_args(args: list[Node]) -> tuple[list[Node], bool]:
    """Drop echo's options; say whether it ends its line (no -n)."""
    newline = True
    while args and args[0].type == "word" and text(args[0])[:1] == b"-" and set(text(args[0])[1:]) <= set(b"neE"):
        newline = newline and b"n" not in text(args[0])
        args = args[1:]
    return args, newline


# ---------------------------------------------------------------- the walk


SILENT_NODES = frozenset((
    "function_definition", "comment", "variable_assignment", "declaration_command", "test_command",
    "heredoc_body", "command_substitution", "string", "word", "raw_string", "simple_expansion", "expansion",
    "number", "arithmetic_expansion", "unset_command", "concatenation", "extglob_pattern",
))


@dataclass(frozen=True)
class Context:
    path: str
    stream: str = "stdout"
    in_loop: bool = False
    calls: tuple[tuple[str, Node], ...] = ()  # call sites that led here


Work = Union[tuple[Node, Context], Callable[[], list["Work"]]]


class _Walker:
    def __init__(self, path: str, env: dict[bytes, bytes], library: Library | None,
                 script_functions: dict[bytes, Node], library_visible: bool, parents: Index) -> None:
        self.path = path
        self.tree_index = parents
        self.family = library.family if library is not None else None
        self.printers = self.family.printers if self.family is not None else {}
        self.library = library
        self.functions = script_functions
        self.library_visible = library_visible
        self.raw: list[tuple[Context, Node, str]] = []  # (context, command node, kind)
        self.printing: set[tuple[str, int, int, str]] = set()
        self.calls: list[tuple[Context, Node]] = []  # calls into functions that print
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
        key = _key(path, body)
        if key in self.active:
            return []  # recursion: bash would loop; one pass shows every output
        self.active.add(key)
        before = len(self.raw)

        def after() -> list[Work]:
            self.active.discard(key)
            if any(c.stream == "stdout" and k != "external" for c, _, k in self.raw[before:]):
                self.calls.append((ctx, node))
            return []

        return [(body, Context(path, ctx.stream, ctx.in_loop, ctx.calls + ((ctx.path, node),))), after]

    def record(self, ctx: Context, node: Node, kind: str, statement: Node | None = None) -> None:
        self.raw.append((ctx, node, kind))
        if ctx.stream != "stdout":
            return
        for path, site in ctx.calls + ((ctx.path, statement or node),):
            self.printing.add(_key(path, site))
            for above in self.tree_index.ancestors(site):
                self.printing.add(_key(path, above))


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


# ---------------------------------------------------------------- what follows an output

BRANCH_ENDS = frozenset((b"then", b"else", b"do", b"{", b"(", b")", b"in", b";;", b"elif", b"fi", b"esac", b"done", b"}"))


class Exit(NamedTuple):
    """Where a status branch's exit code is set, in the branch itself, for an LSB fix."""

    kind: str  # literal (`exit 0`: the number) | bare (`return`) | missing (falls through)
    span: Span  # literal: the number; bare and missing: where the code goes
    word: bytes  # b"return" in a function, b"exit" in a case arm


class Continuation(NamedTuple):
    definite: bool  # False: more status logic follows (the output is a preamble)
    code: int | None
    exit: Exit | None = None
    own: Span | None = None  # the end of the statement's own block, when EXIT runs right after it


class _Flow:
    """Follows execution after a statement, within its function or case arm."""

    def __init__(self, walker: _Walker) -> None:
        self.w = walker
        self.output_stmts: set[tuple[str, int, int, str]] = set()
        self.state_stmts: set[tuple[str, int, int, str]] = set()
        self.call_stmts: set[tuple[str, int, int, str]] = set()

    def after(self, path: str, stmt: Node, last: int | None = 0) -> Continuation:
        """LAST: the status STMT leaves in $? (0 for echo; unknown for an external program)."""
        env: dict[bytes, int | None] = {}
        cur = stmt
        up = self.w.tree_index.parent
        tail = self._tail(stmt)
        left = False  # the walk left the case arm: a terminator found now is not the branch's own
        own_block, ran_outside = True, False
        while up(cur) is not None:
            parent = up(cur)
            assert parent is not None
            if cur.type == "case_item":
                cur, left = parent, True  # after `;;` bash goes on after `esac`, not into the next arm
                continue
            children, place = self.w.tree_index.siblings(parent, cur)
            siblings = children[place + 1:]
            skip_next = False
            for sib in siblings:
                if not sib.is_named:
                    word = text(sib)
                    if word in (b"elif", b"else", b";;", b"fi", b"esac", b"done", b"}", b";&", b";;&"):
                        break
                    skip_next = word == b"||"
                    continue
                if sib.type in ("elif_clause", "else_clause", "comment"):
                    if sib.type == "comment":
                        continue
                    break
                if skip_next:
                    skip_next = False
                    continue
                verdict = self._step(path, sib, env, last)
                if isinstance(verdict, Continuation):
                    exit_ = verdict.exit if not left else _missing(tail, b"exit")
                    return verdict._replace(exit=exit_ if verdict.definite else None,
                                            own=None if ran_outside else tail)
                last = verdict
                ran_outside = ran_outside or not own_block
            grand = up(parent)
            if parent.type == "compound_statement" and grand is not None and grand.type == "function_definition":
                return Continuation(True, last, _missing(tail, b"return"))
            if parent.type == "program":
                return Continuation(True, last, _missing(tail, b"exit") if left else None)
            if parent.type == "do_group":
                return Continuation(True, None)  # the loop prints again: a list, see in_loop
            cur, own_block = parent, False
        return Continuation(True, last)  # pragma: no cover - the root is a program

    def _step(self, path: str, sib: Node, env: dict[bytes, int | None], last: int | None) -> Continuation | int | None:
        """Continuation when SIB ends the branch, else the status SIB leaves in $?."""
        inner = _statement_command(sib)
        if inner is not None and command_name(inner) in TERMINATORS:
            args = arguments(inner)
            word = text(inner.children[0])
            if not args:
                return Continuation(True, last, Exit("bare", Span(inner.end_byte, inner.end_byte), word))
            literal = args[0].type == "number"
            exit_ = Exit("literal", Span(args[0].start_byte, args[0].end_byte), word) if literal else None
            return Continuation(True, _code(args[0], env, last), exit_)
        if sib.type == "variable_assignment":
            name, value = sib.child_by_field_name("name"), sib.child_by_field_name("value")
            if name is not None and value is not None:
                env[text(name)] = _code(value, env, last)
            return 0
        key = _key(path, sib)
        if key in self.state_stmts:
            return Continuation(False, None)  # `echo -n "Checking foo: "; rc_status -v`: a banner
        if key in self.output_stmts:
            return 0
        if key in self.w.printing:
            return Continuation(False, None)
        if _has_terminator(sib):
            return Continuation(True, None)
        return None

    def _tail(self, stmt: Node) -> Span | None:
        """Where a missing `exit N` goes: after the last statement of STMT's branch (not in a list)."""
        parent = self.w.tree_index.parent(stmt)
        if parent is None or parent.type not in ("if_statement", "elif_clause", "else_clause", "case_item",
                                                 "compound_statement", "program") or stmt.type == "redirected_statement" \
                and any(c.type == "heredoc_redirect" for c in stmt.children):
            return None
        last = stmt
        children, place = self.w.tree_index.siblings(parent, stmt)
        for sib in children[place + 1:]:
            if not sib.is_named and text(sib) in BRANCH_ENDS | {b"elif", b"else", b";;"}:
                break
            if sib.is_named and sib.type not in ("comment", "elif_clause", "else_clause"):
                last = sib
            elif sib.type in ("elif_clause", "else_clause"):
                break
        if b"<<" in text(last) and any(sub.type == "heredoc_redirect" for sub in walk(last)):
            return None  # it ends on a here-document's terminator line: no `; exit N` can go there
        return Span(last.end_byte, last.end_byte)

    def before_printed(self, path: str, stmt: Node) -> bool:
        """Did an output statement or a printing call run just before STMT in its branch?"""
        parent = self.w.tree_index.parent(stmt)
        if parent is None or parent.type == "list":
            return False
        children, place = self.w.tree_index.siblings(parent, stmt)
        for sib in reversed(children[:place]):
            if not sib.is_named:
                if text(sib) in BRANCH_ENDS:
                    return False
                continue
            key = _key(path, sib)
            if key in self.output_stmts or key in self.call_stmts:
                return True
        return False


def _missing(tail: Span | None, word: bytes) -> Exit | None:
    return Exit("missing", tail, word) if tail is not None else None


def _statement_command(node: Node) -> Node | None:
    if node.type == "redirected_statement":
        body = node.child_by_field_name("body")
        return body if body is not None and body.type == "command" else None
    return node if node.type == "command" else None


def _statement_of(node: Node, found: Index) -> Node:
    """The statement a command stands for: its redirection or pipeline around it."""
    parent = found.parent(node)
    while parent is not None and parent.type in ("redirected_statement", "pipeline", "negated_command"):
        node, parent = parent, found.parent(parent)
    return node


def _code(node: Node, env: dict[bytes, int | None], last: int | None) -> int | None:
    literal = unquote(node)
    if literal is not None:
        return int(literal) if literal.isdigit() else None
    if node.type in ("simple_expansion", "expansion") or (node.type == "string" and node.named_child_count == 1):
        target = node if node.type != "string" else node.named_children[0]
        name = _var_name(target) if target.type in ("simple_expansion", "expansion") else None
        if target.type == "simple_expansion" and text(target) == b"$?":
            return last
        if name is not None:
            return env.get(name)
    return None


def _has_terminator(node: Node) -> bool:
    if not any(word in text(node) for word in TERMINATORS):
        return False  # the bytes say so without a walk
    for sub in walk(node):
        if sub.type == "command" and command_name(sub) in TERMINATORS:
            return True
    return False


# ---------------------------------------------------------------- entry points


def status_arms(found: Index) -> tuple[list[Node], list[Node]]:
    """`case` arms whose patterns include `status` (also `status|monitor)`, quoted forms):
    those of the script itself, and those inside functions (a `main()` that holds the case)."""
    arms: list[Node] = []
    nested: list[Node] = []
    for node in found.nodes["case_item"]:
        if any(unquote(v) == b"status" for v in node.children_by_field_name("value")):
            inside_function = any(a.type == "function_definition" for a in found.ancestors(node))
            (nested if inside_function else arms).append(node)
    return arms, nested


def source_lines(index_: Index, env: dict[bytes, bytes]) -> list[SourceLine]:
    """Every line sourcing a family's library (`. /etc/rc.d/init.d/functions`, `source
    /lib/lsb/init-functions`, `. /etc/rc.status`), through variables too."""
    found = []
    for node in index_.nodes["source"]:
        args = arguments(node)
        if not args:
            continue
        value = _value(args[0], env)
        family = BY_LIBRARY.get(value.rsplit(b"/", 1)[-1]) if value is not None else None
        if value is not None and family is not None:
            found.append(SourceLine(Span(args[0].start_byte, args[0].end_byte), value, family))
    return found


def _visible_functions(root: Node, entry: Node, library: Library | None,
                       lines: list[SourceLine], found: Index) -> tuple[dict[bytes, Node], bool]:
    """Function bodies visible where ENTRY runs, as bash resolves names; is the library loaded?

    Top-level statements before the one holding ENTRY run first, in order: a function defined
    after the library is sourced shadows the library's, one defined before is overwritten.
    """
    sourced_at = {line.span.start for line in lines}
    top = entry
    for above in found.ancestors(entry):
        if above.type == "program":
            break
        top = above
    limit = root.end_byte if top.type == "function_definition" else top.start_byte
    own: dict[bytes, Node] = {}
    loaded = False
    definitions = found.nodes["function_definition"]
    sources = found.nodes["source"]
    for node in sorted(definitions + sources, key=lambda n: n.start_byte):
        if node.start_byte >= limit:
            break
        if any(d.start_byte < node.start_byte and node.end_byte <= d.end_byte for d in definitions):
            continue  # inside a function body: runs only when that function is called
        if node.type == "function_definition":
            name, body = node.child_by_field_name("name"), node.child_by_field_name("body")
            if name is not None and body is not None:
                own[text(name)] = body
            continue
        args = arguments(node)
        if args and args[0].start_byte in sourced_at:
            loaded = True
            for function in library.functions if library is not None else ():
                own.pop(function, None)
    return own, loaded




class Prepared(NamedTuple):
    """What the pipeline learns before choosing a library: the tree's index, variables, source lines."""

    found: Index
    env: dict[bytes, bytes]
    lines: list[SourceLine]

    @property
    def family(self) -> Family | None:
        """The family of the first library the script sources."""
        return self.lines[0].family if self.lines else None


def prepare(tree: Tree) -> Prepared:
    found = index(tree.root_node)
    env = literal_assignments(tree.root_node)
    return Prepared(found, env, source_lines(found, env))


def scan_tree(path: str, tree: Tree, library: Library | None, prepared: Prepared | None = None) -> Scan:
    """Scan a parsed file: a library when it defines status() and has no status arm."""
    root = tree.root_node
    found, env, lines = prepared or prepare(tree)
    arms, nested = status_arms(found)
    own = dict(_function_defs(found))
    family = library_family(set(own))
    if not arms and family is None:
        arms = nested
    if arms:
        walker_entries = []
        for arm in arms:
            functions, loaded = _visible_functions(root, arm, library, lines, found)
            walker_entries.append((arm, functions, loaded))
        both = found.merged(library.index) if library is not None else found
        return _scan_entries(path, env, library, walker_entries, "script", tuple(lines), both)
    if family is not None:
        itself = Library(path, b"", tree, own, found, family)
        entries: list[tuple[Node, dict[bytes, Node], bool]] = [
            (own[name], {}, True) for name in family.status_functions if name in own]
        return replace(_scan_entries(path, env, itself, entries, "library", (), found), library_family=family)
    error = first_error(root)
    if error is None:
        return Scan("none", source_lines=tuple(lines))
    return Scan("none", source_lines=tuple(lines), error=_broken_status_arm(root) or error.start_byte)


def _broken_status_arm(root: Node) -> int | None:
    """Where a `status)` pattern stands inside an ERROR node: the arm that failed to parse."""
    for node in walk(root):
        if node.type != "ERROR":
            continue
        children = node.children
        for pattern, after in zip(children, children[1:]):
            if unquote(pattern) == b"status" and after.type == ")":
                return pattern.start_byte
    return None


def _scan_entries(path: str, env: dict[bytes, bytes], library: Library | None,
                  entries: list[tuple[Node, dict[bytes, Node], bool]], kind: str,
                  lines: tuple[SourceLine, ...], found: Index) -> Scan:
    outputs: list[Output] = []
    lists: list[Span] = []
    errors: list[int] = []
    for entry, functions, loaded in entries:
        walker = _Walker(path, env, library, functions, loaded, found)
        statements = [c for c in entry.named_children
                      if entry.type != "case_item" or c not in entry.children_by_field_name("value")]
        for statement in statements:
            walker.visit(statement, Context(path))
        error = first_error(entry)
        errors += ([error.start_byte] if error is not None else []) + walker.errors
        judged, judged_lists = _judge_walk(walker)
        outputs += judged
        lists += judged_lists
    return Scan(kind, tuple(dict.fromkeys(outputs)), lines,
                tuple(dict.fromkeys(lists)), min(errors) if errors else None,
                tuple(Span(e.start_byte, e.end_byte) for e, _, _ in entries))


def _judge_walk(walker: _Walker) -> tuple[list[Output], list[Span]]:
    flow = _Flow(walker)
    up = walker.tree_index
    stmts = [(ctx, node, kind, _statement_of(node, up)) for ctx, node, kind in walker.raw]
    for ctx, _, kind, stmt in stmts:
        if ctx.stream == "stdout":
            flow.output_stmts.add(_key(ctx.path, stmt))
            if kind == "state":
                flow.state_stmts.add(_key(ctx.path, stmt))
    for ctx, node in walker.calls:
        flow.call_stmts.add(_key(ctx.path, _statement_of(node, up)))
    outputs = [_output(walker, flow, ctx, node, kind, stmt) for ctx, node, kind, stmt in stmts]
    lists = []
    for ctx, node in walker.calls:
        stmt = _statement_of(node, up)
        if ctx.stream == "stdout" and (ctx.in_loop or not flow.after(ctx.path, stmt).definite):
            lists.append(Span(stmt.start_byte, stmt.end_byte))
    lists += [o.span for o in outputs if o.role == "status" and o.in_loop]
    return outputs, lists


def _output(walker: _Walker, flow: _Flow, ctx: Context, node: Node, kind: str, stmt: Node) -> Output:
    env = walker.env(ctx.path)
    name = command_name(node) or text(node.children[0])
    extra, keep = _redirect_words(stmt)
    args = arguments(node) + extra
    line = Span(node.start_byte, stmt.end_byte if extra else node.end_byte)
    printer_outcome = None
    if kind == "echo":
        args, _ = _echo_args(args)
        _, rendered, translated, unbounded = render(args, env)
        written = text(node)
    elif kind == "printf":
        _, rendered, translated, unbounded = _render_printf(args, env)
        written = text(node)
    elif kind == "printer":
        printer = walker.printers[name]
        printer_outcome = printer.outcome
        if printer.text is None:  # log_success_msg "$name is running": the arguments are the message
            _, rendered, translated, unbounded = render(args, env)
        else:
            rendered, translated, unbounded = printer.text, False, False
        written = text(node)
    elif kind == "state":
        written, rendered, translated, unbounded = text(node), b"running", False, False
    elif kind == "heredoc":
        bodies = [c for c in walk(stmt) if c.type == "heredoc_body"]
        written = rendered = text(bodies[0]) if bodies else b""
        translated, unbounded = False, False
    else:
        written, rendered, translated, unbounded = text(node), b"", False, False
    role = "redirected"
    code = None
    exit_ = None
    tail = None
    if ctx.stream == "stdout":
        after = flow.after(ctx.path, stmt, None if kind == "external" else 0)
        code, exit_, tail = after.code, after.exit, after.own
        if kind == "state":
            role = "status"  # `rc_status -v` prints the state line itself, whatever came before
        elif kind != "external" and not rendered.strip() and not translated:
            role = "blank"
        elif not after.definite:
            role = "preamble"
        elif flow.before_printed(ctx.path, stmt):
            role = "trailer"
        else:
            role = "status"
    message = kind == "echo" or (kind == "printer" and walker.printers[name].text is None)
    literals, dollars = _pieces(args if message else _printf_format(args) if kind == "printf" else [])
    return Output(ctx.path, Span(node.start_byte, node.end_byte), kind, name, written, rendered, translated,
                  unbounded, ctx.stream, code, role, ctx.in_loop, printer_outcome, exit_, line,
                  keep if extra else b"", literals, dollars, tail)


def _redirect_words(stmt: Node) -> tuple[list[Node], bytes]:
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


def _printf_format(args: list[Node]) -> list[Node]:
    return [a for a in args if not (a.type == "word" and text(a) == b"--")]


def _pieces(args: list[Node]) -> tuple[tuple[tuple[Span, bytes], ...], tuple[Span, ...]]:
    """Literal fragments of a message (spans and bytes) and its $"..." dollar signs."""
    literals, dollars = [], []
    for arg in args:
        if arg.type == "$":
            dollars.append(Span(arg.start_byte, arg.end_byte))
        glued = {(c.start_byte, c.end_byte) for c in arg.named_children} if arg.type == "concatenation" else set()
        for sub in walk(arg):  # a word glued to an expansion (`running$p`) is one of the concatenation's children
            if sub.type in ("string_content", "raw_string") or (sub.type == "word" and (
                    sub is arg or (sub.start_byte, sub.end_byte) in glued)):
                literals.append((Span(sub.start_byte, sub.end_byte), text(sub)))
    return tuple(literals), tuple(dollars)


def _render_printf(args: list[Node], env: dict[bytes, bytes]) -> tuple[bytes, bytes, bool, bool]:
    if args and args[0].type == "word" and text(args[0]) == b"--":
        args = args[1:]
    translated = bool(args) and args[0].type == "$"
    if translated:
        args = args[1:]
    if not args:
        return b"", b"", translated, False
    written, out, _, _ = render(args[:1], env)
    out = out.replace(b"\\n", b"\n").replace(b"%%", b"\0")
    unknown_at: list[int] = []
    for arg in args[1:]:
        holes = [p for p in (out.find(b"%s"), out.find(b"%d")) if p >= 0]
        if not holes:
            break
        piece, unknown = _render_word(arg, env)
        if unknown is not None:
            unknown_at.append(min(holes) + unknown)
        out = out[:min(holes)] + piece + out[min(holes) + 2:]
    out = out.replace(b"\0", b"%")
    written_all = b" ".join([written] + [text(a) for a in args[1:]])
    return written_all, out, translated, any(_state_after(out, at) for at in unknown_at)


def scan_bytes(path: str, data: bytes, library: Library | None = None) -> Scan:
    """Parse and scan one file's bytes."""
    return scan_tree(path, parse(data), library)
