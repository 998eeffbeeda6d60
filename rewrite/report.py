"""Render pipeline results: findings lines, summaries and JSON, through Jinja2 templates."""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
from pathlib import Path
from typing import Any

import jinja2

from rewrite.parse import line_col
from rewrite.emit import write_atomic
from rewrite.pipeline import PATCHABLE, STATES, FileResult
from rewrite.scan import Output
from rewrite.jinja import template_dir
from rewrite.source import display
from rewrite.transform import RULES, Finding, outcome


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    autoescape = jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False)
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(template_dir()), autoescape=autoescape,
                                     keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    environment.filters["md"] = markdown_escape
    return environment


def finding_record(result: FileResult, finding: Finding) -> dict[str, Any]:
    """One finding as plain data: 1-based line and column, 0-based half-open byte span."""
    line, column = line_col(result.original, finding.start)
    verdicts = finding.verdicts._asdict() if finding.verdicts is not None else None
    return {"path": result.path, "rule": finding.rule, "name": RULES[finding.rule], "line": line,
            "column": column, "byte_start": finding.start, "byte_end": finding.end,
            "text": display(finding.text), "message": finding.message, "outcome": finding.outcome,
            "verdicts": verdicts, "fixable": bool(finding.edits)}


def output_record(result: FileResult, output: Output) -> dict[str, Any]:
    """One command on the status path; line and column only for the file's own lines."""
    record: dict[str, Any] = {"path": output.path, "byte_start": output.span.start, "byte_end": output.span.end}
    if output.path == result.path:
        record["line"], record["column"] = line_col(result.original, output.span.start)
    record.update({"kind": output.kind, "text": display(output.text), "stream": output.stream,
                   "code": output.code, "role": output.role, "outcome": outcome(output) if output.role in
                   ("status", "trailer") else None, "translated": output.translated})
    return record


def summary(results: Sequence[Reported], written: bool = False) -> str:
    """`N files: 2 compliant, 5 patchable` in the order of STATES, empty states left out.

    WRITTEN: the patchable files were written, and are counted as `patched`.
    """
    counts = Counter(r.state for r in results)
    parts = [f"{counts[state]} {_state_name(state, written)}" for state in STATES if counts[state]]
    noun = "file" if len(results) == 1 else "files"
    return f"{len(results)} {noun}: " + (", ".join(parts) if parts else "nothing to do")


def text_report(results: Sequence[Reported]) -> str:
    """Findings as `PATH:LINE:COL: RULE message` lines, then the summary line."""
    return "".join(text_chunks(results))


def text_chunks(results: Sequence[Reported]) -> Iterator[str]:
    """text_report in pieces of about CHUNK characters: the findings of one path at a time are held."""
    template = _environment().get_template("scan.txt.j2")
    return _joined(template.generate(findings=_sorted_findings(results), summary=summary(results)))


def json_report(results: Sequence[Reported]) -> str:
    """`{"files": [...], "summary": {...}}` with every file's state and findings."""
    return "".join(json_chunks(results))


# -- batches: slim per-file summaries, report files, the end-of-run summary --------------------


@dataclass(frozen=True, slots=True)
class FileSummary:
    """What every report needs of one file, without its bytes: small enough to keep for a whole corpus.

    RECORD_JSON is the file's entry in the JSON report (`file_record`), line and column already
    computed from the bytes that are no longer kept; DIFF is the unified diff (b"" unless patchable).
    """

    path: str
    state: str
    kind: str
    reason: str
    library: str | None
    rewired: bool
    record_json: str
    diff: bytes = b""
    seconds: float = 0.0  # time the pipeline took for this file
    library_name: str | None = None  # as FileResult.library_name: `functions`, `init-functions`, ...

    @property
    def name(self) -> str:
        """The output name, as FileResult.name."""
        return (self.library_name or "functions") if self.kind == "library" else os.path.basename(self.path)

    @property
    def record(self) -> dict[str, Any]:
        """The file's JSON report entry, decoded afresh on each access."""
        value: dict[str, Any] = json.loads(self.record_json)
        return value


Reported = FileResult | FileSummary

REPORT_FORMATS = {".json": "json", ".html": "html", ".htm": "html", ".md": "md"}


def file_record(result: FileResult, outputs: bool = True) -> dict[str, Any]:
    """One file's entry in the JSON report: state, findings and the outputs on its status path
    (OUTPUTS false: without them, as every report but JSON needs it)."""
    record = {"path": result.path, "state": result.state, "kind": result.kind, "reason": result.reason,
              "library": result.library, "findings": [finding_record(result, f) for f in result.findings]}
    if outputs:
        record["outputs"] = [output_record(result, o) for o in result.outputs]
    return record


def summarize(result: FileResult, seconds: float = 0.0, outputs: bool = True, diff: bool = True) -> FileSummary:
    """RESULT without its bytes (original, patched): what reports need, for a batch to keep.

    OUTPUTS false leaves the outputs on the status path out of the record (two thirds of it, for a
    typical script): a summary that cannot be rendered as JSON, kept by runs that render none. DIFF
    false leaves the diff out: a summary for runs that render no HTML or Markdown report."""
    return FileSummary(result.path, result.state, result.kind, result.reason, result.library, result.rewired,
                       json.dumps(file_record(result, outputs), separators=(",", ":")),
                       result.diff if diff else b"", seconds, result.library_name)


def report_format(path: str | os.PathLike[str]) -> str:
    """`json`, `html` or `md`, from PATH's extension; ValueError names the ones known."""
    suffix = Path(path).suffix.lower()
    if suffix not in REPORT_FORMATS:
        known = ", ".join(sorted(REPORT_FORMATS))
        raise ValueError(f"{path}: unknown report type {suffix or '(no extension)'!r}: use one of {known}")
    return REPORT_FORMATS[suffix]


def render(results: Sequence[Reported], fmt: str) -> Iterator[str]:
    """The report in format FMT (`json`, `html`, `md`), in pieces: nothing but the pieces is held."""
    if fmt == "json":
        return json_chunks(results)
    if fmt not in ("html", "md"):
        raise ValueError(f"unknown report format {fmt!r}")
    template = _environment().get_template(f"report.{fmt}.j2")
    return template.generate(total=len(results), counts=_counts(results), states=STATES,
                             files=_Views(results))


def render_report(results: Sequence[Reported], path: str | os.PathLike[str]) -> None:
    """Write the report PATH asks for by its extension (see report_format), replacing PATH atomically
    as every output is written (emit.write_atomic: a symbolic link there is refused).

    Raises ValueError for an unknown extension, EmitError when PATH cannot be written.
    """
    fmt = report_format(path)
    chunks = (piece.encode("utf-8", "backslashreplace") for piece in render(results, fmt))
    write_atomic(Path(path), chunks, 0o644)


def batch_summary(results: Sequence[Reported], written: bool = False, slowest: int = 5) -> str:
    """The end of a batch: the file count, one line per state, then the SLOWEST files with their times."""
    counts = _counts(results)
    noun = "file" if len(results) == 1 else "files"
    lines = [f"{len(results)} {noun}"]
    lines += [f"{count:>8} {_state_name(state, written)}" for state, count in counts.items()]
    timed = sorted((r for r in results if isinstance(r, FileSummary) and r.seconds > 0),
                   key=lambda r: r.seconds, reverse=True)[:slowest]
    if timed:
        lines.append("slowest:")
        lines += [f"{r.seconds * 1000:>8.1f} ms {r.path}" for r in timed]
    return "\n".join(lines) + "\n"


def markdown_escape(value: object) -> str:
    """VALUE as Markdown text: inline markup characters backslash-escaped, newlines as spaces."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    return "".join("\\" + c if c in _MARKDOWN_SPECIAL else c for c in text)


_MARKDOWN_SPECIAL = frozenset("\\`*_[]<>|~#")


def _state_name(state: str, written: bool) -> str:
    return "patched" if written and state == PATCHABLE else state


def _counts(results: Iterable[Reported]) -> dict[str, int]:
    counts = Counter(r.state for r in results)
    return {state: counts[state] for state in STATES}


def _record(result: Reported) -> dict[str, Any]:
    return result.record if isinstance(result, FileSummary) else file_record(result)


def _sorted_findings(results: Sequence[Reported]) -> Iterator[dict[str, Any]]:
    """Every finding, sorted by path, line, column and rule, decoded one path at a time."""
    by_path = sorted(range(len(results)), key=lambda i: results[i].path)
    for _, indexes in groupby(by_path, key=lambda i: results[i].path):
        findings = [f for i in indexes for f in _record(results[i])["findings"]]
        yield from sorted(findings, key=lambda f: (f["line"], f["column"], f["rule"]))


CHUNK = 1 << 16


def _joined(pieces: Iterable[str]) -> Iterator[str]:
    """PIECES (a template's many small strings) joined into strings of about CHUNK characters."""
    held: list[str] = []
    size = 0
    for piece in pieces:
        held.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield "".join(held)
            held, size = [], 0
    if held:
        yield "".join(held)


def json_chunks(results: Sequence[Reported]) -> Iterator[str]:
    """json.dumps({"files": [...], "summary": {...}}, indent=2) + newline, one file at a time."""
    yield '{\n  "files": ['
    for i, record in enumerate(map(_record, results)):
        if "outputs" not in record:
            raise ValueError(f"{record['path']}: summarized without its outputs, which JSON shows")
        yield ("," if i else "") + "\n    " + json.dumps(record, indent=2).replace("\n", "\n    ")
    yield "\n  ]" if results else "]"
    summary_json = json.dumps({"summary": _counts(results)}, indent=2)
    yield ",\n" + summary_json[2:] + "\n"


class _Views:
    """The files as the templates show them, built afresh on each pass over them, never all held."""

    def __init__(self, results: Sequence[Reported]) -> None:
        self.results = results

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (_view(i, r) for i, r in enumerate(self.results, 1))


def _view(index: int, result: Reported) -> dict[str, Any]:
    """What the HTML and Markdown templates show of one file."""
    record = _record(result)
    lines = [line.removesuffix("\r") for line in display(result.diff).split("\n")[:-1]]
    ticks = max((len(run) for run in re.findall("`+", display(result.diff))), default=0)
    return {"index": index, "path": result.path, "state": result.state, "kind": result.kind,
            "reason": result.reason, "library": result.library, "findings": record["findings"],
            "seconds": result.seconds if isinstance(result, FileSummary) else None,
            "diff_lines": _diff_lines(lines), "fence": "`" * max(3, ticks + 1)}


def _diff_lines(lines: Sequence[str]) -> list[tuple[str, str]]:
    """Each line of a one-file diff with its CSS class: head (before the first hunk), hunk, add, del, ..."""
    classes: list[tuple[str, str]] = []
    for line in lines:
        in_hunks = bool(classes) and classes[-1][0] != "head" or line.startswith("@@")
        kind = {"@": "hunk", "+": "add", "-": "del", "\\": "note"}.get(line[:1], "ctx") if in_hunks else "head"
        classes.append((kind, line))
    return classes

