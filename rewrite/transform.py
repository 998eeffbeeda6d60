"""Turn scan results into findings and byte edits, one function per rule.

Each rule looks at one `Output` of a file's status path and yields `Finding`s, each carrying
the edit that fixes it (or none, when the file needs a wrapper instead).
"""
from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from typing import NamedTuple

from rewrite.contract import (
    LRMD_WINDOW, RUNNING, STOPPED, UNKNOWN, Verdicts, judge, lrmd_verdict, rm_verdict, says_running, text_outcome,
)
from rewrite.edits import Edit
from rewrite.flow import Exit
from rewrite.parse import Span
from rewrite.scan import Output, Scan


class Settings(NamedTuple):
    word: bytes = b"running"  # or b"OK"
    deploy_dir: str = "/etc/ha.d/resource.d"
    trust_exit_codes: bool = False  # wrap scripts even when their status exit codes look non-LSB
    original_dir: str | None = None  # where originals live when deployed (a wrapper runs them there)
    lsb_wrapper: bool = False  # wrap every script in an LSB-mode wrapper (text-judged status, idempotent start/stop)
    diffs: bool = True  # compute each output's diff: `scan` shows none unless an HTML or Markdown report does


class Finding(NamedTuple):
    rule: str
    start: int  # byte offset in the file the finding is reported for
    end: int
    message: str
    outcome: str  # running | stopped | unknown: the state of the branch
    verdicts: Verdicts | None  # what each consumer concludes from the line as written
    text: bytes
    edits: tuple[Edit, ...] = ()
    wrapper: bool = False  # no edit can fix it: the file needs a wrapper
    regrouped: tuple[Edit, ...] = ()  # the same fix in another form, when EDITS' form cannot be re-read
    settled: bool = False  # its edits change no other line's verdict (see pipeline._fixed_point)


# Rule ids, names and one-line descriptions; the README's rules table explains each.
RULES: dict[str, str] = {
    "HB001": "running-line-overflows",
    "HB002": "running-line-translated",
    "HB003": "running-line-misread",
    "HB004": "running-line-decorated",
    "HB010": "stopped-line-says-running",
    "HB020": "output-before-status-line",
    "HB021": "external-output-on-status-path",
    "HB030": "library-status-breaks-contract",
    "HB060": "status-exit-code-wrong",
    "HB061": "status-exit-code-bare",
    "HB062": "status-exit-code-missing",
    "HB040": "status-from-external-program",
    "HB041": "status-prints-a-list",
    "HB042": "no-status-output",
    "HB043": "status-text-unknown",
    "HB050": "status-path-unparseable",
    "HB051": "crlf-line-endings",
}


def outcome(output: Output) -> str:
    """The state a status line reports: the message's meaning first, then the exit code."""
    if output.kind == "printer" and output.printer_outcome is not None:
        return output.printer_outcome
    meaning = text_outcome(output.rendered) if output.kind != "external" else UNKNOWN
    if meaning != UNKNOWN:
        return meaning
    if output.code is None:
        return UNKNOWN
    return RUNNING if output.code == 0 else STOPPED


def _finding(rule: str, output: Output, message: str, state: str, edits: tuple[Edit, ...] = (),
             wrapper: bool = False) -> Finding:
    return Finding(rule, output.span.start, output.span.end, message, state,
                   judge(output.rendered + b"\n", output.code), output.text, edits, wrapper)


def _replace_line(output: Output, settings: Settings, rule: str, word: bytes) -> tuple[Edit, ...]:
    """`echo "WORD"` for the line; each line break the old message held (a quoted string across
    lines) stays, as a line continuation, so that no line of the file is lost or moved."""
    breaks = b"" if output.kind == "heredoc" else b"".join(b" \\" + b for b in _LINE_BREAK.findall(output.text))
    return (Edit(output.line.start, output.line.end, b'echo "' + word + b'"' + output.keep + breaks, rule),)


_LINE_BREAK = re.compile(rb"\r?\n")


def _to_stderr(output: Output, rule: str) -> tuple[Edit, ...]:
    return (Edit(output.span.end, output.span.end, b" >&2", rule),)


def _group_to_stderr(output: Output, rule: str) -> tuple[Edit, ...]:
    """`{ cmd; } >&2`, for where tree-sitter-bash #316 misreads `cmd >&2` between two `[ ... ]`
    tests; none when words follow a redirection of the command (`echo >&1 text`): a group takes none."""
    if output.line != output.span:
        return ()
    return (Edit(output.span.start, output.span.start, b"{ ", rule), Edit(output.span.end, output.span.end,
                                                                          b"; } >&2", rule))


# ---------------------------------------------------------------- running lines


def running_line(output: Output, settings: Settings) -> Iterator[Finding]:
    """HB001-HB004: the running line must be exactly the word, inside lrmd's window."""
    if output.role != "status" or outcome(output) != RUNNING or output.kind in ("external", "state"):
        return
    if output.rendered == settings.word:
        return
    fix = _replace_line(output, settings, "", settings.word)
    problems = []
    state_at = _state_word_end(output.rendered)
    if output.unbounded or state_at > LRMD_WINDOW:
        problems.append(("HB001", "running line may pass lrmd's 79-byte window before its state word"))
    if output.translated:
        problems.append(("HB002", "running line is translated ($\"...\"): the locale decides its words"))
    misread = [name for name, verdict in (("rm", rm_verdict(output.rendered)),
                                          ("lrmd", lrmd_verdict(output.rendered, window=None)))
               if verdict == STOPPED]
    if misread:
        problems.append(("HB003", "running line is read as stopped by " + " and ".join(misread)))
    if output.kind == "printer":
        problems.append(("HB004", "running line is a decorated library printer, not the bare word"))
    # HB001, HB002 on an echo or printf, whose exit code is judged already (HB060), change no verdict;
    # a here-document becoming `echo "running"` has its exit code judged for the first time.
    rewording = output.kind in ("echo", "printf")
    for rule, message in problems:
        yield _finding(rule, output, message + ": print " + settings.word.decode(), RUNNING,
                       tuple(e._replace(rule=rule) for e in fix))._replace(
                           settled=rewording and rule in ("HB001", "HB002"))


def _state_word_end(text: bytes) -> int:
    found = re.search(rb"running|OK", text, re.IGNORECASE)
    return found.end() if found else len(text)


# ---------------------------------------------------------------- stopped lines

_REWORDS = (
    (re.compile(rb"\bis[ \t]+not[ \t]+running\b", re.IGNORECASE), b"is stopped"),  # blanks: a line break stays
    (re.compile(rb"\bisn't[ \t]+running\b", re.IGNORECASE), b"is stopped"),
    (re.compile(rb"\bnot[ \t]+running\b", re.IGNORECASE), b"stopped"),
    (re.compile(rb"\bnot[ \t]+ok\b", re.IGNORECASE), b"stopped"),
    (re.compile(rb"running", re.IGNORECASE), b"stopped"),
    (re.compile(rb"OK"), b"ok"),
)


def reword(fragment: bytes) -> bytes:
    """`is not running` -> `is stopped`; any other `running` -> `stopped`; `OK` -> `ok`."""
    for pattern, replacement in _REWORDS:
        fragment = pattern.sub(replacement, fragment)
    return fragment


def _reworded(output: Output) -> bytes | None:
    """OUTPUT's rendered message with each literal piece reworded on its own, as the edits do (a
    piece ends where an expansion glued to it begins: `running$x` is reworded, `runningx` is not);
    None when a piece is not found as it is written (escapes, blanks between words)."""
    pieces, at = [], 0
    for _, value in output.literals:
        found = output.rendered.find(value, at)
        if found < 0:
            return None
        pieces += [output.rendered[at:found], reword(value)]
        at = found + len(value)
    return b"".join(pieces) + output.rendered[at:]


def stopped_line(output: Output, settings: Settings) -> Iterator[Finding]:
    """HB010: a stopped path must print neither `running` (any case) nor `OK`."""
    if output.role not in ("status", "trailer") or output.kind in ("external", "state"):
        return
    state = outcome(output) if output.role == "status" else _code_state(output)
    if state != STOPPED or not says_running(output.rendered):
        return
    message = "stopped path prints 'running' or 'OK', which rm or lrmd may read as running"
    if output.kind == "printer" and not output.literals:
        yield _finding("HB010", output, message + ": print stopped", STOPPED,
                       _replace_line(output, settings, "HB010", b"stopped"))
        return
    edits = [Edit(span.start, span.end, reword(value), "HB010") for span, value in output.literals
             if reword(value) != value]
    edits += [Edit(span.start, span.end, b"", "HB010") for span in output.dollars]
    fixed = reword(output.rendered)
    if not edits or says_running(fixed):
        where = "a here-document prints it" if output.kind == "heredoc" else "the word comes from a variable"
        yield _finding("HB010", output, f"{message}: {where}", STOPPED, wrapper=True)
        return
    reworded = [replace(output, rendered=f) for f in (fixed, _reworded(output)) if f is not None]
    if output.role == "status" and any(outcome(r) != STOPPED for r in reworded):
        # the rewording loses what said stopped (`not running$x OK` -> `stopped$x ok`, read as
        # `ok`): the line says `stopped` instead
        yield _finding("HB010", output, message + ": print stopped", STOPPED,
                       _replace_line(output, settings, "HB010", b"stopped"))
        return
    # words inside the message only: the command, its stream and its exit code stay as they are; the
    # code the message asks for (HB060) may not (`log_failure_msg "$p is running"`, exit 0: now 3)
    settled = all(lsb_code(r) == lsb_code(output) for r in reworded)
    yield _finding("HB010", output, message + ": reword to 'stopped'", STOPPED, tuple(edits))._replace(settled=settled)


def _code_state(output: Output) -> str:
    if output.code is None:
        return UNKNOWN
    return RUNNING if output.code == 0 else STOPPED


# ---------------------------------------------------------------- extra output


def extra_output(output: Output, settings: Settings) -> Iterator[Finding]:
    """HB020/HB021: only the status line may reach stdout; banners and reports go to stderr."""
    if output.stream != "stdout":
        return
    if output.role == "preamble":
        yield _finding("HB020", output, "prints to stdout before the status line, which lrmd reads "
                       "alone: send it to stderr", UNKNOWN, _to_stderr(output, "HB020"))._replace(
                           regrouped=_group_to_stderr(output, "HB020"))
    elif output.role == "trailer" and (output.kind == "external" or _misleads_rm(output)):
        yield _finding("HB021", output, "prints more to stdout after the status line, which rm reads "
                       "whole: send it to stderr", UNKNOWN, _to_stderr(output, "HB021"))._replace(
                           regrouped=_group_to_stderr(output, "HB021"))


def _misleads_rm(output: Output) -> bool:
    """A later line on a running path that rm, reading all of stdout, would take for `not running`."""
    return _code_state(output) == RUNNING and rm_verdict(output.rendered) == STOPPED and \
        says_running(output.rendered)


# ---------------------------------------------------------------- lines no edit can fix


def wrapper_needed(output: Output, settings: Settings) -> Iterator[Finding]:
    """HB040/HB043: the state comes from a program, or from text computed at run time."""
    if output.role != "status" or output.kind == "state":
        return
    if output.kind == "external":
        yield _finding("HB040", output, f"status is printed by an external program ({_program(output.text)}): "
                       "needs a wrapper", UNKNOWN, wrapper=True)
    elif outcome(output) == UNKNOWN:
        yield _finding("HB043", output, "status text and exit code are computed at run time: "
                       "needs a wrapper", UNKNOWN, wrapper=True)


def _program(command: bytes) -> str:
    """The program a command line runs, for a message: `ps` for `ps -p 1`, `` `ps -p 1` `` and `$(ps -p 1)`."""
    word = command.split()[0]
    return (word[1:] if word.startswith(b"`") else word[2:] if word.startswith(b"$(") else word).decode("latin-1")


# ---------------------------------------------------------------- LSB exit codes

_STALE_PID = re.compile(rb"pid ?file exists|stale pid|pid ?file (is )?stale", re.IGNORECASE)
_STALE_LOCK = re.compile(rb"subsys locked|lock ?file exists|stale lock|lock ?file (is )?stale", re.IGNORECASE)


def lsb_code(output: Output) -> int | None:
    """The LSB status code a message asks for: running 0, stale pid file 1, stale lock 2, stopped 3."""
    meaning = text_outcome(output.rendered)
    if meaning == RUNNING:
        return 0
    if meaning != STOPPED:
        return None
    if _STALE_PID.search(output.rendered):
        return 1
    return 2 if _STALE_LOCK.search(output.rendered) else 3


def _judged_code(output: Output) -> int | None:
    """The LSB code OUTPUT's branch must exit with, when HB060-HB062 judge its exit at all."""
    if output.role != "status" or output.kind not in ("echo", "printf", "printer") or output.exit is None:
        return None
    if output.kind == "printer" and not output.literals:
        return None  # echo_success and friends: the message is fixed, the branch's meaning is not
    return lsb_code(output)


def shared_exits(outputs: Iterable[Output]) -> dict[Span, frozenset[int]]:
    """For each exit that ends status branches: the codes their messages ask for."""
    wanted: dict[Span, set[int]] = {}
    for output in outputs:
        code = _judged_code(output)
        if code is not None and output.exit is not None:
            wanted.setdefault(output.exit.span, set()).add(code)
    return {span: frozenset(codes) for span, codes in wanted.items()}


def exit_code(output: Output, settings: Settings, shared: Mapping[Span, frozenset[int]]) -> Iterator[Finding]:
    """HB060-HB062: a status branch whose message is clear exits with that state's LSB code.

    SHARED (from `shared_exits`): an exit ending branches that ask for different codes is left as
    it is; a branch it ends wrongly gets an exit of its own, or a wrapper when there is no place."""
    wanted = _judged_code(output)
    if wanted is None or output.exit is None or output.code == wanted:
        return
    where, word = output.exit.span, output.exit.word
    got = "no code" if output.code is None else f"{output.code}"
    if len(shared.get(where, ())) > 1:
        yield _own_exit(output, output.exit, wanted, got)
    elif output.exit.kind == "literal":
        yield _finding("HB060", output, f"says {outcome(output)} but exits {got}: LSB wants {wanted}", outcome(output),
                       (Edit(where.start, where.end, b"%d" % wanted, "HB060"),))
    elif output.exit.kind == "bare":
        yield _finding("HB061", output, f"a bare {word.decode()} after it exits {got}: LSB wants {wanted}",
                       outcome(output), (Edit(where.start, where.end, b" %d" % wanted, "HB061"),))
    elif output.exit.kind == "blocked":
        yield _finding("HB062", output, f"its branch ends with no {word.decode()} (exits {got}): LSB wants {wanted}; "
                       f"`{word.decode()} {wanted}` after it would skip the statements after its block: fix by hand",
                       outcome(output), wrapper=True)
    else:
        yield _finding("HB062", output, f"its branch ends with no {word.decode()} (exits {got}): LSB wants "
                       f"{wanted}", outcome(output), (Edit(where.start, where.end, b"; %s %d" % (word, wanted),
                                                             "HB062"),))


def _own_exit(output: Output, shared: Exit, wanted: int, got: str) -> Finding:
    """OUTPUT's branch ends in an exit other branches need as it is: `; exit N` after the branch's
    last statement, when that lies before the SHARED exit (an if/elif/else or case branch)."""
    rule = "HB060" if shared.kind == "literal" else "HB061"
    word = shared.word
    message = (f"says {outcome(output)} but exits {got}, through a {word.decode()} other branches need as it is: "
               f"LSB wants {wanted}")
    tail = output.tail
    if tail is None or tail.start >= shared.span.start:
        return _finding(rule, output, message + "; its branch has no place for a code of its own: fix by hand",
                        outcome(output), wrapper=True)
    return _finding(rule, output, message + f": give its branch a {word.decode()} of its own", outcome(output),
                    (Edit(tail.start, tail.end, b"; %s %d" % (word, wanted), rule),))


RULES_BY_OUTPUT = (running_line, stopped_line, extra_output, wrapper_needed)


def findings_for(scan: Scan, path: str, settings: Settings) -> list[Finding]:
    """Every finding located in PATH (a script's own lines, or the library's)."""
    found: list[Finding] = []
    shared = shared_exits(o for o in scan.outputs if o.path == path)
    for output in scan.outputs:
        if output.path != path:
            continue
        for rule in RULES_BY_OUTPUT:
            found.extend(rule(output, settings))
        found.extend(exit_code(output, settings, shared))
    for span in scan.lists:
        found.append(Finding("HB041", span.start, span.end, "status prints a list of states, not one: "
                             "needs a wrapper", UNKNOWN, None, b"", (), True))
    return found


def rewire(scan: Scan, settings: Settings, library_path: str, library_name: str,
           library_message: str, copy: bool = True) -> list[Finding]:
    """HB030: a script whose status comes from a library that breaks the contract sources the copy;
    when there is no COPY (the library needs a wrapper itself), the script needs a wrapper."""
    if not copy:
        return [Finding("HB030", line.span.start, line.span.end, f"status comes from {library_path}, which "
                        f"{library_message}: needs a wrapper", UNKNOWN, None, line.value, (), True)
                for line in scan.source_lines if line.family.library == library_name]
    target = settings.deploy_dir.rstrip("/") + "/" + library_name
    new = os.fsencode(shlex.quote(target))
    return [Finding("HB030", line.span.start, line.span.end,
                    f"status comes from {library_path}, which {library_message}: source the patched copy {target}",
                    UNKNOWN, None, line.value, (Edit(line.span.start, line.span.end, new, "HB030"),), settled=True)
            for line in scan.source_lines if line.value != os.fsencode(target) and line.family.library == library_name]
