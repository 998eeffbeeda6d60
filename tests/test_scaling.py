"""The pipeline's work grows linearly with a script's size, whatever grows in it.

Work is counted, not timed: the lines of Python code that run (sys.settrace line events:
ha-rewrite's and the standard library's, difflib's matching included), and the peak of the memory
Python allocates (tracemalloc), the same on every machine and under any load. A script of 4N units
must cost under 6 times one of N units (linear gives about 4; one loop over the units inside another
gives about 16). Loops inside tree-sitter, or in C behind one line (a tuple copied to grow by one),
add no lines: bench/run.py times large scripts.
"""
from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path
from types import FrameType
from typing import Any, Callable

import pytest

from rewrite import lsb, verify
from rewrite.pipeline import Libraries, process
from rewrite.transform import Settings
from shapes import FUNCTIONS, SHAPES, script


def _judged_library() -> Libraries:
    """The library the shapes source, judged already: its own judgement is not the script's work."""
    libraries = Libraries(explicit={"redhat": str(FUNCTIONS)})
    process(str(FUNCTIONS), Settings(), libraries)
    return libraries


def _work(path: Path) -> int:
    """Lines of Python run to take PATH through the whole pipeline (scan, plan, diff)."""
    libraries = _judged_library()
    results = []
    lines = _lines_run(lambda: results.append(process(str(path), Settings(), libraries)))
    assert results[0].state not in ("error", "unparseable"), (results[0].state, results[0].reason)
    return lines


def _lines_run(work: Callable[[], object]) -> int:
    """Lines of Python run by WORK()."""
    lines = 0

    def local(frame: FrameType, event: str, arg: Any) -> Callable[..., Any]:
        nonlocal lines
        lines += event == "line"
        return local

    previous = sys.gettrace()  # coverage's, under .ci/run: given back after
    sys.settrace(local)
    try:
        work()
    finally:
        sys.settrace(previous)
    return lines


def _peak(path: Path) -> int:
    """The most memory Python held at once (beyond what it held before) to take PATH through the pipeline."""
    libraries = _judged_library()
    tracemalloc.start()
    try:
        process(str(path), Settings(), libraries)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_memory_grows_linearly_with_the_script(shape: str, tmp_path: Path) -> None:
    small, large = tmp_path / "small", tmp_path / "large"
    small.write_text(script(shape, 250))  # larger than for the lines: a quadratic part shows late here
    large.write_text(script(shape, 1000))
    ratio = _peak(large) / _peak(small)
    assert ratio < 6, f"{shape}: 4 times the units hold {ratio:.1f} times the memory"


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_work_grows_linearly_with_the_script(shape: str, tmp_path: Path) -> None:
    small, large = tmp_path / "small", tmp_path / "large"
    small.write_text(script(shape, 60))
    large.write_text(script(shape, 240))
    ratio = _work(large) / _work(small)
    assert ratio < 6, f"{shape}: 4 times the units cost {ratio:.1f} times the work"


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_verify_preparation_grows_linearly_with_the_script(shape: str, tmp_path: Path) -> None:
    """What verify and its LSB checklist work out before running anything (the daemon, pid file,
    stubs, stand-ins, each action's lines) grows with the script as the pipeline does."""
    small, large = tmp_path / "small", tmp_path / "large"
    small.write_text(script(shape, 60))
    large.write_text(script(shape, 240))
    work = [_lines_run(lambda: lsb.prepare(str(path), library=str(FUNCTIONS))) for path in (small, large)]
    assert work[1] / work[0] < 6, f"{shape}: 4 times the units cost {work[1] / work[0]:.1f} times the work"


def test_verify_reads_a_library_sourced_many_times_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each `. functions` line read the library again and searched it for every stand-in (1,000
    functions each sourcing it: 10 s)."""
    path = tmp_path / "script"
    path.write_text(script("function_sources", 50))
    read: list[bytes] = []
    library_text = verify._library_text
    monkeypatch.setattr(verify, "_library_text", lambda value, binds: read.append(value) or library_text(value, binds))
    lsb.prepare(str(path), library=str(FUNCTIONS))
    assert read == [b"/etc/rc.d/init.d/functions"]
