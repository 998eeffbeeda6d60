"""What follows an output on its branch: is it the status line, a preamble or a trailer, and which
exit code does the branch end with."""
from __future__ import annotations

from typing import NamedTuple

from tree_sitter import Node

from rewrite.parse import Index, Span, arguments, command_name, text, unquote, walk
from rewrite.values import var_name
from rewrite.walk import Walker, node_key

TERMINATORS = (b"return", b"exit")

BRANCH_ENDS = frozenset((b"then", b"else", b"do", b"{", b"(", b")", b"in", b";;", b"elif", b"fi", b"esac", b"done", b"}"))


class Exit(NamedTuple):
    """Where a status branch's exit code is set, in the branch itself, for an LSB fix."""

    kind: str  # literal (`exit 0`: the number) | bare (`return`) | missing (falls through) | blocked
    span: Span  # literal: the number; bare and missing: where the code goes; blocked: where it cannot
    # (blocked: the branch falls through to statements after its block, which `; exit N` would skip)
    word: bytes  # b"return" in a function, b"exit" in a case arm


class Continuation(NamedTuple):
    definite: bool  # False: more status logic follows (the output is a preamble)
    code: int | None
    exit: Exit | None = None
    own: Span | None = None  # the end of the statement's own block, when EXIT runs right after it


class _Ending(NamedTuple):
    """Where a branch's walk stopped: a statement's verdict (`step`), the end of its function, of the
    script, a loop's body, or the root; with $? and the walk's state there."""

    how: str
    last: int | None
    left: bool
    ran_outside: bool
    verdict: Continuation | None = None


class Flow:
    """Follows execution after a statement, within its function or case arm."""

    def __init__(self, walker: Walker) -> None:
        self.w = walker
        self.output_stmts: set[tuple[str, int, int, str]] = set()
        self.state_stmts: set[tuple[str, int, int, str]] = set()
        self.call_stmts: set[tuple[str, int, int, str]] = set()
        self._lasts: dict[Node, list[Node | None]] = {}  # see _tail
        self._endings: dict[tuple[object, ...], _Ending] = {}  # see _ending; it reads the sets above: fill them first

    def after(self, path: str, stmt: Node, last: int | None = 0) -> Continuation:
        """LAST: the status STMT leaves in $? (0 for echo; unknown for an external program)."""
        tail = self._tail(stmt)
        ending = self._ending(path, stmt, last)
        if ending.how == "step":
            assert ending.verdict is not None
            exit_ = ending.verdict.exit if not ending.left else _missing(tail, b"exit", ending.ran_outside)
            return ending.verdict._replace(exit=exit_ if ending.verdict.definite else None,
                                           own=None if ending.ran_outside else tail)
        if ending.how == "function":
            return Continuation(True, ending.last, _missing(tail, b"return", ending.ran_outside))
        if ending.how == "program":
            return Continuation(True, ending.last, _missing(tail, b"exit", ending.ran_outside) if ending.left else None)
        if ending.how == "loop":
            return Continuation(True, None)  # the loop prints again: a list, see in_loop
        return Continuation(True, ending.last)  # pragma: no cover - the root is a program

    def _ending(self, path: str, stmt: Node, last: int | None) -> _Ending:
        """How the branch goes on after STMT, up to where it ends.

        The walk's state at a statement (the statement, the variables and $? known, whether the
        walk left the case arm or STMT's own block) decides the rest of it: each state's ending is
        kept, so that the outputs of one long branch, each followed to its end, cost one walk of
        it, not one each."""
        env: dict[bytes, int | None] = {}
        cur = stmt
        up = self.w.tree_index.parent
        left = False  # the walk left the case arm: a terminator found now is not the branch's own
        own_block, ran_outside = True, False
        seen: list[tuple[object, ...]] = []
        ending = None
        while ending is None and up(cur) is not None:
            parent = up(cur)
            assert parent is not None
            if cur.type == "case_item":
                cur, left = parent, True  # after `;;` bash goes on after `esac`, not into the next arm
                continue
            children, place = self.w.tree_index.siblings(parent, cur)
            skip_next = False
            for sib in (children[i] for i in range(place + 1, len(children))):  # not a copy of the rest
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
                state: tuple[object, ...] = (node_key(path, sib), frozenset(env.items()), last, left, own_block,
                                             ran_outside)
                ending = self._endings.get(state)
                if ending is not None:
                    break
                seen.append(state)
                verdict = self._step(path, sib, env, last)
                if isinstance(verdict, Continuation):
                    ending = _Ending("step", last, left, ran_outside, verdict)
                    break
                last = verdict
                ran_outside = ran_outside or not own_block
            if ending is not None:
                break
            grand = up(parent)
            if parent.type == "compound_statement" and grand is not None and grand.type == "function_definition":
                ending = _Ending("function", last, left, ran_outside)
            elif parent.type == "program":
                ending = _Ending("program", last, left, ran_outside)
            elif parent.type == "do_group":
                ending = _Ending("loop", last, left, ran_outside)
            cur, own_block = parent, False
        ending = ending or _Ending("root", last, left, ran_outside)
        for state in seen:
            self._endings[state] = ending
        return ending

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
        key = node_key(path, sib)
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
        children, place = self.w.tree_index.siblings(parent, stmt)
        if parent not in self._lasts:
            self._lasts[parent] = _lasts(children)
        last = self._lasts[parent][place + 1] or stmt
        if b"<<" in text(last) and any(sub.type == "heredoc_redirect" for sub in walk(last)):
            return None  # it ends on a here-document's terminator line: no `; exit N` can go there
        return Span(last.end_byte, last.end_byte)

    def before_printed(self, path: str, stmt: Node) -> bool:
        """Did an output statement or a printing call run just before STMT in its branch?"""
        parent = self.w.tree_index.parent(stmt)
        if parent is None or parent.type == "list":
            return False
        children, place = self.w.tree_index.siblings(parent, stmt)
        for sib in (children[i] for i in range(place - 1, -1, -1)):  # not a copy of the ones before
            if not sib.is_named:
                if text(sib) in BRANCH_ENDS:
                    return False
                continue
            key = node_key(path, sib)
            if key in self.output_stmts or key in self.call_stmts:
                return True
        return False


def _lasts(children: list[Node]) -> list[Node | None]:
    """For each place in CHILDREN (and the end), the last statement from there up to the branch's end
    (`fi`, `;;`, `elif`, ...), None when none comes first: one pass from the end for every statement."""
    lasts: list[Node | None] = [None] * (len(children) + 1)
    for place in range(len(children) - 1, -1, -1):
        child = children[place]
        if child.type in ("elif_clause", "else_clause") or not child.is_named and text(child) in BRANCH_ENDS:
            continue  # the branch ends here: None
        statement = child.is_named and child.type != "comment"
        lasts[place] = lasts[place + 1] or (child if statement else None)
    return lasts


def _missing(tail: Span | None, word: bytes, ran_outside: bool = False) -> Exit | None:
    """Where the exit a branch lacks goes: after its last statement, unless statements outside its
    block ran before the exit it falls through to (`fi; logger checked; ;;`): `; exit N` there would
    skip them, so that exit is `blocked`."""
    if tail is None:
        return None
    return Exit("blocked" if ran_outside else "missing", tail, word)


def _statement_command(node: Node) -> Node | None:
    if node.type == "redirected_statement":
        body = node.child_by_field_name("body")
        return body if body is not None and body.type == "command" else None
    return node if node.type == "command" else None


def statement_of(node: Node, found: Index) -> Node:
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
        name = var_name(target) if target.type in ("simple_expansion", "expansion") else None
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
