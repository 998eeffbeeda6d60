"""The command line: parse options, call the library, print, choose the exit code. Thin on purpose."""
from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from rewrite import __version__
from rewrite.emit import EmitError, ensure_dir, write_atomic
from rewrite.outputs import Conflict, Output, plan_outputs
from rewrite.pipeline import FileResult, Libraries, exit_code, process
from rewrite.report import json_report, summary, text_report
from rewrite.transform import Settings

DEPLOY_DIR = "/etc/ha.d/resource.d"

_functions = click.option(
    "--functions", "functions", type=click.Path(exists=True, dir_okay=False),
    help="The Red Hat functions library scripts source. Default: a `functions` beside each script, "
         "else /etc/rc.d/init.d/functions, else /etc/init.d/functions.")
_deploy_dir = click.option("--deploy-dir", default=DEPLOY_DIR, show_default=True,
                           help="Where patched files will live: the path written into rewired source lines.")
_word = click.option("--word", type=click.Choice(["running", "OK"]), default="running", show_default=True,
                     help="The word a running status prints.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ha-rewrite")
def cli() -> None:
    """Make SysV init scripts speak the Heartbeat status contract.

    Exit codes: 0 nothing to change, 1 changes or violations, 2 usage error or a file that could
    not be processed.
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_functions
@_deploy_dir
@_word
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: PATH:LINE:COL: RULE message lines (1-based) and a summary; json: one object.")
@click.pass_context
def scan(ctx: click.Context, paths: tuple[str, ...], functions: str | None, deploy_dir: str, word: str,
         fmt: str) -> None:
    """Report how the status operation of each script fares under Heartbeat's consumers."""
    results, _ = _run(paths, functions, Settings(word.encode(), deploy_dir))
    _report_errors(results)
    click.echo(json_report(results) if fmt == "json" else text_report(results), nl=False)
    ctx.exit(exit_code(results))


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@_functions
@click.option("--dest", default=DEPLOY_DIR, show_default=True, type=click.Path(file_okay=False),
              help="Where patched copies and their diffs are written.")
@_deploy_dir
@_word
@click.option("--dry-run", is_flag=True, help="Print the combined diff; write nothing.")
@click.pass_context
def patch(ctx: click.Context, paths: tuple[str, ...], functions: str | None, dest: str, deploy_dir: str,
          word: str, dry_run: bool) -> None:
    """Write patched copies of init scripts (and the functions library) plus their diffs into DEST.

    Inputs are never modified. With --functions and no PATHS, only the library is patched.
    """
    if not paths and functions is None:
        raise click.UsageError("give script paths, or --functions FILE to patch the library alone")
    results, libraries = _run(paths or (functions or "",), functions, Settings(word.encode(), deploy_dir))
    _report_errors(results)
    try:
        outputs = plan_outputs(results, dest, libraries.results())
    except Conflict as exc:
        click.echo(f"ha-rewrite: {exc}", err=True)
        ctx.exit(2)
    if dry_run:
        click.echo(b"".join(o.result.diff for o in outputs), nl=False)
    else:
        try:
            _write(outputs, Path(dest))
        except EmitError as exc:
            click.echo(f"ha-rewrite: {exc}", err=True)
            ctx.exit(2)
    click.echo(summary(results, written=not dry_run), err=True)
    ctx.exit(exit_code(results))


def _run(paths: Sequence[str], functions: str | None, settings: Settings) -> tuple[list[FileResult], Libraries]:
    libraries = Libraries(functions, settings)
    return [process(path, settings, libraries) for path in paths], libraries


def _report_errors(results: Sequence[FileResult]) -> None:
    for result in results:
        if result.state in ("error", "unparseable", "needs-wrapper"):
            click.echo(f"{result.path}: {result.state}: {result.reason}", err=True)


def _write(outputs: Sequence[Output], dest: Path) -> None:
    if not outputs:
        return
    ensure_dir(dest)
    for output in outputs:
        target = dest / output.name
        click.echo(f"Writing {target}", err=True)
        write_atomic(target, output.result.patched or b"", output.result.mode)
        write_atomic(dest / (output.name + ".diff"), output.result.diff, 0o644)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: returns the exit code (click's standalone mode would drop it)."""
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
    return code if isinstance(code, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
