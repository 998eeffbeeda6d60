"""Control programs a script runs for its daemon, found in its text, and their sandbox stand-ins.

A control program is called with a control subcommand as its first argument after its options:
`$APACHECTL status`, `$RABBITMQCTL stop $PID_FILE`, `$POSTFIX_CMD start`, `mysqladmin --socket=S
ping`, `$DAEMON status` (a daemon that answers its own subcommands), also inside the `-c` string of
`su` or `runuser`. Where the host has no such program, verify places rewrite.standins.CONTROL at
its path, controlling the sandbox's fake daemon; when the program is the daemon itself (its path is
the fake daemon's), CONTROL goes to standins.SELF_CONTROL and the fake answers through it. A script
that tests /run/systemd/system and calls systemctl gets that directory (systemctl is a stand-in).
"""
from __future__ import annotations

import os
from collections.abc import Iterator

from tree_sitter import Node

from rewrite.parse import arguments, parse, text, walk
from rewrite.sandbox import host_path
from rewrite.standins import CONTROL, SELF_CONTROL, SYSTEMCTL, TOOLS, Placed
from rewrite.targets import assignments, evaluate

VERBS = (b"status", b"start", b"stop", b"restart", b"shutdown", b"ping")  # a control program's first word
SWITCHERS = (b"su", b"runuser")  # programs that run a `-c` command as another user
SYSTEMD_DIR = "/run/systemd/system"
LOG_DIR = "/var/log/"
_NOT_CONTROLS = ("/etc/", "/proc/", "/dev/")  # `$0 status`, an init script: not a program to stand in for


def control_programs(data: bytes, script_path: str) -> tuple[str, ...]:
    """Absolute paths of the programs DATA calls with a control subcommand first, in order, once each;
    not init scripts (`$0 status`) nor the programs rewrite.standins has a stand-in of its own for."""
    root = parse(data).root_node
    env = assignments(root, script_path)
    own = {t.name.encode() for t in TOOLS}
    found: dict[bytes, None] = {}
    for program, first in _calls(root, env):
        if (first in VERBS and program.startswith(b"/") and not program.endswith(b"/")
                and not program.startswith(tuple(os.fsencode(p) for p in _NOT_CONTROLS))
                and program.rsplit(b"/", 1)[-1] not in own):
            found.setdefault(os.path.normpath(program), None)
    return tuple(os.fsdecode(p) for p in found)


def _calls(root: Node, env: dict[bytes, bytes], depth: int = 0) -> Iterator[tuple[bytes, bytes | None]]:
    """(program, first word) of each command whose name and first word (its first argument not an
    option) have a known value; also of the commands in the `-c` string of a command that switches
    users (`runuser -s /bin/sh tomcat -c "${TOMCAT_SCRIPT} stop"`), which the sandbox runs through
    its stand-in."""
    for node in walk(root):
        if node.type != "command":
            continue
        name = node.child_by_field_name("name")
        if name is None or name.named_child_count != 1:
            continue
        program = evaluate(name.named_children[0], env)
        args = arguments(node)
        words = [a for a in args if not text(a).startswith(b"-")]  # `mysqladmin --socket=S ping`
        if program and words:
            yield program, evaluate(words[0], env)
        inner = _switched_command(root, name.named_children[0], program, args) if depth == 0 else None
        if inner is not None:
            yield from _calls(parse(inner).root_node, env, depth + 1)


def _switched_command(root: Node, name: Node, program: bytes | None, args: list[Node]) -> bytes | None:
    """The shell text of `su|runuser ... -c TEXT` (its quotes removed), else None. `$SU` counts when
    every assignment of SU in the script names one (`if [ -x /sbin/runuser ]; then SU=runuser ...`)."""
    command = next((v for f, v in zip(args, args[1:]) if text(f) in (b"-c", b"--command")
                    and v.type in ("string", "raw_string", "word")), None)
    if command is None:  # first, so that the script is searched for `SU=` only where it matters
        return None
    if program is None and name.type == "simple_expansion":
        programs = _assigned(root, text(name)[1:])
    else:
        programs = [program] if program is not None else []
    if not programs or any(p.rsplit(b"/", 1)[-1] not in SWITCHERS for p in programs):
        return None
    return text(command)[1:-1] if command.type != "word" else text(command)


def _assigned(root: Node, variable: bytes) -> list[bytes]:
    """The literal values of every assignment of VARIABLE anywhere in ROOT (b"" for one not literal)."""
    found = []
    for node in walk(root):
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if node.type == "variable_assignment" and name is not None and text(name) == variable:
            found.append((evaluate(value, {}) if value is not None else None) or b"")
    return found


def placements(data: bytes, script_path: str, binary: str, taken: frozenset[str] = frozenset()) -> tuple[Placed, ...]:
    """CONTROL at each control program DATA calls that the host lacks (not at TAKEN paths, which other
    stand-ins hold); at SELF_CONTROL when the program is BINARY, the fake daemon's path."""
    placed: dict[str, Placed] = {}
    for path in control_programs(data, script_path):
        if path == binary:
            placed.setdefault(SELF_CONTROL, Placed(SELF_CONTROL, CONTROL))
        elif path not in taken and not os.path.lexists(host_path(path)):
            placed.setdefault(path, Placed(path, CONTROL))
    return tuple(placed.values())


def directories(data: bytes, script_path: str, placed: tuple[Placed, ...]) -> tuple[str, ...]:
    """Directories the sandbox makes for a script: the log directories it writes into (its package
    made them), and SYSTEMD_DIR when the systemctl stand-in is placed and DATA (the script, not a
    library that redirects to systemctl when systemd runs) tests for it."""
    calls_systemctl = any(p.tool is SYSTEMCTL for p in placed)
    systemd = (SYSTEMD_DIR,) if calls_systemctl and os.fsencode(SYSTEMD_DIR) in data else ()
    return log_directories(data, script_path) + systemd


def log_directories(data: bytes, script_path: str) -> tuple[str, ...]:
    """The directories below /var/log that DATA redirects output into (`> "$LOG_DIR/startup_log"`)."""
    root = parse(data).root_node
    env = assignments(root, script_path)
    found: dict[str, None] = {}
    for node in walk(root):
        destination = node.child_by_field_name("destination") if node.type == "file_redirect" else None
        value = evaluate(destination, env) if destination is not None else None
        parent = os.path.dirname(os.path.normpath(os.fsdecode(value))) if value else ""
        if parent.startswith(LOG_DIR):
            found.setdefault(parent, None)
    return tuple(found)
