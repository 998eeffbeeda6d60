"""Stand-ins: small programs the sandbox provides when a script runs one the host lacks.

Each is a minimal, faithful version of a well-known tool whose answer depends only on what the
sandbox holds (its processes, pid files and configuration files), so a script that calls it still
reaches, and is judged by, its own logic: SUSE's `checkproc`, `startproc` and `killproc` (which start
and signal the fake daemon the sandbox places at the script's binary), MySQL's `my_print_defaults`, BIND's
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

STARTPROC = Tool("startproc", "/sbin/startproc", r'''#!/bin/bash
# startproc as SUSE's killproc package has it, a stand-in of ha-rewrite verify (in its sandbox only):
# `startproc [-f] [-q|-l LOG] [-p PIDFILE] ... /path/to/executable ARGS` starts the executable in the
# background unless a process runs it (-f: even then); exit 0 when one runs afterwards, 1 when none
# does, 5 not installed. -u/-g/-n/-c are accepted and not applied (the sandbox runs one user).
force= log=/dev/null
while [ $# -gt 0 ]; do
    case $1 in
        -f) force=yes; shift ;;
        -l) log=$2; shift 2 ;;
        -p|-i|-u|-g|-c|-t|-T|-n|-w|-W|-o) shift 2 ;;
        --) shift; break ;;
        -*) shift ;;
        *) break ;;
    esac
done
exe=$1
[ -n "$exe" ] || { echo "Usage: startproc [-f] [-p pid_file] /path/to/executable [arguments]" >&2; exit 2; }
shift
[ -x "$exe" ] || exit 5
''' + _PROCS + r'''
running() { local p; for p in /proc/[0-9]*; do runs "${p#/proc/}" && return 0; done; return 1; }
[ -z "$force" ] && running && exit 0
"$exe" "$@" </dev/null >>"$log" 2>&1 3>&- &
child=$!
for ((i = 0; i < 200; i++)); do  # 2 s at most: a daemon that forks, or one that stays in front
    running && exit 0
    kill -0 "$child" 2>/dev/null || break
    sleep 0.01
done
running && exit 0
exit 1
''')

KILLPROC = Tool("killproc", "/sbin/killproc", r'''#!/bin/bash
# killproc as SUSE's killproc package has it, a stand-in of ha-rewrite verify (in its sandbox only):
# `killproc [-p PIDFILE] [-t SEC] [-SIG] /full/path/to/executable [-SIG]` signals the processes that
# run the executable (the pid file's, when it names one): exit 0 when any was signalled, 7 (program
# not running) when none was, 5 not installed. With TERM (the default) it waits for them to end
# (SIGKILL after -t seconds, default 5, when no signal was named) and removes the pid file.
pidfile= sig= exe= secs=5
while [ $# -gt 0 ]; do
    case $1 in
        -p) pidfile=$2; shift 2 ;;
        -t) secs=$2; shift 2 ;;
        -i|-c) shift 2 ;;
        -[vqLNgGnx]) shift ;;
        -[A-Z]*|-[0-9]*) sig=${1#-}; sig=${sig#SIG}; shift ;;
        -*) shift ;;
        *) [ -z "$exe" ] && exe=$1; shift ;;
    esac
done
[ -n "$exe" ] || { echo "Usage: killproc [-p pid_file] [-SIG] /full/path/to/executable" >&2; exit 2; }
[ -x "$exe" ] || exit 5
''' + _PROCS + r'''
[ -n "$pidfile" ] || pidfile=/var/run/${exe##*/}.pid
pids=
if read -r pid 2>/dev/null <"$pidfile" && [ -n "$pid" ] && runs "$pid"; then
    pids=$pid
else
    for p in /proc/[0-9]*; do runs "${p#/proc/}" && pids+=" ${p#/proc/}"; done
fi
[ -n "$pids" ] || exit 7
kill -"${sig:-TERM}" $pids 2>/dev/null
case ${sig:-TERM} in TERM|15|KILL|9) ;; *) exit 0 ;; esac
alive() { local p; for p in $pids; do runs "$p" && return 0; done; return 1; }
for ((i = 0; i < secs * 100; i++)); do alive || break; sleep 0.01; done
[ -z "$sig" ] && alive && kill -KILL $pids 2>/dev/null && sleep 0.1
alive && exit 1
rm -f -- "$pidfile"
exit 0
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

TOOLS = (CHECKPROC, STARTPROC, KILLPROC, MY_PRINT_DEFAULTS, RNDC, INITLOG, USLEEP, PIDOF)


class Placed(NamedTuple):
    path: str
    tool: Tool


def needed(texts: Iterable[bytes], tools: tuple[Tool, ...] = TOOLS) -> tuple[Placed, ...]:
    """The stand-ins the TEXTS (a script and the libraries it sources) call and the host lacks: at
    each absolute path they name for the tool (`/sbin/checkproc`), else at its default path, unless
    a text defines a function of that name (Red Hat's and Debian's `killproc`, which a call runs)."""
    texts = tuple(texts)
    placed: dict[str, Placed] = {}
    for tool in tools:
        name = re.escape(tool.name.encode())
        mentions = [m for text in texts for m in re.finditer(rb"(?<![\w.$/-])((?:/[\w.+-]+)*/)?" + name
                                                               + rb"(?![\w.-])", text)]
        if not mentions:
            continue
        named = {os.fsdecode(m.group(0)) for m in mentions if m.group(1)}
        defined = any(re.search(rb"(?m)^[ \t]*(?:function[ \t]+)?" + name + rb"[ \t]*\(\)", t) for t in texts)
        paths = named or ({tool.default} if tool.default and not defined else set())
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
