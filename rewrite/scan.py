"""Find status implementations and every command on their paths that writes to stdout.

A file is a *library* when it defines `status()` and has no `status` arm of its own (Red Hat's
`functions`); an *init script* when a `case` has a `status` arm. The walk starts at the library's
`status()` or the script's arm, follows calls as bash resolves them (a script's own function
shadows the library's when defined after the library is sourced), and records an `Output` for
each command that may write to stdout, with the stream it really reaches and the exit or return
code of the branch it ends in.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import NamedTuple

from tree_sitter import Node, Tree

from rewrite.families import BY_LIBRARY, Family, library_family
from rewrite.flow import Exit, Flow, statement_of
from rewrite.library import Library, function_defs
from rewrite.messages import echo_args, message_pieces, printf_format, redirect_words, render, render_printf
from rewrite.parse import Index, Span, arguments, command_name, first_error, index, parse, text, unquote, walk
from rewrite.values import literal_assignments, literal_value
from rewrite.walk import LIBRARY_CALL, Context, Walker, node_key


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
    guarded: bool = False  # sourced only if it exists: `[ -f FILE ] && . FILE`, `if test -r FILE; then . FILE`


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
    hidden: bool = False  # no status operation was found, and the parse error at ERROR may hide one





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
        value = literal_value(args[0], env)
        family = BY_LIBRARY.get(value.rsplit(b"/", 1)[-1]) if value is not None else None
        if value is not None and family is not None:
            found.append(SourceLine(Span(args[0].start_byte, args[0].end_byte), value, family,
                                    _guarded(node, value, index_, env)))
    return found


_FILE_TESTS = frozenset((b"-e", b"-f", b"-r", b"-s"))


def _guarded(command: Node, value: bytes, index_: Index, env: dict[bytes, bytes]) -> bool:
    """Does COMMAND (`. VALUE`) run only when a test finds the file VALUE: the right side of
    `TEST && . VALUE`, or the `then` branch of `if TEST; then` or `elif TEST; then`?"""
    node = command
    for parent in index_.ancestors(command):
        if parent.type == "list":
            children, place = index_.siblings(parent, node)
            if len(children) == 3 and place == 2 and text(children[1]) == b"&&" \
                    and _tests_file(children[0], value, env):
                return True
        elif parent.type in ("if_statement", "elif_clause"):
            children, place = index_.siblings(parent, node)
            then = next((i for i, c in enumerate(children) if c.type == "then"), len(children))
            if then < place and not node.type.endswith("_clause") \
                    and any(_tests_file(c, value, env) for c in children[1:then] if c.is_named):
                return True
        elif parent.type not in ("redirected_statement", "compound_statement"):
            return False
        node = parent
    return False


def _tests_file(node: Node, value: bytes, env: dict[bytes, bytes]) -> bool:
    """Is NODE `[ -f VALUE ]`, `[[ -r VALUE ]]` or `test -e VALUE` (or -s)?"""
    if node.type == "test_command":
        tests = [c for c in node.named_children if c.type == "unary_expression"]
        if len(tests) != 1 or len(node.named_children) != 1:
            return False
        operator, *operands = tests[0].children
        return text(operator) in _FILE_TESTS and len(operands) == 1 and literal_value(operands[0], env) == value
    if node.type == "command" and command_name(node) == b"test":
        args = arguments(node)
        return len(args) == 2 and text(args[0]) in _FILE_TESTS and literal_value(args[1], env) == value
    return False


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
    definitions = sorted(found.nodes["function_definition"], key=lambda n: n.start_byte)
    before, enclosing_end = 0, -1  # definitions starting before the node; the furthest end among them
    for node in sorted(definitions + found.nodes["source"], key=lambda n: n.start_byte):
        if node.start_byte >= limit:
            break
        while before < len(definitions) and definitions[before].start_byte < node.start_byte:
            enclosing_end = max(enclosing_end, definitions[before].end_byte)
            before += 1
        if node.end_byte <= enclosing_end:
            continue  # inside a function body (nodes nest or are apart): runs only when that function is called
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
    own = dict(function_defs(found))
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
    broken = _broken_status_arm(root)
    return Scan("none", source_lines=tuple(lines), error=error.start_byte if broken is None else broken,
                hidden=broken is None)


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
    enter = _entering(library) if library is not None and library.path != path else None
    for entry, functions, loaded in entries:
        walker = Walker(path, env, library, functions, loaded, found, enter)
        values = entry.children_by_field_name("value") if entry.type == "case_item" else []
        statements = [c for c in entry.named_children if c not in values]
        for statement in statements:
            walker.visit(statement, Context(path))
        error = first_error(entry)
        judged, judged_lists, walk_errors = _judge_walk(walker)
        errors += ([error.start_byte] if error is not None else []) + walk_errors
        outputs += judged
        lists += judged_lists + [o.span for o in judged if o.role == "status" and o.in_loop]
    return Scan(kind, tuple(dict.fromkeys(outputs)), lines,
                tuple(dict.fromkeys(lists)), min(errors) if errors else None,
                tuple(Span(e.start_byte, e.end_byte) for e, _, _ in entries))


class LibraryWalk(NamedTuple):
    """A library function walked and judged on its own, for every script's call with one stream, in a loop or not."""

    outputs: tuple[Output, ...]
    lists: tuple[Span, ...]  # its calls that print a state and are followed by another (see _judge_walk)
    errors: tuple[int, ...]
    writes: bool  # a command in it writes to stdout
    prints: bool  # one that is not an external program


def library_walk(library: Library | None, body: Node, stream: str, in_loop: bool) -> LibraryWalk:
    """The walk of the library function BODY, as a script's call with STREAM (in a loop or not) makes
    it: once per library. Within it, bash runs only the library's functions, and which lines end its
    branches, print before others or set their codes is decided inside each function body."""
    assert library is not None, "a library call without a library"
    key = (body, stream, in_loop)
    if key not in library.walks:
        walker = Walker(library.path, library.env, library, {}, True, library.index)
        walker.active.add(node_key(library.path, body))  # the function itself: a call back into it recurses
        walker.visit(body, Context(library.path, stream, in_loop))
        outputs, lists, errors = _judge_walk(walker)
        library.walks[key] = LibraryWalk(tuple(outputs), tuple(lists), tuple(errors),
                                         any(c.stream == "stdout" for c, _, _ in walker.raw),
                                         walker.printed_since(0, 0))
    return library.walks[key]


def _entering(library: Library) -> Callable[[Node, str, bool], tuple[bool, bool]]:
    def enter(body: Node, stream: str, in_loop: bool) -> tuple[bool, bool]:
        walked = library_walk(library, body, stream, in_loop)
        return walked.writes, walked.prints
    return enter


def _judge_walk(walker: Walker) -> tuple[list[Output], list[Span], list[int]]:
    """The walk's outputs, judged in walk order (a library call's own in its place), the calls that
    print a state and are followed by another (or are in a loop), and where the walk met parse errors."""
    flow = Flow(walker)
    up = walker.tree_index
    stmts = [(ctx, node, kind, statement_of(node, up) if kind != LIBRARY_CALL else node)
             for ctx, node, kind in walker.raw]
    for ctx, _, kind, stmt in stmts:
        if ctx.stream == "stdout" and kind != LIBRARY_CALL:
            flow.output_stmts.add(node_key(ctx.path, stmt))
            if kind == "state":
                flow.state_stmts.add(node_key(ctx.path, stmt))
    for ctx, node, _ in walker.calls:
        flow.call_stmts.add(node_key(ctx.path, statement_of(node, up)))
    outputs: list[Output] = []
    errors = list(walker.errors)
    for ctx, node, kind, stmt in stmts:
        if kind == LIBRARY_CALL:
            walked = library_walk(walker.library, node, ctx.stream, ctx.in_loop)
            outputs += walked.outputs
            errors += walked.errors
        else:
            outputs.append(_output(walker, flow, ctx, node, kind, stmt))
    lists: list[Span] = []
    for ctx, node, entered in walker.calls:
        if entered is not None:
            lists += library_walk(walker.library, entered, ctx.stream, ctx.in_loop).lists
        stmt = statement_of(node, up)
        if ctx.stream == "stdout" and (ctx.in_loop or not flow.after(ctx.path, stmt).definite):
            lists.append(Span(stmt.start_byte, stmt.end_byte))
    return outputs, lists, errors


def _output(walker: Walker, flow: Flow, ctx: Context, node: Node, kind: str, stmt: Node) -> Output:
    env = walker.env(ctx.path)
    name = command_name(node) or text(node.children[0])
    extra, keep = redirect_words(stmt)
    args = arguments(node) + extra
    line = Span(node.start_byte, stmt.end_byte if extra else node.end_byte)
    printer_outcome = None
    if kind == "echo":
        args, _ = echo_args(args)
        _, rendered, translated, unbounded = render(args, env)
        written = text(node)
    elif kind == "printf":
        _, rendered, translated, unbounded = render_printf(args, env)
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
    literals, dollars = message_pieces(args if message else printf_format(args) if kind == "printf" else [])
    return Output(ctx.path, Span(node.start_byte, node.end_byte), kind, name, written, rendered, translated,
                  unbounded, ctx.stream, code, role, ctx.in_loop, printer_outcome, exit_, line,
                  keep if extra else b"", literals, dollars, tail)



def scan_bytes(path: str, data: bytes, library: Library | None = None) -> Scan:
    """Parse and scan one file's bytes."""
    return scan_tree(path, parse(data), library)
