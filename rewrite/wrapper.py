"""Wrappers for scripts whose status text no edit can fix: status from the original's exit code."""
from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence

from tree_sitter import Node

from rewrite import __version__
from rewrite.jinja import environment
from rewrite.parse import in_function, parse, text, unquote, walk
from rewrite.scan import Output
from rewrite.targets import declared_pidfile

LSB_CODES = range(0, 5)


def lsb_refusal(outputs: Sequence[Output]) -> str | None:
    """Why the original's status exit codes cannot be trusted to be LSB-like, or None.

    Codes propagated from a program (`$DAEMON status; exit $?`) are unknown here and trusted; a
    literal outside 0-4, or a status that exits 0 on every path, is the "not LSB compliant" case.
    """
    codes = [o.code for o in _status_lines(outputs)]
    odd = sorted({c for c in codes if c is not None and c not in LSB_CODES})
    if odd:
        return f"its status exits {', '.join(map(str, odd))}, which is not an LSB status code"
    if codes and all(c == 0 for c in codes):
        return "its status exits 0 whatever the state (not LSB compliant)"
    return None


def _status_lines(outputs: Sequence[Output]) -> list[Output]:
    """The lines a status prints to stdout, whose branches' exit codes a wrapper would answer from."""
    return [o for o in outputs if o.role == "status" and o.stream == "stdout"]


def lsb_codes(path: str, outputs: Sequence[Output]) -> bool:
    """Does every status branch of the script at PATH end on an LSB code: a literal 0-4 (not all of
    them 0), or SUSE's `rc_status -v`, whose code (checkproc's) the script passes on to rc_exit?

    Not when a status line is a library's: its code is what the function returns, and the script
    may combine several calls (`status a; status b`) into an exit code of its own.
    """
    status = _status_lines(outputs)

    def coded(output: Output) -> bool:
        return output.code is None if output.kind == "state" else output.code in LSB_CODES

    return bool(status) and all(o.path == path and coded(o) for o in status) \
        and any(o.kind == "state" or o.code != 0 for o in status)


def render_wrapper(original: str, reason: str, word: bytes, lsb: bool = False, source: bytes = b"",
                   codes: bool = False, root: Node | None = None) -> bytes:
    """The wrapper script for ORIGINAL (its absolute path where it will be deployed).

    LSB: judge the original's status by its words (by its exit code when CODES, every status branch
    ending on an LSB code) and make start and stop idempotent (wrapper-lsb.sh.j2), for scripts whose
    exit codes no edit can make LSB-correct. SOURCE, the original's text, tells an LSB wrapper the
    actions its dispatch names (any other exits 2, "invalid argument"), and either wrapper the pid
    file it names: "running" while the process it names is gone is status 1, as is an LSB
    wrapper's "stopped" while it exists. ROOT: SOURCE's tree, when the caller parsed it.
    """
    template = environment().get_template("wrapper-lsb.sh.j2" if lsb else "wrapper.sh.j2")
    root = root if root is not None or not source else parse(source).root_node
    actions = dispatch_actions(root) if lsb and root is not None else None
    pidfile = (declared_pidfile(root, original) if root is not None else None) or ""
    return os.fsencode(template.render(original=original, original_quoted=shlex.quote(original), reason=reason,
                           word=word.decode(), version=__version__, actions=actions or (), codes=lsb and codes,
                           pidfile_quoted=shlex.quote(pidfile) if pidfile else ""))


_LITERAL = re.compile(rb"[A-Za-z0-9][A-Za-z0-9_.-]*")


def dispatch_actions(root: Node) -> tuple[str, ...] | None:
    """The actions the top-level `case "$1"` of a script (its tree ROOT) names (`start`,
    `condrestart`...), with its catch-all `*)`; None when there is no such dispatch or a pattern is
    not a plain word (`st*`, `$X`)."""
    for node in walk(root):
        value = node.child_by_field_name("value") if node.type == "case_statement" else None
        if value is None or text(value).strip(b'"') not in (b"$1", b"${1}") or in_function(node):
            continue
        actions: list[str] = []
        for item in (c for c in node.named_children if c.type == "case_item"):
            for child in item.children:
                if child.type == ")":
                    break
                if not child.is_named:
                    continue
                word = unquote(child) or text(child)
                if word == b"*":
                    continue
                if not _LITERAL.fullmatch(word):
                    return None
                actions.append(word.decode())
        return tuple(dict.fromkeys(actions)) or None
    return None


HEADER = b"written by ha-rewrite "  # on the wrapper's second line (both templates)


def is_wrapper(data: bytes) -> bool:
    """A wrapper `patch` wrote: its header comment says so and it names its `original=`."""
    head = data.split(b"\n", 3)[:3]
    return len(head) > 1 and head[1].startswith(b"# Heartbeat wrapper") and HEADER in head[1] \
        and b"\noriginal=" in data
