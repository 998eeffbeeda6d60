"""Stand-ins: small programs the sandbox provides when a script runs one the host lacks.

Each is a minimal, faithful version of a well-known tool whose answer depends only on what the
sandbox holds (its processes, pid files and configuration files), so a script that calls it still
reaches, and is judged by, its own logic: SUSE's `checkproc`, MySQL's `my_print_defaults`, BIND's
`rndc` (which talks to the named the sandbox runs), Red Hat's `initlog` and `usleep`, and `pidof`
at the /sbin path older Red Hat scripts name. A program with no stand-in is still reported as
missing ("runs /usr/sbin/x (missing)"): the sandbox never guesses what an unknown program says.
Stand-ins are placed only where the host has no such file, and only in the sandbox.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import NamedTuple

from rewrite.sandbox import host_path


class Tool(NamedTuple):
    name: str
    default: str | None  # where the family installs it; None: only at a path a script names
    body: str  # the program (bash)


_PROCS = r'''
runs() {  # does process $1 run the executable $exe (replaced since: "(deleted)")?
    local found
    found=$(readlink "/proc/$1/exe" 2>/dev/null) && { [ "$found" = "$exe" ] || [ "$found" = "$exe (deleted)" ]; }
}
'''

CHECKPROC = Tool("checkproc", "/sbin/checkproc", r'''#!/bin/bash
# checkproc as SUSE's killproc package has it, a stand-in of ha-rewrite verify (in its sandbox only):
# exit 0 running, 1 no process but a pid file, 3 no process and no pid file, 5 not installed.
pidfile=
while [ $# -gt 0 ]; do
    case $1 in
        -p) pidfile=$2; shift 2 ;;
        -i|-c|-g|-u|-t|-T) shift 2 ;;
        -*) shift ;;
        *) break ;;
    esac
done
exe=$1
[ -n "$exe" ] || { echo "Usage: checkproc [-v] [-k] [-p pid_file] /full/path/to/executable" >&2; exit 2; }
[ -x "$exe" ] || exit 5
''' + _PROCS + r'''
[ -n "$pidfile" ] || pidfile=/var/run/${exe##*/}.pid
if read -r pid 2>/dev/null <"$pidfile" && [ -n "$pid" ]; then
    runs "$pid" && exit 0
    exit 1
fi
for p in /proc/[0-9]*; do runs "${p#/proc/}" && exit 0; done
exit 3
''')

MY_PRINT_DEFAULTS = Tool("my_print_defaults", "/usr/bin/my_print_defaults", r'''#!/bin/bash
# my_print_defaults, MySQL's option reader, a stand-in of ha-rewrite verify (in its sandbox only):
# the options of the groups named on the command line, from /etc/my.cnf, as --name=value lines.
groups=" "
for arg; do case $arg in -*) ;; *) groups+="$arg " ;; esac; done
[ -r /etc/my.cnf ] || exit 0
exec awk -v groups="$groups" '
/^[ \t]*([#;]|$)/ { next }
/^[ \t]*\[/ { name = $0; gsub(/[][ \t]/, "", name); on = index(groups, " " name " ") > 0; next }
on { line = $0; gsub(/^[ \t]+|[ \t]+$/, "", line); eq = index(line, "=")
     if (eq) { key = substr(line, 1, eq - 1); value = substr(line, eq + 1)
               gsub(/[ \t]+$/, "", key); gsub(/^[ \t]+/, "", value); print "--" key "=" value }
     else print "--" line }' /etc/my.cnf
''')

RNDC = Tool("rndc", "/usr/sbin/rndc", r'''#!/bin/bash
# rndc, BIND's control program, a stand-in of ha-rewrite verify (in its sandbox only): it controls
# the named the sandbox runs (a fake daemon), found by its process name, as rndc would over its socket.
while [ $# -gt 0 ]; do case $1 in -[cksyp]) shift 2 ;; -*) shift ;; *) break ;; esac; done
named=$(pidof named)
if [ -n "$named" ]; then
    case $1 in
        status) echo "server is up and running"; exit 0 ;;
        stop|halt) kill $named; exit 0 ;;
        *) exit 0 ;;
    esac
fi
echo "rndc: connect failed: 127.0.0.1#953: connection refused" >&2
exit 1
''')

INITLOG = Tool("initlog", "/sbin/initlog", r'''#!/bin/bash
# initlog, Red Hat's logging wrapper of 2004, a stand-in of ha-rewrite verify (in its sandbox only):
# `initlog [-q] [-n NAME] [-r] -c COMMAND` runs COMMAND (quotes honoured) and exits with its code.
command=
while [ $# -gt 0 ]; do
    case $1 in
        -c) command=$2; shift 2 ;;
        -n|-s|-e|-p|-f) shift 2 ;;
        *) shift ;;
    esac
done
[ -n "$command" ] || exit 0
eval "exec $command"
''')

USLEEP = Tool("usleep", "/usr/bin/usleep", r'''#!/bin/bash
# usleep MICROSECONDS, as Red Hat's initscripts has it, a stand-in of ha-rewrite verify (sandbox only).
exec sleep "$((${1:-1} / 1000000)).$(printf %06d $((${1:-1} % 1000000)))"
''')

PIDOF = Tool("pidof", None, r'''#!/bin/bash
# pidof at the path older Red Hat scripts name, a stand-in of ha-rewrite verify (sandbox only).
exec /usr/bin/pidof "$@"
''')

TOOLS = (CHECKPROC, MY_PRINT_DEFAULTS, RNDC, INITLOG, USLEEP, PIDOF)


class Placed(NamedTuple):
    path: str
    tool: Tool


def needed(texts: Iterable[bytes], tools: tuple[Tool, ...] = TOOLS) -> tuple[Placed, ...]:
    """The stand-ins the TEXTS (a script and the libraries it sources) call and the host lacks: at
    each absolute path they name for the tool (`/sbin/checkproc`), else at its default path."""
    texts = tuple(texts)
    placed: dict[str, Placed] = {}
    for tool in tools:
        name = re.escape(tool.name.encode())
        mentions = [m for text in texts for m in re.finditer(rb"(?<![\w.$/-])((?:/[\w.+-]+)*/)?" + name
                                                               + rb"(?![\w.-])", text)]
        if not mentions:
            continue
        named = {os.fsdecode(m.group(0)) for m in mentions if m.group(1)}
        paths = named or ({tool.default} if tool.default else set())
        for path in sorted(paths):
            if not os.path.lexists(host_path(path)):
                placed.setdefault(path, Placed(path, tool))
    return tuple(placed.values())


def installer(placed: tuple[Placed, ...]) -> str:
    """Bash that writes each stand-in at its path (run by the sandbox prelude, before the state)."""
    parts = []
    for path, tool in placed:
        quoted = "'" + path.replace("'", "'\\''") + "'"
        parts.append(f"mkdir -p -- \"$(dirname -- {quoted})\" && rm -f -- {quoted} && cat >{quoted} <<'HR_STAND_IN'\n"
                     f"{tool.body}HR_STAND_IN\nchmod 755 {quoted} || echo \"@@note no stand-in at \"{quoted}\n")
    return "".join(parts)
