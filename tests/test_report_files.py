"""Report files (--report FILE.json|.html|.md): schema, valid HTML, every file, filters in a real browser."""
from __future__ import annotations

import json
import re
import subprocess
import tracemalloc
from html.parser import HTMLParser
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from corpus_cases import INPUT, REPO
from rewrite.batch import KEEP_ALL, run
from rewrite.emit import EmitError
from rewrite.inputs import expand
from rewrite.cli import main
from rewrite.pipeline import FileResult, Libraries, process
from rewrite.report import (FileSummary, batch_summary, json_report, markdown_escape, render, render_report,
                            report_format, summarize, summary, template_dir, text_chunks, text_report)
from rewrite.transform import Settings
from test_batch import MIXED_STATES, SELF_MADE, build_mixed

SCHEMA = json.loads((REPO / "docs/report.schema.json").read_text())
CHROMIUM = "/usr/bin/chromium"
ODD_NAME = 'we<i>rd & "odd"'  # markup characters in a file name must come out escaped


@pytest.fixture(scope="module")
def done(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    """Every corpus family, the mixed tree and a file with markup in its name, as full results and summaries."""
    root = tmp_path_factory.mktemp("reports")
    build_mixed(root / "mixed")
    (root / ODD_NAME).write_bytes(SELF_MADE)
    return list(run(expand([str(REPO / INPUT), str(root)]), Settings(), jobs=2, keep=KEEP_ALL))


@pytest.fixture(scope="module")
def summaries(done: list[Any]) -> list[FileSummary]:
    return [d.summary for d in done]


# -- JSON ------------------------------------------------------------------------------------------


def validate(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """The errors of VALUE against the subset of JSON Schema that docs/report.schema.json uses."""
    if "$ref" in schema:
        return validate(value, SCHEMA["$defs"][schema["$ref"].rsplit("/", 1)[1]], path)
    if "oneOf" in schema:
        matches = sum(not validate(value, option, path) for option in schema["oneOf"])
        return [] if matches == 1 else [f"{path}: matches {matches} of oneOf"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{path}: {value!r} not in {schema['enum']}"]
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if types and not any(_is(value, t) for t in types):
        return [f"{path}: {value!r} is not {types}"]
    errors: list[str] = []
    if isinstance(value, dict):
        errors += [f"{path}: missing {key}" for key in schema.get("required", []) if key not in value]
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            errors += [f"{path}: unexpected {key}" for key in value if key not in properties]
        for key, sub in properties.items():
            if key in value:
                errors += validate(value[key], sub, f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errors += validate(item, schema["items"], f"{path}[{i}]")
    if isinstance(value, int) and "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{path}: {value} < {schema['minimum']}")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(f"{path}: {value!r} does not match {schema['pattern']}")
    return errors


def _is(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, {"string": str, "boolean": bool, "null": type(None), "object": dict, "array": list}[kind])


def test_json_report_file_validates_against_the_schema(summaries, tmp_path):
    render_report(summaries, tmp_path / "report.json")
    report = json.loads((tmp_path / "report.json").read_text())
    assert validate(report, SCHEMA) == []
    assert [f["path"] for f in report["files"]] == [s.path for s in summaries]
    assert {f["state"] for f in report["files"]} == set(MIXED_STATES.values())
    assert sum(report["summary"].values()) == len(summaries)


def test_the_validator_finds_errors():
    report = {"files": [{"path": "x", "state": "fine", "kind": "script", "reason": "", "library": None,
                         "findings": [{"rule": "X1", "line": 0}], "outputs": [], "extra": 1}], "summary": {}}
    errors = validate(report, SCHEMA)
    assert "$.files[0]: unexpected extra" in errors
    assert "$.files[0].state: 'fine' not in " + str(SCHEMA["$defs"]["state"]["enum"]) in errors
    assert "$.files[0].findings[0]: missing verdicts" in errors
    assert "$.files[0].findings[0].rule: 'X1' does not match ^HB[0-9]{3}$" in errors
    assert "$.files[0].findings[0].line: 0 < 1" in errors
    assert "$.summary: missing compliant" in errors
    assert validate(True, SCHEMA["$defs"]["count"]) == ["$: True is not ['integer']"]


def test_reports_from_summaries_equal_reports_from_results(done, summaries):
    results = [d.result for d in done]
    assert json_report(summaries) == json_report(results)
    assert json.loads(json_report(results)) == json.loads(json.dumps(json.loads(json_report(results)), indent=2))
    assert text_report(summaries) == text_report(results)
    assert summary(summaries, written=True) == summary(results, written=True)
    assert "".join(render(summaries, "html")) == "".join(render(results, "html"))


def test_json_report_of_nothing():
    assert json.loads(json_report([])) == {"files": [], "summary": {s: 0 for s in SCHEMA["properties"]["summary"][
        "required"]}}


# -- HTML ------------------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """Checks that every element is closed in order, and collects the file rows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.rows: list[dict[str, Any]] = []
        self.doctype = ""
        self.scripts: list[str] = []
        self._in_path = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "tr" and attributes.get("class") == "file":
            self.rows.append({"state": attributes["data-state"], "hidden": "hidden" in attributes, "path": ""})
        self._in_path = tag == "td" and attributes.get("class") == "path"
        for name in ("src", "href"):
            if (attributes.get(name) or "#").split("#")[0]:
                self.errors.append(f"external resource: <{tag} {name}={attributes[name]}>")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._in_path and self.stack[-1] == "td":
            self.rows[-1]["path"] += data
        if self.stack and self.stack[-1] == "script":
            self.scripts.append(data)


def parse_page(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def test_html_report_is_valid_and_lists_every_file(summaries, tmp_path):
    render_report(summaries, tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text()
    page = parse_page(html)
    assert page.doctype == "DOCTYPE html"
    assert page.errors == [] and page.stack == []
    assert [(r["path"], r["state"]) for r in page.rows] == [(s.path, s.state) for s in summaries]
    assert not any(r["hidden"] for r in page.rows)
    assert ODD_NAME not in html and "we&lt;i&gt;rd &amp; &#34;odd&#34;" in html
    assert html.count('<pre class="diff">') == sum(1 for s in summaries if s.diff)
    assert '<span class="del">-    echo &#34;app is not running&#34;; exit 3 ;;</span>' in html
    assert '<span class="add">+    echo &#34;app is stopped&#34;; exit 3 ;;</span>' in html


def _chromium(page: Path, fragment: str, tmp_path: Path) -> Page:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package `chromium`; tests/run.sh installs it)")
    url = page.as_uri() + fragment
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}",
               "--dump-dom", url]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    return parse_page(dom)


def test_html_report_in_a_real_browser(summaries, tmp_path):
    """Chromium renders every row; the filters in the URL fragment leave only the matching rows visible."""
    render_report(summaries, tmp_path / "report.html")
    everything = _chromium(tmp_path / "report.html", "", tmp_path)
    assert [r["path"] for r in everything.rows] == [s.path for s in summaries]
    assert not any(r["hidden"] for r in everything.rows)

    patchable = _chromium(tmp_path / "report.html", "#state=patchable", tmp_path)
    assert [r["path"] for r in patchable.rows if not r["hidden"]] == [s.path for s in summaries
                                                                       if s.state == "patchable"]
    assert len(patchable.rows) == len(summaries)

    both = _chromium(tmp_path / "report.html", "#state=patchable&text=HB030", tmp_path)
    rewired = [s.path for s in summaries if s.state == "patchable" and '"HB030"' in s.record_json]
    assert rewired and [r["path"] for r in both.rows if not r["hidden"]] == rewired


# -- Markdown, the summary, file handling ----------------------------------------------------------


def test_markdown_report_lists_every_file(summaries, tmp_path):
    render_report(summaries, tmp_path / "report.md")
    text = (tmp_path / "report.md").read_text()
    rows = [line for line in text.splitlines() if re.match(r"\| \d+ \| ", line)]
    assert [row.split(" | ")[1] for row in rows] == [markdown_escape(s.path) for s in summaries]
    assert text.count("```diff\n") == sum(1 for s in summaries if s.diff)
    assert "we\\<i\\>rd & \"odd\"" in text


def test_markdown_fence_outgrows_backticks_in_the_diff(tmp_path):
    script = tmp_path / "app"
    script.write_bytes(SELF_MADE.replace(b"  status)\n", b"  status) # ``` in a comment\n"))
    (done,) = run(expand([str(script)]), Settings(), keep=KEEP_ALL)
    text = "".join(render([done.summary], "md"))
    assert "\n````diff\n" in text and "\n````\n" in text


@pytest.mark.parametrize(("value", "escaped"), (("a|b", "a\\|b"), ("x_y*z", "x\\_y\\*z"), ("l1\nl2", "l1 l2"),
                                                ("`<b>`", "\\`\\<b\\>\\`"), ("plain-text.sh", "plain-text.sh")))
def test_markdown_escape(value, escaped):
    assert markdown_escape(value) == escaped


@pytest.mark.parametrize(("name", "fmt"), (("r.json", "json"), ("r.HTML", "html"), ("r.htm", "html"), ("r.md", "md")))
def test_report_format(name, fmt):
    assert report_format(name) == fmt


@pytest.mark.parametrize("name", ("report", "report.txt"))
def test_unknown_report_type(name, tmp_path):
    with pytest.raises(ValueError, match="unknown report type"):
        render_report([], tmp_path / name)
    with pytest.raises(ValueError, match="unknown report format"):
        list(render([], "txt"))
    assert list(tmp_path.iterdir()) == []


def test_report_replaces_the_file_and_leaves_no_temp_on_failure(summaries, tmp_path):
    target = tmp_path / "report.md"
    target.write_text("old")
    render_report(summaries[:1], target)
    assert target.read_text().startswith("# ha-rewrite report") and target.stat().st_mode & 0o777 == 0o644
    with pytest.raises(EmitError, match="missing-dir"):
        render_report(summaries[:1], tmp_path / "missing-dir" / "r.md")
    (tmp_path / "r.html").mkdir()
    with pytest.raises(EmitError, match="not a regular file"):
        render_report(summaries[:1], tmp_path / "r.html")
    broken = FileSummary("late.sh", "compliant", "script", "", None, False, "{")  # fails halfway through
    with pytest.raises(json.JSONDecodeError):
        render_report([*summaries[:1], broken], target)
    assert target.read_text().startswith("# ha-rewrite report")  # the old report, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "report.md"]


def test_report_never_written_through_a_link(summaries, tmp_path):
    (tmp_path / "elsewhere").write_text("keep")
    (tmp_path / "report.json").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(EmitError, match="symbolic link"):
        render_report(summaries[:1], tmp_path / "report.json")
    assert (tmp_path / "elsewhere").read_text() == "keep" and (tmp_path / "report.json").is_symlink()


def test_batch_summary_lists_the_slowest_files():
    slow = [summarize(_result(f"f{i}"), seconds=i / 1000) for i in range(8)]
    assert batch_summary(slow, slowest=2) == (
        "8 files\n       8 compliant\n       0 patchable\n       0 needs-wrapper\n       0 unparseable\n"
        "       0 not-a-script\n       0 error\nslowest:\n     7.0 ms f7\n     6.0 ms f6\n")
    assert batch_summary([_result("r")]).startswith("1 file\n       1 compliant\n")
    assert "slowest" not in batch_summary([_result("r")])


def _result(path: str) -> FileResult:
    return FileResult(path, "compliant")


def test_templates_are_found_where_the_package_looks():
    assert {"report.html.j2", "report.md.j2"} <= {p.name for p in template_dir().iterdir()}


def test_scan_computes_diffs_only_for_the_reports_that_show_them(tmp_path, capsys):
    """`scan --report FILE.html|.md` shows each patchable file's diff; plain `scan` and `.json` need none."""
    family = REPO / INPUT / "redhat-2010"
    results = {r.path: r for r in (process(str(p), Settings(), Libraries()) for p in sorted(family.iterdir()))}
    patched = [r for r in results.values() if r.state == "patchable"]
    assert patched and all(r.diff for r in patched)
    for name in ("r.html", "r.md"):
        assert main(["scan", "--quiet", str(family), "--report", str(tmp_path / name)]) == 1
        shown = (tmp_path / name).read_text()
        for result in patched:
            for line in result.diff.decode().splitlines():
                if line.startswith(("+", "-")) and not line.startswith(("+++", "---")):
                    assert (str(escape(line)) if name.endswith("html") else line) in shown, line
    assert main(["scan", "--quiet", str(family), "--report", str(tmp_path / "r.json")]) == 1
    assert validate(json.loads((tmp_path / "r.json").read_text()), SCHEMA) == []  # outputs kept for JSON
    bare = [process(str(p), Settings(diffs=False), Libraries()) for p in sorted(family.iterdir())]
    assert [r.diff for r in bare] == [b""] * len(bare)
    assert [replace(r, diff=b"") for r in results.values()] == bare  # nothing else differs
    capsys.readouterr()


def test_patch_keeps_diffs_only_for_the_reports_that_show_them(tmp_path, capsys):
    """`patch --report FILE.html|.md` shows the diff of each file it writes; without such a report a
    batch keeps no diff in its summaries (the written FILE.diff has it)."""
    family = REPO / INPUT / "redhat-2010"
    inputs = expand([str(family)])
    bare = list(run(inputs, Settings(), jobs=1, keep=KEEP_ALL, diffs=False))
    assert [d.summary.diff for d in bare] == [b""] * len(bare)
    assert sum(1 for d in bare if d.result is not None and d.result.diff) > 3  # computed, written, not kept
    assert [replace(d.summary, seconds=0) for d in bare] == \
        [replace(d.summary, seconds=0, diff=b"") for d in run(inputs, Settings(), jobs=1)]  # nothing else differs
    for name in ("r.html", "r.md"):
        dest = tmp_path / f"dest-{name}"
        assert main(["patch", "--quiet", "--dest", str(dest), str(family), "--report", str(tmp_path / name)]) == 1
        shown = (tmp_path / name).read_text()
        written = [p for p in sorted(dest.iterdir()) if p.suffix == ".diff"]
        assert len(written) > 3
        for diff in written:
            for line in diff.read_text().splitlines():
                if line.startswith(("+", "-")) and not line.startswith(("+++", "---")):
                    assert (str(escape(line)) if name.endswith("html") else line) in shown, line
    capsys.readouterr()


def _copies(summaries: list[FileSummary], times: int) -> list[FileSummary]:
    """SUMMARIES TIMES over, each copy under its own paths (`PATH.K`), as a corpus of copies would give."""
    return [replace(s, path=f"{s.path}.{k}", record_json=s.record_json.replace(json.dumps(s.path),
                                                                              json.dumps(f"{s.path}.{k}")))
            for k in range(times) for s in summaries]


def _peak_while_reading(chunks: Any) -> int:
    tracemalloc.start()
    try:
        for _ in chunks:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_text_report_is_made_one_path_at_a_time(summaries):
    """`scan` prints the findings of a corpus of any size holding those of one path at a time (it
    held every finding, decoded, and then the whole text: 240 MB more for 100,000 files)."""
    few, many = _copies(summaries, 4), _copies(summaries, 16)
    assert "".join(text_chunks(many)) == text_report(many)
    assert text_report(many).count("\n") > 4 * text_report(few).count("\n") - 4
    _peak_while_reading(text_chunks(few))  # the template compiled, outside what is measured
    grown = _peak_while_reading(text_chunks(many)) - _peak_while_reading(text_chunks(few))
    assert grown / (len(many) - len(few)) < 200  # bytes per file: its place in the order by path


@pytest.mark.parametrize("command", (["scan"], ["patch", "--dry-run"]))
def test_a_json_report_from_any_batch_command_shows_the_outputs(tmp_path, capsys, command):
    """Runs keep each file's outputs on its status path only for JSON, which a --report FILE.json asks for too."""
    family = str(REPO / INPUT / "redhat-2010")
    assert main([*command, "--quiet", family, "--report", str(tmp_path / "r.json")]) == 1
    report = json.loads((tmp_path / "r.json").read_text())
    assert validate(report, SCHEMA) == [] and any(f["outputs"] for f in report["files"])
    capsys.readouterr()


def test_the_text_report_sorts_every_finding_by_path_line_column_and_rule(summaries):
    """Made a path at a time, the text report still lists the findings as one sort of all of them
    would, whatever order the files come in (`scan b a`, a list on stdin), one path twice included."""
    shuffled = summaries[::-1][::2] + summaries[::-1][1::2] + summaries[:3]
    every = sorted((f for s in shuffled for f in s.record["findings"]),
                   key=lambda f: (f["path"], f["line"], f["column"], f["rule"]))
    lines = [f"{f['path']}:{f['line']}:{f['column']}: {f['rule']} {f['message']}\n" for f in every]
    assert len(lines) > 50
    assert text_report(shuffled) == "".join(lines) + summary(shuffled) + "\n"
