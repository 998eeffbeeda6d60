"""The pipeline's work grows linearly with a script's size, whatever grows in it.

Work is counted, not timed: the lines of the package's own code that run (sys.settrace line
events), the same on every machine and under any load. A script of 4N units must cost under 6
times one of N units (linear gives about 4; one loop over the units inside another gives about
16). Loops inside tree-sitter are not seen here: bench/run.py times large scripts for those.
"""
from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType
from typing import Any, Callable

import pytest

import rewrite
from rewrite.pipeline import Libraries, process
from rewrite.transform import Settings

REPO = Path(__file__).resolve().parent.parent
FUNCTIONS = REPO / "corpus" / "input" / "redhat-2010" / "functions"
PACKAGE = str(Path(rewrite.__file__).parent)
HEAD = "#!/bin/bash\n. /etc/rc.d/init.d/functions\n"


def _case(status: str, arms: str = "") -> str:
    return f'case "$1" in\n{arms}status)\n{status};;\nesac\n'


SHAPES: dict[str, Callable[[int], str]] = {
    # thousands of functions before the case (a generated script, a library given as input)
    "functions": lambda n: "".join(f'h{i}() {{\n  if [ -f /x{i} ]; then echo "h {i}"; fi\n  return 0\n}}\n'
                                   for i in range(n)) + _case("status foo\n"),
    "function_sources": lambda n: "".join(f"h{i}() {{ . /etc/rc.d/init.d/functions; }}\n. /etc/rc.d/init.d/functions\n"
                                          for i in range(n)) + _case("status foo\n"),
    "arms": lambda n: _case("status foo\n", "".join(f'op{i}) echo "op {i}" ;;\n' for i in range(n))),
    "status_arms": lambda n: "".join(f'case "$1" in\nstatus{i}|status) echo "foo is stopped"; exit 3 ;;\nesac\n'
                                     for i in range(n)),
    # one long status branch: every output followed to the branch's end
    "echos": lambda n: _case("".join(f'  echo "line {i} is running"\n' for i in range(n))),
    "heredocs": lambda n: _case("".join(f"cat <<EOF\nfoo {i} is running\nEOF\n" for i in range(n))),
    "calls": lambda n: 'st() { echo "foo is running"; }\n' + _case("  st\n" * n),
    "library_calls": lambda n: _case("  status foo\n" * n),
    "assignments": lambda n: _case("".join(f"  rc{i}=$?\n" for i in range(n)) + '  echo "foo is running"\n  exit $rc0\n'),
    "elifs": lambda n: _case('  if [ "$x" = 0 ]; then echo running\n' + "".join(
        f'  elif [ "$x" = {i} ]; then echo "foo {i} is stopped"; exit 3\n' for i in range(1, n)) + "  fi\n"),
    "nested_ifs": lambda n: _case("if [ -f /x ]; then\n" * n + 'echo "foo is running"\n' + "fi\n" * n),
    "call_chain": lambda n: "".join(f"f{i}() {{ f{i + 1}; }}\n" for i in range(n))
    + f'f{n}() {{ echo "foo is running"; }}\n' + _case("f0\n"),
    "variables": lambda n: "".join(f"V{i}=/var/run/{i}\n" for i in range(n)) + _case("status -p $V1 foo\n"),
}


def _work(path: Path) -> int:
    """Lines of the package run to take PATH through the whole pipeline (scan, plan, diff)."""
    lines = 0

    def local(frame: FrameType, event: str, arg: Any) -> Callable[..., Any]:
        nonlocal lines
        lines += event == "line"
        return local

    def calls(frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        return local if frame.f_code.co_filename.startswith(PACKAGE) else None

    libraries = Libraries(explicit={"redhat": str(FUNCTIONS)})
    process(str(FUNCTIONS), Settings(), libraries)  # the library's own judgement is not the script's work
    previous = sys.gettrace()  # coverage's, under .ci/run: given back after
    sys.settrace(calls)
    try:
        result = process(str(path), Settings(), libraries)
    finally:
        sys.settrace(previous)
    assert result.state not in ("error", "unparseable"), (result.state, result.reason)
    return lines


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_work_grows_linearly_with_the_script(shape: str, tmp_path: Path) -> None:
    small, large = tmp_path / "small", tmp_path / "large"
    small.write_text(HEAD + SHAPES[shape](60))
    large.write_text(HEAD + SHAPES[shape](240))
    ratio = _work(large) / _work(small)
    assert ratio < 6, f"{shape}: 4 times the units cost {ratio:.1f} times the work"
