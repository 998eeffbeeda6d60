"""The checklist's in-sandbox half (rewrite.lsb runs it): the fake daemon, the steps, the report.

PROGRAM runs in the sandbox after rewrite.sandbox's prelude prepared the base state; it places a
FAKE DAEMON at every binary the script starts or its status checks, starts each daemon the status
checks for a `running` check (each instance of one binary: `sendmail` and `sm-client`, each with its
own pid file), runs each action of the check with the script and reports each step on the report
pipe; parse_steps reads that report.
"""
from __future__ import annotations

import os
from typing import NamedTuple

from rewrite.source import display


class RawStep(NamedTuple):
    exit: int
    stdout: bytes
    stderr: bytes
    alive: tuple[int, ...]
    stubs_run: tuple[str, ...]
    control: str = ""  # `PATH VERB`: the fake daemon run as a control program
    standins: tuple[str, ...] = ()  # the control stand-ins that answered (rewrite.standins)


def parse_steps(meta: bytes) -> tuple[list[RawStep], dict[str, bytes]]:
    """The program's report after `@@lsb`: `@@step N RC`, `@@out LEN`+bytes, `@@err LEN`+bytes,
    `@@alive PIDS`, `@@stubs PATHS`, `@@standins PATHS` per step, then `@@trace ACTION LEN`+bytes per
    action."""
    steps: list[RawStep] = []
    traces: dict[str, bytes] = {}
    rest = meta
    while rest:
        line, _, rest = rest.partition(b"\n")
        words = line.split(b" ")
        key, args = words[0], words[1:]
        if key in (b"@@out", b"@@err", b"@@trace") and args and args[-1].isdigit():
            size = int(args[-1])
            payload, rest = rest[:size], rest[size:]
            if key == b"@@trace" and len(args) == 2:
                traces[os.fsdecode(args[0])] = payload
            elif steps and key == b"@@out":
                steps[-1] = steps[-1]._replace(stdout=payload)
            elif steps:
                steps[-1] = steps[-1]._replace(stderr=payload)
        elif key == b"@@step" and len(args) == 2 and args[1].isdigit():
            steps.append(RawStep(int(args[1]), b"", b"", (), ()))
        elif key == b"@@alive" and steps:
            steps[-1] = steps[-1]._replace(alive=tuple(int(p) for p in args if p.isdigit()))
        elif key == b"@@stubs" and steps:
            steps[-1] = steps[-1]._replace(stubs_run=tuple(os.fsdecode(p) for p in args if p))
        elif key == b"@@standins" and steps:
            steps[-1] = steps[-1]._replace(standins=tuple(os.fsdecode(p) for p in args if p))
        elif key == b"@@control" and steps:
            steps[-1] = steps[-1]._replace(control=display(b" ".join(args)))
    return steps, traces


# Runs in the sandbox after the prelude prepared the base state (rewrite.sandbox: $fake holds a copy
# of sleep, $pidfile names a dead pid for dead-pidfile, $others lists the other fakes), with
# "$@" = STATE FOREGROUND TRACED MAIN ACTION... (TRACED: the file the trace re-run sources; MAIN: yes
# when a running state starts the main fake daemon, no for a script that runs none)
PROGRAM = r"""
lsb_state=$1 fg=$2 source_traced=$3 main_runs=$4; shift 4
hr=/.ha-rewrite
dflt=; env --default-signal true 2>/dev/null && dflt="env --default-signal"
mkdir -p "$hr" && cp /usr/bin/sleep "$hr/sleeper" && cp /bin/bash "$hr/shell" && chmod 755 "$hr/sleeper" "$hr/shell" \
    || { echo "@@fail cannot prepare the fake daemon"; exit 70; }
table="$main_runs $fake $pidfile"$'\n'$others  # "RUN BINARY PIDFILE": every fake daemon, the main one first
{ printf 'fake=%q pidfile=%q fg=%q dflt=%q hr=%q table=%q written=%q\n' "$fake" "$pidfile" "$fg" "$dflt" "$hr" \
      "$table" "$written"
  cat <<'LIB'
write_pid() {  # write_pid PID FILE; the main daemon's also in the pid files it writes in its data directory
    local file
    mkdir -p -- "${2%/*}" && printf '%s\n' "$1" >"$2"
    [ "$2" = "$pidfile" ] || return 0
    while read -r file; do
        [ -z "$file" ] || { mkdir -p -- "${file%/*}" && printf '%s\n' "$1" >"$file"; }
    done <<<"$written"
}
pidfiles_of() {  # the pid files of the instances run from binary $1, in order
    local run b p
    while read -r run b p; do [ "$b" = "$1" ] && echo "$p"; done <<<"$table"
}
mine() {  # was process $1 executed from a fake daemon (from $2 only, if given; replaced since: "(deleted)")?
    local exe run b
    exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
    exe=${exe% (deleted)}
    [ -n "${2-}" ] && { [ "$exe" = "$2" ]; return; }
    while read -r run b _; do [ "$exe" = "$b" ] && return 0; done <<<"$table"
    return 1
}
ending() {  # is process $1 ending or gone: a signal on its way (kill reached it), its exit begun, its trap running?
    local stat line
    [ -e "$hr/ending.$1" ] && return 0
    read -r stat 2>/dev/null <"/proc/$1/stat" || return 0
    stat=(${stat##*) })  # after the name: state ppid pgrp session tty_nr tpgid flags...
    (( stat[6] & 4 )) && return 0  # PF_EXITING: the signal taken, the process not gone yet
    mapfile -t stat 2>/dev/null <"/proc/$1/status" || return 0
    for line in "${stat[@]}"; do
        case $line in SigPnd:*[1-9a-f]*|ShdPnd:*[1-9a-f]*) return 0 ;; esac
    done
    return 1
}
fakes() {  # the fake daemons' pids (of binary $1 only, if given)
    local p out=
    for p in /proc/[0-9]*; do mine "${p#/proc/}" ${1:+"$1"} && out+=" ${p#/proc/}"; done
    echo $out
}
place() { cp -- "$2" "$1.hr$$" && chmod 755 "$1.hr$$" && mv -f -- "$1.hr$$" "$1"; }  # place BINARY FROM
self_binary() {  # the fake daemon binary this launcher runs as ($0, maybe through a symlinked /sbin)
    local run b real
    while read -r run b _; do [ "$0" = "$b" ] && { echo "$b"; return; }; done <<<"$table"
    real=$(readlink -f -- "$0")
    while read -r run b _; do [ "$(readlink -f -- "$b")" = "$real" ] && { echo "$b"; return; }; done <<<"$table"
    echo "$fake"
}
launch() {  # a fake daemon run by the script: one that forks, or (fg=yes) one the script puts in the background
    local args=("$@") p i self name live files busy free= seen=" "
    self=$(self_binary); name=${self##*/}
    case $1 in  # run as a control program (`daemonctl stop`): the stand-in answers if verify placed one, else recorded
        start|stop|status|restart|reload|force-reload|graceful|condrestart|try-restart|fullstatus)
            [ -x /.ha-rewrite-ctl ] && HR_AS=$self exec /.ha-rewrite-ctl "$@"  # rewrite.standins.SELF_CONTROL
            echo "$self $1" >>/tmp/.ha-rewrite-control; exit 0 ;;
    esac
    for ((i = 0; i < ${#args[@]}; i++)); do
        case ${args[i]} in  # a configuration test, a version query: answered, nothing started
            -t|-T|-tt|--test|--check|--configtest|--config-test|configtest|-configtest) exit 0 ;;
            -c) case ${args[i + 1]-} in ""|-*) exit 0 ;; esac ;;  # haproxy -c -f F; not nginx -c FILE
            -v|-V|--version|-version|version) echo "$name (a fake daemon: ha-rewrite verify --lsb)"; exit 0 ;;
        esac
    done
    live=($(fakes "$self")) files=($(pidfiles_of "$self"))
    for ((i = 0; i < 200 && ${#live[@]} >= ${#files[@]}; i++)); do  # one killed a moment ago: given 2 s to end
        busy=
        for p in "${live[@]}"; do  # once seen ending, ending: /proc read twice can fall between the signal and the exit
            if [[ $seen == *" $p "* ]] || ending "$p"; then busy=$p seen+="$p "; fi
        done
        [ -n "$busy" ] || break
        sleep 0.01; live=($(fakes "$self"))
    done
    if [ ${#live[@]} -ge ${#files[@]} ]; then  # every instance of it runs
        echo "$name: already running (pid ${live[0]}): address already in use" >&2; exit 1
    fi
    for p in "${files[@]}"; do  # the first instance whose pid file names no live one
        read -r i 2>/dev/null <"$p" && mine "$i" "$self" && continue
        free=$p; break
    done
    if [ "$fg" = yes ]; then  # this process becomes the daemon (the script's $!): a shell run from $self
        place "$self" "$hr/shell" && mkfifo -- "$hr/fifo.$$" || exit 1
        HR_PARENT=$$ HR_SELF=$self HR_PIDFILE=$free setsid -f /bin/bash -c '. /.ha-rewrite/lib; settle' \
            </dev/null >/dev/null 2>&1 3>&-
        HR_PIDFILE=$free HR_FIFO=$hr/fifo.$$ exec $dflt "$self" -c "$foreground"
    fi
    place "$self" "$hr/sleeper" || exit 1
    HR_SELF=$self HR_PIDFILE=$free setsid -f /bin/bash -c '. /.ha-rewrite/lib; guard' </dev/null >/dev/null 2>&1 3>&-
    for ((i = 0; i < 500; i++)); do
        read -r p 2>/dev/null <"$free" && mine "$p" "$self" && exit 0
        sleep 0.01
    done
    echo "$name: did not start" >&2; exit 1
}
# The foreground daemon: it waits on a fifo with no writer and, as a daemon does, removes its pid file
# when a catchable signal ends it (SIGKILL leaves it behind).
foreground='exec 7<>"$HR_FIFO"; rm -f -- "$HR_FIFO"
trap '"'"': >"/.ha-rewrite/ending.$$"; read -r p 2>/dev/null <"$HR_PIDFILE" && [ "$p" = "$$" ] && rm -f -- "$HR_PIDFILE"
    exit 143'"'"' TERM INT HUP QUIT
while :; do read -r -u 7 _; done'
settle() {  # once $HR_PARENT runs from $HR_SELF: the launcher back in place, the pid file written
    local i
    for ((i = 0; i < 500; i++)); do mine "$HR_PARENT" "$HR_SELF" && break; sleep 0.01; done
    place "$HR_SELF" "$hr/launcher"
    mine "$HR_PARENT" "$HR_SELF" && write_pid "$HR_PARENT" "$HR_PIDFILE"
}
settled() {  # wait (2 s at most) until only fake daemons and their guards remain besides the prelude
    local i p s ppid busy
    for ((i = 0; i < 200; i++)); do
        busy=
        for p in /proc/[0-9]*; do
            p=${p#/proc/}
            { [ "$p" = 1 ] || [ "$p" = $$ ] || mine "$p"; } && continue
            if [ -e "$hr/guard.$p" ]; then  # a guard whose daemon died is still cleaning up
                read -r s 2>/dev/null <"$hr/guard.$p" && mine "$s" && continue
            fi
            read -r _ _ _ ppid _ 2>/dev/null <"/proc/$p/stat" || continue
            [ "$ppid" = $$ ] && continue  # the prelude's own command substitutions
            busy=$p; break
        done
        [ -z "$busy" ] && return
        sleep 0.01
    done
}
guard() {  # the daemon's parent: starts it, writes its pid; a catchable signal removes the pid file
    local pid rc p i
    $dflt "$HR_SELF" infinity </dev/null >/dev/null 2>&1 &
    pid=$!
    for ((i = 0; i < 500; i++)); do mine "$pid" "$HR_SELF" && break; sleep 0.01; done
    place "$HR_SELF" "$hr/launcher"
    write_pid "$pid" "$HR_PIDFILE"
    echo "$pid" >"$hr/guard.$BASHPID"
    wait "$pid"; rc=$?
    if [ "$rc" -gt 128 ] && [ "$rc" -ne 137 ] && read -r p 2>/dev/null <"$HR_PIDFILE" && [ "$p" = "$pid" ]; then
        rm -f -- "$HR_PIDFILE"
    fi
    rm -f "$hr/guard.$BASHPID"
}
LIB
} >"$hr/lib"
cat >"$hr/launcher" <<'LAUNCHER'
#!/bin/bash
# A fake daemon put here by ha-rewrite verify --lsb, in the sandbox only.
. /.ha-rewrite/lib
launch "$@"
LAUNCHER
. "$hr/lib"
declare -A placed=()
while read -r run binary _; do
    [ -n "$binary" ] && [ -z "${placed[$binary]}" ] || continue
    mkdir -p -- "${binary%/*}" && place "$binary" "$hr/launcher" \
        || { echo "@@fail cannot place the fake daemon at $binary"; exit 70; }
    placed[$binary]=1
done <<<"$table"
if [ "$lsb_state" = running ]; then  # every daemon the status checks, each instance once
    while read -r run binary _; do
        [ "$run" = yes ] || continue
        before=$(fakes "$binary")
        setsid -f "$binary" </dev/null >/dev/null 2>&1 3>&- 5>&- 6>&-
        for ((i = 0; i < 500; i++)); do [ "$(fakes "$binary")" != "$before" ] && break; sleep 0.01; done
        settled
    done <<<"$table"
    p=$(fakes "$fake")
    [ -n "$p" ] || [ "$main_runs" = no ] || { echo "@@fail the fake daemon did not start"; exit 70; }
    mkdir -p -- "${pidfile%/*}" "${lockfile%/*}" && : >"$lockfile"
    [ -s "$pidfile" ] || [ -z "$p" ] || write_pid "${p%% *}" "$pidfile"
    echo "@@pids $(fakes)"
fi
echo "@@lsb"
n=0
for action; do
    rm -f /tmp/.ha-rewrite-stubs /tmp/.ha-rewrite-control /tmp/.ha-rewrite-standins
    "$target" "$action" </dev/null >"/tmp/.ha-rewrite-out.$n" 2>"/tmp/.ha-rewrite-err.$n" 3>&- 5>&- 6>&-
    rc=$?
    settled
    echo "@@step $n $rc"
    echo "@@out $(wc -c <"/tmp/.ha-rewrite-out.$n")"; cat "/tmp/.ha-rewrite-out.$n"
    echo "@@err $(wc -c <"/tmp/.ha-rewrite-err.$n")"; cat "/tmp/.ha-rewrite-err.$n"
    echo "@@alive $(fakes)"
    [ -s /tmp/.ha-rewrite-stubs ] && echo "@@stubs" $(sort -u /tmp/.ha-rewrite-stubs)
    [ -s /tmp/.ha-rewrite-control ] && echo "@@control $(head -n 1 /tmp/.ha-rewrite-control)"
    [ -s /tmp/.ha-rewrite-standins ] && echo "@@standins" $(sort -u /tmp/.ha-rewrite-standins)
    n=$((n + 1))
done
if [ "$trace" != none ]; then  # a traced, sourced re-run per action: did it reach its case arm?
    posix=; [ "$trace" = sh ] && posix="-o posix"
    declare -A traced=()
    for action; do
        [ -n "${traced[$action]}" ] && continue
        traced[$action]=1
        rm -f /tmp/.ha-rewrite-trace
        /bin/bash $posix -c 'exec 9>/tmp/.ha-rewrite-trace; BASH_XTRACEFD=9; PS4="+\${BASH_SOURCE}:\${LINENO}: "
            set -x; . "$0" "$@"' "$source_traced" "$action" </dev/null >/dev/null 2>&1 3>&- 5>&- 6>&-
        echo "@@step trace"
        echo "@@trace $action $(wc -c </tmp/.ha-rewrite-trace)"; cat /tmp/.ha-rewrite-trace
    done
fi
"""
