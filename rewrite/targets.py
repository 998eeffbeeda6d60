"""What a script's status operation looks at, inferred from its text: daemons, pid files, lock file,
mounts, stubs.

verify prepares each state around these: fake daemons named like the real ones (the main one, and
every other daemon or instance its status calls name: `status sendmail; status sm-client`), a pid
file each, a lock file, a file system at each directory the script mounts, and stub files at the
paths the script tests before it reaches its status logic (`[ -x /usr/sbin/ntpd ] || exit 5`,
`. /etc/sysconfig/network`), also those a `for` loop builds or globs (`/etc/ssh/ssh_host_${type}_key`,
`/etc/vsftpd/*.conf`). Values come from top-level assignments (`prog=`,
`pidfile=${PIDFILE-/var/run/x.pid}`, `prog=$(basename $exec)`), the arguments of
`status [-p PIDFILE] [-l LOCK] NAME`, `status_of_proc [-p PIDFILE] DAEMON NAME` and
`checkproc [-p PIDFILE] BINARY`, the programs the start code runs (`daemon --check NAME PROGRAM`,
`$DAEMON ... &`), and `/var/lock/subsys/NAME` words; options override them (`--daemon`: that one
daemon only). Paths are `str` decoded with os.fsdecode (lossless): they become command-line arguments.
"""
from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator
from typing import NamedTuple

from tree_sitter import Node

from rewrite.parse import arguments, command_name, commands_named, parse, text, unquote, walk

SUBSYS = "/var/lock/subsys/"
STATUS_COMMANDS = (b"status", b"status_of_proc", b"checkproc")
PROG_VARS = (b"prog", b"NAME", b"name", b"PROG")
BINARY_VARS = (b"DAEMON", b"daemon", b"exec", b"EXEC", b"BINARY", b"binary", b"DAEMON_BIN")
PIDFILE_VARS = (b"pidfile", b"PIDFILE", b"pid_file", b"PID_FILE")
LOCKFILE_VARS = (b"lockfile", b"LOCKFILE", b"lock_file", b"LOCK_FILE")
# Where the sandbox keeps state, and what never needs a stub.
STATE_DIRS = ("/run/", "/var/run/", "/var/lock/", "/tmp/", "/proc/", "/dev/", "/sys/")
STUB_KINDS = {b"-x": "x", b"-d": "d", b"-e": "f", b"-f": "f", b"-r": "f", b"-s": "f", b"-w": "f"}


class Fake(NamedTuple):
    """One more daemon the status checks: its fake runs from BINARY, its pid in PIDFILE."""

    daemon: str  # the name the status checks (`status sm-client`)
    binary: str
    pidfile: str


class Targets(NamedTuple):
    daemon: str  # the process name pidof and pgrep look for
    binary: str  # where the fake daemon is placed
    pidfile: str
    lockfile: str
    declared: bool = True  # the pid file is named by the script or an option, not a library default
    others: tuple[Fake, ...] = ()  # the other daemons (instances) the status operation checks
    mounts: tuple[str, ...] = ()  # the file systems it mounts (`mount -t gfs2 DEV DIR`): their directories
    processes: bool = True  # False: it runs no daemon, its only state is its mounts
    written: tuple[str, ...] = ()  # more pid files the daemon itself writes (postmaster's $PGDATA/postmaster.pid)

    @property
    def binaries(self) -> tuple[str, ...]:
        """Every path a fake daemon stands at, the main one first."""
        return tuple(dict.fromkeys((self.binary,) + tuple(f.binary for f in self.others)))


class Stub(NamedTuple):
    kind: str  # x: an executable, d: a directory, f: a file
    path: str


Env = dict[bytes, bytes]


def evaluate(node: Node, env: Env, unknown: bytes | None = None) -> bytes | None:
    """The value of a word: literals, known variables, `${X-default}`, `$(basename X)`.

    UNKNOWN stands in for what cannot be known (None: give up and return None).
    """
    literal = unquote(node)
    if literal is not None:
        return literal
    if node.type in ("string", "concatenation"):
        parts = []
        for child in node.named_children:
            part = text(child) if child.type == "string_content" else evaluate(child, env, unknown)
            if part is None:
                return None
            parts.append(part)
        return b"".join(parts)
    if node.type == "simple_expansion":
        return _lookup(node, env, unknown)
    if node.type == "expansion":
        return _expansion(node, env, unknown)
    if node.type == "command_substitution":
        return _basename_call(node, env, unknown)
    return unknown


def _lookup(node: Node, env: Env, unknown: bytes | None) -> bytes | None:
    names = [c for c in node.named_children if c.type in ("variable_name", "special_variable_name")]
    if not names:
        return unknown
    return env.get(text(names[0]), unknown)


def _expansion(node: Node, env: Env, unknown: bytes | None) -> bytes | None:
    ops = [text(c) for c in node.children if not c.is_named and c.type not in ("${", "}")]
    if not ops:
        return _lookup(node, env, unknown)
    names = [c for c in node.named_children if c.type == "variable_name"]
    defaults = [c for c in node.named_children if c.type != "variable_name"]
    if names and ops[0] in (b"-", b":-", b"=", b":=") and len(defaults) == 1:
        name = text(names[0])
        return env[name] if name in env else evaluate(defaults[0], env, unknown)
    return unknown


def _basename_call(node: Node, env: Env, unknown: bytes | None) -> bytes | None:
    commands = [c for c in node.named_children if c.type == "command"]
    if len(commands) == 1 and command_name(commands[0]) == b"basename":
        args = arguments(commands[0])
        if len(args) == 1:
            value = evaluate(args[0], env, None)
            if value is not None:
                return value.rstrip(b"/").rsplit(b"/", 1)[-1]
    return unknown


def assignments(root: Node, script_path: str) -> Env:
    """Top-level assignments in order (`export X=...` too); `$0` is the script's sandbox path."""
    env: Env = {b"0": os.fsencode(script_path)}
    for node in root.children:
        nodes = [node] if node.type == "variable_assignment" else (
            [c for c in node.named_children if c.type == "variable_assignment"]
            if node.type == "declaration_command" else [])
        for assignment in nodes:
            name, value = assignment.child_by_field_name("name"), assignment.child_by_field_name("value")
            if name is not None and value is not None:
                resolved = evaluate(value, env)
                if resolved is not None:
                    env[text(name)] = resolved
    return env


class _Call(NamedTuple):
    name: bytes | None
    binary: bytes | None
    pidfile: bytes | None
    lockfile: bytes | None


def _status_calls(root: Node, env: Env) -> Iterator[_Call]:
    """The arguments of each `status`, `status_of_proc` and `checkproc` call that names a daemon."""
    for node in commands_named(root, STATUS_COMMANDS):
        command = _base(command_name(node) or b"")
        words = [evaluate(a, env) for a in arguments(node)]
        options: dict[bytes, bytes | None] = {}
        while words and words[0] in (b"-p", b"-l", b"-b") and len(words) > 1:
            options[words[0] or b""] = words[1]
            words = words[2:]
        words = [w for w in words if w is None or not w.startswith(b"-")]
        if not words:
            continue
        name = words[-1] if command != b"status_of_proc" or len(words) < 2 else words[1]
        binary = words[0] if command != b"status" else words[-1]
        yield _Call(name, binary if binary and binary.startswith(b"/") else None,
                    options.get(b"-p"), options.get(b"-l"))


def _first(env: Env, names: tuple[bytes, ...]) -> bytes | None:
    return next((env[n] for n in names if env.get(n)), None)


def _base(value: bytes) -> bytes:
    return value.rstrip(b"/").rsplit(b"/", 1)[-1]


def _main_call(root: Node, env: Env) -> _Call:
    return next((c for c in _status_calls(root, env) if c.name), _Call(None, None, None, None))


def _named_pid(root: Node, env: Env, call: _Call) -> bytes | None:
    """The pid file the script names for its status; a library status call has its own default."""
    return call.pidfile or _first(env, PIDFILE_VARS) or (None if call.name else _pid_literal(root, env))


def declared_pidfile(root: Node, script_path: str) -> str | None:
    """The pid file the script at SCRIPT_PATH (its tree ROOT) names for its status, else None: what
    infer's pidfile is when it is `declared`, without the rest of infer's work."""
    env = assignments(root, script_path)
    pid = _named_pid(root, env, _main_call(root, env))
    return os.fsdecode(pid) if pid else None


def infer(data: bytes, script_path: str, daemon: str | None = None, pidfile: str | None = None,
          lockfile: str | None = None) -> Targets:
    """Daemon, binary, pid file and lock file of a script's status operation; options win."""
    root = parse(data).root_node
    env = assignments(root, script_path)
    call = _main_call(root, env)
    tested = [p for _, p in _tests(root, env)]
    paths = [v for k, v in env.items() if k != b"0" and v.startswith(b"/")] + tested
    binary_var = _first(env, BINARY_VARS)
    name = (os.fsencode(daemon) if daemon else None) or (_base(call.name) if call.name else None) \
        or _first(env, PROG_VARS) or (_base(binary_var) if binary_var else None) \
        or _subsys_name(root, env) or os.fsencode(posixpath.basename(script_path))
    candidates = [p for p in [call.binary, call.name, binary_var] + paths
                  if p and p.startswith(b"/") and _base(p) == name]
    named = binary_var if binary_var and binary_var.startswith(b"/") and _in_bin(binary_var) else None
    binary = next((p for p in candidates if _in_bin(p)), None) or named or b"/usr/sbin/" + name
    pid = (os.fsencode(pidfile) if pidfile else None) or _named_pid(root, env, call)
    lock = os.fsencode(lockfile) if lockfile else _lock(call.lockfile, env, root, name)
    others = () if daemon else _others(root, env, name, paths)
    mounts = mount_points(root, env)
    processes = bool(daemon or call.name or binary_var or pid or next(_starts(root, env), None)) or not mounts
    pidfile_path = os.fsdecode(pid or b"/var/run/" + name + b".pid")
    return Targets(os.fsdecode(name), os.fsdecode(binary), pidfile_path, os.fsdecode(lock), pid is not None,
                   others, mounts, processes, _written(tested, pidfile_path, others))


def _written(tested: list[bytes], pidfile: str, others: tuple[Fake, ...]) -> tuple[str, ...]:
    """The pid files a script tests (TESTED) outside the state directories (`[ -f
    "$PGDATA/postmaster.pid" ]`): the daemon writes them in its data directory; the script reads the
    pid there (and copies it)."""
    taken = {pidfile} | {f.pidfile for f in others}
    found = (posixpath.normpath(os.fsdecode(p)) for p in tested if p.startswith(b"/") and p.endswith(b".pid"))
    return tuple(dict.fromkeys(p for p in found if p not in taken and not _under(p, STATE_DIRS)))


_MOUNT_VALUES = (b"-t", b"-o", b"-O", b"-L", b"-U", b"--types", b"--options")


def mount_points(root: Node, env: Env) -> tuple[str, ...]:
    """The directories the script mounts file systems on (`mount -t $FSTYPE $DEV $MOUNTROOT/$inst`
    in a loop over `$INSTANCES`: one per instance); not under /proc, /sys, /dev, /run or /tmp."""
    found: list[str] = []
    for node, scope in walk_bound(root, env):
        if node.type != "command" or command_name(node) != b"mount":
            continue
        words = [evaluate(a, scope) for a in arguments(node)]
        positional = [w for w, before in zip(words, [None] + words)
                      if w is not None and not w.startswith(b"-") and before not in _MOUNT_VALUES]
        if len(positional) == 2 and positional[1].startswith(b"/"):
            point = posixpath.normpath(os.fsdecode(positional[1]))
            if not _under(point, STATE_DIRS):
                found.append(point)
    return tuple(dict.fromkeys(found))


def _others(root: Node, env: Env, main: bytes, paths: list[bytes]) -> tuple[Fake, ...]:
    """The daemons besides MAIN that the script's status calls name (`status sm-client`, `status
    nfsd`), each once: its binary is the program started under that name (`daemon --check sm-client
    /usr/sbin/sendmail`), else a bin path the script names, else /usr/sbin/NAME; its pid file the
    call's `-p`, else /var/run/NAME.pid (where Red Hat's and SUSE's status look)."""
    programs = dict(reversed(list(_starts(root, env))))  # name -> program: the first start wins
    found: dict[bytes, Fake] = {}
    for call in _status_calls(root, env):
        name = _base(call.name or b"")
        if not name or name == main or name in found:
            continue
        program = programs.get(name)
        named = [p for p in [call.binary, program] + paths if p and p.startswith(b"/") and _in_bin(p)
                 and (_base(p) == name or p == program)]
        binary = named[0] if named else b"/usr/sbin/" + name
        found[name] = Fake(os.fsdecode(name), os.fsdecode(binary),
                           os.fsdecode(call.pidfile or b"/var/run/" + name + b".pid"))
    return tuple(found.values())


def _starts(root: Node, env: Env) -> Iterator[tuple[bytes, bytes]]:
    """(name, program) for each command that starts a program: the name is `daemon --check NAME`'s,
    else the program's base name; a relative program (`daemon rpc.mountd`) as written."""
    for node in walk(root):
        if node.type != "command":
            continue
        program = _started_by(node, env)
        if not program:
            continue
        words = [evaluate(a, env) for a in arguments(node)] if command_name(node) == b"daemon" else []
        yield _value(words, (b"--check",)) or _base(program), program


def launched(data: bytes, script_path: str, targets: Targets) -> tuple[str, ...]:
    """Every program the script starts that a fake daemon can stand at: an absolute path in a bin
    directory, or a relative name (`daemon rpc.nfsd`) resolved to a fake's binary or a bin path the
    script names (`[ -x /usr/sbin/rpc.nfsd ]`); names it never spells as a path are left to PATH."""
    root = parse(data).root_node
    env = assignments(root, script_path)
    paths = [v for k, v in env.items() if k != b"0" and v.startswith(b"/")] + [p for _, p in _tests(root, env)]
    known = [os.fsencode(b) for b in targets.binaries] + paths
    found: list[str] = []
    for _, program in _starts(root, env):
        if not program.startswith(b"/"):
            program = next((p for p in known if p.startswith(b"/") and _base(p) == program), b"")
        if program.startswith(b"/") and _in_bin(program):
            found.append(os.fsdecode(posixpath.normpath(program)))
    return tuple(dict.fromkeys(found))


def _pid_literal(root: Node, env: Env) -> bytes | None:
    """The first absolute `.pid` path the script spells out (`get_option pid-file "/run/x/x.pid"`)."""
    for node in walk(root):
        if node.type in ("word", "string", "raw_string", "concatenation") and b".pid" in text(node):
            value = evaluate(node, env)
            if value and value.startswith(b"/") and value.endswith(b".pid") and b" " not in value:
                return value
    return None


def names_pidfile(data: bytes, script_path: str) -> bool:
    """Does the script know a pid file: a pid file variable, a `.pid` path, or a library status call
    (Red Hat's `status NAME` reads /var/run/NAME.pid)? Without one, LSB's status 1 cannot apply."""
    root = parse(data).root_node
    env = assignments(root, script_path)
    if _first(env, PIDFILE_VARS) or any(v.endswith(b".pid") for v in env.values()):
        return True
    if any(c.name for c in _status_calls(root, env)):
        return True
    return any(node.type in ("word", "string", "concatenation") and b".pid" in text(node) for node in walk(root))


def _in_bin(path: bytes) -> bool:
    """A program's path: its directory is a bin or sbin (`/usr/sbin`, `/opt/app/bin`)."""
    return path.rsplit(b"/", 2)[-2:-1] in ([b"bin"], [b"sbin"])


def library_targets(daemon: str | None, pidfile: str | None, lockfile: str | None) -> Targets:
    """A functions library is exercised as `status httpd` (CONTRACT.md's example) unless told otherwise."""
    name = daemon or "httpd"
    return Targets(name, "/usr/sbin/" + name, pidfile or f"/var/run/{name}.pid", lockfile or SUBSYS + name,
                   pidfile is not None)


def _lock(option: bytes | None, env: Env, root: Node, name: bytes) -> bytes:
    if option:  # Red Hat's `status -l NAME` looks in /var/lock/subsys/NAME
        return option if option.startswith(b"/") else os.fsencode(SUBSYS) + option
    found = _first(env, LOCKFILE_VARS)
    if found:
        return found
    subsys = _subsys_name(root, env)
    return os.fsencode(SUBSYS) + (subsys or name)


def _subsys_name(root: Node, env: Env) -> bytes | None:
    """NAME of the first `/var/lock/subsys/NAME` word the script mentions."""
    marker = os.fsencode(SUBSYS)
    for node in walk(root):
        if node.type in ("word", "string", "concatenation") and marker in text(node):
            value = evaluate(node, env)
            if value and value.startswith(marker) and len(value) > len(marker) and b"/" not in value[len(marker):]:
                return value[len(marker):]
    return None


LOOP_VALUES = 8  # values of one `for` loop followed: a script's own list (`for type in rsa dsa`) is short
LOOP_BODIES = 256  # loop bodies walked with a bound value, per walk; past it (nested loops), once unbound
_LISTERS = (b"ls", b"echo")  # `for f in $(ls /etc/x/*.conf)`: the words they print are their arguments


def walk_bound(root: Node, env: Env) -> Iterator[tuple[Node, Env]]:
    """Every node with the variables it sees: ENV, plus each `for` loop's variable bound to each of
    its values in turn (its body walked once per value) and the assignments made inside that body
    (`key=/etc/ssh/ssh_host_${type}_key`), in order. Globs stay globs (`/etc/vsftpd/*.conf`)."""
    stack: list[tuple[Node, Env, bool]] = [(root, env, False)]
    budget = LOOP_BODIES
    while stack:
        node, scope, looped = stack.pop()
        yield node, scope
        if looped and node.type == "variable_assignment":
            _assign(node, scope)
        if node.type == "for_statement":
            bodies = _loop_bodies(node, scope, budget)
            budget -= len(bodies)
            stack.extend(bodies)
            children = [c for c in node.children if c.type != "do_group"]
        else:
            children = node.children
        stack.extend((c, scope, looped) for c in reversed(children))


def _assign(node: Node, scope: Env) -> None:
    name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
    if name is not None and value is not None:
        resolved = evaluate(value, scope)
        if resolved is None:
            scope.pop(text(name), None)
        else:
            scope[text(name)] = resolved


def _loop_bodies(node: Node, scope: Env, budget: int) -> list[tuple[Node, Env, bool]]:
    """The loop body once per value, last value first (a stack), each with its own scope; once with
    the variable unknown when no value is known or BUDGET is spent."""
    variable = node.child_by_field_name("variable")
    name = text(variable) if variable is not None else b""
    body = next((c for c in node.children if c.type == "do_group"), None)
    if body is None:
        return []
    values = loop_values(node, scope)[:LOOP_VALUES] if name else []
    if not values or len(values) > budget:
        return [(body, {k: v for k, v in scope.items() if k != name}, True)]
    return [(body, {**scope, name: value}, True) for value in reversed(values)]


def loop_values(node: Node, scope: Env) -> list[bytes]:
    """The words a `for` loop iterates over, as far as they are known: literal words, variables split
    on blanks (`for inst in $INSTANCES`), the arguments of `$(ls GLOB)`; globs unexpanded."""
    values: list[bytes] = []
    for child in node.children_by_field_name("value"):
        commands = [c for c in child.named_children if c.type == "command"] \
            if child.type == "command_substitution" else []
        if len(commands) == 1 and command_name(commands[0]) in _LISTERS:
            words = [evaluate(a, scope) for a in arguments(commands[0])]
            values += [w for w in words if w and not w.startswith(b"-")]
            continue
        value = evaluate(child, scope)
        if value is not None:
            values += [value] if child.type in ("string", "raw_string") else value.split()
    return values


def _tests(root: Node, env: Env) -> Iterator[tuple[str, bytes]]:
    """(kind, path) for `[ -x P ]`, `test -f P`, `[[ -d P ]]`, in loops for each value of the loop's
    variable; unknown variables read as empty."""
    for node, scope in walk_bound(root, env):
        if node.type == "unary_expression":
            operator = node.child_by_field_name("operator")
            operands = [c for c in node.named_children if c.type != "test_operator"]
            if operator is not None and text(operator) in STUB_KINDS and len(operands) == 1:
                value = evaluate(_leftmost(operands[0]), scope, b"")
                if value:
                    yield STUB_KINDS[text(operator)], value
        elif node.type == "command" and command_name(node) in (b"test", b"["):
            args = arguments(node)
            for op, operand in zip(args, args[1:]):
                if text(op) in STUB_KINDS:
                    value = evaluate(operand, scope, b"")
                    if value:
                        yield STUB_KINDS[text(op)], value


def _leftmost(node: Node) -> Node:
    """The operand itself: tree-sitter-bash reads `[ ! -f A -o B -nt C ]` as `-f` applied to
    `(A -o B) -nt C`, so the word `-f` tests is the leftmost one of that expression."""
    while node.type == "binary_expression" and node.named_children:
        node = node.named_children[0]
    return node


def _sourced(root: Node, env: Env) -> Iterator[bytes]:
    for node, scope in walk_bound(root, env):
        if node.type == "command" and command_name(node) in (b".", b"source"):
            args = arguments(node)
            if args:
                value = evaluate(args[0], scope, b"")
                if value:
                    yield value


def stubs(data: bytes, script_path: str, targets: Targets, skip: tuple[str, ...] = ()) -> tuple[Stub, ...]:
    """Stub files for the paths a script tests or sources, so it reaches its status logic, and one
    file per glob a `for` loop iterates over (named for the daemon: `/etc/vsftpd/vsftpd.conf`).

    Left out: state directories (/run, /var/run, /var/lock, /tmp, ...), the pid and lock files (and
    the pid files the daemon writes elsewhere),
    a sourced `functions` library (bound, not stubbed; a tested one is stubbed even in SKIP: `[ -f
    /etc/init.d/functions ] && . DEPLOY/functions`), the paths in SKIP (and below them), relative and
    directory-like paths, the fake daemons' binaries.
    """
    root = parse(data).root_node
    env = assignments(root, script_path)
    found = [(k, p, False) for k, p in _tests(root, env)] + [("f", p, True) for p in _sourced(root, env)] \
        + [("f", p, False) for p in _globbed(root, env)]
    result: dict[str, Stub] = {}
    for kind, glob, sourced in found:
        raw = instance(glob, targets.daemon)
        if raw is None:
            continue
        path = posixpath.normpath(os.fsdecode(raw))
        library = _base(raw) == b"functions"  # tested, not sourced: the system's copy, there on a real host
        if (not raw.startswith(b"/") or raw.endswith(b"/") or (library and sourced)
                or path in (targets.pidfile, targets.lockfile) or path in targets.binaries or path in targets.written
                or _under(path, STATE_DIRS) or (not library and (_under(path, skip) or path in skip))):
            continue
        if path not in result or kind == "x":
            result[path] = Stub(kind, path)
    return tuple(result.values())


def _globbed(root: Node, env: Env) -> Iterator[bytes]:
    """The absolute globs a `for` loop iterates over (`for i in `ls /etc/vsftpd/*.conf``): one file
    per instance, which the loop finds only when at least one exists."""
    for node, scope in walk_bound(root, env):
        if node.type == "for_statement":
            yield from (v for v in loop_values(node, scope) if v.startswith(b"/") and b"*" in v)


def instance(path: bytes, daemon: str) -> bytes | None:
    """PATH, or the file a glob finds for the daemon's own instance (`/etc/vsftpd/*.conf` ->
    `/etc/vsftpd/vsftpd.conf`); None for a pattern with other wildcards (`?`, `[...]`)."""
    if b"?" in path or b"[" in path:
        return None
    return path.replace(b"*", os.fsencode(daemon))


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path.startswith(p.rstrip("/") + "/") for p in prefixes)


# A lone `&` (not `&&`, `2>&1`, `&>`, `|&`): the command before it runs in the background.
_BACKGROUND = re.compile(rb"(?<![&>|<])&(?![&>])")


def backgrounds(data: bytes, script_path: str, binary: str) -> bool:
    """Does the script put BINARY in the background itself (so the daemon must not fork)?

    `$DAEMON --opts &` (also inside `su -c "..."`), `nohup $DAEMON &`, and
    `start-stop-daemon --start --background` (`-b`) on a line naming the binary. Continued
    lines (a trailing backslash) count as one.
    """
    env = assignments(parse(data).root_node, script_path)
    names = [re.escape(os.fsencode(binary))] + [rb"\$\{?" + re.escape(k) + rb"\b\}?" for k, v in env.items()
                                                 if v == os.fsencode(binary) and k != b"0"]
    mention = re.compile(b"|".join(names))
    for line in re.sub(rb"\\\r?\n", b" ", data).splitlines():
        found = mention.search(line)
        if found is None or line.lstrip().startswith(b"#"):
            continue
        if _BACKGROUND.search(line, found.end()):
            return True
        words = line.split()
        if b"start-stop-daemon" in line and any(w == b"--background" or re.fullmatch(rb"-[A-Za-z]*b[A-Za-z]*", w)
                                                for w in words):
            return True
    return False


# Commands that start a daemon, and their options that take a value (the program is the first other word).
_STARTERS: dict[bytes, tuple[bytes, ...]] = {
    b"daemon": (b"--check", b"--user", b"--pidfile"),  # Red Hat's functions
    b"start_daemon": (b"-n", b"-p"),  # LSB's init-functions
    b"startproc": (b"-p", b"-u", b"-g", b"-l", b"-t", b"-T", b"-n", b"-c", b"-i", b"-w", b"-W"),  # SUSE
}


def started(data: bytes, script_path: str, binary: str) -> str:
    """The absolute path of the program the script starts, for the fake daemon; BINARY when unknown.

    `start-stop-daemon --start ... --startas|--exec X`, `daemon [options] X`, `start_daemon [-p P] X`,
    `startproc [options] X`, `X ARGS &`, `nohup X ARGS &`; the first such command naming an absolute
    path in a bin directory wins.
    """
    root = parse(data).root_node
    env = assignments(root, script_path)
    for node in walk(root):
        found = _started_by(node, env) if node.type == "command" else None
        if found and found.startswith(b"/") and _in_bin(found):
            return os.fsdecode(found)
    return binary


def _started_by(node: Node, env: Env) -> bytes | None:
    """The program a `command` node starts, if it starts one: a starter's program, or the command
    itself when it runs in the background (`$DAEMON --spool "$SPOOL" &`, `nohup $DAEMON &`)."""
    name = command_name(node)
    words = [evaluate(a, env) for a in arguments(node)]
    if name == b"start-stop-daemon" and (b"--start" in words or b"-S" in words):
        return _value(words, (b"--startas", b"-a")) or _value(words, (b"--exec", b"-x"))
    if name in _STARTERS:
        return _program(words, _STARTERS[name])
    if not _in_background(node):
        return None
    if name in _LAUNCHERS:
        return _program(words, ())
    head = node.child_by_field_name("name")
    return evaluate(head.named_children[0], env) if head is not None and head.named_child_count == 1 else None


# Programs that run the next word as the program: `nohup $DAEMON &`.
_LAUNCHERS = (b"nohup", b"setsid", b"nice")


def _in_background(node: Node) -> bool:
    """Is the command followed by a lone `&` (itself, or with its redirections)?"""
    statement = node.parent if node.parent is not None and node.parent.type == "redirected_statement" else node
    following = statement.next_sibling
    return following is not None and following.type == "&"


def _value(words: list[bytes | None], options: tuple[bytes, ...]) -> bytes | None:
    """The value of the first of OPTIONS in WORDS (`--exec X` or `--exec=X`)."""
    for word, after in zip(words, words[1:] + [None]):
        if word in options:
            return after
        for option in options:
            if word is not None and option.startswith(b"--") and word.startswith(option + b"="):
                return word[len(option) + 1:]
    return None


def _program(words: list[bytes | None], with_value: tuple[bytes, ...]) -> bytes | None:
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word is None:
            return None
        elif word in with_value:
            skip = True
        elif not word.startswith((b"-", b"+")):
            return word.split()[0] if word.split() else None
    return None
