"""Run a script's status operation in a sandbox, in each state, and judge it as Heartbeat would.

States: `running-1` (one fake daemon, pid and lock files), `running-9` (nine: the pid list of
Red Hat's status line against lrmd's 79-byte window), each with one fake for every other daemon
the status checks and a file system at every directory the script mounts, `stopped` (nothing),
`dead-pidfile` (a pid file naming a dead process), `dead-lock` (a lock file only). Each state runs in a fresh sandbox
(rewrite.sandbox); rewrite.contract judges what it printed, for `rm`, `lrmd` and `lsb`.
"""
from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from rewrite import controls, sandbox, standins
from rewrite.contract import LRMD_WINDOW, RUNNING, STOPPED, Verdicts, judge, says_running
from rewrite.parse import line_col
from rewrite.library import Library
from rewrite.scan import Scan, scan_bytes
from rewrite.source import SourceError, display, not_a_script_reason, read_source, unrunnable_reason
from rewrite.targets import STATE_DIRS, Targets, infer, library_targets, stubs
from rewrite.staging import recorded_source, wrapped_original
from rewrite.wrapper import is_wrapper

DEPLOY_DIR = "/etc/ha.d/resource.d"
TIMEOUT = 10.0
STATES = ("running-1", "running-9", "stopped", "dead-pidfile", "dead-lock")
COUNTS = {"running-1": 1, "running-9": 9}
EXPECTED = {"running-1": RUNNING, "running-9": RUNNING, "stopped": STOPPED, "dead-pidfile": STOPPED,
            "dead-lock": STOPPED}
LSB_EXIT = {"running-1": 0, "running-9": 0, "stopped": 3, "dead-pidfile": 1, "dead-lock": 2}


@dataclass(frozen=True)
class StateResult:
    """One state: what the status operation printed and how each consumer reads it."""

    state: str
    stdout: bytes
    stderr: bytes
    exit: int | None
    verdicts: Verdicts | None  # None when there is no verdict to give (see problem)
    expected: str
    ok: bool
    problem: str = ""  # timed out, exits before its status logic, the sandbox failed
    pids: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def fooled(self) -> tuple[str, ...]:
        """The consumers whose verdict is wrong."""
        if self.verdicts is None:
            return ()
        return tuple(name for name, verdict in self.verdicts._asdict().items() if verdict != self.expected)

    @property
    def lsb_exit(self) -> int:
        """The exit code LSB specifies for this state."""
        return LSB_EXIT[self.state]

    @property
    def first_line(self) -> bytes:
        return self.stdout.split(b"\n", 1)[0]


@dataclass(frozen=True)
class ScriptReport:
    path: str
    kind: str  # script | library | wrapper
    command: str = ""  # what ran inside the sandbox
    targets: Targets | None = None
    states: tuple[StateResult, ...] = ()
    error: str = ""  # the script could not be run at all

    @property
    def code(self) -> int:
        """0 every verdict right, 1 a wrong verdict, 2 could not be run (or a state gave no verdict)."""
        if self.error or any(s.problem for s in self.states):
            return 2
        return 0 if all(s.ok for s in self.states) else 1

    @property
    def ok(self) -> bool:
        return self.code == 0


@dataclass(frozen=True)
class Plan:
    """How one file's status operation is run: what make_plan decided, run_state carries out."""

    path: str
    kind: str
    targets: Targets
    layout: sandbox.Layout
    mode: str  # script | library (see sandbox.Prelude)
    target: str  # the file's path inside the sandbox
    trace: str  # none | bash | sh
    stubs: str  # "KIND PATH" lines
    command: tuple[str, ...]
    entries: tuple[tuple[int, int], ...]  # line ranges of the status logic
    hint: str = ""  # why the file may not execute
    subject: str = ""  # the file whose text names the targets: the script, or the original a wrapper runs
    tools: str = ""  # bash placing the stand-ins the script needs (rewrite.standins)
    traced: str = ""  # the file the trace re-run sources (a wrapper's original); "": TARGET

    @property
    def traced_target(self) -> str:
        return self.traced or self.target

    def shown(self) -> str:
        if self.mode == "library":
            return f". {self.target}; " + " ".join(self.command)
        return " ".join(self.command)


class CannotRun(Exception):
    """A one-line reason a script cannot be verified."""


def verify_script(path: str, *, daemon: str | None = None, pidfile: str | None = None,
                  lockfile: str | None = None, library: str | None = None, deploy_dir: str = DEPLOY_DIR,
                  staged_dir: str | None = None, timeout: float = TIMEOUT,
                  states: Sequence[str] = STATES) -> ScriptReport:
    """Verify one script or functions library in every state; never raises for a bad script."""
    return verify_many([path], daemon=daemon, pidfile=pidfile, lockfile=lockfile, library=library,
                       deploy_dir=deploy_dir, staged_dir=staged_dir, timeout=timeout, states=states)[0]


def verify_many(paths: Sequence[str], *, daemon: str | None = None, pidfile: str | None = None,
                lockfile: str | None = None, library: str | None = None, deploy_dir: str = DEPLOY_DIR,
                staged_dir: str | None = None, timeout: float = TIMEOUT,
                states: Sequence[str] = STATES) -> list[ScriptReport]:
    """Verify several files, their states run side by side; reports in the order of PATHS.

    LIBRARY: the functions library scripts source (default: the `functions` beside each script, else
    the system's). STAGED_DIR: a `patch --dest` directory, bound at DEPLOY_DIR; a script that
    sources a library under DEPLOY_DIR is taken as staged in its own directory.
    """
    plans: list[Plan | ScriptReport] = []
    for path in paths:
        try:
            plans.append(make_plan(path, daemon=daemon, pidfile=pidfile, lockfile=lockfile, library=library,
                                   deploy_dir=deploy_dir, staged_dir=staged_dir))
        except CannotRun as exc:
            plans.append(ScriptReport(path, "none", error=str(exc)))
    jobs = [(p, s) for p in plans if isinstance(p, Plan) for s in states]
    with ThreadPoolExecutor(max_workers=max(2, min(8, 2 * (os.cpu_count() or 1)))) as pool:
        results = list(pool.map(lambda job: run_state(job[0], job[1], timeout), jobs))
    by_plan: dict[int, list[StateResult]] = {}
    for (plan, _), result in zip(jobs, results):
        by_plan.setdefault(id(plan), []).append(result)
    return [p if isinstance(p, ScriptReport) else
            ScriptReport(p.path, p.kind, p.shown(), p.targets, tuple(by_plan.get(id(p), [])))
            for p in plans]


def compare(original: str, patched: str, *, daemon: str | None = None, pidfile: str | None = None,
            lockfile: str | None = None, library: str | None = None, deploy_dir: str = DEPLOY_DIR,
            timeout: float = TIMEOUT) -> tuple[ScriptReport, ScriptReport]:
    """Before and after: the original and its patched copy, verified alike (targets from each file)."""
    before, after = verify_many([original, patched], daemon=daemon, pidfile=pidfile, lockfile=lockfile,
                                library=library, deploy_dir=deploy_dir, timeout=timeout)
    return before, after


def make_plan(path: str, *, daemon: str | None = None, pidfile: str | None = None, lockfile: str | None = None,
              library: str | None = None, deploy_dir: str = DEPLOY_DIR, staged_dir: str | None = None) -> Plan:
    """How to run PATH's status operation: targets, sandbox layout, command; raises CannotRun.

    A script runs from /etc/rc.d/init.d (= /etc/init.d), or from DEPLOY_DIR when staged; a library
    is sourced and its status function called; a wrapper written by `patch` (a script whose
    `original=` names the script it wraps) runs from DEPLOY_DIR with its original bound in place.
    """
    data = _read(path)
    scan = scan_bytes(path, data)
    deploy_dir = deploy_dir.rstrip("/") or "/"
    wrapped = wrapped_original(data, path) if scan.kind == "none" or is_wrapper(data) else None
    original = wrapped[0] if wrapped else None
    if scan.kind == "none" and original is None:
        raise CannotRun("no status operation to run")
    if staged_dir is not None and not _under(os.path.abspath(path), os.path.abspath(staged_dir)):
        staged_dir = None  # a file outside the staging directory runs from where it would be installed
    if staged_dir is None and any(_under(os.fsdecode(s.value), deploy_dir) for s in scan.source_lines):
        staged_dir = os.path.dirname(os.path.abspath(path))
    if staged_dir is not None:
        binds = [(os.path.abspath(staged_dir), deploy_dir)]
        target = posixpath.join(deploy_dir, os.path.relpath(os.path.abspath(path), os.path.abspath(staged_dir)))
    else:
        target = posixpath.join(deploy_dir if original else sandbox.INIT_DIR, os.path.basename(path))
        binds = [(os.path.abspath(path), target)]
    subject, subject_data, subject_target, subject_scan = path, data, target, scan
    if wrapped is not None:
        subject, subject_target = wrapped[0], _in_sandbox(wrapped[1])
        subject_data = _read(subject)
        subject_scan = scan_bytes(subject, subject_data)
        binds.append((os.path.abspath(subject), subject_target))
    _runnable("", data)
    if subject != path:
        _runnable(f"the script it wraps, {subject}, has ", subject_data)
    if scan.kind == "library":
        targets = library_targets(daemon, pidfile, lockfile)
        command = _library_command(path, data, scan, targets, pidfile is not None)
        stub_text, trace, mode = "", "none", "library"
    else:
        binds += _library_binds(subject, subject_scan, library, deploy_dir if staged_dir and not original else None)
        targets = infer(subject_data, subject_target, daemon, pidfile, lockfile)
        found = stubs(subject_data, subject_target, targets, skip=(deploy_dir, sandbox.INIT_DIR, "/etc/init.d"))
        found = tuple(s for s in found if not (sandbox.host_path(s.path).startswith("/usr/")
                                               and os.path.lexists(sandbox.host_path(s.path))))
        stub_text = "".join(f"{s.kind} {s.path}\n" for s in found)
        command, trace, mode = (target, "status"), _shell(subject_data), "script"
    try:
        sandbox.bwrap()
    except sandbox.SandboxError as exc:
        raise CannotRun(str(exc)) from exc
    sourced = dict.fromkeys(s.value for s in subject_scan.source_lines)  # each library once, however often sourced
    texts = [data, subject_data] + [_library_text(v, binds) for v in sourced]
    placed = tuple(p for p in standins.needed(texts) if p.path not in targets.binaries)
    if targets.mounts:  # its instances are mounted file systems: its mount and umount ask the sandbox's server
        placed += standins.MOUNTING
    made: tuple[str, ...] = ()  # directories the sandbox makes for a script (rewrite.controls)
    if mode == "script":
        taken = frozenset(p.path for p in placed) | frozenset(targets.binaries)  # other daemons have their fakes
        placed += controls.placements(subject_data, subject_target, targets.binary, taken)
        made = controls.directories(subject_data, subject_target, placed)
    stub_text = "".join(line + "\n" for line in stub_text.splitlines()
                        if line.split(" ", 1)[1] not in {p.path for p in placed})
    writable = targets.binaries + tuple(line.split(" ", 1)[1] for line in stub_text.splitlines()) \
        + tuple(p.path for p in placed)
    entries = tuple((line_col(subject_data, s.start)[0], line_col(subject_data, s.end)[0])
                    for s in subject_scan.entries)  # a wrapper's trace follows its original
    hint = " (CRLF line endings: the kernel looks for an interpreter whose name ends in \\r)" \
        if data.split(b"\n", 1)[0].endswith(b"\r") else ""
    kind = "wrapper" if original else scan.kind
    return Plan(path, kind, targets, sandbox.Layout(tuple(dict.fromkeys(binds)), writable), mode, target,
                trace, stub_text, command, entries, hint, subject,
                standins.installer(placed, made),
                subject_target if wrapped is not None else "")


def _library_text(sourced: bytes, binds: list[tuple[str, str]]) -> bytes:
    """The text of a library a script sources, through the binds (a staged directory too); b"" if none."""
    path = _in_sandbox(os.fsdecode(sourced))
    for host, inside in binds:
        if path == inside or _under(path, inside):
            found = host if path == inside else os.path.join(host, os.path.relpath(path, inside))
            try:
                with open(found, "rb") as f:
                    return f.read()
            except OSError:
                return b""
    return b""


def _in_sandbox(path: str) -> str:
    """Where a host file is bound: its own path, /etc/init.d seen through its symlink."""
    path = posixpath.normpath(os.path.abspath(path))
    return sandbox.INIT_DIR + path[len("/etc/init.d"):] if _under(path, "/etc/init.d") else path


def _runnable(whose: str, data: bytes) -> None:
    """CannotRun for a script no shell can start: a `#!` line ending in CR (a CRLF file)."""
    reason = unrunnable_reason(data)
    if reason is not None:
        raise CannotRun(f"{whose or ''}{reason}")


def _read(path: str) -> bytes:
    try:
        data = read_source(path).data
    except SourceError as exc:
        raise CannotRun(str(exc)) from exc
    reason = not_a_script_reason(data)
    if reason is not None:
        raise CannotRun(f"not a shell script ({reason})")
    return data


def _under(path: str, directory: str) -> bool:
    return path.startswith(directory.rstrip("/") + "/")


def _library_binds(path: str, scan: Scan, library: str | None, staged_at: str | None) -> list[tuple[str, str]]:
    """The libraries a script sources, bound at the paths it sources them from.

    A library on the host's /usr (Debian's /lib/lsb/init-functions) is there already. Otherwise:
    --functions for a `functions` library, else the same file name beside the script, else beside
    the original `patch` made it from (DEST's manifest), else the host's own copy at that path; none,
    for a library the script sources only when a test finds it there.
    """
    binds = []
    for line in scan.source_lines:
        sourced = posixpath.normpath(os.fsdecode(line.value))
        real = sandbox.host_path(sourced)
        if (staged_at is not None and _under(sourced, staged_at)) or (real.startswith("/usr/")
                                                                       and os.path.isfile(real)):
            continue
        name = posixpath.basename(sourced)
        beside = os.path.join(os.path.dirname(os.path.abspath(path)), name)
        source = recorded_source(path)
        by_original = os.path.join(os.path.dirname(source), name) if source else None
        found = next((p for p in ((library if name == "functions" else None), beside, by_original, sourced)
                      if p and os.path.isfile(p) and os.path.abspath(p) != os.path.abspath(path)), None)
        if found is None and line.guarded:
            continue  # `[ -f FILE ] && . FILE`: the script passes over it too, as on a node without it
        if found is None:
            hint = "give it with --functions" if name == "functions" else "put a copy beside the script"
            raise CannotRun(f"sources {sourced}, which was not found: {hint}")
        binds.append((os.path.abspath(found), _in_sandbox(sourced)))
    return binds


def _library_command(path: str, data: bytes, scan: Scan, targets: Targets, with_pidfile: bool) -> tuple[str, ...]:
    """The library function to call and its arguments: Red Hat's status, Debian's status_of_proc."""
    family = scan.library_family.name if scan.library_family is not None else "redhat"
    if family == "redhat":
        takes_p = with_pidfile and _takes_pidfile(path, data)
        return ("status",) + (("-p", targets.pidfile) if takes_p else ()) + (targets.daemon,)
    if family == "debian":
        return ("status_of_proc",) + (("-p", targets.pidfile) if with_pidfile else ()) + (targets.binary,
                                                                                          targets.daemon)
    raise CannotRun(f"a {family} library has no status function to run alone: verify a script that uses it")


def _takes_pidfile(path: str, data: bytes) -> bool:
    """Does the library's status() take `-p pidfile`? The 2004 one does not."""
    body = Library.load(path, data).functions.get(b"status")
    return body is not None and b'"-p"' in (body.text or b"")


def _shell(data: bytes) -> str:
    """How to trace the script: bash, sh (bash in POSIX mode, as /bin/sh is bash here) or none."""
    if not data.startswith(b"#!"):
        return "bash"
    words = data[2:].split(b"\n", 1)[0].split()
    if words and words[0].endswith(b"/env") and len(words) > 1:
        words = words[1:]
    name = words[0].rsplit(b"/", 1)[-1] if words else b""
    return {b"bash": "bash", b"sh": "sh"}.get(name, "none")


def run_state(plan: Plan, state: str, timeout: float) -> StateResult:
    """Prepare STATE in a fresh sandbox, run the status command, judge what it printed."""
    targets = plan.targets
    running = state.startswith("running")
    count = COUNTS.get(state, 0) if targets.processes else 0
    prelude = sandbox.Prelude(state, count, targets.binary, targets.pidfile, targets.declared, targets.lockfile,
                              plan.mode, plan.traced_target, plan.trace, plan.stubs, plan.command,
                              tools=plan.tools, others=others_text(targets),
                              mounted=targets.mounts if running else (), written=targets.written,
                              mountable=targets.mounts)
    try:
        done = sandbox.run(lambda fd: sandbox.bwrap_argv(plan.layout, sandbox.prelude_command(prelude, fd)),
                           timeout, marker=b"@@exit ")
    except sandbox.SandboxError as exc:
        return StateResult(state, b"", b"", None, None, EXPECTED[state], False, str(exc))
    report = sandbox.parse_report(done.meta)
    problem = _problem(plan, report, done, timeout)
    verdicts = None if problem else judge(done.stdout, report.exit)
    ok = verdicts is not None and all(v == EXPECTED[state] for v in verdicts)
    return StateResult(state, done.stdout, done.stderr, report.exit, verdicts, EXPECTED[state], ok, problem,
                       report.pids, report.notes)


def others_text(targets: Targets, launchers: Sequence[str] = ()) -> str:
    """The prelude's "RUN BINARY PIDFILE" lines: the other daemons the status checks (RUN yes: the
    running states start them), then LAUNCHERS, programs the script starts that no status checks."""
    rows = [f"yes {f.binary} {f.pidfile}\n" for f in targets.others]
    taken = set(targets.binaries)
    rows += [f"no {b} /var/run/{posixpath.basename(b)}.pid\n" for b in launchers if b not in taken]
    return "".join(rows)


def _problem(plan: Plan, report: sandbox.Report, done: sandbox.Completed, timeout: float) -> str:
    if report.failure:
        return "the sandbox failed: " + report.failure
    if report.exit is None:
        if done.timed_out:
            return f"no answer within {timeout:g} s: killed with its process group"
        first = done.stderr.strip().split(b"\n")[-1].decode("utf-8", "replace") if done.stderr.strip() else ""
        return "the sandbox did not start" + (f": {first}" if first else "")
    prefix = os.fsencode(sandbox.PRELUDE_NAME) + b": line "
    if report.exit in (126, 127) and done.stderr.startswith(prefix):
        return display(done.stderr.split(b": ", 2)[-1].strip()) + plan.hint
    missing = missing_programs(done.stderr)
    if report.stubs_run or missing:
        gaps = [f"{p} (a stub)" for p in report.stubs_run] + [f"{display(m)} (missing)" for m in missing]
        return "runs " + ", ".join(gaps) + ": the sandbox cannot stand in for it, verify on the real host"
    return early_exit(report.trace, plan.traced_target, plan.entries, report.exit)


# bash's words for a program it could not run: `SCRIPT: line 98: /usr/sbin/rndc: No such file or directory`.
_MISSING = re.compile(rb"^[^\n]*: line \d+: ([^:\n]+): (?:No such file or directory|command not found)$",
                      re.MULTILINE)
NOT_PROGRAMS = STATE_DIRS + ("/var/", "/etc/")  # where a missing path is a file, not a program


def missing_programs(stderr: bytes) -> list[bytes]:
    """The programs bash could not find; not a redirection from or to a missing file under /var, /run,
    /etc... (`SCRIPT: line 30: /var/run/x.pid: No such file or directory` says the same words)."""
    found = {m.group(1) for m in _MISSING.finditer(stderr)}
    return sorted(p for p in found if not p.startswith(tuple(os.fsencode(d) for d in NOT_PROGRAMS)))


def early_exit(trace: bytes, target: str, entries: Sequence[tuple[int, int]], code: int) -> str:
    """`exits N at line L before its status logic` when the trace never entered the status entries."""
    line = exit_line(trace, target, entries)
    return "" if line is None else f"exits {code} at line {line} before its status logic"


def exit_line(trace: bytes, target: str, entries: Sequence[tuple[int, int]]) -> int | None:
    """The last line TARGET ran when its trace never entered ENTRIES (line ranges); else None."""
    pattern = rb"^\++" + re.escape(os.fsencode(target)) + rb":(\d+): "
    lines = [int(m.group(1)) for m in re.finditer(pattern, trace, re.MULTILINE)]
    if not lines or any(lo <= n <= hi for n in lines for lo, hi in entries):
        return None
    return lines[-1]


def problems(report: ScriptReport) -> list[str]:
    """One line per problem, naming the file: why it, or a state of it, gave no verdict."""
    if report.error:
        return [f"{report.path}: cannot verify: {report.error}"]
    found = [(s.state, s.problem) for s in report.states if s.problem]
    if found and len(found) == len(report.states) and len({p for _, p in found}) == 1:
        return [f"{report.path}: {found[0][1]} (every state)"]
    return [f"{report.path}: {state}: {problem}" for state, problem in found]


def failures(report: ScriptReport) -> list[str]:
    """One line per problem and per wrong state, naming the file (for `patch --verify`)."""
    wrong = [f"{report.path}: {s.state}: wrong for {', '.join(s.fooled)}: stdout {_oneline(s.first_line, 80)!r}"
             for s in report.states if not s.problem and not s.ok]
    return problems(report) + wrong


def state_notes(result: StateResult) -> list[str]:
    """What a reader should know beyond the verdicts: LSB code, rule 2, window, stderr."""
    notes: list[str] = []
    if result.exit is not None and not result.problem and result.exit != result.lsb_exit:
        notes.append(f"exit {result.exit}, LSB specifies {result.lsb_exit} for this state")
    if result.verdicts is not None and result.expected == STOPPED and says_running(result.stdout):
        fooled = ", ".join(result.fooled) or "no consumer"
        notes.append(f"stdout says 'running' or 'OK' on a stopped path (contract rule 2); {fooled} fooled")
    if len(result.first_line) >= LRMD_WINDOW:
        notes.append(f"first line is {len(result.first_line)} bytes: lrmd reads {LRMD_WINDOW}")
    if result.stderr.strip():
        notes.append("stderr: " + _oneline(result.stderr))
    return notes + list(result.notes)


def _oneline(data: bytes, limit: int = 160) -> str:
    text = display(data.strip()).replace("\n", " | ")
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    return text if len(text) <= limit else text[:limit - 3] + "..."
