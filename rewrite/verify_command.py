"""`ha-rewrite verify`: run status in a sandbox, per state, and print each consumer's verdict.

With `--lsb`, also the LSB checklist (rewrite.lsb) on each script. Exit codes: 0 every verdict
right (and every check passed), 1 a wrong verdict or a failed check, 2 a script could not be run (or
a state or check gave no verdict: a hang, an early exit, a program the sandbox lacks). Problems go
to stderr, one line each. `patch --verify [--lsb]` runs the same code on what it wrote (verify_written).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

import click
import jinja2

from rewrite import lsb
from rewrite.jinja import template_dir
from rewrite.source import display
from rewrite.targets import Targets
from rewrite.verify import (DEPLOY_DIR, TIMEOUT, ScriptReport, StateResult, compare, failures, problems,
                            state_notes, verify_many)


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(template_dir()), autoescape=False,
                                     keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                                     undefined=jinja2.StrictUndefined)
    return environment.get_template("verify.txt.j2")


def printable(data: bytes) -> str:
    """Bytes for a terminal: decoded for display, control characters as \\xNN."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in display(data))


def result_word(state: StateResult) -> str:
    if state.problem:
        return "no verdict"
    return "ok" if state.ok else "WRONG: " + ",".join(state.fooled)


def _row(state: StateResult) -> dict[str, str]:
    verdicts = state.verdicts._asdict() if state.verdicts is not None else {}
    lines = state.stdout.split(b"\n")
    extra = len(lines) - 1 - (lines[-1] == b"")
    shown = printable(lines[0]) + (f"  (+{extra} line{'s' if extra > 1 else ''})" if extra > 0 else "")
    return {"state": state.state, "exit": "-" if state.exit is None else str(state.exit),
            "rm": verdicts.get("rm", "-"), "lrmd": verdicts.get("lrmd", "-"), "lsb": verdicts.get("lsb", "-"),
            "expected": state.expected, "result": result_word(state), "stdout": shown}


def _view(report: ScriptReport) -> dict[str, Any]:
    targets = report.targets
    grouped: dict[str, list[str]] = {}
    for state in report.states:
        for note in ([state.problem] if state.problem else []) + state_notes(state):
            grouped.setdefault(note, []).append(state.state)
    every = len(report.states)
    notes = [("every state" if len(states) == every and every > 1 else ", ".join(states)) + ": " + note
             for note, states in grouped.items()]
    return {"path": report.path, "error": report.error, "kind": report.kind, "command": report.command,
            "daemon": targets.daemon if targets else "", "binary": targets.binary if targets else "",
            "pidfile": targets.pidfile if targets else "", "lockfile": targets.lockfile if targets else "",
            "also": also(targets) if targets else [], "rows": [_row(s) for s in report.states], "notes": notes,
            "lsb": None}


def also(targets: Targets) -> list[str]:
    """What the running states hold besides the main fake daemon: the other daemons, the mounts."""
    lines = [f"and daemon {f.daemon} at {f.binary}, pid file {f.pidfile}" for f in targets.others]
    if targets.mounts:
        lines.append("and a file system mounted at " + ", ".join(targets.mounts)
                     + ("" if targets.processes else " (no daemon: the running states start none)"))
    return lines


def summary(reports: Sequence[ScriptReport], codes: Sequence[int] | None = None) -> str:
    counts = {0: 0, 1: 0, 2: 0}
    for code in (codes if codes is not None else [r.code for r in reports]):
        counts[code] += 1
    parts = [f"{n} {word}" for n, word in zip(counts.values(), ("ok", "wrong", "could not be run")) if n]
    return f"{len(reports)} script{'s' if len(reports) != 1 else ''}: " + ", ".join(parts)


def text_report(reports: Sequence[ScriptReport], checklists: Sequence[lsb.LsbReport] | None = None) -> str:
    views = [_view(r) for r in reports]
    if checklists is not None:
        for view, checklist in zip(views, checklists):
            view["lsb"] = lsb_view(checklist)
    codes = [max(r.code, c.code) for r, c in zip(reports, checklists)] if checklists is not None else None
    return _template().render(scripts=views, compare=None, summary=summary(reports, codes))


def check_word(check: lsb.CheckResult) -> str:
    if check.skipped:
        return "skipped"
    if check.problem:
        return "no verdict"
    return "ok" if check.ok else "WRONG"


def lsb_view(report: lsb.LsbReport) -> dict[str, Any]:
    """The checklist of one script for templates/lsb.txt.j2."""
    targets = report.targets
    if targets is not None and not targets.processes:  # its instances are file systems (clusterfs)
        fake = "no fake daemon: its instances are the file systems at " + ", ".join(targets.mounts) \
            + " (a tmpfs each, by the sandbox's mount server)"
    else:
        fake = "" if targets is None else (
            f"fake daemon {targets.daemon} at {targets.binary}, pid file {targets.pidfile}: "
            + ("the script puts it in the background" if report.foreground else "it forks into the background"))
    rows = []
    for check in report.checks:
        got = ", then ".join("-" if s.exit is None else str(s.exit) for s in check.steps) or "-"
        lines = check.stdout.split(b"\n")
        extra = len(lines) - 1 - (lines[-1] == b"")
        shown = printable(lines[0]) + (f"  (+{extra} line{'s' if extra > 1 else ''})" if extra > 0 else "")
        rows.append({"check": check.check, "expected": lsb.codes_text(check.expected), "got": got,
                     "ok": check_word(check), "stdout": shown})
    notes = [f"{c.check}: {'; '.join(c.why)}" for c in report.checks if not c.problem and not c.ok]
    notes += [f"{c.check}: skipped: {c.skipped}" for c in report.checks if c.skipped]
    no_verdict = [(c.check, c.problem) for c in report.checks if c.problem]
    if len(no_verdict) == len(report.applied) > 1 and len({p for _, p in no_verdict}) == 1:
        notes.append(f"every check: {no_verdict[0][1]}")
    else:
        notes += [f"{check}: {problem}" for check, problem in no_verdict]
    notes += lsb.merged_notes([note for c in report.checks for note in c.notes])  # stand-ins that answered, once
    return {"error": report.error, "fake": fake, "rows": rows, "notes": notes}


def compare_text(before: ScriptReport, after: ScriptReport) -> str:
    words = {s.state: result_word(s) for s in before.states}
    rows = [{"state": s.state, "before": words.get(s.state, "-"), "after": result_word(s)} for s in after.states]
    view = {"before": _view(before), "after": _view(after), "rows": rows}
    return _template().render(scripts=[], compare=view, summary="after: " + summary([after]))


def state_record(state: StateResult) -> dict[str, Any]:
    return {"state": state.state, "stdout": display(state.stdout), "stderr": display(state.stderr),
            "exit": state.exit, "verdicts": state.verdicts._asdict() if state.verdicts is not None else None,
            "expected": state.expected, "ok": state.ok, "fooled": list(state.fooled), "problem": state.problem,
            "lsb_exit": state.lsb_exit, "first_line_bytes": len(state.first_line), "pids": list(state.pids),
            "notes": state_notes(state)}


def script_record(report: ScriptReport) -> dict[str, Any]:
    targets = None if report.targets is None else {
        **report.targets._asdict(), "others": [f._asdict() for f in report.targets.others],
        "mounts": list(report.targets.mounts)}
    return {"path": report.path, "kind": report.kind, "command": report.command, "targets": targets,
            "error": report.error, "ok": report.ok, "states": [state_record(s) for s in report.states]}


def step_record(step: lsb.StepResult) -> dict[str, Any]:
    return {"action": step.action, "expected": list(step.expected), "exit": step.exit,
            "stdout": display(step.stdout), "stderr": display(step.stderr),
            "verdicts": step.verdicts._asdict() if step.verdicts is not None else None,
            "alive": list(step.alive), "ok": step.ok, "why": list(step.why)}


def check_record(check: lsb.CheckResult) -> dict[str, Any]:
    """`{"check": "status-stopped", "expected": [3], "exit": 1, "ok": false, "stdout": ...}` and the steps."""
    first = check.steps[0] if check.steps else None
    return {"check": check.check, "expected": list(check.expected), "exit": check.exit, "ok": check.ok,
            "stdout": display(check.stdout), "stderr": display(first.stderr) if first else "",
            "problem": check.problem, "skipped": check.skipped, "why": list(check.why), "pids": list(check.pids),
            "notes": list(check.notes), "steps": [step_record(s) for s in check.steps]}


def json_report(reports: Sequence[ScriptReport], checklists: Sequence[lsb.LsbReport] | None = None) -> str:
    records = [script_record(r) for r in reports]
    if checklists is not None:
        for record, checklist in zip(records, checklists):
            record["lsb"] = [check_record(c) for c in checklist.checks]
            record["lsb_error"] = checklist.error
            record["ok"] = record["ok"] and checklist.code == 0
    return json.dumps({"scripts": records}, indent=2) + "\n"


def run_verify(paths: Sequence[str], checklist: bool, **options: Any
               ) -> tuple[list[ScriptReport], list[lsb.LsbReport] | None]:
    """verify's states of PATHS and, with CHECKLIST, the LSB checklist side by side; OPTIONS go to both."""
    if not checklist:
        return verify_many(paths, **options), None
    with ThreadPoolExecutor(max_workers=2) as pool:
        states = pool.submit(verify_many, paths, **options)
        checks = pool.submit(lsb.run_checklist, paths, **options)
        return states.result(), checks.result()


def check_failures(report: lsb.LsbReport) -> list[str]:
    """One line per check without a verdict and per failing check, naming the file (for `patch --verify --lsb`):
    `PATH: lsb CHECK: expected 3, got 0` and what else went wrong (`then status: ...`)."""
    wrong = []
    for check in report.checks:
        if check.problem or check.ok:
            continue
        first = check.steps[0]
        why = check.why[1:] if first.exit not in first.expected else check.why  # the exit: said by expected, got
        got = "-" if check.exit is None else str(check.exit)
        wrong.append(f"{report.path}: lsb {check.check}: expected {lsb.codes_text(check.expected)}, got {got}"
                     + (f": {'; '.join(why)}" if why else ""))
    return lsb.problems(report) + wrong


def verify_written(paths: Sequence[str], checklist: bool, *, deploy_dir: str, staged_dir: str) -> int:
    """`patch --verify [--lsb]` on the files PATHS it wrote to STAGED_DIR: what is still wrong, one line
    each on stderr, then a count line (per run); the worst exit code. Library copies are verified
    but not checklisted: a library has no start or stop."""
    reports, checklists = run_verify(paths, checklist, deploy_dir=deploy_dir, staged_dir=staged_dir)
    for report in reports:
        for line in failures(report):
            click.echo(line, err=True)
    bad = sum(report.code != 0 for report in reports)
    click.echo(f"Verified {len(reports)} file{'s' if len(reports) != 1 else ''}: "
               f"{len(reports) - bad} right in every state, {bad} not", err=True)
    code = max((report.code for report in reports), default=0)
    if checklists is None:
        return code
    scripts = [(r, c) for r, c in zip(reports, checklists) if r.kind != "library"]
    for report, checked in scripts:
        if not (report.error and report.error == checked.error):  # said once, by verify
            for line in check_failures(checked):
                click.echo(line, err=True)
    bad = sum(checked.code != 0 for _, checked in scripts)
    click.echo(f"LSB checklist on {len(scripts)} script{'s' if len(scripts) != 1 else ''}: "
               f"{len(scripts) - bad} passed every check, {bad} not", err=True)
    return max([code] + [checked.code for _, checked in scripts])


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--daemon", metavar="NAME", help="The daemon's process name (default: from the script).")
@click.option("--pidfile", metavar="PATH", help="Its pid file (default: from the script, else /var/run/NAME.pid).")
@click.option("--lockfile", metavar="PATH",
              help="Its lock file (default: from the script, else /var/lock/subsys/NAME).")
@click.option("--functions", "functions", type=click.Path(exists=True, dir_okay=False),
              help="The functions library scripts source. Default: the `functions` beside each script, "
                   "else /etc/rc.d/init.d/functions, else /etc/init.d/functions.")
@click.option("--deploy-dir", default=DEPLOY_DIR, show_default=True,
              help="Where patched files will live; a script sourcing a library there is run with its own "
                   "directory bound at this path.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=TIMEOUT, show_default=True,
              metavar="SECONDS", help="Per run (with --lsb, per action of a check); a status operation "
                                      "still running then is killed with its process group.")
@click.option("--compare", "pair", nargs=2, type=click.Path(), metavar="ORIGINAL PATCHED",
              help="Verify a script and its patched copy; print both, and before/after per state.")
@click.option("--lsb", "checklist", is_flag=True,
              help="Also run the LSB checklist: start, stop, status, restart and an unknown action, by the "
                   "script itself, against a fake daemon, each check in a fresh sandbox.")
@click.pass_context
def verify(ctx: click.Context, paths: tuple[str, ...], daemon: str | None, pidfile: str | None,
           lockfile: str | None, functions: str | None, deploy_dir: str, fmt: str, timeout: float,
           pair: tuple[str, str] | None, checklist: bool) -> None:
    """Run each script's status in a bubblewrap sandbox, in every state, and judge it as Heartbeat would.

    States: running-1, running-9, stopped, dead-pidfile, dead-lock. Consumers: rm (ResourceManager),
    lrmd (the CRM's 79-byte first line), lsb (the exit code). --lsb adds the checklist: status-stopped,
    start-stopped, status-running, start-running, stop-running, stop-stopped, status-dead-pidfile,
    restart, unknown-action. Exit codes: 0 all right, 1 a wrong verdict or a failed check, 2 a script
    could not be run.
    """
    if pair and paths:
        raise click.UsageError("give SCRIPT paths or --compare ORIGINAL PATCHED, not both")
    if not pair and not paths:
        raise click.UsageError("give script paths, or --compare ORIGINAL PATCHED")
    if pair and checklist:
        raise click.UsageError("--lsb runs on SCRIPT paths, not with --compare")
    options: dict[str, Any] = {"daemon": daemon, "pidfile": pidfile, "lockfile": lockfile, "library": functions,
                               "deploy_dir": deploy_dir, "timeout": timeout}
    checklists: list[lsb.LsbReport] | None = None
    try:
        if pair:
            reports = list(compare(pair[0], pair[1], **options))
        else:
            reports, checklists = run_verify(paths, checklist, **options)
    except Exception as exc:  # pragma: no cover - the last line of defence, reported not raised
        click.echo(f"ha-rewrite: verify: internal error, please report it: {exc!r}", err=True)
        ctx.exit(2)
    for number, report in enumerate(reports):
        lines = problems(report)
        if checklists is not None and not (report.error and report.error == checklists[number].error):
            lines += lsb.problems(checklists[number])
        for line in lines:
            click.echo(line, err=True)
    if pair:
        before, after = reports
        output = json.dumps({"before": script_record(before), "after": script_record(after)}, indent=2) + "\n" \
            if fmt == "json" else compare_text(before, after)
        code = max(after.code, 2 if before.error else 0)
    else:
        output = json_report(reports, checklists) if fmt == "json" else text_report(reports, checklists)
        code = max(r.code for r in reports)
        if checklists is not None:
            code = max(code, max(c.code for c in checklists))
    click.echo(output, nl=False)
    ctx.exit(code)
