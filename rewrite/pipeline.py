"""One file end to end (read -> parse -> scan -> plan -> splice -> diff), as a value; never raises."""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from tree_sitter import Tree

from rewrite.diffs import DiffError, check_diff, unified_diff
from rewrite.edits import Edit, OverlapError, splice
from rewrite.parse import line_col, parse
from rewrite.scan import Library, Output, Scan, scan_tree
from rewrite.source import SourceError, not_a_script_reason, read_source
from rewrite.transform import RULES, Finding, Settings, findings_for, rewire

COMPLIANT = "compliant"
PATCHABLE = "patchable"
NEEDS_WRAPPER = "needs-wrapper"
UNPARSEABLE = "unparseable"
NOT_A_SCRIPT = "not-a-script"
ERROR = "error"
STATES = (COMPLIANT, PATCHABLE, NEEDS_WRAPPER, UNPARSEABLE, NOT_A_SCRIPT, ERROR)

DEFAULT_LIBRARIES = ("/etc/rc.d/init.d/functions", "/etc/init.d/functions")


@dataclass(frozen=True)
class FileResult:
    """What the pipeline concluded about one file."""

    path: str
    state: str
    kind: str = "none"  # script | library | none
    findings: tuple[Finding, ...] = ()
    original: bytes = b""
    patched: bytes | None = None
    diff: bytes = b""
    mode: int = 0o755
    reason: str = ""
    library: str | None = None  # the library this script was judged against
    rewired: bool = False  # the script sources the patched library copy
    outputs: tuple[Output, ...] = ()  # every command on the status path that may write to stdout

    @property
    def name(self) -> str:
        return "functions" if self.kind == "library" else os.path.basename(self.path)


@dataclass
class Libraries:
    """Function libraries, each parsed and judged once per run."""

    explicit: str | None = None
    settings: Settings = field(default_factory=Settings)
    _cache: dict[str, tuple[Library, FileResult] | SourceError] = field(default_factory=dict)

    def path_for(self, script: str) -> str | None:
        """--functions, else a `functions` beside the script, else the system's library."""
        if self.explicit is not None:
            return self.explicit
        beside = os.path.join(os.path.dirname(script), "functions")
        for candidate in (beside, *DEFAULT_LIBRARIES):
            if os.path.isfile(candidate) and os.path.abspath(candidate) != os.path.abspath(script):
                return candidate
        return None

    def results(self) -> dict[str, FileResult]:
        """Each library loaded so far, judged as a file of its own."""
        return {path: cached[1] for path, cached in self._cache.items() if not isinstance(cached, SourceError)}

    def get(self, path: str) -> tuple[Library, FileResult]:
        """The parsed library and its own result; raises SourceError when unreadable."""
        if path not in self._cache:
            try:
                source = read_source(path)
                library = Library.load(path, source.data)
                self._cache[path] = (library, _judge(path, source.data, source.mode, library.tree, None,
                                                     self.settings))
            except SourceError as exc:
                self._cache[path] = exc
        cached = self._cache[path]
        if isinstance(cached, SourceError):
            raise cached
        return cached


EXIT_CODES = {COMPLIANT: 0, NOT_A_SCRIPT: 0, PATCHABLE: 1, NEEDS_WRAPPER: 1, UNPARSEABLE: 2, ERROR: 2}


def exit_code(results: Sequence[FileResult]) -> int:
    """0 nothing to change, 1 changes or violations, 2 a file could not be processed: the worst wins."""
    return max((EXIT_CODES[r.state] for r in results), default=0)


def process(path: str, settings: Settings, libraries: Libraries) -> FileResult:
    """Run the whole pipeline on PATH; every failure becomes a result, never an exception."""
    try:
        return _process(path, settings, libraries)
    except Exception as exc:  # pragma: no cover - the last line of defence, reported not raised
        return FileResult(path, ERROR, reason=f"internal error, please report it: {exc!r}")


def _process(path: str, settings: Settings, libraries: Libraries) -> FileResult:
    try:
        source = read_source(path)
    except SourceError as exc:
        return FileResult(path, ERROR, reason=str(exc))
    reason = not_a_script_reason(source.data)
    if reason is not None:
        return FileResult(path, NOT_A_SCRIPT, original=source.data, mode=source.mode, reason=reason)
    library_path = libraries.path_for(path)
    tree = parse(source.data)
    if library_path is None:
        return _judge(path, source.data, source.mode, tree, None, settings)
    try:
        library, library_result = libraries.get(library_path)
    except SourceError as exc:
        return FileResult(path, ERROR, original=source.data, mode=source.mode,
                          reason=f"functions library {library_path}: {exc}")
    return _judge(path, source.data, source.mode, tree, (library, library_result), settings)


def _judge(path: str, data: bytes, mode: int, tree: Tree, library: tuple[Library, FileResult] | None,
           settings: Settings) -> FileResult:
    scan = scan_tree(path, tree, library[0] if library else None)
    base = FileResult(path, COMPLIANT, scan.kind, original=data, mode=mode,
                      library=library[0].path if library else None, outputs=scan.outputs)
    if scan.error is not None:
        line, _ = line_col(data, scan.error)
        message = f"parse error on the status path at line {line}"
        return _replace(base, state=UNPARSEABLE, reason=message, findings=(
            Finding("HB050", scan.error, scan.error, message + ": fix the script by hand", "unknown", None, b""),))
    if scan.kind == "none":
        return _replace(base, state=NEEDS_WRAPPER, reason="no status operation found",
                        findings=(Finding("HB042", 0, 0, "no status operation found: needs a wrapper",
                                          "unknown", None, b"", (), True),))
    if scan.source_lines and library is None and scan.kind == "script":
        return _replace(base, state=ERROR, reason="sources a functions library that was not found: "
                        "give it with --functions")
    findings = findings_for(scan, path, settings)
    if library is not None and scan.kind == "script":
        findings += _rewire(scan, settings, library)
    if not any(o.role == "status" for o in scan.outputs) and not _calls_status(scan, library):
        findings.append(Finding("HB042", scan.entries[0].start, scan.entries[0].start,
                                "status path prints no state: needs a wrapper", "unknown", None, b"", (), True))
    return _plan(base, tuple(sorted(findings, key=lambda f: (f.start, f.rule))))


def _calls_status(scan: Scan, library: tuple[Library, FileResult] | None) -> bool:
    return library is not None and any(o.path == library[0].path and o.role == "status" for o in scan.outputs)


def _rewire(scan: Scan, settings: Settings, library: tuple[Library, FileResult]) -> list[Finding]:
    lib, result = library
    edits = [e for f in result.findings for e in f.edits]
    reached = [o for o in scan.outputs if o.path == lib.path and o.stream == "stdout"
               and any(o.line.start <= e.start <= o.line.end for e in edits)]
    if not reached:
        return []
    rules = sorted({f.rule for f in result.findings if f.edits})
    return rewire(scan, settings, lib.path, "breaks the contract (" + ", ".join(rules) + ")")


def _plan(base: FileResult, findings: tuple[Finding, ...]) -> FileResult:
    wrapper = [f for f in findings if f.wrapper]
    if wrapper:
        return _replace(base, state=NEEDS_WRAPPER, findings=findings, reason=wrapper[0].message)
    edits: list[Edit] = [e for f in findings for e in f.edits]
    if not edits:
        return _replace(base, findings=findings)
    try:
        patched = splice(base.original, edits)
        diff = unified_diff(base.original, patched, base.name, base.name)
        check_diff(diff)
    except (OverlapError, DiffError) as exc:
        return _replace(base, state=ERROR, findings=findings, reason=f"cannot patch: {exc}")
    return _replace(base, state=PATCHABLE, findings=findings, patched=patched, diff=diff,
                    rewired=any(f.rule == "HB030" for f in findings))


def _replace(result: FileResult, **changes: object) -> FileResult:
    return replace(result, **changes)  # type: ignore[arg-type]


__all__ = ["FileResult", "Libraries", "process", "RULES", "STATES"]
