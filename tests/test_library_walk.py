"""scan.library_walk: a library function a script calls is walked and judged once per library,
stream and loop, and reused by every script that calls it. The oracle is the walk that follows the
call into the library's code inline, for each script anew."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import rewrite.scan
from corpus_cases import INPUT, REPO
from rewrite.families import BY_LIBRARY, REDHAT
from rewrite.library import Library
from rewrite.parse import parse
from rewrite.scan import Scan, scan_tree
from strategies import GENERATED, LIBRARIES, Case, init_scripts, library_name

# One Library per library a generated script sources, for the whole module, as one worker keeps
# it for a run: walks accumulate.
ERAS = {key: Library.load(f"/libraries/{key}/{library_name(key)}", data, BY_LIBRARY[library_name(key).encode()], None)
        for key, data in LIBRARIES.items()}


def inline(path: str, data: bytes, library: Library | None, monkeypatch: pytest.MonkeyPatch) -> Scan:
    """The oracle: the scan that walks every call into the library as part of the script's walk."""
    with monkeypatch.context() as patched:
        patched.setattr(rewrite.scan, "_entering", lambda library: None)
        return scan_tree(path, parse(data), library)


def assert_same_as_inline(path: str, data: bytes, library: Library | None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert scan_tree(path, parse(data), library) == inline(path, data, library, monkeypatch)


def corpus_scripts() -> list[tuple[Path, Path]]:
    """Every corpus script with a library beside it (the hand-written ones get the 2010 library)."""
    cases = []
    for family in sorted((REPO / INPUT).iterdir()):
        beside = [p for p in family.iterdir() if p.name.encode() in BY_LIBRARY]
        library = beside[0] if beside else REPO / INPUT / "redhat-2010" / "functions"
        cases += [(p, library) for p in sorted(family.iterdir()) if p.is_file() and p != library]
    return cases


LOADED: dict[Path, Library] = {}


@pytest.mark.parametrize(("script", "library_path"), corpus_scripts(),
                         ids=lambda p: str(p.relative_to(REPO / INPUT)) if p.name != "functions" else "")
def test_corpus(script: Path, library_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if library_path not in LOADED:
        data = library_path.read_bytes()
        LOADED[library_path] = Library.load(str(library_path), data, BY_LIBRARY[library_path.name.encode()], None)
    assert_same_as_inline(str(script), script.read_bytes(), LOADED[library_path], monkeypatch)


NIGHTLY = os.environ.get("HA_REWRITE_HYPOTHESIS_PROFILE", "ci") == "nightly"  # as in test_properties.py


@settings(max_examples=5000 if NIGHTLY else 500, derandomize=not NIGHTLY, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(case=init_scripts())
def test_generated_scripts(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    key = case.library_key()
    if case.library in GENERATED and key not in ERAS:  # a drawn library: loaded once too
        name = GENERATED[case.library]
        data = case.library_bytes() or b""
        ERAS[key] = Library.load(f"/libraries/{key}/{name}", data, BY_LIBRARY[name.encode()], None)
    library = ERAS[key] if key is not None else None
    assert_same_as_inline(case.name, case.script, library, monkeypatch)


SCRIPT = b"""#!/bin/bash
. /etc/rc.d/init.d/functions
case "$1" in
  status)
    %s
    ;;
esac
"""


def test_walked_once_per_stream_and_loop() -> None:
    library = Library.load("/etc/rc.d/init.d/functions", LIBRARIES["redhat-2010"], REDHAT, None)
    status = library.functions[b"status"]
    scan_tree("a", parse(SCRIPT % b"status httpd"), library)
    assert set(library.walks) == {(status, "stdout", False)}
    first = library.walks[status, "stdout", False]
    # Another script, the same call: the walk is reused as it is.
    again = scan_tree("b", parse(SCRIPT % b"status -p /var/run/x.pid x"), library)
    assert library.walks[status, "stdout", False] is first
    assert again.outputs == first.outputs
    # Another stream, or a loop, is another walk.
    scan_tree("c", parse(SCRIPT % b"status httpd >/dev/null; for p in a b; do status $p; done"), library)
    assert set(library.walks) == {(status, "stdout", False), (status, "null", False), (status, "stdout", True)}
    assert all(o.stream == "null" for o in library.walks[status, "null", False].outputs)
    assert all(o.in_loop for o in library.walks[status, "stdout", True].outputs)


def test_a_library_function_calling_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """bash would recurse; the walk goes into the function once, as the inline walk does."""
    data = b"status() {\n  echo \"$1 is running\"\n  [ -n \"$2\" ] && status \"$2\"\n}\n"
    library = Library.load("/etc/rc.d/init.d/functions", data, REDHAT, None)
    scan = scan_tree("a", parse(SCRIPT % b"status httpd"), library)
    assert [(o.text, o.role) for o in scan.outputs] == [(b'echo "$1 is running"', "status")]
    assert_same_as_inline("a", SCRIPT % b"status httpd", library, monkeypatch)


def test_a_list_printed_inside_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    """A library function whose own call prints in a loop prints a list, for every script calling it."""
    data = b'_one() {\n  echo "$1 is running"\n}\nstatus() {\n  for p in "$@"; do\n    _one "$p"\n  done\n}\n'
    library = Library.load("/etc/rc.d/init.d/functions", data, REDHAT, None)
    call = data.index(b'_one "$p"')
    for name in ("a", "b"):
        scan = scan_tree(name, parse(SCRIPT % b"status a b"), library)
        assert (call, call + len(b'_one "$p"')) in scan.lists
        assert_same_as_inline(name, SCRIPT % b"status a b", library, monkeypatch)


def test_a_parse_error_inside_the_library(monkeypatch: pytest.MonkeyPatch) -> None:
    """An error node on the library's status path is the script's scan error too, for every script."""
    data = b'status() {\n  if [ -f "$1" ]; then\n    echo "running" )\n  fi\n}\n'
    library = Library.load("/etc/rc.d/init.d/functions", data, REDHAT, None)
    for name in ("a", "b"):
        scan = scan_tree(name, parse(SCRIPT % b"status httpd"), library)
        assert scan.error is not None and data[scan.error:].startswith(b'echo "running" )')
        assert_same_as_inline(name, SCRIPT % b"status httpd", library, monkeypatch)


@pytest.mark.parametrize("library_body", [b'pidof "$1"', b":"], ids=["external", "silent"])
def test_a_script_function_calling_a_library_function_that_prints_nothing(
        library_body: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """The script's function prints only what the library function prints: not a state, here. So
    `echo running` after it is still the status line, and calling it in a loop prints no list."""
    library = Library.load("/etc/rc.d/init.d/functions", b"pidofproc() {\n  %s\n}\n" % library_body, REDHAT, None)
    for case in (b"check\n    echo running", b"for i in 1 2; do check; done\n    echo running"):
        script = (SCRIPT % case).replace(b"case ", b"check() { pidofproc x; }\ncase ", 1)
        scan = scan_tree("a", parse(script), library)
        assert [o.role for o in scan.outputs if o.text == b"echo running"] == ["status"]
        call = script.rfind(b"check")
        assert (call, call + len(b"check")) not in scan.lists
        assert_same_as_inline("a", script, library, monkeypatch)
