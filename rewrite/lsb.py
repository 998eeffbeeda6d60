"""`verify --lsb`: the LSB checklist, each check run by the script's own code in a fresh sandbox.

A check prepares a state (stopped, running, dead pid file), runs one action of the script and,
for some, a `status` after it, in one sandbox: `start-stopped` is `start`, then `status` must say
running. A FAKE DAEMON stands at the binary the script starts (rewrite.targets): run with any
arguments, it forks into the background from that path (so `/proc/PID/exe`, `pidof`, `pgrep` and
`start-stop-daemon --exec/--name` see the daemon), writes the pid file, and refuses to start twice;
the script's own stop code (killproc, start-stop-daemon, kill) must stop it. Every status output is
also judged by `rm` and `lrmd` (rewrite.contract). A script that exits before reaching its action
(`[ -x /usr/sbin/haproxy ] || exit 5`) gives no verdict, found as verify finds it: a traced re-run.
status-dead-pidfile is skipped for a script that names no pid file (LSB's 1 cannot apply). The
in-sandbox half (the fake daemon, the steps, their report) is rewrite.lsb_steps.
"""
from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import NamedTuple

from rewrite import sandbox
from rewrite.contract import RUNNING, STOPPED, Verdicts, judge
from rewrite.parse import in_function, parse, text, unquote, walk
from rewrite.source import display
from rewrite.targets import Targets, backgrounds, launched, names_pidfile, started
from rewrite.lsb_steps import PROGRAM, RawStep, parse_steps
from rewrite.verify import (DEPLOY_DIR, TIMEOUT, CannotRun, Plan, exit_line, make_plan, missing_programs,
                            others_text)

UNKNOWN_ACTION = "no-such-action"


class Step(NamedTuple):
    """One action of a check: the exit codes LSB allows, and what must hold after it."""

    action: str
    codes: tuple[int, ...]
    says: str = ""  # a status: what rm and lrmd must read in its stdout (running | stopped)
    alive: bool | None = None  # a fake daemon runs after it (True), none does (False), not checked


class Check(NamedTuple):
    name: str
    state: str  # stopped | running | dead-pidfile
    steps: tuple[Step, ...]


CHECKS = (
    Check("status-stopped", "stopped", (Step("status", (3,), STOPPED),)),
    Check("start-stopped", "stopped", (Step("start", (0,), alive=True), Step("status", (0,), RUNNING))),
    Check("status-running", "running", (Step("status", (0,), RUNNING),)),
    Check("start-running", "running", (Step("start", (0,), alive=True),)),
    Check("stop-running", "running", (Step("stop", (0,), alive=False), Step("status", (3,), STOPPED))),
    Check("stop-stopped", "stopped", (Step("stop", (0,), alive=False),)),
    Check("status-dead-pidfile", "dead-pidfile", (Step("status", (1,), STOPPED),)),
    Check("restart", "running", (Step("restart", (0,), alive=True), Step("status", (0,), RUNNING))),
    Check("unknown-action", "stopped", (Step(UNKNOWN_ACTION, (2, 3)),)),
)
CHECK_NAMES = tuple(c.name for c in CHECKS)


@dataclass(frozen=True)
class StepResult:
    action: str
    expected: tuple[int, ...]
    exit: int | None
    stdout: bytes
    stderr: bytes
    verdicts: Verdicts | None  # a status step: how each consumer reads it
    alive: tuple[int, ...]  # fake daemons running after the step
    why: tuple[str, ...]  # what is wrong; empty: ok

    @property
    def ok(self) -> bool:
        return not self.why


@dataclass(frozen=True)
class CheckResult:
    check: str
    expected: tuple[int, ...]  # the exit codes LSB allows for the check's action
    steps: tuple[StepResult, ...]
    problem: str = ""  # no verdict: an early exit, a program the sandbox lacks, a hang
    pids: tuple[int, ...] = ()  # the fake daemons the state began with
    notes: tuple[str, ...] = ()

    skipped: str = ""  # why the check does not apply to this script

    @property
    def ok(self) -> bool:
        return not self.problem and (bool(self.skipped) or bool(self.steps) and all(s.ok for s in self.steps))

    @property
    def exit(self) -> int | None:
        return self.steps[0].exit if self.steps else None

    @property
    def stdout(self) -> bytes:
        return self.steps[0].stdout if self.steps else b""

    @property
    def why(self) -> tuple[str, ...]:
        """The reasons of the first step that went wrong (`then status: ...` for a follow-up)."""
        for number, step in enumerate(self.steps):
            if step.why:
                return tuple(r if number == 0 else f"then {step.action}: {r}" for r in step.why)
        return ()


@dataclass(frozen=True)
class LsbReport:
    path: str
    checks: tuple[CheckResult, ...] = ()
    targets: Targets | None = None
    foreground: bool = False  # the script backgrounds the daemon itself: the fake does not fork
    error: str = ""

    @property
    def applied(self) -> tuple[CheckResult, ...]:
        """The checks that apply to the script (not skipped)."""
        return tuple(c for c in self.checks if not c.skipped)

    @property
    def code(self) -> int:
        """0 every check passed, 1 a check failed, 2 the script (or a check) could not be run."""
        if self.error or any(c.problem for c in self.checks):
            return 2
        return 0 if all(c.ok for c in self.checks) else 1


Arms = dict[str, tuple[tuple[int, int], ...]]  # action -> line range of its `case "$1"` arm


class Subject(NamedTuple):
    """One script, ready for its checks: verify's plan, adjusted for start and stop."""

    plan: Plan
    foreground: bool  # the script backgrounds the daemon itself (`$DAEMON &`, start-stop-daemon -b)
    arms: Arms
    skipped: tuple[tuple[str, str], ...] = ()  # (check, why it does not apply)
    others: str = ""  # the fake daemons besides the main one (sandbox.Prelude.others)


def run_checklist(paths: Sequence[str], *, daemon: str | None = None, pidfile: str | None = None,
                  lockfile: str | None = None, library: str | None = None, deploy_dir: str = DEPLOY_DIR,
                  staged_dir: str | None = None, timeout: float = TIMEOUT,
                  checks: Sequence[str] = CHECK_NAMES) -> list[LsbReport]:
    """Run the checklist on every script, all checks side by side; reports in the order of PATHS."""
    chosen = [c for c in CHECKS if c.name in checks]
    subjects: list[Subject | LsbReport] = []
    for path in paths:
        try:
            subjects.append(prepare(path, chosen, daemon=daemon, pidfile=pidfile, lockfile=lockfile,
                                    library=library, deploy_dir=deploy_dir, staged_dir=staged_dir))
        except CannotRun as exc:
            subjects.append(LsbReport(path, error=str(exc)))
    jobs = [(s, c) for s in subjects if isinstance(s, Subject) for c in chosen if c.name not in dict(s.skipped)]
    workers = max(4, min(16, 4 * (os.cpu_count() or 1)))  # checks mostly wait: sleeps, stop delays
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda job: run_check(job[0], job[1], timeout), jobs))
    by_check = {(id(subject), check.name): result for (subject, check), result in zip(jobs, results)}
    return [s if isinstance(s, LsbReport) else
            LsbReport(s.plan.path, tuple(by_check.get((id(s), c.name)) or _skipped(c, dict(s.skipped)[c.name])
                                         for c in chosen), s.plan.targets, s.foreground)
            for s in subjects]


def _skipped(check: Check, why: str) -> CheckResult:
    return CheckResult(check.name, check.steps[0].codes, (), skipped=why)


def prepare(path: str, checks: Sequence[Check] = CHECKS, *, daemon: str | None = None, pidfile: str | None = None,
            lockfile: str | None = None, library: str | None = None, deploy_dir: str = DEPLOY_DIR,
            staged_dir: str | None = None) -> Subject:
    """verify's plan for PATH, with the fake daemon where the start code runs it; raises CannotRun."""
    plan = make_plan(path, daemon=daemon, pidfile=pidfile, lockfile=lockfile, library=library,
                     deploy_dir=deploy_dir, staged_dir=staged_dir)
    if plan.mode != "script":
        raise CannotRun("a functions library has no start or stop: run the checklist on a script")
    data = _read(plan.path)
    subject = _read(plan.subject) if plan.subject and plan.subject != plan.path else data
    plan = replace(_at_started_binary(plan, subject, keep=daemon is not None), stubs=_enabling(plan.stubs))
    plan, others = _with_launchers(plan, () if daemon is not None else launched(subject, plan.target, plan.targets))
    arms = {step.action: action_lines(subject, step.action) for check in checks for step in check.steps}
    skipped = () if names_pidfile(subject, plan.target) or pidfile is not None else (
        ("status-dead-pidfile", "the script names no pid file: LSB's status 1 (dead, pid file exists) cannot apply"),)
    return Subject(plan, backgrounds(subject, plan.target, plan.targets.binary), arms, skipped, others)


def _with_launchers(plan: Plan, launchers: Sequence[str]) -> tuple[Plan, str]:
    """A fake daemon at every program the script starts (`daemon rpc.nfsd`, the second of two
    daemons), in place of a stub there; the prelude's lines for the fakes besides the main one."""
    binaries = set(plan.targets.binaries) | set(launchers)
    stubs = "".join(line + "\n" for line in plan.stubs.splitlines() if line.split(" ", 1)[-1] not in binaries)
    layout = sandbox.Layout(plan.layout.binds, tuple(dict.fromkeys(plan.layout.writable + tuple(sorted(binaries)))))
    return replace(plan, stubs=stubs, layout=layout), others_text(plan.targets, launchers)


def _at_started_binary(plan: Plan, subject: bytes, keep: bool) -> Plan:
    """The fake daemon goes where the script's start code runs it (`start-stop-daemon --exec
    /usr/sbin/rsyslogd` while status names `rsyslog`), unless --daemon said otherwise."""
    binary = plan.targets.binary if keep else started(subject, plan.target, plan.targets.binary)
    if binary == plan.targets.binary:
        return plan
    layout = sandbox.Layout(plan.layout.binds, plan.layout.writable + (binary,))
    return replace(plan, targets=plan.targets._replace(binary=binary), layout=layout)


# Flag files that switch a service off: a stub there would keep `start` from starting anything.
_DISABLES = re.compile(r"disabled?$|\.disable|not_to_be_run|nologin", re.IGNORECASE)


def _enabling(stubs: str) -> str:
    """Stub lines ("KIND PATH") without the flag files that disable the service (`sshd_not_to_be_run`)."""
    kept = [line for line in stubs.splitlines() if not _DISABLES.search(line.rsplit("/", 1)[-1])]
    return "".join(line + "\n" for line in kept)


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:  # pragma: no cover - make_plan read it a moment ago
        raise CannotRun(exc.strerror or str(exc)) from exc


def action_lines(data: bytes, action: str) -> tuple[tuple[int, int], ...]:
    """The lines of the `case "$1"` arm that ACTION selects (first match, outside functions); () if none."""
    for node in walk(parse(data).root_node):
        if node.type != "case_statement" or in_function(node):
            continue
        value = node.child_by_field_name("value")
        if value is None or text(value).strip(b'"') not in (b"$1", b"${1}"):
            continue
        for item in (c for c in node.named_children if c.type == "case_item"):
            patterns = []
            for child in item.children:
                if child.type == ")":
                    break
                if child.is_named:
                    patterns.append(unquote(child) or text(child))
            if any(fnmatch.fnmatchcase(action, os.fsdecode(p)) for p in patterns):
                return ((item.start_point[0] + 1, item.end_point[0] + 1),)
    return ()


def run_check(subject: Subject, check: Check, timeout: float = TIMEOUT) -> CheckResult:
    """Prepare CHECK's state in a fresh sandbox, run its steps with the script, judge each."""
    plan, targets = subject.plan, subject.plan.targets
    base = "dead-pidfile" if check.state == "dead-pidfile" else "stopped"  # running: the program starts it
    actions = (check.state, "yes" if subject.foreground else "no", plan.traced_target,
               "yes" if targets.processes else "no") + tuple(s.action for s in check.steps)
    prelude = sandbox.Prelude(base, 0, targets.binary, targets.pidfile, targets.declared, targets.lockfile,
                              "script", plan.target, plan.trace, plan.stubs, actions, PROGRAM, plan.tools,
                              subject.others, mounted=targets.mounts if check.state == "running" else (),
                              mountable=targets.mounts, written=targets.written)
    expected = check.steps[0].codes
    try:
        done = sandbox.run(lambda fd: sandbox.bwrap_argv(plan.layout, sandbox.prelude_command(prelude, fd)),
                           timeout, marker=b"@@step ")
    except sandbox.SandboxError as exc:
        return CheckResult(check.name, expected, (), str(exc))
    head, _, tail = done.meta.partition(b"\n@@lsb\n")
    report = sandbox.parse_report(head)
    runs, traces = parse_steps(tail)
    steps = tuple(_judge(step if targets.processes else step._replace(alive=None), raw)
                  for step, raw in zip(check.steps, runs))
    problem = "the sandbox failed: " + report.failure if report.failure else ""
    for number, (raw, result) in enumerate(zip(runs, steps)):
        if problem:
            break
        found = _step_problem(plan, raw, traces.get(result.action, b""), subject.arms.get(result.action, ()),
                              not result.ok)
        problem = f"then {result.action}: {found}" if found and number else found
    if not problem and len(runs) < len(check.steps):
        problem = _unfinished(done, timeout, check.steps[len(runs)].action)
    return CheckResult(check.name, expected, steps, problem, report.pids, report.notes + answered(runs))


def answered(runs: Sequence[RawStep]) -> tuple[str, ...]:
    """A note naming the control stand-ins that answered the steps (rewrite.standins), if any did."""
    return _answered_note(sorted({p for raw in runs for p in raw.standins}))


def _answered_note(paths: Sequence[str]) -> tuple[str, ...]:
    return (f"answered by ha-rewrite's stand-in for {' '.join(paths)} (a well-behaved program of its kind): "
            "confirm on the real host",) if paths else ()


_ANSWERED = re.compile(r"answered by ha-rewrite's stand-in for (.+) \(a well-behaved program of its kind\): "
                       r"confirm on the real host")


def merged_notes(notes: Sequence[str]) -> list[str]:
    """NOTES once each, the stand-in notes of several checks (each its own set of paths) as one, last."""
    others: dict[str, None] = {}
    paths: dict[str, None] = {}
    for note in notes:
        found = _ANSWERED.fullmatch(note)
        if found is None:
            others.setdefault(note)
        else:
            paths.update(dict.fromkeys(found.group(1).split(" ")))
    return list(others) + list(_answered_note(sorted(paths)))


def _unfinished(done: sandbox.Completed, timeout: float, action: str) -> str:
    if done.timed_out:
        return f"{action}: no answer within {timeout:g} s: killed with its process group"
    last = done.stderr.strip().split(b"\n")[-1] if done.stderr.strip() else b""
    return "the sandbox did not start" + (f": {display(last)}" if last else "")


def _judge(step: Step, raw: RawStep) -> StepResult:
    why = []
    if raw.exit not in step.codes:
        why.append(f"exit {raw.exit}, LSB specifies {codes_text(step.codes)}")
    verdicts = judge(raw.stdout, raw.exit) if step.says else None
    if verdicts is not None:
        fooled = [name for name in ("rm", "lrmd") if getattr(verdicts, name) != step.says]
        if fooled:
            opposite = STOPPED if step.says == RUNNING else RUNNING
            why.append(f"{' and '.join(fooled)} read{'s' if len(fooled) == 1 else ''} its stdout as {opposite}")
    if step.alive is True and not raw.alive:
        why.append("no fake daemon is running after it")
    elif step.alive is False and raw.alive:
        why.append("the fake daemon still runs after it (pid " + " ".join(map(str, raw.alive)) + ")")
    return StepResult(step.action, step.codes, raw.exit, raw.stdout, raw.stderr, verdicts, raw.alive, tuple(why))


def codes_text(codes: Sequence[int]) -> str:
    return " or ".join(str(c) for c in codes)


# What a program that switches users says when the sandbox (no capabilities, no such user) stops it:
# one with no stand-in (sudo, setpriv...), or su or runuser where a script reaches one verify did not
# replace (rewrite.standins).
_SWITCH_USER = re.compile(rb"^(su|runuser|sudo|setpriv|chpst|setuidgid|start-stop-daemon): [^\n]*"
                          rb"(?:user|uid|gid|groups|[Pp]ermission|not permitted)[^\n]*$", re.MULTILINE)
_SWITCH_TRACED = re.compile(rb"(?<=: )(?:\S*/)?(su|runuser|sudo|setpriv|chpst|setuidgid) [^\n]*|"
                            rb"(?<=: )(?:\S*/)?(start-stop-daemon) (?:(?! -- )[^\n])*(?:--chuid|-c) [^\n]*")
# What mount and umount say when the sandbox (no capabilities) refuses them.
_MOUNT_DENIED = re.compile(rb"^(u?mount): [^\n]*(?:[Pp]ermission denied|must be superuser|only root)[^\n]*$",
                           re.MULTILINE)
_TEST = re.compile(rb"(?:'\['|\[\[|test) (?:'?!'? )?-[xfdersw] ('[^']*'|\S+)")


def _step_problem(plan: Plan, raw: RawStep, trace: bytes, arm: tuple[tuple[int, int], ...], wrong: bool) -> str:
    """Why a step gives no verdict: it could not execute, ran a stub or a missing program, ran the
    fake as a control program, exited before its action (traced lines never entered ARM), or could
    not switch users (said on stderr, or, for a WRONG step, seen in its trace); "" when it answered."""
    if raw.exit in (126, 127) and raw.stderr.startswith(os.fsencode(sandbox.PRELUDE_NAME) + b": line "):
        return display(raw.stderr.split(b": ", 2)[-1].strip()) + plan.hint
    missing = missing_programs(raw.stderr)
    if raw.stubs_run or missing:
        gaps = [f"{p} (a stub)" for p in raw.stubs_run] + [f"{display(m)} (missing{_hint(m)})" for m in missing]
        return "runs " + ", ".join(gaps) + ": the sandbox cannot stand in for it, verify on the real host"
    if raw.control:
        return (f"runs its daemon as a control program ({raw.control}): the fake daemon cannot stand in "
                "for it, verify on the real host")
    switch = _SWITCH_USER.search(raw.stderr)
    if switch is not None:
        return (f"switches user with {display(switch.group(1))} ({display(switch.group(0).strip())}): "
                "the sandbox cannot, verify on the real host")
    mount = _MOUNT_DENIED.search(raw.stderr)
    if mount is not None:
        verb = "unmounts" if mount.group(1) == b"umount" else "mounts"
        return (f"{verb} a file system with {display(mount.group(1))} ({display(mount.group(0).strip())}): "
                "the sandbox cannot, verify on the real host")
    line = exit_line(trace, plan.traced_target, arm) if arm else None
    if line is not None:
        return f"exits {raw.exit} at line {line}: " + _exit_reason(trace, plan.traced_target)
    switch = _SWITCH_TRACED.search(trace) if wrong else None
    answered_by = {os.fsencode(p.rsplit("/", 1)[-1]) for p in raw.standins}  # su, runuser: their stand-ins ran
    if switch is not None and (switch.group(1) or switch.group(2)) not in answered_by:
        # its message discarded (`sudo ... >/dev/null 2>&1`), seen in the trace
        return (f"switches user with {display(switch.group(1) or switch.group(2))} ({_oneline(switch.group(0))}): "
                "the sandbox cannot, verify on the real host")
    return ""


def _oneline(data: bytes, limit: int = 60) -> str:
    shown = display(data.strip())
    return shown if len(shown) <= limit else shown[:limit - 3] + "..."


def _hint(program: bytes) -> str:
    return ": Debian's dpkg provides it, this host has none" if program.endswith(b"start-stop-daemon") else ""


def _exit_reason(trace: bytes, target: str) -> str:
    """`/usr/sbin/haproxy missing`, from the last test among the script's last traced commands."""
    prefix = b"+" + os.fsencode(target) + b":"
    ran = [t.lstrip(b"+") for t in trace.splitlines() if t.lstrip(b"+").startswith(prefix[1:])]
    for entry in reversed(ran[-4:]):
        found = _TEST.search(entry)
        if found is not None:
            return display(found.group(1).strip(b"'")) + " missing"
    return "before its action"


def problems(report: LsbReport) -> list[str]:
    """One line per check without a verdict, naming the file; one line when every check says the same."""
    if report.error:
        return [f"{report.path}: cannot run the LSB checklist: {report.error}"]
    found = [(c.check, c.problem) for c in report.checks if c.problem]
    if found and len(found) == len(report.applied) > 1 and len({p for _, p in found}) == 1:
        return [f"{report.path}: lsb: {found[0][1]} (every check)"]
    return [f"{report.path}: lsb {check}: {problem}" for check, problem in found]
