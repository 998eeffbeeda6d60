"""One file end to end (read -> parse -> scan -> plan -> splice -> diff), as a value; never raises."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from dataclasses import dataclass, field, replace

from tree_sitter import Tree

from rewrite.diffs import DiffError, check_diff, new_file_diff, unified_diff
from rewrite.edits import Edit, OverlapError, splice
from rewrite.parse import line_col, parse
from rewrite.families import REDHAT, Family
from rewrite.manifest import ManifestError
from rewrite.manifest import load as load_manifest
from rewrite.scan import Library, Output, Prepared, Scan, prepare, scan_tree
from rewrite.source import SourceError, display, not_a_script_reason, read_source
from rewrite.transform import RULES, Finding, Settings, findings_for, rewire
from rewrite.wrapper import lsb_refusal, render_wrapper

COMPLIANT = "compliant"
PATCHABLE = "patchable"
NEEDS_WRAPPER = "needs-wrapper"
UNPARSEABLE = "unparseable"
NOT_A_SCRIPT = "not-a-script"
ERROR = "error"
STATES = (COMPLIANT, PATCHABLE, NEEDS_WRAPPER, UNPARSEABLE, NOT_A_SCRIPT, ERROR)


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
    library_name: str | None = None  # the library's file name (`functions`, `init-functions`, ...)
    wrapped: bool = False  # `patched` is a wrapper around the original, not an edited copy

    @property
    def name(self) -> str:
        """The output's file name: a library copy keeps its family's name, a script its own."""
        return self.library_name or "functions" if self.kind == "library" else os.path.basename(self.path)


@dataclass
class Libraries:
    """Function libraries, each parsed and judged once per run."""

    explicit: dict[str, str] = field(default_factory=dict)  # family name -> library given by option
    settings: Settings = field(default_factory=Settings)
    _cache: dict[str, tuple[Library, FileResult] | SourceError] = field(default_factory=dict)

    def path_for(self, script: str, family: Family = REDHAT) -> str | None:
        """The option (--functions, --lsb-functions, --rc-status), else the library's file name
        beside the script (a destination written by `patch` re-scans against its own copies),
        else where the system keeps it."""
        if family.name in self.explicit:
            return self.explicit[family.name]
        beside = os.path.join(os.path.dirname(script), family.library)
        for candidate in (beside, *_beside_original(script, family), *family.defaults):
            if os.path.isfile(candidate) and os.path.abspath(candidate) != os.path.abspath(script):
                return candidate
        return None

    def results(self) -> dict[str, FileResult]:
        """Each library loaded so far, judged as a file of its own."""
        return {path: cached[1] for path, cached in self._cache.items() if not isinstance(cached, SourceError)}

    def get(self, path: str, family: Family = REDHAT) -> tuple[Library, FileResult]:
        """The parsed library and its own result; raises SourceError when unreadable."""
        if path not in self._cache:
            try:
                source = read_source(path)
                library = Library.load(path, source.data, family)
                self._cache[path] = (library, _judge(path, source.data, source.mode, library.tree, None,
                                                     self.settings))
            except SourceError as exc:
                self._cache[path] = exc
        cached = self._cache[path]
        if isinstance(cached, SourceError):
            raise cached
        return cached


def _beside_original(script: str, family: Family) -> list[str]:
    """For a script `patch` wrote: the library beside its original, found through the manifest."""
    try:
        entry = load_manifest(Path(script).parent).get(os.path.basename(script))
    except ManifestError:
        return []
    return [os.path.join(os.path.dirname(entry.source), family.library)] if entry is not None else []


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
    tree = parse(source.data)
    prepared = prepare(tree)
    family = prepared.family
    library_path = libraries.path_for(path, family) if family is not None else None
    if library_path is None or family is None:
        return _judge(path, source.data, source.mode, tree, None, settings, prepared)
    try:
        library, library_result = libraries.get(library_path, family)
    except SourceError as exc:
        return FileResult(path, ERROR, original=source.data, mode=source.mode,
                          reason=f"{family.library} library {library_path}: {exc}")
    return _judge(path, source.data, source.mode, tree, (library, library_result), settings, prepared)


def _judge(path: str, data: bytes, mode: int, tree: Tree, library: tuple[Library, FileResult] | None,
           settings: Settings, prepared: Prepared | None = None) -> FileResult:
    scan = scan_tree(path, tree, library[0] if library else None, prepared)
    own_family = scan.library_family
    base = FileResult(path, COMPLIANT, scan.kind, original=data, mode=mode,
                      library=library[0].path if library else None, outputs=scan.outputs,
                      library_name=own_family.library if own_family is not None else
                      library[0].family.library if library else None)
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
        family = scan.source_lines[0].family
        return _replace(base, state=ERROR, reason=f"sources {display(scan.source_lines[0].value)}, which was not "
                        f"found: give the {family.library} library with {family.option}")
    findings = findings_for(scan, path, settings)
    if library is not None and scan.kind == "script":
        findings += _rewire(scan, settings, library)
    if scan.kind == "script" and not any(o.role == "status" for o in scan.outputs) \
            and not _calls_status(scan, library):
        findings.append(Finding("HB042", scan.entries[0].start, scan.entries[0].start,
                                "status path prints no state: needs a wrapper", "unknown", None, b"", (), True))
    return _lsb_wrap(_plan(base, tuple(sorted(findings, key=lambda f: (f.start, f.rule))), settings), settings)


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
    return rewire(scan, settings, lib.path, lib.family.library, "breaks the contract (" + ", ".join(rules) + ")")


def _plan(base: FileResult, findings: tuple[Finding, ...], settings: Settings) -> FileResult:
    wrapper = [f for f in findings if f.wrapper]
    if wrapper:
        return _wrap(_replace(base, state=NEEDS_WRAPPER, findings=findings, reason=wrapper[0].message), settings)
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


def _wrap(result: FileResult, settings: Settings) -> FileResult:
    """A script no edit can fix gets a wrapper answering status from its exit code, if they are LSB."""
    if result.kind != "script":
        return result
    refusal = None if settings.trust_exit_codes or settings.lsb_wrapper else lsb_refusal(result.outputs)
    if refusal is not None:
        return _replace(result, reason=f"{result.reason}; no wrapper: {refusal} (--trust-exit-codes wraps it anyway)")
    original = os.path.join(settings.original_dir, os.path.basename(result.path)) if settings.original_dir \
        else os.path.abspath(result.path)
    wrapper = render_wrapper(original, result.reason, settings.word, settings.lsb_wrapper, result.original)
    return _replace(result, patched=wrapper, diff=new_file_diff(wrapper, result.name), wrapped=True)


def _lsb_wrap(result: FileResult, settings: Settings) -> FileResult:
    """--lsb-wrapper: every script with a status operation is wrapped in LSB mode instead."""
    if not settings.lsb_wrapper or result.kind != "script" or result.state not in (COMPLIANT, PATCHABLE):
        return result
    reason = "wrapped in LSB mode on request (--lsb-wrapper): status judged by its words, start and stop idempotent"
    return _wrap(_replace(result, reason=reason, patched=None, diff=b"", rewired=False), settings)


def _replace(result: FileResult, **changes: object) -> FileResult:
    return replace(result, **changes)  # type: ignore[arg-type]


__all__ = ["FileResult", "Libraries", "process", "RULES", "STATES"]
