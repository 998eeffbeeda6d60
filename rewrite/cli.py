"""The command line: parse options, call the library, print, choose the exit code. Thin on purpose."""
from __future__ import annotations

import io
import os
import socket
import sys
from collections.abc import Callable, Sequence
from typing import NamedTuple
from pathlib import Path

import click

from rewrite import __version__
from rewrite.apply import Refusal, plan_apply
from rewrite.config import ConfigError, cib, haresources, resources
from rewrite.deploy import REFUSED, WRITTEN, Planned, deploy
from rewrite.emit import EmitError, write_atomic
from rewrite.families import FAMILIES
from rewrite.manifest import MANIFEST, OK, ManifestError
from rewrite.manifest import load as load_manifest
from rewrite.manifest import state as file_state
from rewrite.outputs import Conflict, Staged, plan_outputs, planned
from rewrite.batch import KEEP_NONE, KEEP_WRITABLE
from rewrite.batch import exit_code as batch_exit_code
from rewrite.batch import run as batch_run
from rewrite.inputs import expand
from rewrite.pipeline import FileResult
from rewrite.progress import ProgressBar
from rewrite.review import ReviewError, colorize, parse_series
from rewrite.spill import Spill, SpillError
from rewrite.report import (FileSummary, batch_summary, json_chunks, render_report, report_format, summary,
                            text_chunks)
from rewrite.transform import Settings
from rewrite.verify_command import verify, verify_written

DEPLOY_DIR = "/etc/ha.d/resource.d"

def _remember_library(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None and param.name is not None:
        ctx.meta.setdefault("libraries", {})[param.name] = value


def _functions(command: Callable[..., None]) -> Callable[..., None]:
    """--functions, --lsb-functions, --rc-status: the library each family's scripts source."""
    for family in reversed(FAMILIES):
        command = click.option(
            family.option, family.name, type=click.Path(exists=True, dir_okay=False), expose_value=False,
            callback=_remember_library,
            help=f"The {family.name} `{family.library}` library scripts source. Default: the `{family.library}` "
                 f"beside each script, else {', else '.join(family.defaults)}.")(command)
    return command
_deploy_dir = click.option("--deploy-dir", default=DEPLOY_DIR, show_default=True,
                           help="Where patched files will live: the path written into rewired source lines.")
_force = click.option("--force", is_flag=True, help="Overwrite outputs edited by hand since ha-rewrite wrote them.")
_backup = click.option("--backup", is_flag=True,
                       help="Keep an output edited by hand as NAME.orig-YYYYMMDDHHMMSS before replacing it.")
_wrap_options = (
    click.option("--original-dir", type=click.Path(file_okay=False),
                 help="Where the originals live when deployed, for wrappers that run them "
                      "(default: the directory each was read from)."),
    click.option("--trust-exit-codes", is_flag=True,
                 help="Wrap a script even when its status exit codes do not look LSB-like."),
    click.option("--lsb-wrapper", is_flag=True,
                 help="Wrap every script in LSB mode: status judged by its words and mapped to 0/1/2/3, "
                      "start on a running and stop on a stopped service succeed."),
)


def _wrapping(command: Callable[..., None]) -> Callable[..., None]:
    for option in reversed(_wrap_options):
        command = option(command)
    return command


def _remember(ctx: click.Context, param: click.Parameter, value: object) -> None:
    if param.name is not None:
        ctx.meta[param.name] = value


def _check_report(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        try:
            report_format(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from exc
    _remember(ctx, param, value)


_batch_options = (
    click.option("-j", "--jobs", type=click.IntRange(min=1), expose_value=False, callback=_remember,
                 help="Worker processes (default: the CPUs this process may use)."),
    click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=_remember,
                 help="No progress bar on a terminal, no end-of-run summary of the slowest files."),
    click.option("--report", type=click.Path(dir_okay=False), expose_value=False, callback=_check_report,
                 help="Also write the results to FILE: .json, .html or .md, by its extension."),
)


def _batch(command: Callable[..., None]) -> Callable[..., None]:
    """PATHS may be files, directories (walked recursively) and `-` (paths on stdin)."""
    for option in reversed(_batch_options):
        command = option(command)
    return command


_word = click.option("--word", type=click.Choice(["running", "OK"]), default="running", show_default=True,
                     help="The word a running status prints.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ha-rewrite")
def cli() -> None:
    """Make SysV init scripts speak the Heartbeat status contract.

    Exit codes: 0 nothing to change, 1 changes or violations, 2 usage error or a file that could
    not be processed.
    """


cli.add_command(verify)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_functions
@_deploy_dir
@_word
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: PATH:LINE:COL: RULE message lines (1-based) and a summary; json: one object.")
@_batch
@click.pass_context
def scan(ctx: click.Context, paths: tuple[str, ...], deploy_dir: str, word: str,
         fmt: str) -> None:
    """Report how the status operation of each script fares under Heartbeat's consumers.

    PATHS are files, directories (walked recursively) or `-` (paths on stdin, one a line or NUL-separated).
    """
    shown = _report_format(ctx) in ("html", "md")  # the reports that show diffs
    run = _run(ctx, paths, Settings(word.encode(), deploy_dir, diffs=shown), KEEP_NONE, as_json=fmt == "json")
    for chunk in json_chunks(run.summaries) if fmt == "json" else text_chunks(run.summaries):
        click.echo(chunk, nl=False)  # a piece at a time: a corpus's whole report is never held
    _finish(ctx, run, written=False, line=False)
    ctx.exit(batch_exit_code(run.summaries))


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@_functions
@click.option("--dest", default=DEPLOY_DIR, show_default=True, type=click.Path(file_okay=False),
              help="Where patched copies, their diffs and the manifest .ha-rewrite.json are written.")
@_deploy_dir
@_word
@click.option("--dry-run", is_flag=True, help="Print the combined diff; write nothing.")
@_force
@_backup
@click.option("-i", "--interactive", is_flag=True, help="Show each file's diff and ask: y apply, n skip, q quit.")
@click.option("--verify", "check_outputs", is_flag=True,
              help="Run every written file's status in the verify sandbox; report those still judged wrong.")
@click.option("--lsb", "checklist", is_flag=True,
              help="With --verify: also run the LSB checklist (verify --lsb) on every written script; report "
                   "each check that fails.")
@_wrapping
@_batch
@click.pass_context
def patch(ctx: click.Context, paths: tuple[str, ...], dest: str, deploy_dir: str, word: str, dry_run: bool,
          force: bool, backup: bool, interactive: bool, check_outputs: bool, checklist: bool,
          original_dir: str | None, trust_exit_codes: bool, lsb_wrapper: bool) -> None:
    """Write patched copies of init scripts (and the functions library) plus their diffs into DEST.

    Inputs are never modified. With --functions and no PATHS, only the library is patched. An output
    edited by hand since ha-rewrite wrote it is not overwritten without --force or --backup.
    """
    alone = tuple(ctx.meta.get("libraries", {}).values())
    if not paths and not alone:
        raise click.UsageError("give script paths, or --functions FILE to patch the library alone")
    if checklist and not check_outputs:
        raise click.UsageError("--lsb runs the LSB checklist on what --verify runs: give --verify too")
    settings = Settings(word.encode(), deploy_dir, trust_exit_codes, original_dir, lsb_wrapper)
    run = _run(ctx, paths or alone, settings, KEEP_WRITABLE)
    todo: Sequence[Planned] = _planned(ctx, run, dest)
    if dry_run:
        for item in todo:  # a section at a time: the outputs are read back from the spill as they go
            click.echo(item.review, nl=False)
        _finish(ctx, run, written=False)
        ctx.exit(batch_exit_code(run.summaries))
    if interactive:
        todo = _choose(todo)
    refused = _deploy(ctx, Path(dest), todo, force, backup)
    verified = _verify_outputs(Path(dest), todo, deploy_dir, checklist) if check_outputs else 0
    _finish(ctx, run, written=not (interactive or refused))
    ctx.exit(max(batch_exit_code(run.summaries), 2 if refused else 0, verified))


@cli.command("diff")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_functions
@_deploy_dir
@_word
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the series to FILE, not stdout.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Colour the diff (auto: when stdout is a terminal).")
@_wrapping
@click.pass_context
def diff_command(ctx: click.Context, paths: tuple[str, ...], deploy_dir: str, word: str,
                 output: str | None, color: str, original_dir: str | None, trust_exit_codes: bool,
                 lsb_wrapper: bool) -> None:
    """The combined diff of everything `patch` would do, for review: one section per file, each
    headed by the original's path and SHA-256 (a line `patch` and `git apply` skip).
    """
    run = _run(ctx, paths, Settings(word.encode(), deploy_dir, trust_exit_codes, original_dir, lsb_wrapper),
               KEEP_WRITABLE)
    series = (p.review for p in _planned(ctx, run, DEPLOY_DIR))  # a section at a time, read back from the spill
    if output is not None:
        try:
            write_atomic(Path(output), series, 0o644)
        except EmitError as exc:
            click.echo(f"ha-rewrite: {exc}", err=True)
            ctx.exit(2)
        click.echo(f"Writing {output}", err=True)
    else:
        colour = color == "always" or (color == "auto" and sys.stdout.isatty())
        for section in series:  # each section ends its last line: coloured alone, it is coloured as in the whole
            click.echo(colorize(section) if colour else section, nl=False)
    _finish(ctx, run, written=False)
    ctx.exit(batch_exit_code(run.summaries))


@cli.command("apply")
@click.argument("diffs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--dest", default=DEPLOY_DIR, show_default=True, type=click.Path(file_okay=False),
              help="Where the reviewed outputs are written.")
@click.option("--check", is_flag=True, help="Report what would happen; write nothing (like git apply --check).")
@_force
@_backup
@click.pass_context
def apply_command(ctx: click.Context, diffs: tuple[str, ...], dest: str, check: bool, force: bool,
                  backup: bool) -> None:
    """Deploy exactly the reviewed diffs: each file is refused, whole, when its original changed
    since the diff was made or a hunk does not match.
    """
    todo, refused = [], False
    for path in diffs:
        try:
            sections = parse_series(Path(path).read_bytes())
        except ReviewError as exc:
            click.echo(f"{path}: {exc}", err=True)
            refused = True
            continue
        for item in plan_apply(sections):
            if isinstance(item, Refusal):
                click.echo(f"{path}: {item.name}: refused: {item.reason}", err=True)
                refused = True
            else:
                todo.append(item)
    if check:
        for item in todo:
            click.echo(f"{Path(dest) / item.name}: would be written", err=True)
    else:
        refused = _deploy(ctx, Path(dest), todo, force, backup) or refused
    ctx.exit(2 if refused else 1 if todo else 0)


@cli.command("status")
@click.option("--dest", default=DEPLOY_DIR, show_default=True, type=click.Path(file_okay=False),
              help="The destination whose manifest is checked.")
@click.pass_context
def status_command(ctx: click.Context, dest: str) -> None:
    """One line per managed file: ok, source changed, edited or missing. Exit 1 unless all are ok."""
    try:
        entries = load_manifest(Path(dest))
    except ManifestError as exc:
        click.echo(f"ha-rewrite: {exc}", err=True)
        ctx.exit(2)
    if not entries:
        click.echo(f"ha-rewrite: {Path(dest) / MANIFEST}: no manifest: nothing here was written by ha-rewrite",
                   err=True)
        ctx.exit(2)
    states = {name: file_state(Path(dest), name, entry) for name, entry in sorted(entries.items())}
    for name, state in states.items():
        click.echo(f"{Path(dest) / name}: {state}")
    ctx.exit(0 if set(states.values()) == {OK} else 1)


@cli.command("config")
@click.argument("names", nargs=-1, required=True)
@click.option("--interval", default="10s", show_default=True, help="How often the CRM runs the monitor operation.")
@click.option("--timeout", default="20s", show_default=True, help="How long a monitor operation may take.")
@click.option("--node", default=socket.gethostname, show_default="this host", help="The haresources node.")
@click.option("--group", help="The CIB group id when several resources are given (default: grp_FIRST).")
@click.option("--format", "fmt", type=click.Choice(["text", "haresources", "cib"]), default="text",
              show_default=True, help="text: both, commented; haresources: the line; cib: the XML alone.")
@click.pass_context
def config_command(ctx: click.Context, names: tuple[str, ...], interval: str, timeout: str, node: str,
                   group: str | None, fmt: str) -> None:
    """Heartbeat configuration for resource scripts NAME...: a haresources line, and the CIB XML
    for the CRM, ready for `cibadmin -C -o resources -X`.
    """
    try:
        found = resources(names)
        line, xml = haresources(node, found), cib(found, interval, timeout, group)
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from exc
    if fmt == "haresources":
        click.echo(line, nl=False)
    elif fmt == "cib":
        click.echo(xml, nl=False)
    else:
        click.echo(f"# /etc/ha.d/haresources: the node, then its resources in start order\n{line}"
                   f"# CIB, for: cibadmin -C -o resources -X \"$(ha-rewrite config --format cib ...)\"\n{xml}",
                   nl=False)
    ctx.exit(0)


def _planned(ctx: click.Context, run: Run, dest: str) -> Staged:
    try:
        return planned(plan_outputs(run.kept, dest, run.libraries), run.spill)
    except Conflict as exc:
        click.echo(f"ha-rewrite: {exc}", err=True)
        ctx.exit(2)


def _choose(todo: Sequence[Planned]) -> list[Planned]:
    """Ask per file, like `git add -p`; a script that sources a library copy you declined is skipped."""
    chosen: list[Planned] = []
    declined: set[str] = set()
    for item in todo:
        if item.needs in declined:
            click.echo(f"Skipping {item.name}: it sources the {item.needs} copy you declined", err=True)
            declined.add(item.name)
            continue
        click.echo(colorize(item.review) if sys.stdout.isatty() else item.review, nl=False)
        answer = click.prompt(f"Apply this change to {item.name} [y,n,q]", type=click.Choice(["y", "n", "q"]),
                              show_choices=False, err=True)
        if answer == "q":
            break
        if answer == "y":
            chosen.append(item)
        else:
            declined.add(item.name)
    return chosen


def _verify_outputs(dest: Path, todo: Sequence[Planned], deploy_dir: str, checklist: bool) -> int:
    """`patch --verify [--lsb]`: each written file's status in the sandbox (and each script's LSB
    checklist); the worst exit code."""
    return verify_written([str(dest / item.name) for item in todo], checklist, deploy_dir=deploy_dir,
                          staged_dir=str(dest))


def _deploy(ctx: click.Context, dest: Path, todo: Sequence[Planned], force: bool, backup: bool) -> bool:
    """Write TODO; report each file on stderr; True when any was refused."""
    refused = False
    try:
        for outcome in deploy(dest, todo, force=force, backup=backup):
            if outcome.action == REFUSED:
                click.echo(f"ha-rewrite: refused: {outcome.detail}", err=True)
                refused = True
            elif outcome.action == WRITTEN:
                kept = f" (old file kept as {outcome.detail})" if outcome.detail else ""
                click.echo(f"Writing {dest / outcome.name}{kept}", err=True)
    except (EmitError, ManifestError) as exc:
        click.echo(f"ha-rewrite: {exc}", err=True)
        ctx.exit(2)
    return refused


class Run(NamedTuple):
    summaries: list[FileSummary]  # one per input file, in input order
    kept: list[FileResult]  # the results batch.run kept (KEEP_WRITABLE: what patch writes), parked in spill
    libraries: dict[str, FileResult]  # the libraries rewired scripts source, by path, parked in spill
    drawn: bool  # a progress bar was drawn: a terminal is watching
    spill: Spill  # where the kept results' bytes wait until they are written


def _run(ctx: click.Context, paths: Sequence[str], settings: Settings, keep: str, as_json: bool = False) -> Run:
    """Expand PATHS (files, directories, `-`), run the pipeline over them in input order. AS_JSON: the
    results are printed as JSON (else only a --report FILE.json needs the outputs on the status path)."""
    listed = sys.stdin.buffer.read() if "-" in paths else None
    if listed is not None and listed.startswith(b"#!"):  # `ha-rewrite scan - < httpd`, as ShellCheck takes it
        click.echo("ha-rewrite: -: standard input holds a script, not file names (`-` reads paths, one a line):"
                   " give the script's path", err=True)
        ctx.exit(2)
    items = expand(paths, None if listed is None else io.StringIO(os.fsdecode(listed)))
    summaries: list[FileSummary] = []
    kept: list[FileResult] = []
    libraries: dict[str, FileResult] = {}
    spill = ctx.with_resource(Spill())  # makes a file only when a result is kept; gone when the command ends
    with ProgressBar(sys.stderr, quiet=bool(ctx.meta.get("quiet"))) as bar:
        for done in batch_run(items, settings, ctx.meta.get("libraries", {}), jobs=ctx.meta.get("jobs"),
                              keep=keep, progress=bar, outputs=as_json or _report_format(ctx) == "json",
                              diffs=_report_format(ctx) in ("html", "md")):
            summaries.append(done.summary)
            if done.result is not None:
                kept.append(spill.park(done.result))
            if done.library is not None and done.library.path not in libraries:
                libraries[done.library.path] = spill.park(done.library)
            if done.summary.state in ("error", "unparseable", "needs-wrapper"):
                bar.write(f"{done.summary.path}: {done.summary.state}: {done.summary.reason}")
    return Run(summaries, kept, libraries, bar.enabled, spill)


def _report_format(ctx: click.Context) -> str | None:
    """The format of --report FILE (`json`, `html`, `md`), None without one."""
    report = ctx.meta.get("report")
    return None if report is None else report_format(report)


def _finish(ctx: click.Context, run: Run, written: bool, line: bool = True) -> None:
    """The end of a run: --report FILE, then the summary line (LINE: it is not on stdout already),
    or on a terminal the summary per state with the slowest files."""
    report = ctx.meta.get("report")
    if report is not None:
        try:
            render_report(run.summaries, report)
        except EmitError as exc:
            click.echo(f"ha-rewrite: {exc}", err=True)
            ctx.exit(2)
        click.echo(f"Writing {report}", err=True)
    if run.drawn:
        click.echo(batch_summary(run.summaries, written=written), err=True)
    elif line:
        click.echo(summary(run.summaries, written=written), err=True)




def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: returns the exit code (click's standalone mode would drop it)."""
    for stream in (sys.stdout, sys.stderr):  # a file name is bytes: one that is not UTF-8 is printed
        if isinstance(stream, io.TextIOWrapper):  # as it is, as GNU tools do (strict under a UTF-8 locale)
            stream.reconfigure(errors="surrogateescape")
    try:
        code = cli.main(args=list(argv) if argv is not None else None, prog_name="ha-rewrite",
                        standalone_mode=False)
    except click.UsageError as exc:
        exc.show()
        return 2
    except click.ClickException as exc:
        exc.show()
        return 2
    except click.Abort:
        click.echo("Aborted!", err=True)
        return 130
    except SpillError as exc:  # TMPDIR full or failing: what waits there cannot be written (the manifest says what was)
        click.echo(f"ha-rewrite: {exc}", err=True)
        return 2
    return code if isinstance(code, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
