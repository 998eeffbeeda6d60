"""Scripts that grow in one dimension (functions, case arms, lines of one status branch, ...), for
tests/test_scaling.py, which counts the work they cost, and bench/run.py, which times it."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

FUNCTIONS = Path(__file__).resolve().parent.parent / "corpus" / "input" / "redhat-2010" / "functions"
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
    # one edit each: a translated running line (HB001, HB002), a stopped message reworded (HB010),
    # a banner sent to stderr (HB020, which a second pass over the patched copy then judges)
    "running_lines": lambda n: _case('  if [ "$x" = 0 ]; then echo "foo is stopped"; exit 3\n' + "".join(
        f'  elif [ "$x" = {i} ]; then echo $"foo (pid $pid) is running..."; exit 0\n' for i in range(1, n))
        + "  fi\n"),
    "stopped_words": lambda n: _case('  if [ "$x" = 0 ]; then echo running; exit 0\n' + "".join(
        f'  elif [ "$x" = {i} ]; then echo "foo {i} is not running"; exit 3\n' for i in range(1, n)) + "  fi\n"),
    "banners": lambda n: _case("".join(f'  echo "checking part {i}"\n' for i in range(n)) + "  status foo\n"),
    # two edits with many identical lines between them: the diff matches only the lines edits touch
    "repeated_lines": lambda n: _case('  if [ -f /x ]; then\n    echo $"foo (pid $pid) is running..."\n    exit 0\n'
                                      "  fi\n" + "  :\n" * n + '  echo $"foo is not running"\n  exit 3\n'),
    # one command of many words
    "words": lambda n: _case("  echo " + " ".join(f"w{i}" for i in range(n)) + " is running\n"),
    "printf_args": lambda n: _case('  printf "' + "%s " * n + 'is running\\n" ' + " ".join(f"w{i}" for i in range(n))
                                   + "\n"),
    # each `not` starts a `not.*running` search
    "negations": lambda n: _case('  echo "foo is ' + "not " * n + 'there"\n  exit 3\n'),
    "calls": lambda n: 'st() { echo "foo is running"; }\n' + _case("  st\n" * n),
    "library_calls": lambda n: _case("  status foo\n" * n),
    "assignments": lambda n: _case("".join(f"  rc{i}=$?\n" for i in range(n))
                                   + '  echo "foo is running"\n  exit $rc0\n'),
    "elifs": lambda n: _case('  if [ "$x" = 0 ]; then echo running\n' + "".join(
        f'  elif [ "$x" = {i} ]; then echo "foo {i} is stopped"; exit 3\n' for i in range(1, n)) + "  fi\n"),
    "nested_ifs": lambda n: _case("if [ -f /x ]; then\n" * n + 'echo "foo is running"\n' + "fi\n" * n),
    "call_chain": lambda n: "".join(f"f{i}() {{ f{i + 1}; }}\n" for i in range(n))
    + f'f{n}() {{ echo "foo is running"; }}\n' + _case("f0\n"),
    "variables": lambda n: "".join(f"V{i}=/var/run/{i}\n" for i in range(n)) + _case("status -p $V1 foo\n"),
}


def script(shape: str, units: int) -> str:
    """The script of SHAPE with UNITS of what grows in it; it sources FUNCTIONS' library."""
    return HEAD + SHAPES[shape](units)
