"""A bubblewrap sandbox for one status run: the command line, the in-sandbox prelude, the run itself.

Debian bookworm's bwrap (0.8.0) has no overlay, so the root is assembled from binds: `/usr`
read-only, the top-level `/bin`, `/lib`... symlinks as on the host, a fresh `/proc` (its own PID
namespace), a minimal `/dev`, and tmpfs `/etc`, `/run`, `/var`, `/tmp` holding only what the run
needs. A directory under `/usr` that must receive a new entry (a fake daemon at `/usr/sbin/httpd`),
or a replaced one (a fake at `/usr/sbin/rsyslogd`, which the host has), becomes a tmpfs of symlinks
to the host's entries plus the new one. `/bin/sh` is bash, as on Red Hat. No network, IPC or UTS
namespace is shared; the sandbox dies with its parent.

The prelude runs in two stages. Stage 1 holds CAP_SYS_ADMIN and CAP_SETPCAP only: it mounts the
state's file systems (a tmpfs at each directory a script mounts, for a running state), starts the
server the `mount` and `umount` stand-ins ask (it keeps CAP_SYS_ADMIN and mounts a tmpfs at, or
unmounts, those directories and no other), moves the namespace's PID counter (so pids have the
width of a busy host's) and makes `/proc` read-only.
Stage 2 runs as root with an empty capability bounding set: it places stubs, stand-ins
(rewrite.standins) and fake daemons, writes the state's pid and lock files (a running state starts
every daemon the status checks: the main one once, or nine times, each other one once, each with
its pid file), then runs the status command with the sandbox's stdout and stderr. It reports on a
third pipe: `@@exit N`, `@@pids ...`, `@@trace LEN` followed by LEN bytes.
A Prelude's `program` (bash, see rewrite.lsb_steps) replaces that last part: it runs after the state is
prepared, with the prelude's variables and descriptors, and reports on the same pipe.
"""
from __future__ import annotations

import os
import posixpath
import selectors
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

TOP_LEVEL = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
ETC_FILES = ("passwd", "group", "nsswitch.conf", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime",
             "hosts", "host.conf", "alternatives", "login.defs", "environment")
INIT_DIR = "/etc/rc.d/init.d"  # /etc/init.d is a symlink to it, as on Red Hat
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ENV = {"PATH": PATH, "LANG": "C", "HOME": "/root", "TERM": "dumb"}
PID_BASE = 999_999  # the pids of a host whose counter passed a million (pid_max 4194304, systemd's default)
LIMIT = 1 << 20  # bytes kept per stream
PRELUDE_NAME = "ha-rewrite-verify"  # $0 of the prelude: bash names it in its own error messages


class SandboxError(Exception):
    """The sandbox itself cannot be built or started; the message is one line."""


@dataclass(frozen=True)
class Layout:
    """What the sandbox holds beyond the base system."""

    binds: tuple[tuple[str, str], ...] = ()  # (host path, sandbox path), read-only
    writable: tuple[str, ...] = ()  # sandbox paths that must be creatable (stubs, fake daemons)


class Completed(NamedTuple):
    stdout: bytes
    stderr: bytes
    meta: bytes
    timed_out: bool
    elapsed: float


def bwrap() -> str:
    """The bwrap executable; SandboxError when bubblewrap is not installed."""
    found = shutil.which("bwrap")
    if found is None:
        raise SandboxError("bwrap not found: install bubblewrap (Debian: apt-get install bubblewrap)")
    return found


def host_path(path: str) -> str:
    """PATH with a top-level host symlink resolved (`/sbin/x` is `/usr/sbin/x` on merged-/usr hosts)."""
    parts = path.lstrip("/").split("/", 1)
    top = "/" + parts[0]
    if parts[0] in TOP_LEVEL and os.path.islink(top):
        target = posixpath.normpath(posixpath.join("/", os.readlink(top)))
        return posixpath.join(target, parts[1]) if len(parts) > 1 else target
    return path


def overlays(paths: Sequence[str]) -> tuple[str, ...]:
    """Directories under /usr to rebuild as tmpfs so that PATHS can be created (or replaced, when the
    host has them: a fake daemon at /usr/sbin/rsyslogd); parents first."""
    found = {"/usr/bin"}  # always: /usr/bin/sh becomes bash
    for path in paths:
        real = host_path(path)
        if not real.startswith("/usr/"):
            continue
        parent = posixpath.dirname(real)
        while not os.path.isdir(parent):
            parent = posixpath.dirname(parent)
        if parent != "/usr":
            found.add(parent)
    return tuple(sorted(found, key=lambda p: (p.count("/"), p)))


@lru_cache(maxsize=32)
def _entries(directory: str) -> tuple[str, ...]:
    return tuple(sorted(os.listdir(directory)))


def bwrap_argv(layout: Layout, command: Sequence[str]) -> list[str]:
    """The full bwrap command line for LAYOUT running COMMAND."""
    argv = [bwrap(), "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--die-with-parent", "--new-session"]
    if os.geteuid() != 0:  # pragma: no cover - platform: unprivileged, in a user namespace as its root
        argv += ["--unshare-user", "--uid", "0", "--gid", "0"]
    argv += ["--cap-drop", "ALL", "--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETPCAP",
             "--ro-bind", "/usr", "/usr"]
    for name in TOP_LEVEL:
        top = "/" + name
        if os.path.islink(top):
            argv += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):  # pragma: no cover - platform: a host without merged /usr
            argv += ["--ro-bind", top, top]
    argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--dir", "/root",
             "--tmpfs", "/run", "--dir", "/run/lock/subsys",
             "--tmpfs", "/var", "--symlink", "/run", "/var/run", "--symlink", "/run/lock", "/var/lock"]
    for name in ("lib", "log", "spool", "tmp", "cache"):
        argv += ["--dir", "/var/" + name]
    argv += ["--tmpfs", "/etc", "--dir", INIT_DIR, "--symlink", "rc.d/init.d", "/etc/init.d",
             "--symlink", "/proc/self/mounts", "/etc/mtab"]
    for name in ETC_FILES:
        if os.path.exists("/etc/" + name):
            argv += ["--ro-bind", "/etc/" + name, "/etc/" + name]
    for number, directory in enumerate(overlays(layout.writable)):
        argv += _overlay(directory, f"/.host/{number}")
    for source, dest in layout.binds:
        argv += ["--ro-bind", source, dest]
    return argv + ["--chdir", "/", "--", *command]


def _overlay(directory: str, hidden: str) -> list[str]:
    """DIRECTORY as a tmpfs of symlinks to the host's entries (kept under HIDDEN); sh is bash."""
    argv = ["--ro-bind", directory, hidden, "--tmpfs", directory]
    for entry in _entries(directory):
        target = f"{hidden}/bash" if (directory, entry) == ("/usr/bin", "sh") else f"{hidden}/{entry}"
        argv += ["--symlink", target, f"{directory}/{entry}"]
    return argv


def run(argv_for: Callable[[int], list[str]], timeout: float, marker: bytes = b"") -> Completed:
    """Run the sandbox; stdout, stderr and the report pipe are read apart.

    ARGV_FOR gets the report pipe's descriptor. Past TIMEOUT seconds the whole process group is
    killed (bwrap's --die-with-parent then takes the sandbox's PID namespace down with it). When
    MARKER appears on the report pipe, the deadline moves TIMEOUT seconds on (each time it appears:
    a run of several commands gives each its TIMEOUT).
    """
    read_end, write_end = os.pipe()
    start = time.monotonic()
    try:
        proc = subprocess.Popen(argv_for(write_end), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, pass_fds=(write_end,), env=ENV, start_new_session=True)
    except OSError as exc:
        os.close(read_end)
        raise SandboxError(f"cannot start bwrap: {exc.strerror or exc}") from exc
    finally:
        os.close(write_end)
    assert proc.stdout is not None and proc.stderr is not None
    out, err = proc.stdout.fileno(), proc.stderr.fileno()
    streams = {out: bytearray(), err: bytearray(), read_end: bytearray()}
    timed_out = _pump(streams, start + timeout, timeout, marker, read_end)
    if timed_out or proc.poll() is None:
        _kill(proc)
        _pump(streams, time.monotonic() + 2.0, 0.0, b"", read_end)
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    os.close(read_end)
    return Completed(bytes(streams[out]), bytes(streams[err]), bytes(streams[read_end]), timed_out,
                     time.monotonic() - start)


def _pump(streams: dict[int, bytearray], deadline: float, extend: float, marker: bytes, meta: int) -> bool:
    """Read every stream to its end; True when DEADLINE passed first."""
    selector = selectors.DefaultSelector()
    for fd in streams:
        selector.register(fd, selectors.EVENT_READ)
    searched = 0  # how far the report pipe was searched for MARKER
    try:
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            for key, _ in selector.select(remaining):
                data = os.read(key.fd, 65536)
                if not data:
                    selector.unregister(key.fd)
                    continue
                buffer = streams[key.fd]
                buffer += data[:max(0, LIMIT - len(buffer))]
                if marker and key.fd == meta:
                    found = buffer.find(marker, searched)
                    while found >= 0:
                        deadline, searched = time.monotonic() + extend, found + len(marker)
                        found = buffer.find(marker, searched)
                    searched = max(searched, len(buffer) - len(marker) + 1)
        return False
    finally:
        selector.close()


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # pragma: no cover - the group ended between poll and kill
        pass


# The in-sandbox half. Stage 1 (CAP_SYS_ADMIN, CAP_SETPCAP): pid counter, read-only /proc, drop
# every capability. Stage 2: stubs, fake daemons, the state's files, the status run, the trace run.
PRELUDE = r"""
if [ "$1" = stage1 ]; then
    exec 3>&"$2"; [ "$2" = 3 ] || eval "exec $2>&-"
    base=$3 mounted=$4 mountable=$5; shift 5
    while read -r point; do  # the state's mounted file systems, a tmpfs each
        [ -z "$point" ] || { mkdir -p -- "$point" && mount -t tmpfs -o size=1m,mode=755 ha-rewrite "$point"; } 2>&3 \
            || { echo "@@fail cannot mount a file system at $point" >&3; exit 70; }
    done <<<"$mounted"
    if [ -n "$mountable" ]; then  # the script's own mount and umount: their stand-ins ask this server
        mkfifo -m 600 /run/.ha-rewrite-mount || { echo "@@fail cannot make the mount server's fifo" >&3; exit 70; }
        real_mount=$(readlink -f /usr/bin/mount) real_umount=$(readlink -f /usr/bin/umount)  # the stand-ins go there
        (
            exec 7<>/run/.ha-rewrite-mount </dev/null >/dev/null 2>&1 3>&-
            while IFS=$'\t' read -r -u 7 verb point source reply; do  # a tmpfs at the script's own mount points only
                case $reply in /tmp/.ha-rewrite-reply.[0-9]*) ;; *) continue ;; esac
                answer=denied  # 0, denied, or as the real program would fail: busy, unmounted
                if grep -qxF -- "$point" <<<"$mountable"; then
                    mounted=no; mountpoint -q -- "$point" 2>/dev/null && mounted=yes
                    case $verb/$mounted in
                        mount/yes) answer=busy ;;
                        umount/no) answer=unmounted ;;
                        mount/no) mkdir -p -- "$point" \
                            && "$real_mount" -t tmpfs -o size=1m,mode=755 -- "$source" "$point" && answer=0 ;;
                        umount/yes) "$real_umount" -- "$point" && answer=0 ;;
                    esac
                fi
                echo "$answer" >"$reply"
            done
        ) &
    fi
    max=$(cat /proc/sys/kernel/pid_max)
    [ "$base" -gt $((max - 1000)) ] && base=$((max - 1000))
    echo "$base" >/proc/sys/kernel/ns_last_pid 2>/dev/null || echo "@@note the pid counter could not be moved" >&3
    mount -o bind,ro /proc /proc 2>&3 || { echo "@@fail cannot make /proc read-only" >&3; exit 70; }
    exec setpriv --bounding-set=-all --inh-caps=-all -- /bin/bash -c "$BASH_EXECUTION_STRING" "$0" stage2 "$@"
    echo "@@fail setpriv: cannot drop capabilities" >&3; exit 70
fi
shift
state=$1 count=$2 fake=$3 pidfile=$4 declared=$5 lockfile=$6 mode=$7 target=$8 trace=$9 stubs=${10}
tools=${11} program=${12} others=${13} written=${14}
shift 14
exec 5>&1 6>&2 >&3 2>&3
while read -r kind path; do
    [ -n "$path" ] || continue
    case $kind in
        d) mkdir -p -- "$path" ;;
        f) mkdir -p -- "${path%/*}" && { [ -e "$path" ] || echo "# ha-rewrite verify: stub" >"$path"; } ;;
        x) mkdir -p -- "${path%/*}" && rm -f -- "$path" \
            && printf '#!/bin/sh\necho "$0" >>/tmp/.ha-rewrite-stubs\nexit 0\n' >"$path" && chmod 755 "$path" ;;
    esac || echo "@@note no stub at $path"
done <<<"$stubs"
eval "$tools"
place_fake() {
    mkdir -p -- "${1%/*}" && rm -f -- "$1" && cp /usr/bin/sleep "$1" && chmod 755 "$1" \
        || { echo "@@fail cannot place the fake daemon at $1"; exit 70; }
}
place_fake "$fake"
declare -A placed=(["$fake"]=1)
while read -r run binary _; do  # the other daemons the status checks: "yes BINARY PIDFILE" lines
    [ "$run" = yes ] && [ -z "${placed[$binary]}" ] && place_fake "$binary" && placed[$binary]=1
done <<<"$others"
pids=() names=()
spawn() {
    local name=${1##*/}
    "$1" infinity </dev/null >/dev/null 2>&1 3>&- 5>&- 6>&- & pids+=($!); names+=("${name:0:15}")
}
started() {  # every fake has exec'd: pidof and /proc see its name, not a forked bash
    local i comm
    for i in "${!pids[@]}"; do read -r comm <"/proc/${pids[i]}/comm" && [ "$comm" = "${names[i]}" ] || return 1; done
}
case $state in
    running-*)
        for ((i = 0; i < count; i++)); do spawn "$fake"; done
        while read -r run binary file; do [ "$run" = yes ] && spawn "$binary"; done <<<"$others"
        for ((i = 0; i < 500; i++)); do started && break; sleep 0.01; done
        mkdir -p -- "${lockfile%/*}" && : >"$lockfile"
        if [ "$count" = 1 ] || [ "$declared" = yes ]; then
            mkdir -p -- "${pidfile%/*}" && printf '%s\n' "${pids[0]}" >"$pidfile"
        fi
        while read -r file; do  # the pid files the daemon writes in its data directory
            [ -z "$file" ] || { mkdir -p -- "${file%/*}" && printf '%s\n' "${pids[0]}" >"$file"; }
        done <<<"$written"
        i=$count
        while read -r run binary file; do  # each other daemon's pid in its own pid file
            [ "$run" = yes ] || continue
            mkdir -p -- "${file%/*}" && printf '%s\n' "${pids[i]}" >"$file"; i=$((i + 1))
        done <<<"$others" ;;
    dead-pidfile)
        spawn; { kill -KILL "${pids[0]}"; wait "${pids[0]}"; } 2>/dev/null
        mkdir -p -- "${pidfile%/*}" && printf '%s\n' "${pids[0]}" >"$pidfile"; pids=() ;;
    dead-lock) mkdir -p -- "${lockfile%/*}" && : >"$lockfile" ;;
esac
echo "@@pids ${pids[*]}"
declare -F hr_state_ready >/dev/null && hr_state_ready  # a stand-in's hook, the state ready (rewrite.standins)
cd /
if [ -n "$program" ]; then
    eval "$program"
    exit
fi
if [ "$mode" = library ]; then
    /bin/bash -c '. "$0" && "$@"' "$target" "$@" </dev/null >&5 2>&6 3>&- 5>&- 6>&-
else
    "$@" </dev/null >&5 2>&6 3>&- 5>&- 6>&-
fi
echo "@@exit $?"
exec 5>&- 6>&-
[ -s /tmp/.ha-rewrite-stubs ] && echo "@@stubs" $(sort -u /tmp/.ha-rewrite-stubs)
if [ "$trace" != none ]; then
    posix=; [ "$trace" = sh ] && posix="-o posix"
    /bin/bash $posix -c 'exec 9>/tmp/.ha-rewrite-trace; BASH_XTRACEFD=9; PS4="+\${BASH_SOURCE}:\${LINENO}: "
        set -x; . "$0" "$@"' "$target" "${@:2}" </dev/null >/dev/null 2>&1 3>&-
    echo "@@trace $(wc -c </tmp/.ha-rewrite-trace)"
    cat /tmp/.ha-rewrite-trace
fi
"""


class Prelude(NamedTuple):
    """Stage-2 arguments: the state and what to run."""

    state: str
    processes: int  # fake daemons to start
    fake: str
    pidfile: str
    declared: bool  # the script names its pid file: running-9 writes it (the master's pid)
    lockfile: str
    mode: str  # library: `. TARGET && COMMAND` (COMMAND: `status httpd`); script: run COMMAND
    target: str
    trace: str  # none | bash | sh: trace a second, sourced run to locate an early exit
    stubs: str  # "KIND PATH" lines
    command: tuple[str, ...]
    program: str = ""  # bash run in place of COMMAND and the trace run, COMMAND as its "$@" (rewrite.lsb_steps)
    tools: str = ""  # bash placing stand-ins for programs the host lacks (rewrite.standins)
    others: str = ""  # "RUN BINARY PIDFILE" lines: more fake daemons; RUN yes: the running states start one
    mounted: tuple[str, ...] = ()  # directories that hold a mounted file system (a tmpfs) in this state
    mountable: tuple[str, ...] = ()  # where the script's own mount may put one (rewrite.standins.MOUNT)
    written: tuple[str, ...] = ()  # more pid files the main daemon writes (rewrite.targets.Targets.written)


def prelude_command(prelude: Prelude, meta_fd: int) -> list[str]:
    return ["/bin/bash", "-c", PRELUDE, PRELUDE_NAME, "stage1", str(meta_fd), str(PID_BASE),
            _lines(prelude.mounted), _lines(prelude.mountable), prelude.state, str(prelude.processes), prelude.fake,
            prelude.pidfile, "yes" if prelude.declared else "no", prelude.lockfile, prelude.mode,
            prelude.target, prelude.trace, prelude.stubs, prelude.tools, prelude.program, prelude.others,
            _lines(prelude.written), *prelude.command]


def _lines(paths: Sequence[str]) -> str:
    return "".join(p + "\n" for p in paths)


class Report(NamedTuple):
    """What the prelude said on the report pipe."""

    exit: int | None
    pids: tuple[int, ...]
    trace: bytes
    notes: tuple[str, ...]
    failure: str
    stubs_run: tuple[str, ...]


def parse_report(meta: bytes) -> Report:
    exit_code: int | None = None
    pids: tuple[int, ...] = ()
    trace = b""
    notes: list[str] = []
    failure = ""
    stubs_run: tuple[str, ...] = ()
    rest = meta
    while rest:
        line, _, rest = rest.partition(b"\n")
        key, _, value = line.partition(b" ")
        if key == b"@@exit" and value.isdigit():
            exit_code = int(value)
        elif key == b"@@pids":
            pids = tuple(int(p) for p in value.split() if p.isdigit())
        elif key == b"@@trace" and value.strip().isdigit():
            size = int(value)
            trace, rest = rest[:size], rest[size:]
        elif key == b"@@stubs":
            stubs_run = tuple(os.fsdecode(p) for p in value.split())
        elif key == b"@@fail":
            failure = value.decode("utf-8", "replace")
        elif line.strip():
            notes.append(line.decode("utf-8", "replace").removeprefix("@@note "))
    return Report(exit_code, pids, trace, tuple(notes), failure, stubs_run)
