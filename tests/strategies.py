"""Hypothesis strategies: init-script-like programs as bytes, generated from a small bash grammar.

`init_scripts()` draws a `Case`: the script's bytes, its file name, and which library to write
beside it (only when the script sources one): a Red Hat `functions` of one era, Debian's
`init-functions` or SUSE's `rc.status`, from the corpus, or a `functions` or `init-functions` drawn
too (a `status()` or `status_of_proc()` of any shape a script's status code takes, and some of the
helpers it may call). Calls of every family's functions (`status`, `status_of_proc`, `log_*_msg`,
`checkproc` + `rc_status -v`) appear in every script: one of another family's runs as an external
program, as it would. Programs are built from the shapes SysV scripts use: assignments, a sourced
library (directly, through a variable, behind `[ -f X ] &&`), `status()`/`rh_status()` functions
defined before or after it, a top-level `case "$1" in` with a status arm (`status)`,
`status|monitor)`, `"status")`, ...), `if`/`elif`/`else`, nested `case`, `&&`/`||` lists, loops,
echo/printf in every quoting form (plain, "double", 'single', $"translated", concatenations),
here-docs (`<<`, `<<-`, quoted delimiters), redirections before, between and after words, exit and
return codes, comments and odd whitespace. Then whole-file transforms: CRLF line endings, no final
newline, and a few raw-byte mutations. Latin-1 bytes come in comments and messages.

Most programs pass `bash -n`; transforms and mutations break some on purpose. The generators are
plain functions taking `draw` (one composite at the top), and related choices share one draw:
a strategy object per node and a draw per detail made generation several times slower, and
generation is half of the properties' time. Every choice's first option is the simplest, so
shrinking goes there.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, TypeVar

from hypothesis import strategies as st

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "input"
# Each library a generated script may source: its corpus file, whose name is the family's.
LIBRARY_FILES = {"redhat-2004": "redhat-2004/functions", "redhat-2007": "redhat-2007/functions",
                 "redhat-2010": "redhat-2010/functions", "debian": "debian/init-functions", "suse": "suse/rc.status"}
LIBRARIES = {key: (CORPUS / file).read_bytes() for key, file in LIBRARY_FILES.items()}


# Case.library of a drawn library (its bytes are Case.generated), and the file name it is written under.
GENERATED = {"generated": "functions", "generated-debian": "init-functions"}


def library_name(key: str) -> str:
    """The file name library KEY is written under beside a script: `functions`, `init-functions`, `rc.status`."""
    return GENERATED.get(key) or LIBRARY_FILES[key].rsplit("/", 1)[1]

Draw = Callable[[st.SearchStrategy[Any]], Any]
T = TypeVar("T")


@dataclass(frozen=True)
class Case:
    """One generated input: the script, its file name, and the library written beside it (or None)."""

    script: bytes
    name: str = "httpd"
    library: str | None = None  # a key of LIBRARIES or of GENERATED; written as library_name(key)
    generated: bytes | None = None  # the drawn library's bytes, when library is a key of GENERATED

    def library_bytes(self) -> bytes | None:
        return self.generated if self.library in GENERATED else LIBRARIES[self.library] if self.library else None

    def library_key(self) -> str | None:
        """One name per distinct library: the LIBRARIES key, or one per drawn library's bytes."""
        if self.library in GENERATED and self.generated is not None:
            return f"{self.library}-{hashlib.sha256(self.generated).hexdigest()[:16]}"
        return self.library


@lru_cache(maxsize=None)
def _integers(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(low, high)


def pick(draw: Draw, *options: T) -> T:
    """One of OPTIONS; shrinks to the first (an index draw: cheaper than sampled_from)."""
    return options[integer(draw, 0, len(options) - 1)]


def integer(draw: Draw, low: int, high: int) -> int:
    return int(draw(_integers(low, high)))


def one_in(draw: Draw, n: int) -> bool:
    """True with probability 1/N; shrinks to False."""
    return integer(draw, 0, n - 1) == n - 1


def some(draw: Draw, options: tuple[T, ...], low: int, high: int) -> list[T]:
    """LOW to HIGH items drawn from OPTIONS (repeats allowed)."""
    return [pick(draw, *options) for _ in range(integer(draw, low, high))]


# ---------------------------------------------------------------- messages
# A message is a tuple of pieces: ("lit", bytes), ("var", name) or ("cmd", command), rendered below
# in each quoting form bash offers.

Piece = tuple[str, bytes]
Message = tuple[Piece, ...]


def _lit(value: bytes) -> Piece:
    return ("lit", value)


def _var(name: bytes) -> Piece:
    return ("var", name)


def _cmd(command: bytes) -> Piece:
    return ("cmd", command)


PID_LIST = b" ".join(b"%d" % (30180 - i) for i in range(14))
MESSAGES: tuple[Message, ...] = (
    (_var(b"prog"), _lit(b" is running...")),
    (_var(b"base"), _lit(b" (pid "), _var(b"pid"), _lit(b") is running...")),
    (_lit(b"knotd (pid "), _var(b"PID"), _lit(b") is running")),
    (_lit(b"knotd is running"),),
    (_var(b"prog"), _lit(b" is not running")),
    (_var(b"NAME"), _lit(b" is not running.")),
    (_var(b"prog"), _lit(b" is stopped")),
    (_var(b"prog"), _lit(b" dead but pid file exists")),
    (_var(b"base"), _lit(b" dead but subsys locked")),
    (_lit(b"OK"),),
    (_lit(b"running"),),
    (_lit(b"stopped"),),
    (_lit(b"Running"),),
    (_lit(b"httpd (pid " + PID_LIST + b") is running..."),),
    (_lit(b"Checking for service "), _var(b"prog"), _lit(b": ")),
    (_lit(b"Usage: "), _var(b"0"), _lit(b" {start|stop|status|restart}")),
    (_lit(b"Status of "), _var(b"NAME"), _lit(b": OK")),
    (_var(b"prog"), _lit(b" isn't running")),
    (_lit(b"[  OK  ]"),),
    (_cmd(b"cat $pidfile"),),
    (_lit(b"pid "), _cmd(b'cat "$pidfile"'), _lit(b" is running")),
    (_lit(b"d\xe9mon arr\xeat\xe9"),),  # Latin-1
    (_lit(b"50% done, 100%s OK"),),  # printf specials
    (_lit(b"tab\there, back\\slash"),),
    (_lit(b""),),
    (_var(b"RETVAL"),),
)
FRAGMENTS: tuple[Piece, ...] = (
    _lit(b" is running"), _lit(b" is not running"), _lit(b" is stopped"), _lit(b" dead but pid file exists"),
    _lit(b"OK"), _lit(b"knotd"), _lit(b" "), _lit(b"(pid " + PID_LIST + b")"), _var(b"prog"), _var(b"pid"),
    _var(b"pidfile"), _lit(b"..."), _lit(b"running"), _lit(b"not"), _cmd(b"pidof $prog"), _lit(b"'quoted'"),
    _lit(b'"dq"'), _lit(b"$"), _lit(b"!"),
)


def message(draw: Draw) -> Message:
    if one_in(draw, 4):
        return tuple(some(draw, FRAGMENTS, 1, 4))
    return pick(draw, *MESSAGES)


PLAIN_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:-/_%=+@")


def _escape_plain(value: bytes) -> bytes:
    return b"".join(bytes([c]) if c in PLAIN_SAFE or c >= 0x80 else b"\\" + bytes([c]) for c in value)


def _escape_double(value: bytes) -> bytes:
    for c in (b"\\", b'"', b"$", b"`"):
        value = value.replace(c, b"\\" + c)
    return value


def _var_ref(name: bytes, braces: bool) -> bytes:
    return b"${" + name + b"}" if braces else b"$" + name


def _needs_braces(pieces: Message, i: int) -> bool:
    following = pieces[i + 1][1][:1] if i + 1 < len(pieces) and pieces[i + 1][0] == "lit" else b""
    return bool(following) and (following.isalnum() or following == b"_")


def _expanded(pieces: Message, braces: bool, escape: Callable[[bytes], bytes]) -> bytes:
    out = []
    for i, (kind, value) in enumerate(pieces):
        if kind == "lit":
            out.append(escape(value))
        elif kind == "var":
            out.append(_var_ref(value, braces or _needs_braces(pieces, i)))
        else:
            out.append(b"$(" + value + b")")
    return b"".join(out)


def _single(pieces: Message) -> bytes:
    """Literals in 'single quotes', variables and commands between them in double quotes."""
    out = []
    for kind, value in pieces:
        if kind == "lit":
            out.append(b"'" + value.replace(b"'", b"'\\''") + b"'" if value else b"")
        elif kind == "var":
            out.append(b'"' + _var_ref(value, True) + b'"')
        else:
            out.append(b'"$(' + value + b')"')
    return b"".join(out) or b"''"


# (quoting form, ${braces} always): one draw, not two; weighted towards "double" and $"translated"
WORD_FORMS = tuple((form, braces) for form in ("double", "plain", "single", "translated", "translated", "double")
                   for braces in (False, True))


def message_word(draw: Draw, pieces: Message | None = None) -> bytes:
    """A message as echo arguments, in one quoting form."""
    if pieces is None:
        pieces = message(draw)
    form, braces = pick(draw, *WORD_FORMS)
    if form == "double":
        return b'"' + _expanded(pieces, braces, _escape_double) + b'"'
    if form == "translated":
        return b'$"' + _expanded(pieces, braces, _escape_double) + b'"'
    if form == "single":
        return _single(pieces)
    plain = tuple((k, v) if k != "cmd" else ("lit", b"") for k, v in pieces)  # no unquoted $( ): word splitting
    word = _expanded(plain, braces, _escape_plain)
    return word if word.strip() else b"''"


# ---------------------------------------------------------------- commands on one line

REDIRECTS = (b">&2", b"1>&2", b">/dev/null 2>&1", b"2>/dev/null", b">/dev/null", b"2>&1", b"&>/dev/null",
             b">>/var/log/svc.log", b"> /dev/null")


# (where, redirection) in one draw: none a third of the time, after the words a third, else between or in front
PLACED_REDIRECTS = (*(("none", b""),) * 18, *(("after", r) for r in REDIRECTS * 2),
                    *(("middle", r) for r in REDIRECTS), *(("front", r) for r in REDIRECTS))


def redirected(draw: Draw, words: list[bytes]) -> bytes:
    """WORDS (a command) with no redirection, or one after the words, between them, or in front."""
    where, redirect = pick(draw, *PLACED_REDIRECTS)
    if where == "none":
        return b" ".join(words)
    if where == "after":
        return b" ".join([*words, redirect])
    if where == "middle":  # `echo >&2 "text"`: words after a redirection
        cut = integer(draw, 1, len(words))
        return b" ".join([*words[:cut], redirect, *words[cut:]])
    return b" ".join([redirect, *words])


ECHO_OPTIONS = ((), (), (b"-n",), (b"-e",), (b"-en",), (b"-ne",), (b"-E",), (b"-n", b"-e"))
ECHO_SHAPES = tuple((options, count) for count in (1, 1, 0, 2) for options in ECHO_OPTIONS)  # one draw


def echo_command(draw: Draw) -> bytes:
    options, count = pick(draw, *ECHO_SHAPES)
    words = [message_word(draw) for _ in range(count)]
    return redirected(draw, [b"echo", *options, *words])


def printf_command(draw: Draw) -> bytes:
    pieces = message(draw)
    form = pick(draw, "%s", "format", "%s", "dashdash", "translated", "single")
    if form in ("format", "translated"):
        fmt = _expanded(pieces, bool(pick(draw, False, True)),
                        lambda v: _escape_double(v.replace(b"\\", b"\\\\").replace(b"%", b"%%")))
        words = [(b'$"' if form == "translated" else b'"') + fmt + b'\\n"']
    elif form == "dashdash":
        words = [b"--", b'"%s is running\\n"', b'"$prog"']
    else:
        words = [b"'%s\\n'" if form == "single" else b'"%s\\n"', message_word(draw, pieces)]
    return redirected(draw, [b"printf", *words])


PRINTERS = (b"echo_success", b"echo_failure", b"success", b"failure", b"echo_passed")
LSB_PRINTERS = (b"log_success_msg", b"log_failure_msg", b"log_warning_msg", b"log_daemon_msg", b"log_action_msg")
# Library functions that print nothing on stdout (checkpid, __pids_var_run) or only through an
# external program (__pids_pidof), as a script's own `check` may wrap them: a following echo is
# still the status line, a loop over them no list. (2004's library has none of them: external.)
QUIET = (b"checkpid $pid", b"__pids_var_run $prog", b"__pids_pidof $prog", b"check")
CALLS = (b"rh_status", b"status -p $pidfile $prog", b"status $prog", b"status -p ${pidfile} -l $lockfile $prog",
         b"status httpd", b"rh_status_q", b"get_pid", b"my_status", b"status_of_proc $DAEMON $NAME", *PRINTERS,
         b"pidofproc $prog", b"pidofproc -p $pidfile $prog", *QUIET, b"log_end_msg $?", b"rc_status -v",
         b"checkproc $DAEMON", b"/sbin/checkproc -p $PIDFILE $DAEMON", b"rc_reset", b"rc_exit")
EXTERNALS = (b"true", b"pidof $prog", b"pidof -o %PPID $prog", b"rndc status", b"kill -0 $pid", b"sleep 1",
             b"ps -p $pid", b"/usr/bin/$prog --status", b"$RABBITMQCTL status", b"cat /proc/loadavg", b":",
             b"rm -f $lockfile", b"touch /var/lock/subsys/$prog", b"logger -t $prog checked", b"rndc -q status")
CONDITIONS = (b'[ -f "$pidfile" ]', b'[ -n "$pid" ]', b"kill -0 $pid 2>/dev/null", b"[ $RETVAL -eq 0 ]",
              b'test -z "$PID"', b"[[ -n $pid ]]", b"pidof $prog >/dev/null", b'[ "$1" = -v ]', b"rh_status_q",
              b'! kill -0 "$pid"', b"[ -e /var/lock/subsys/$prog ] && [ -s $pidfile ]",
              b'[ "$_use_systemctl" = "1" ]')
EXIT_CODES = (b" 0", b" 3", b" 1", b" 4", b" $RETVAL", b"", b" $?", b' "$RETVAL"', b" $rc", b" 150")
ASSIGNED = (b"$?", b"0", b"3", b"$(pidof $prog)", b'"$(cat $pidfile 2>/dev/null)"', b"", b"${PIDFILE-/var/run/x.pid}")


def terminator(draw: Draw, in_function: bool) -> bytes:
    word = pick(draw, b"exit", b"return") if in_function else b"exit"
    return word + pick(draw, *EXIT_CODES)


def simple_command(draw: Draw, in_function: bool) -> bytes:
    """One command on one line (no here-doc)."""
    kind = pick(draw, "echo", "exit", "echo", "printf", "assign", "call", "call", "external", "echo", "exit")
    if kind == "echo":
        return echo_command(draw)
    if kind == "printf":
        return printf_command(draw)
    if kind == "exit":
        return terminator(draw, in_function)
    if kind == "assign":
        local = b"local " if in_function and one_in(draw, 3) else b""
        return local + pick(draw, b"RETVAL", b"rc", b"pid", b"PID", b"prog") + b"=" + pick(draw, *ASSIGNED)
    command = pick(draw, *(CALLS if kind == "call" else EXTERNALS))
    return redirected(draw, command.split())


def one_line(draw: Draw, in_function: bool) -> bytes:
    """A simple command, or a list, group or subshell of them, on one line."""
    kind = pick(draw, "simple", "simple", "simple", "and", "or", "andor", "group", "subshell", "semi")
    first = simple_command(draw, in_function)
    if kind == "simple":
        return first
    if kind == "and":
        return pick(draw, *CONDITIONS) + b" && " + first
    if kind == "subshell":
        return b"( " + first + b" )"
    second = simple_command(draw, in_function)
    if kind == "or":
        return first + b" || " + second
    if kind == "andor":
        return pick(draw, *CONDITIONS) + b" && " + first + b" || " + second
    if kind == "group":
        return b"{ " + first + b"; " + second + b"; }"
    return first + b"; " + second


# ---------------------------------------------------------------- statements over several lines
# A block is a list of lines (depth, bytes, raw); raw lines (here-doc bodies and terminators, the
# shebang) get neither indentation nor trailing whitespace.

Line = tuple[int, bytes, bool]

COMMENTS = (
    b"# status: report whether the daemon runs", b"#", b"# chkconfig: - 85 15", b"#\tTabbed comment",
    b"# caf\xe9 cr\xe8me \xa9 2004",  # Latin-1
    b'# echo "is running"  (a comment, not code)', b"# description: $prog is not running? exit 3",
    b"### BEGIN INIT INFO", b"# Provides: knotd", b"### END INIT INFO", b"# \xff\xfe not UTF-8 either",
)


def heredoc(draw: Draw, depth: int) -> list[Line]:
    delimiter = pick(draw, b"EOF", b"END", b"_MSG_")
    quote = pick(draw, b"", b"'", b"", b'"')
    dash = bool(pick(draw, False, True))
    head = b"cat <<" + (b"-" if dash else b"") + pick(draw, b"", b" ") + quote + delimiter + quote
    head += pick(draw, b"", b" >&2", b"", b" 1>&2", b" >/dev/null")
    tabs = b"\t" * depth if dash else b""
    body = []
    for _ in range(integer(draw, 0, 3)):
        pieces = message(draw)
        if quote:
            line = b"".join(v if k == "lit" else b"$" + v if k == "var" else b"$(" + v + b")" for k, v in pieces)
        else:
            line = _expanded(pieces, True, lambda v: v.replace(b"\\", b"\\\\").replace(b"$", b"\\$")
                             .replace(b"`", b"\\`"))
        body.append((0, tabs + line, True))
    return [(depth, head, False), *body, (0, tabs + delimiter, True)]


def block(draw: Draw, depth: int, in_function: bool, nest: int) -> list[Line]:
    """Statements indented DEPTH; compound ones recurse at most NEST levels more."""
    kinds: tuple[str, ...] = ("line", "line", "line", "comment", "blank", "heredoc")
    if nest > 0:
        kinds += ("if", "branches", "branches", "case", "for", "while")
    chosen = some(draw, kinds, 1, 3)
    if not set(chosen) - {"comment", "blank"}:
        chosen.append("line")  # a body of comments alone is a syntax error
    return [line for kind in chosen for line in statement(draw, kind, depth, in_function, nest)]


def output(draw: Draw) -> bytes:
    """One command that prints a state line: echo, printf, or a library printer (Red Hat's, or an
    LSB `log_*_msg` whose arguments are the message)."""
    kind = pick(draw, "echo", "echo", "printf", "echo", "printer", "lsb")
    if kind == "echo":
        return echo_command(draw)
    if kind == "printf":
        return printf_command(draw)
    if kind == "lsb":
        return redirected(draw, [pick(draw, *LSB_PRINTERS), *(message_word(draw) for _ in range(integer(draw, 1, 2)))])
    return redirected(draw, [pick(draw, *PRINTERS)])


def branch(draw: Draw, depth: int, in_function: bool) -> list[Line]:
    """A status branch: maybe a banner, a state line, maybe more output, then an exit code."""
    lines: list[Line] = []
    if one_in(draw, 4):
        lines.append((depth, output(draw), False))
    if one_in(draw, 5):
        lines += heredoc(draw, depth)
    else:
        lines.append((depth, output(draw), False))
    if one_in(draw, 5):
        lines.append((depth, one_line(draw, in_function), False))
    if not one_in(draw, 6):
        end = terminator(draw, in_function)
        if one_in(draw, 4):
            code = end.split(b" ", 1)[1] if b" " in end else b"3"
            lines.append((depth, b"RETVAL=" + code, False))
            end = end.split(b" ")[0] + b" $RETVAL"
        lines.append((depth, end, False))
    return lines


def statement(draw: Draw, kind: str, depth: int, in_function: bool, nest: int) -> list[Line]:
    if kind == "line":
        return [(depth, one_line(draw, in_function), False)]
    if kind == "comment":
        return [(depth, pick(draw, *COMMENTS), False)]
    if kind == "blank":
        return [(0, b"", False)]
    if kind == "heredoc":
        return heredoc(draw, depth)

    def inner() -> list[Line]:
        if kind == "branches":
            return branch(draw, depth + 1, in_function)
        return block(draw, depth + 1, in_function, nest - 1)

    if kind in ("if", "branches"):
        same_line = bool(pick(draw, True, False))
        lines: list[Line] = []
        for i in range(integer(draw, 1, 3)):
            condition = (b"if " if i == 0 else b"elif ") + pick(draw, *CONDITIONS)
            lines += [(depth, condition + b"; then", False)] if same_line else \
                [(depth, condition, False), (depth, b"then", False)]
            lines += inner()
        if pick(draw, True, False):
            lines += [(depth, b"else", False), *inner()]
        return lines + [(depth, b"fi", False)]
    if kind == "case":
        lines = [(depth, b"case " + pick(draw, b'"$RC"', b'"$2"', b'"$RETVAL"', b"$?") + b" in", False)]
        for pattern in dict.fromkeys(some(draw, (b"0)", b"1|2)", b"4)", b"*)", b"-v)"), 1, 3)):
            body = branch(draw, depth + 2, in_function) if pick(draw, True, False) else \
                block(draw, depth + 2, in_function, nest - 1)
            lines += [(depth + 1, pattern, False), *body, (depth + 2, b";;", False)]
        return lines + [(depth, b"esac", False)]
    if kind == "for":
        head = pick(draw, b"for p in $pids", b"for i in 1 2 3", b"for f in /var/run/*.pid")
        return [(depth, head + b"; do", False), *inner(), (depth, b"done", False)]
    return [(depth, b"while read line; do", False), *inner(), (depth, b"done < $pidfile", False)]


STATUS_CALLS = (b"rh_status", b"status -p $pidfile $prog", b"status $prog", b"status", b"my_status",
                b"status -p ${pidfile} -l $lockfile $prog", b"get_pid", b'status_of_proc "$DAEMON" "$NAME"',
                b"status_of_proc -p $PIDFILE $DAEMON $NAME", b'status_of_proc "$DAEMON" "$NAME" && exit 0 || exit $?')
SUSE_CHECKS = (b"checkproc $DAEMON", b"/sbin/checkproc -p $PIDFILE $DAEMON", b"checkproc -k $DAEMON",
               b"pidofproc $DAEMON >/dev/null")
SUSE_ENDS = (b"rc_status -v", b"rc_status -v3", b"rc_status -v; rc_exit", b"rc_status")


def status_body(draw: Draw, depth: int, in_function: bool, own: bytes = b"") -> list[Line]:
    """What a status arm or function OWN does: call the library, print one branch, branch, or anything."""
    kind = pick(draw, "call", "branch", "branches", "call", "branches", "block", "checked", "checked", "suse")
    if kind == "suse":  # SUSE: a banner with no newline, the check, then rc_status prints the state
        banner = [(depth, b"echo -n " + message_word(draw), False)] if not one_in(draw, 4) else []
        return [*banner, (depth, pick(draw, *SUSE_CHECKS), False), (depth, pick(draw, *SUSE_ENDS), False)]
    if kind == "checked":  # a call that prints nothing (or does: `check` may be any function), then a state
        call = b"check" if one_in(draw, 2) else pick(draw, *QUIET, b"rh_status_q", b"get_pid")
        if one_in(draw, 3):
            call = pick(draw, b"for p in $pids; do ", b"while read p; do ") + call + b"; done"
        return [(depth, call, False), *branch(draw, depth, in_function)]
    if kind == "call":
        call = pick(draw, *(c for c in STATUS_CALLS if c.split()[0] != own))  # recursion only now and then
        after = pick(draw, (), (b"RETVAL=$?",), (b"exit $?",), (b"RETVAL=$?", b"exit $RETVAL"))
        return [(depth, call, False), *((depth, a, False) for a in after)]
    if kind == "branch":
        return branch(draw, depth, in_function)
    if kind == "branches":
        return statement(draw, "branches", depth, in_function, 1)
    return block(draw, depth, in_function, 1)


# ---------------------------------------------------------------- the program

SOURCE_LINES = (  # Red Hat's; Debian's and SUSE's below
    b". /etc/rc.d/init.d/functions",
    b". /etc/init.d/functions",
    b"source /etc/rc.d/init.d/functions",
    b". $INITD/functions",
    b'. "${INITD}/functions"',
    b"[ -f /etc/rc.d/init.d/functions ] && . /etc/rc.d/init.d/functions",
    b"[ -r $INITD/functions ] && . $INITD/functions",
)
FAMILY_SOURCE_LINES = {
    "debian": (b". /lib/lsb/init-functions", b"[ -r /lib/lsb/init-functions ] && . /lib/lsb/init-functions"),
    "suse": (b". /etc/rc.status", b"test -r /etc/rc.status && . /etc/rc.status"),
}
ASSIGNMENTS = (
    b"prog=httpd", b"pidfile=${PIDFILE-/var/run/x.pid}", b"prog=knotd", b"lockfile=${LOCKFILE-/var/lock/subsys/x}",
    b"RETVAL=0", b'NAME="knotd"', b"NAME=myapp", b"DAEMON=/usr/sbin/$NAME", b"base=${0##*/}",
    b"RABBITMQCTL=/usr/sbin/rabbitmqctl", b"pid=", b"PIDFILE=/var/run/knot/knot.pid", b"prog='my app'",
    b'DESC="Knot DNS server"', b"rc_reset",
)
FUNCTION_NAMES = (b"rh_status", b"status", b"rh_status_q", b"get_pid", b"start", b"my_status", b"check")
STATUS_PATTERNS = (b"status)", b"status|monitor)", b'"status")', b"'status')", b"monitor|status)", b"(status)",
                   b"status )", b"status|st)")
OTHER_PATTERNS = (b"start)", b"stop)", b"restart|reload)", b"condrestart|try-restart)", b"*)")
SHEBANGS = (b"#!/bin/bash", b"#!/bin/sh", b"#! /bin/bash", b"#!/usr/bin/env bash", b"#!/bin/bash -e")


def function_def(draw: Draw, name: bytes) -> list[Line]:
    form = pick(draw, b"%s() {", b"%s () {", b"function %s {", b"function %s() {", b"oneline")
    if form == b"oneline":
        return [(0, name + b"() { " + one_line(draw, True) + b"; }", False)]
    status_like = name in (b"status", b"rh_status", b"my_status", b"status_of_proc") and not one_in(draw, 4)
    if name == b"check" and not one_in(draw, 4):  # a wrapper around a quiet library function
        call = pick(draw, *QUIET[:-1])
        return [(0, form % name, False), (1, call, False), (0, b"}", False)]
    body = status_body(draw, 1, True, name) if status_like else block(draw, 1, True, 1)
    return [(0, form % name, False), *body, (0, b"}", False)]


def case_statement(draw: Draw, depth: int) -> list[Line]:
    word = pick(draw, b'"$1"', b"$1", b'"${1}"', b'"$ACTION"')
    arms: list[bytes] = list(dict.fromkeys(some(draw, OTHER_PATTERNS, 0, 3)))
    if not one_in(draw, 10):
        arms.insert(integer(draw, 0, len(arms)), pick(draw, *STATUS_PATTERNS))
    lines: list[Line] = [(depth, b"case " + word + b" in", False)]
    for i, pattern in enumerate(arms):
        # in_function=True: `return` is drawn as often as `exit` (bash -n accepts both anywhere)
        if pattern in STATUS_PATTERNS:
            body = status_body(draw, depth + 2, True)
        else:
            body = block(draw, depth + 2, True, integer(draw, 0, 1))
        ending = pick(draw, "own", "inline", "own", "none" if i == len(arms) - 1 else "own")
        last = body[-1]
        if ending == "inline" and not last[2] and last[1] and not last[1].startswith(b"#"):
            lines += [(depth + 1, pattern, False), *body[:-1], (last[0], last[1] + b" ;;", False)]
        elif ending == "none":  # the last arm may omit its ;;
            lines += [(depth + 1, pattern, False), *body]
        else:
            lines += [(depth + 1, pattern, False), *body, (depth + 2, b";;", False)]
    return lines + [(depth, b"esac", False)]


LIBRARY_HELPERS = {
    "generated": (b"status", (b"checkpid", b"__pids_var_run", b"pidofproc", b"echo_success", b"echo_failure",
                              b"success")),
    "generated-debian": (b"status_of_proc", (b"pidofproc", b"log_success_msg", b"log_failure_msg", b"log_daemon_msg",
                                             b"log_end_msg")),
}


def library_lines(draw: Draw, key: str) -> list[Line]:
    """A Red Hat-like `functions` or a Debian-like `init-functions`: `status()` or `status_of_proc()`,
    shaped as a script's status code is, and some of the helpers it may call, before or after it. (A
    name it calls that only the script defines is an external program to the scan: library code is
    walked as calling none of the script's functions.)"""
    status, helpers = LIBRARY_HELPERS[key]
    names = list(dict.fromkeys(some(draw, helpers, 0, 3)))
    names.insert(integer(draw, 0, len(names)), status)
    lines: list[Line] = [(0, c, False) for c in some(draw, COMMENTS, 0, 1)]
    for name in names:
        lines += function_def(draw, name)
    return lines


def program(draw: Draw) -> tuple[list[Line], str | None]:
    """(lines, the key of the library it sources, if any)"""
    lines: list[Line] = []
    if not one_in(draw, 5):
        lines.append((0, pick(draw, *SHEBANGS), True))
    lines += [(0, c, False) for c in some(draw, COMMENTS, 0, 3)]
    assignments = list(dict.fromkeys(some(draw, ASSIGNMENTS, 0, 4)))
    sources = bool(pick(draw, True, False))
    library = pick(draw, "redhat-2010", "redhat-2004", "redhat-2007", "debian", "suse", *GENERATED) if sources else None
    source_line = pick(draw, *FAMILY_SOURCE_LINES.get("debian" if library == "generated-debian" else library or "",
                                                      SOURCE_LINES))
    if b"INITD" in source_line:
        assignments.insert(0, b"INITD=/etc/rc.d/init.d")
    lines += [(0, a, False) for a in assignments]
    main = case_statement(draw, 1 if one_in(draw, 8) else 0)
    if main[0][0] == 1:  # the case inside a function called at the end
        main = [(0, b"main() {", False), *main, (0, b"}", False), (0, b'main "$@"', False)]
    names = list(dict.fromkeys(some(draw, FUNCTION_NAMES, 0, 2)))
    called = [n for n in FUNCTION_NAMES if any(re.search(rb"\b%s\b" % n, line) for _, line, _ in main)]
    names += [n for n in called if n not in names and not one_in(draw, 4)]  # mostly define what is called
    functions = [(name, bool(pick(draw, False, True))) for name in names]
    for name, after_source in functions:
        if not (after_source and sources):
            lines += function_def(draw, name)
    if sources:
        lines += [(0, b"", False), (0, source_line, False)]
        for name, after_source in functions:
            if after_source:
                lines += function_def(draw, name)
    lines += main
    ending: tuple[bytes, ...] = pick(draw, (), (b"exit $RETVAL",), (b"exit $?",), (b"", b"exit 0"))
    return lines + [(0, e, False) for e in ending], library


def render(draw: Draw, lines: list[Line]) -> bytes:
    indent = pick(draw, b"\t", b"    ", b"  ", b"\t  ")
    every = pick(draw, 0, 0, 2, 3, 7)  # trailing whitespace on every Nth line (one draw, not one per line)
    spaces = pick(draw, b" ", b"\t", b"  ", b" \t")
    out = []
    for i, (depth, value, raw) in enumerate(lines):
        if raw or not value:
            out.append(value)
            continue
        out.append(indent * depth + value + (spaces if every and i % every == 0 else b""))
    return b"\n".join(out) + b"\n"


def mutate(draw: Draw, data: bytes) -> bytes:
    """One raw-byte change: delete, insert, duplicate or overwrite a short run."""
    if not data:
        return data
    at = integer(draw, 0, len(data) - 1)
    size = integer(draw, 1, 8)
    kind = pick(draw, "delete", "insert", "duplicate", "replace")
    if kind == "delete":
        return data[:at] + data[at + size:]
    if kind == "duplicate":
        return data[:at + size] + data[at:at + size] + data[at + size:]
    junk = pick(draw, b'"', b"'", b"(", b")", b"{", b";;", b"\n", b"$", b"`", b"\\", b"<<", b"\r", b"\0", b"fi",
                b"esac", None)
    if junk is None:
        junk = draw(st.binary(min_size=1, max_size=size))
    if kind == "insert":
        return data[:at] + junk + data[at:]
    return data[:at] + junk + data[at + len(junk):]


@st.composite
def init_scripts(draw: Draw) -> Case:
    """An init-script-like program as bytes, its file name, and the library it sources (if any)."""
    lines, library = program(draw)
    data = render(draw, lines)
    if one_in(draw, 6):
        data = data.replace(b"\n", b"\r\n")
    if one_in(draw, 5):
        data = data.rstrip(b"\r\n")
    if one_in(draw, 12):
        for _ in range(integer(draw, 1, 3)):
            data = mutate(draw, data)
    name = pick(draw, "httpd", "knotd", "my-app", "svc.sh", "named")
    generated = render(draw, library_lines(draw, library)) if library in GENERATED else None
    return Case(data, name, library, generated)
