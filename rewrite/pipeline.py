"""One file end to end (read -> parse -> scan -> plan -> splice -> diff), as a value; never raises."""
from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from dataclasses import dataclass, field, replace

from tree_sitter import Node, Tree

from rewrite.diffs import DiffError, check_diff, check_name, new_file_diff, unified_diff
from rewrite.edits import Edit, OverlapError, compose, normalize, shift_back, splice
from rewrite.parse import line_col, parse
from rewrite.families import BY_LIBRARY, REDHAT, Family
from rewrite.manifest import ManifestError
from rewrite.manifest import load as load_manifest
from rewrite.library import Library
from rewrite.scan import Output, Prepared, Scan, SourceLine, prepare, scan_tree
from rewrite.walk import swallows_statements
from rewrite.source import (Source, SourceError, TooLarge, display, not_a_script_reason, read_source,
                           unrunnable_reason)
from rewrite.transform import RULES, Finding, Settings, findings_for, rewire
from rewrite.wrapper import lsb_codes, lsb_refusal, render_wrapper

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
    _inputs: set[str] = field(default_factory=set)  # those sourcing no other library: as inputs, judged the same

    def path_for(self, script: str, family: Family = REDHAT) -> str | None:
        """The option (--functions, --lsb-functions, --rc-status), else the library's file name
        beside the script (a destination written by `patch` re-scans against its own copies),
        else where the system keeps it."""
        if family.name in self.explicit:
            return self.explicit[family.name]
        def candidates() -> Iterator[str]:  # lazily: the manifest is read only when nothing is beside
            yield os.path.join(os.path.dirname(script), family.library)
            yield from _beside_original(script, family)
            yield from family.defaults

        for candidate in candidates():
            if os.path.isfile(candidate) and os.path.abspath(candidate) != os.path.abspath(script):
                return candidate
        return None

    def judged(self, path: str, data: bytes, settings: Settings) -> FileResult | None:
        """The library at PATH as `process` would judge it as an input, if it was judged already from
        the same DATA with the same SETTINGS (it sources no other library): no second parse."""
        cached = self._cache.get(path)
        if path not in self._inputs or settings != self.settings or isinstance(cached, SourceError) \
                or cached is None or cached[0].data != data:
            return None
        return cached[1]

    def results(self) -> dict[str, FileResult]:
        """Each library loaded so far, judged as a file of its own."""
        return {path: cached[1] for path, cached in self._cache.items() if not isinstance(cached, SourceError)}

    def get(self, path: str, family: Family = REDHAT,
            parsed: tuple[Source, Tree, Prepared] | None = None) -> tuple[Library, FileResult]:
        """The parsed library and its own result; raises SourceError when unreadable.

        PARSED: the file as the caller read, parsed and prepared it (an input that is a library).
        """
        if path not in self._cache:
            try:
                source = parsed[0] if parsed is not None else read_source(path)
                tree = parsed[1] if parsed is not None else parse(source.data)
                prepared = parsed[2] if parsed is not None else prepare(tree)
                library = Library.load(path, source.data, family, (tree, prepared.found))
                self._cache[path] = (library, _judge(path, source.data, source.mode, tree, None, self.settings,
                                                     prepared))
                if prepared.family is None:
                    self._inputs.add(path)
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
    except TooLarge as exc:  # a log, an image, a core dump: never a script
        return FileResult(path, NOT_A_SCRIPT, reason=str(exc))
    except SourceError as exc:
        return FileResult(path, ERROR, reason=str(exc))
    reason = not_a_script_reason(source.data)
    if reason is not None:
        return FileResult(path, NOT_A_SCRIPT, original=source.data, mode=source.mode, reason=reason)
    reason = unrunnable_reason(source.data)
    if reason is not None:  # a copy would not run either: no patch, no wrapper
        return FileResult(path, UNPARSEABLE, "script", (Finding("HB051", 0, 0, reason, "unknown", None, b""),),
                          original=source.data, mode=source.mode, reason=reason)
    as_library = BY_LIBRARY.get(os.fsencode(os.path.basename(path)))  # a name may be any bytes
    judged = libraries.judged(path, source.data, settings) if as_library is not None else None
    if judged is not None:  # a script run earlier loaded it: parsed once
        return judged
    tree = parse(source.data)
    prepared = prepare(tree)
    if prepared.family is None and as_library is not None and settings == libraries.settings:
        return libraries.get(path, as_library, (source, tree, prepared))[1]  # judged once, as input and library
    family, library_path = _library_for(path, prepared.lines, libraries)
    if library_path is None or family is None:
        return _judge(path, source.data, source.mode, tree, None, settings, prepared)
    try:
        library, library_result = libraries.get(library_path, family)
    except SourceError as exc:
        return FileResult(path, ERROR, original=source.data, mode=source.mode,
                          reason=f"{family.library} library {library_path}: {exc}")
    return _judge(path, source.data, source.mode, tree, (library, library_result), settings, prepared)


def _library_for(path: str, lines: Sequence[SourceLine], libraries: Libraries) -> tuple[Family | None, str | None]:
    """The family and library PATH is judged against: the first it sources that is found. A line that
    sources only a file a test finds (`[ -f FILE ] && . FILE`: a script for several distributions) is
    passed over when its library is not found, as the script passes over it; with none found, the
    first line's family and no library."""
    for line in lines:
        found = libraries.path_for(path, line.family)
        if found is not None or not line.guarded:
            return line.family, found
    return (lines[0].family, None) if lines else (None, None)


def _judge(path: str, data: bytes, mode: int, tree: Tree, library: tuple[Library, FileResult] | None,
           settings: Settings, prepared: Prepared | None = None) -> FileResult:
    assessed = _assess(path, data, mode, tree, library, settings, prepared)
    if assessed.state != COMPLIANT:
        return assessed
    return _lsb_wrap(_plan(_settle(assessed, library, settings), settings, tree), settings, tree)


def _assess(path: str, data: bytes, mode: int, tree: Tree, library: tuple[Library, FileResult] | None,
            settings: Settings, prepared: Prepared | None = None) -> FileResult:
    """Scan DATA and run the rules: COMPLIANT with the findings (edits not planned yet), or a final state."""
    scan = scan_tree(path, tree, library[0] if library else None, prepared)
    own_family = scan.library_family
    base = FileResult(path, COMPLIANT, scan.kind, original=data, mode=mode,
                      library=library[0].path if library else None, outputs=scan.outputs,
                      library_name=own_family.library if own_family is not None else
                      library[0].family.library if library else None)
    if scan.error is not None:
        message = _parse_error(data, tree, scan.error, scan.hidden)
        if scan.hidden and not data.startswith(b"#!"):  # C, JavaScript, Tcl... a walk or a list met
            return _replace(base, state=NOT_A_SCRIPT, reason=f"not shell: no #! line, and {message}")
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
    return _replace(base, findings=_in_order(findings))


def _parse_error(data: bytes, tree: Tree, offset: int, hidden: bool = False) -> str:
    """Why the file cannot be judged; HIDDEN: no status operation was found, and the error may hide one."""
    line, _ = line_col(data, offset)
    node: Node | None = tree.root_node.descendant_for_byte_range(offset, offset)
    while node is not None and node.start_byte == offset and not swallows_statements(node):
        node = node.parent
    if node is not None and node.start_byte == offset:
        last, _ = line_col(data, node.end_byte)
        return (f"lines {line}-{last} are misread as one `[ ... ]` test (tree-sitter-bash #316: a redirection "
                "between two tests); a `;` after the first test avoids it")
    if hidden:
        return f"parse error at line {line}, where a status operation may hide: none was found elsewhere"
    return f"parse error on the status path at line {line}"


def _in_order(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=lambda f: (f.start, f.rule)))


EXIT_CODE_RULES = ("HB060", "HB061", "HB062")
MAX_PASSES = 3  # plans of one file: the first, then re-plans on the patched bytes until nothing changes
# A plan made only of findings marked `settled` (edits that change no other line's verdict) is its
# own fixed point and needs no second pass: the library's source line naming the patched copy (HB030:
# the same functions run), an echo or printf running line becoming `echo "running"` (HB001, HB002:
# it still says running and still sets 0; a here-document becoming it is not settled: its exit code
# is judged for the first time), HB010's rewording of words inside a stopped message when they ask
# for the same exit code. The property "patching twice equals patching once" checks this.


def _settle(assessed: FileResult, library: tuple[Library, FileResult] | None, settings: Settings) -> FileResult:
    """Plan again on the patched bytes until the rules find nothing more to fix (see _fixed_point).

    When the copy cannot be read back (tree-sitter-bash #316 reads `cmd >&2` between two `[ ... ]`
    tests as part of the first test, hiding the statements in between from every later scan), the
    stderr fixes are planned again as groups, `{ cmd; } >&2`, which it reads right."""
    findings, readable = _fixed_point(assessed, assessed.findings, library, settings)
    if not readable and any(f.regrouped for f in assessed.findings):
        regrouped = tuple(f._replace(edits=f.regrouped) if f.regrouped else f for f in assessed.findings)
        again, readable = _fixed_point(assessed, regrouped, library, settings)
        findings = again if readable else findings
    return _replace(assessed, findings=findings)


def _fixed_point(assessed: FileResult, findings: tuple[Finding, ...], library: tuple[Library, FileResult] | None,
                 settings: Settings) -> tuple[tuple[Finding, ...], bool]:
    """FINDINGS' edits, with those later passes add, and whether the last copy scanned could be read.

    One fix can change what another line means: a library printer or a here-document becomes
    `echo "running"` (HB004, HB003) whose exit code HB060 must then check; a command sent to
    stderr (HB021) no longer sets the code a bare `exit` passes on (HB061); a changed exit code
    (HB060, HB062) changes the verdict on every other line ending in it. The findings of a later
    pass are carried back to the original's bytes and their edits composed with the earlier ones,
    so the result is still one set of edits on the original and one original -> final diff. When
    a later pass finds a line no edit can fix (a here-document saying `running` on what is now a
    stopped path), its finding is kept and the file needs a wrapper, as a second run would say. A
    pass whose copy cannot be read, or that undoes an earlier pass, is not taken."""
    seen = {assessed.original}
    for _ in range(MAX_PASSES - 1):
        edits = [e for f in findings for e in f.edits]
        if not edits or any(f.wrapper for f in findings) or all(f.settled for f in findings if f.edits):
            break
        try:
            patched = splice(assessed.original, edits)
        except OverlapError:
            break  # _plan reports it
        again = _assess(assessed.path, patched, assessed.mode, parse(patched), library, settings)
        if again.state == UNPARSEABLE:
            return findings, False
        more = [f for f in again.findings if f.edits or f.wrapper]
        if again.state != COMPLIANT or not more:
            break
        try:
            carried = _carry(assessed.original, findings, more)
        except OverlapError:
            break
        if any(f.wrapper for f in more):
            return carried, True  # the fixes leave a line no edit can fix: the file needs a wrapper
        seen.add(patched)
        if splice(assessed.original, [e for f in carried for e in f.edits]) in seen:
            break  # the fixes undo each other
        findings = carried
    return findings, True


def _carry(original: bytes, findings: tuple[Finding, ...], more: list[Finding]) -> tuple[Finding, ...]:
    """FINDINGS (on ORIGINAL) plus MORE (on the bytes FINDINGS' edits give): all on ORIGINAL, each
    finding holding the composed edits its own edits became part of."""
    done = normalize(e for f in findings for e in f.edits)
    composed = compose(original, done, [e for f in more for e in f.edits])
    moved = [f._replace(start=shift_back(done, f.start, False), end=shift_back(done, f.end, True)) for f in more]

    def holding(edits: tuple[Edit, ...], back: bool) -> tuple[Edit, ...]:
        spans = [(shift_back(done, e.start, False), shift_back(done, e.end, True)) if back else (e.start, e.end)
                 for e in edits]
        return tuple(c for c in composed if any(c.start <= s and e <= c.end for s, e in spans))

    return _in_order([f._replace(edits=holding(f.edits, False)) for f in findings]
                     + [f._replace(edits=holding(m.edits, True)) for f, m in zip(moved, more)])


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
    message = "breaks the contract (" + ", ".join(rules) + ")"
    copy = result.state == PATCHABLE and not result.wrapped  # else no patched copy will exist to source
    if not copy:
        blockers = sorted({f.rule for f in result.findings if f.wrapper}) or [result.state]
        message += " and has no patched copy (" + ", ".join(blockers) + ")"
    return rewire(scan, settings, lib.path, lib.family.library, message, copy=copy)


def _plan(base: FileResult, settings: Settings, tree: Tree) -> FileResult:
    findings = base.findings
    wrapper = [f for f in findings if f.wrapper]
    if wrapper:
        return _wrap(_replace(base, state=NEEDS_WRAPPER, findings=findings, reason=wrapper[0].message), settings,
                     tree)
    edits: list[Edit] = [e for f in findings for e in f.edits]
    if not edits:
        return _replace(base, findings=findings)
    try:
        patched = splice(base.original, edits)
        diff = _diff(base.original, patched, base.name, settings, edits)
    except (OverlapError, DiffError) as exc:
        return _replace(base, state=ERROR, findings=findings, reason=f"cannot patch: {exc}")
    return _replace(base, state=PATCHABLE, findings=findings, patched=patched, diff=diff,
                    rewired=any(f.rule == "HB030" for f in findings))


def _diff(old: bytes, new: bytes, name: str, settings: Settings, edits: list[Edit]) -> bytes:
    """The checked diff from OLD to NEW (EDITS make it); without settings.diffs only NAME is checked, b"" returned."""
    if not settings.diffs:
        check_name(name)
        return b""
    diff = unified_diff(old, new, name, name, changes=[(e.start, e.end, e.new) for e in normalize(edits)])
    check_diff(diff)
    return diff


def _wrap(result: FileResult, settings: Settings, tree: Tree) -> FileResult:
    """A script no edit can fix gets a wrapper answering status from its exit code, if they are LSB.
    TREE: the original's, parsed."""
    if result.kind != "script":
        return result
    refusal = None if settings.trust_exit_codes or settings.lsb_wrapper else \
        _shared_exit_refusal(result.findings) or lsb_refusal(result.outputs)
    if refusal is not None:
        return _replace(result, reason=f"{result.reason}; no wrapper: {refusal} (--trust-exit-codes wraps it anyway)")
    original = os.path.join(settings.original_dir, os.path.basename(result.path)) if settings.original_dir \
        else os.path.abspath(result.path)
    wrapper = render_wrapper(original, result.reason, settings.word, settings.lsb_wrapper, result.original,
                             lsb_codes(result.path, result.outputs), tree.root_node)
    diff = new_file_diff(wrapper, result.name) if settings.diffs else b""
    return _replace(result, patched=wrapper, diff=diff, wrapped=True)


def _shared_exit_refusal(findings: Sequence[Finding]) -> str | None:
    """A wrapper answers from the exit code: not when a status branch exits with a code no edit can fix."""
    if any(f.wrapper and f.rule in EXIT_CODE_RULES for f in findings):
        return "its status exit codes are wrong where no edit can fix them, and a wrapper answers from them"
    return None


def _lsb_wrap(result: FileResult, settings: Settings, tree: Tree) -> FileResult:
    """--lsb-wrapper: every script with a status operation is wrapped in LSB mode instead."""
    if not settings.lsb_wrapper or result.kind != "script" or result.state not in (COMPLIANT, PATCHABLE):
        return result
    judged = "its exit code" if lsb_codes(result.path, result.outputs) else "its words"
    reason = f"wrapped in LSB mode on request (--lsb-wrapper): status judged by {judged}, start and stop idempotent"
    return _wrap(_replace(result, reason=reason, patched=None, diff=b"", rewired=False), settings, tree)


def _replace(result: FileResult, **changes: object) -> FileResult:
    return replace(result, **changes)  # type: ignore[arg-type]


__all__ = ["FileResult", "Libraries", "process", "RULES", "STATES"]
