"""Render pipeline results: findings lines, summaries and JSON, through Jinja2 templates."""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from rewrite.parse import line_col
from rewrite.pipeline import PATCHABLE, STATES, FileResult
from rewrite.scan import Output
from rewrite.source import display
from rewrite.transform import RULES, Finding, outcome


def template_dir() -> Path:
    """Installed: rewrite/templates in the wheel; from a checkout: the top-level templates/."""
    installed = Path(__file__).with_name("templates")
    return installed if installed.is_dir() else Path(__file__).parent.parent / "templates"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(template_dir()), autoescape=False,
                              keep_trailing_newline=True, undefined=jinja2.StrictUndefined)


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


def summary(results: Sequence[FileResult], written: bool = False) -> str:
    """`N files: 2 compliant, 5 patchable` in the order of STATES, empty states left out.

    WRITTEN: the patchable files were written, and are counted as `patched`.
    """
    counts = Counter(r.state for r in results)
    names = {PATCHABLE: "patched"} if written else {}
    parts = [f"{counts[state]} {names.get(state, state)}" for state in STATES if counts[state]]
    noun = "file" if len(results) == 1 else "files"
    return f"{len(results)} {noun}: " + (", ".join(parts) if parts else "nothing to do")


def text_report(results: Sequence[FileResult]) -> str:
    """Findings as `PATH:LINE:COL: RULE message` lines, then the summary line."""
    findings = [finding_record(r, f) for r in results for f in r.findings]
    findings.sort(key=lambda f: (f["path"], f["line"], f["column"], f["rule"]))
    template = _environment().get_template("scan.txt.j2")
    return template.render(findings=findings, summary=summary(results))


def json_report(results: Sequence[FileResult]) -> str:
    """`{"files": [...], "summary": {...}}` with every file's state and findings."""
    files = [{"path": r.path, "state": r.state, "kind": r.kind, "reason": r.reason, "library": r.library,
              "findings": [finding_record(r, f) for f in r.findings],
              "outputs": [output_record(r, o) for o in r.outputs]} for r in results]
    counts = Counter(r.state for r in results)
    return json.dumps({"files": files, "summary": {state: counts[state] for state in STATES}}, indent=2) + "\n"
