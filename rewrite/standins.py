"""Stand-ins: small programs the sandbox provides when a script runs one the host lacks.

Each is a minimal, faithful version of a well-known tool whose answer depends only on what the
sandbox holds (its processes, pid files and configuration files), so a script that calls it still
reaches, and is judged by, its own logic: SUSE's `checkproc`, `startproc` and `killproc` (which
start and signal the fake daemon the sandbox places at the script's binary), MySQL's
`my_print_defaults` and `mysql_install_db`, BIND's `rndc` (which talks to the named the sandbox
runs), Red Hat's `initlog` and `usleep`, and `pidof` at the /sbin path older Red Hat scripts name;
`su`, `runuser` and `start-stop-daemon` run their command without switching users, and `mount`
and `umount` ask the sandbox's mount server. CONTROL is a well-behaved control program
(`apachectl status`, `rabbitmqctl wait`, `$DAEMON stop`) placed where a script calls one with a
control subcommand (rewrite.controls), and SYSTEMCTL stands in for systemctl (no systemd runs in
the sandbox); both start, stop and report the sandbox's fake daemon. NFS's
`rpcinfo` answers as where rpcbind runs, and `exportfs` as with nothing to export. verify notes
that these answered, to be confirmed on a real host. Any other program with no stand-in is still
reported as missing ("runs /usr/sbin/x (missing)"): the sandbox never guesses what an unknown
program says. Stand-ins are placed only where the host has no such file (systemctl, su, runuser,
start-stop-daemon, mount, umount: even where it has one, which could not answer in the sandbox),
and only in the sandbox.
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
    replace: bool = False  # placed even where the host has one (it cannot answer in the sandbox: systemctl)
    controls: bool = False  # it answers for the sandbox (its fake daemon, a dependency): verify notes it
    wraps: bool = False  # it runs the host's own program (kept at REAL/NAME by the installer) with other arguments


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
# run the executable (the pid file's, when it names one): exit 0 when any was signalled; when none
# runs, 0 if no signal was named and 7 (program not running to receive it) if one was (killproc(8),
# EXIT CODES: "0 Success or program was not running (no signal specified)", "7 Program was not
# running to receive the specified signal"); 5 not installed. With TERM (the default) it waits for
# them to end (SIGKILL after -t seconds, default 5, when no signal was named), removes the pid file.
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
[ -n "$pids" ] || { [ -n "$sig" ] && exit 7; exit 0; }
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

MYSQL_INSTALL_DB = Tool("mysql_install_db", "/usr/bin/mysql_install_db", r'''#!/bin/bash
# mysql_install_db, MySQL's first-run initializer, a stand-in of ha-rewrite verify (in its sandbox
# only): it creates the system tables' directory, DATADIR/mysql (--datadir, else /var/lib/mysql), as
# a real run leaves it; verify notes that it answered.
echo "$0" >>/tmp/.ha-rewrite-standins
datadir=/var/lib/mysql
for arg; do case $arg in --datadir=*) datadir=${arg#*=} ;; esac; done
mkdir -p -- "$datadir/mysql"
''', controls=True)

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

RPCINFO = Tool("rpcinfo", "/usr/sbin/rpcinfo", r'''#!/bin/bash
# rpcinfo, a stand-in of ha-rewrite verify (in its sandbox only), as on a host where rpcbind runs (a
# dependency an NFS script asks about, started before it): `rpcinfo -p [HOST]` lists the portmapper,
# a probe (`-u`/`-t HOST PROGRAM [VERSION]`) finds the program ready. verify notes that it answered.
echo "$0" >>/tmp/.ha-rewrite-standins
case $1 in
    -p) printf '   program vers proto   port  service\n    100000    4   tcp    111  portmapper\n' ;;
    -u|-t|-T) echo "program ${3:-100000} version ${4:-4} ready and waiting" ;;
esac
exit 0
''', controls=True)

EXPORTFS = Tool("exportfs", "/usr/sbin/exportfs", r'''#!/bin/bash
# exportfs, a stand-in of ha-rewrite verify (in its sandbox only): the sandbox has no NFS server to
# export to, so every request (`-r`, `-a`, `-au`, a list) succeeds with nothing exported, as on a host
# whose /etc/exports is empty. verify notes that it answered.
echo "$0" >>/tmp/.ha-rewrite-standins
exit 0
''', controls=True)

SELF_CONTROL = "/.ha-rewrite-ctl"  # where CONTROL goes when the daemon is its own control program
CONTROL_VERBS = "start|stop|status|restart|reload|force-reload|graceful|condrestart|try-restart|fullstatus"

# The half CONTROL and SYSTEMCTL share. The daemon they control: the fake daemon ($fake) and its pid
# file, in /.ha-rewrite-targets (written by the installer from the prelude's variables); a fake that
# answers as its own control program runs its twin, a copy under /.ha-rewrite-ctl.d. Each run of a
# stand-in adds its path to /tmp/.ha-rewrite-standins, which verify's note reads.
_DAEMON = r"""
. /.ha-rewrite-targets 2>/dev/null || { echo "${0##*/}: no daemon to control" >&2; exit 4; }
echo "${HR_AS:-$0}" >>/tmp/.ha-rewrite-standins
name=${fake##*/}
twin=/.ha-rewrite-ctl.d/$name
runs() {  # does process $1 run the daemon (replaced since: "(deleted)"; or the twin a self-controlling fake runs)?
    local found
    found=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
    [ "$found" = "$fake" ] || [ "$found" = "$fake (deleted)" ] || [ "$found" = "$twin" ]
}
daemon_pids() {  # the pid file's process when it runs the daemon, else every process that does; 1: none
    local pid p out=
    if read -r pid 2>/dev/null <"$pidfile" && [ -n "$pid" ] && runs "$pid"; then echo "$pid"; return 0; fi
    for p in /proc/[0-9]*; do runs "${p#/proc/}" && out+=" ${p#/proc/}"; done
    [ -n "$out" ] && echo $out
}
alive() { local p; for p; do runs "$p" && return 0; done; return 1; }
now() { now=${EPOCHREALTIME/[^0-9]/}; now=$((10#$now)); }  # microseconds, in $now
wait_daemon() {  # wait $1 seconds at most until the daemon runs
    local now end
    now; end=$((now + $1 * 1000000))
    while ! daemon_pids >/dev/null; do now; ((now < end)) || return 1; sleep 0.02; done
}
start_daemon() {  # start the daemon unless it runs, as the sandbox's fake starts; 0 when it runs then
    daemon_pids >/dev/null && return 0
    if [ -r /.ha-rewrite/lib ]; then  # verify --lsb's fake daemon: forks, writes the pid file
        ( . /.ha-rewrite/lib; fg=no; launch ) </dev/null >/dev/null 2>&1
    else
        mkdir -p -- "${pidfile%/*}"
        "$fake" infinity </dev/null >/dev/null 2>&1 &
        echo $! >"$pidfile"
    fi
    wait_daemon 2
}
stop_daemon() {  # TERM, KILL after 5 s; the pid file removed; 0 unless it survived
    local pids now end
    pids=$(daemon_pids)
    if [ -n "$pids" ]; then
        kill -TERM $pids 2>/dev/null
        now; end=$((now + 5000000))
        while alive $pids; do now; ((now < end)) || break; sleep 0.01; done
        alive $pids && kill -KILL $pids 2>/dev/null && sleep 0.1
    fi
    rm -f -- "$pidfile"
    ! alive $pids
}
"""

CONTROL = Tool("control", None, r"""#!/bin/bash
# A control program (apachectl, rabbitmqctl, supervisorctl, postfix, a daemon answering its own
# subcommands), a stand-in of ha-rewrite verify (in its sandbox only), modelling a well-behaved one:
# it controls the daemon the sandbox runs (the fake daemon, its pid file). The subcommand is the
# first argument that names one. status: exit 0 and `NAME is running (pid N)` when it runs, else 3
# and `NAME is stopped`; start: starts it unless it runs (1 when it does not start); stop (and
# redis-cli's shutdown): stops it and removes the pid file, 0 even when it was not running; restart:
# both; wait: waits (5 s at most) until it runs, 1 when it does not; ping (mysqladmin's): 0 when it
# runs, else 1; any other (reload, graceful, configtest, rotate_logs, reread, update, check...): 0.
""" + _DAEMON + r"""
verb=
for arg; do
    case $arg in
        status|start|stop|shutdown|restart|force-reload|try-restart|condrestart|wait|ping) verb=$arg; break ;;
    esac
done
case $verb in
    status)
        if pids=$(daemon_pids); then echo "$name is running (pid ${pids%% *})"; exit 0; fi
        echo "$name is stopped"; exit 3 ;;
    start) start_daemon && exit 0; echo "$name: did not start" >&2; exit 1 ;;
    stop|shutdown) stop_daemon; exit ;;
    restart|force-reload) stop_daemon && start_daemon ;;
    try-restart|condrestart) daemon_pids >/dev/null || exit 0; stop_daemon && start_daemon ;;
    wait) wait_daemon 5 && exit 0; echo "$name: did not start" >&2; exit 1 ;;
    ping) daemon_pids >/dev/null && { echo "$name is alive"; exit 0; }; echo "$name: no answer" >&2; exit 1 ;;
    *) exit 0 ;;
esac
""", controls=True)

SYSTEMCTL = Tool("systemctl", "/usr/bin/systemctl", r"""#!/bin/bash
# systemctl, a stand-in of ha-rewrite verify (in its sandbox only, where no systemd runs): the unit
# it is asked about is the script's service, run by the sandbox's fake daemon. status: systemd's
# first lines, exit 0 active, 3 inactive; is-active: active or inactive, 0 or 3; start, stop,
# restart, try-restart, reload-or-restart: start and stop the fake daemon (0, 1 when it does not
# start); list-unit-files [UNIT...]: each UNIT enabled; reload, enable, disable, others: 0.
""" + _DAEMON + r"""
verb= units=() quiet=
for arg; do
    case $arg in
        -q|--quiet) quiet=yes ;;
        -*) ;;
        *) if [ -z "$verb" ]; then verb=$arg; else units+=("$arg"); fi ;;
    esac
done
unit=${units[0]:-$name.service}
case $unit in *.*) ;; *) unit+=.service ;; esac
case $verb in
    status)
        if pids=$(daemon_pids); then
            printf '* %s - %s\n     Active: active (running)\n   Main PID: %s (%s)\n' \
                "$unit" "$name" "${pids%% *}" "$name"
            exit 0
        fi
        printf '* %s - %s\n     Active: inactive (dead)\n' "$unit" "$name"; exit 3 ;;
    is-active) daemon_pids >/dev/null && { [ -n "$quiet" ] || echo active; exit 0; }
        [ -n "$quiet" ] || echo inactive; exit 3 ;;
    start) start_daemon && exit 0; echo "Job for $unit failed." >&2; exit 1 ;;
    stop) stop_daemon; exit ;;
    restart|reload-or-restart|force-reload) stop_daemon && start_daemon ;;
    try-restart|condrestart|reload-or-try-restart) daemon_pids >/dev/null || exit 0; stop_daemon && start_daemon ;;
    list-unit-files)
        echo "UNIT FILE STATE VENDOR PRESET"
        for u in "${units[@]}"; do printf '%s enabled enabled\n' "$u"; done
        printf '\n%s unit files listed.\n' "${#units[@]}" ;;
    *) exit 0 ;;
esac
""", replace=True, controls=True)

# Switching users. The sandbox runs as root with no capability left (no setuid, no setgroups) and
# its /etc/passwd is the host's, without the service's user: a real su, runuser or `start-stop-daemon
# --chuid` refuses there. These run the command as the sandbox's user instead, so the script's own
# logic around the switch is what the checks judge; verify notes that they answered.
_SWITCH = r"""#!/bin/bash
# su and runuser, a stand-in of ha-rewrite verify (in its sandbox only): `su [-|-l] [-s SHELL] [-m|-p]
# USER [-c COMMAND] [ARGS]` runs SHELL (default /bin/sh) with -c COMMAND and ARGS; runuser's
# `-u USER [--] COMMAND [ARGS]` runs COMMAND. Both as the sandbox's user, with the command's exit code.
echo "$0" >>/tmp/.ha-rewrite-standins
shell=/bin/sh command= user= direct=
while [ $# -gt 0 ]; do
    case $1 in
        -|-l|--login|-m|-p|--preserve-environment|-f|--fast) shift ;;
        -s|--shell) shell=$2; shift 2 ;;
        --shell=*) shell=${1#*=}; shift ;;
        -c|--command|--session-command) command=$2; shift 2 ;;
        --command=*|--session-command=*) command=${1#*=}; shift ;;
        -u|--user) user=$2 direct=yes; shift 2 ;;
        -g|--group|-G|--supp-group|-w|--whitelist-environment) shift 2 ;;
        --) shift; break ;;
        -*) shift ;;
        *) [ -n "$user" ] && break; user=$1; shift ;;
    esac
done
[ -n "$user" ] || { echo "${0##*/}: no user named" >&2; exit 1; }
[ -n "$direct" ] && [ -z "$command" ] && exec "$@"
[ -n "$command" ] && exec "$shell" -c "$command" "$shell" "$@"
exec "$shell" "$@"
"""
# Mounting. The sandbox holds no capability, so a script's own mount and umount cannot run there; for
# a script whose instances are mounted file systems, these ask the prelude's mount server (stage 1
# keeps CAP_SYS_ADMIN for it, rewrite.sandbox), which mounts a tmpfs at, or unmounts, the
# directories the script mounts (rewrite.targets.mount_points) and refuses any other, as the real
# program refuses without privileges. Placed by verify only for such a script.
_MOUNTING = r"""#!/bin/bash
# mount and umount, a stand-in of ha-rewrite verify (in its sandbox only): `mount [-t TYPE] [-o OPTS]
# DEVICE DIR` gets a tmpfs named DEVICE at DIR, `umount DIR` removes it, from the sandbox's mount
# server, for the script's own mount points (a second mount there, or an umount of nothing, fails
# as util-linux's would, 32); any other is refused as without privileges. `mount` alone lists the
# mounted file systems.
verb=${0##*/} words=()
while [ $# -gt 0 ]; do
    case $1 in
        -t|-o|-O|-L|-U|--types|--options|--source|--target) shift 2 ;;
        -*) shift ;;
        *) words+=("$1"); shift ;;
    esac
done
if [ "$verb" = mount ] && [ ${#words[@]} -eq 0 ]; then
    while read -r source point type options _; do
        echo "$source on $point type $type ($options)"
    done </proc/self/mounts
    exit 0
fi
point=${words[${#words[@]} - 1]} source=${words[0]}
[ "$point" = / ] || point=${point%/}
reply=/tmp/.ha-rewrite-reply.$$ answer=denied
if [ -p /run/.ha-rewrite-mount ] && rm -f -- "$reply" && mkfifo -m 600 -- "$reply"; then
    printf '%s\t%s\t%s\t%s\n' "$verb" "$point" "$source" "$reply" >/run/.ha-rewrite-mount
    read -r answer <"$reply"
    rm -f -- "$reply"
fi
[ "$answer" = denied ] || echo "$0" >>/tmp/.ha-rewrite-standins  # it answered, as util-linux's would
case $verb/$answer in
    */0) exit 0 ;;
    mount/busy) echo "mount: $point: $source already mounted or mount point busy." >&2 ;;
    umount/unmounted) echo "umount: $point: not mounted." >&2 ;;
    mount/*) echo "mount: $point: permission denied." >&2 ;;
    *) echo "umount: $point: must be superuser to unmount." >&2 ;;
esac
exit 32
"""
MOUNT = Tool("mount", "/usr/bin/mount", _MOUNTING, replace=True, controls=True)
UMOUNT = Tool("umount", "/usr/bin/umount", _MOUNTING, replace=True, controls=True)

SU = Tool("su", "/usr/bin/su", _SWITCH, replace=True, controls=True)
RUNUSER = Tool("runuser", "/usr/sbin/runuser", _SWITCH, replace=True, controls=True)
REAL = "/.ha-rewrite-real"  # where the installer keeps the host's program a stand-in wraps

START_STOP_DAEMON = Tool("start-stop-daemon", "/usr/sbin/start-stop-daemon", r"""#!/bin/bash
# start-stop-daemon, a stand-in of ha-rewrite verify (in its sandbox only): the host's own (dpkg's),
# without the options that switch or match users and groups (-c/--chuid, -u/--user, -g/--group),
# which it refuses there. Its exit code is the real one's; verify notes it only when it dropped one.
args=()
while [ $# -gt 0 ]; do
    case $1 in
        -c|--chuid|-u|--user|-g|--group) echo "$0" >>/tmp/.ha-rewrite-standins; shift 2 ;;
        --chuid=*|--user=*|--group=*) echo "$0" >>/tmp/.ha-rewrite-standins; shift ;;
        --) args+=("$@"); break ;;
        *) args+=("$1"); shift ;;
    esac
done
exec """ + REAL + r"""/start-stop-daemon "${args[@]}"
""", replace=True, controls=True, wraps=True)

TOOLS = (CHECKPROC, STARTPROC, KILLPROC, MY_PRINT_DEFAULTS, MYSQL_INSTALL_DB, RNDC, INITLOG, USLEEP, PIDOF,
         SYSTEMCTL, RPCINFO, EXPORTFS, SU, RUNUSER, START_STOP_DAEMON)


class Placed(NamedTuple):
    path: str
    tool: Tool


# verify places these for a script whose instances are mounted file systems (not from its text: any
# script may name `mount`, NFS's mounts /proc/fs/nfsd, and only these have a mount server to ask).
MOUNTING = (Placed("/usr/bin/mount", MOUNT), Placed("/usr/bin/umount", UMOUNT))


def needed(texts: Iterable[bytes], tools: tuple[Tool, ...] = TOOLS) -> tuple[Placed, ...]:
    """The stand-ins the TEXTS (a script and the libraries it sources) call and the host lacks: at
    each absolute path they name for the tool (`/sbin/checkproc`), else at its default path, unless
    a text defines a function of that name (Red Hat's and Debian's `killproc`, which a call runs).
    One that replaces the host's goes there even where the host has one, and one that wraps the
    host's program only there."""
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
            there = os.path.lexists(host_path(path))
            if there if tool.wraps else tool.replace or not there:
                placed.setdefault(path, Placed(path, tool))
    return tuple(placed.values())


def installer(placed: tuple[Placed, ...], directories: tuple[str, ...] = ()) -> str:
    """Bash that writes each stand-in at its path and makes DIRECTORIES (run by the sandbox prelude,
    before the state). With a stand-in that controls the daemon: the daemon's file (TARGETS) and the
    note saying a stand-in answered; with one at SELF_CONTROL, the hook that lets the fake answer."""
    parts = [f"mkdir -p -- {_quoted(d)}\n" for d in directories]
    for path, tool in placed:
        quoted = _quoted(path)
        if tool.wraps:  # keep the host's program before the stand-in takes its place
            parts.append(f"mkdir -p {REAL} && cp -L -- {quoted} {REAL}/{_quoted(tool.name)} 2>/dev/null\n")
        parts.append(f"mkdir -p -- \"$(dirname -- {quoted})\" && rm -f -- {quoted} && cat >{quoted} <<'HR_STAND_IN'\n"
                     f"{tool.body}HR_STAND_IN\nchmod 755 {quoted} || echo \"@@note no stand-in at \"{quoted}\n")
    if any(p.tool.controls for p in placed):
        parts.append(_CONTROLLED)
    if any(p.path == SELF_CONTROL for p in placed):
        parts.append(_SELF_CONTROLLED)
    return "".join(parts)


def _quoted(path: str) -> str:
    return "'" + path.replace("'", "'\\''") + "'"


# Run by the prelude (its $fake and $pidfile): which daemon the control stand-ins control; at its end
# (an EXIT trap), a note naming the stand-ins that answered, for verify's report.
_CONTROLLED = r"""printf 'fake=%q pidfile=%q\n' "$fake" "$pidfile" >/.ha-rewrite-targets
hr_answered() {
    [ -s /tmp/.ha-rewrite-standins ] || return 0
    echo "@@note answered by ha-rewrite's stand-in for $(sort -u /tmp/.ha-rewrite-standins | paste -sd ' ')" \
        "(a well-behaved program of its kind): confirm on the real host"
}
trap hr_answered EXIT
"""

# The daemon is its own control program (`$DAEMON status`): once the state is ready (the prelude's
# hook), the fake's file becomes a program that runs CONTROL for a control subcommand and a copy of
# the fake (its twin, same name) otherwise; the fakes already running keep running.
_SELF_CONTROLLED = r"""hr_state_ready() {
    local twin=/.ha-rewrite-ctl.d/${fake##*/}
    mkdir -p /.ha-rewrite-ctl.d && cp -- "$fake" "$twin" && rm -f -- "$fake" && {
        echo '#!/bin/bash'
        echo '# The fake daemon of ha-rewrite verify, answering as its own control program (sandbox only).'
        printf 'case $1 in %s) HR_AS=%q exec /.ha-rewrite-ctl "$@" ;; esac\nexec %q "$@"\n' \
            '""" + CONTROL_VERBS + r"""' "$fake" "$twin"
    } >"$fake" && chmod 755 "$fake" || echo "@@note the fake daemon cannot answer as its control program"
}
"""
