"""parse.index and parse.commands_named find their nodes from tokens; a full tree-sitter query over
the tree, or a walk of every node, is the oracle."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import tree_sitter_bash
from hypothesis import HealthCheck, given, settings
from tree_sitter import Language, Node, Query, QueryCursor

from corpus_cases import INPUT, REPO
from rewrite.parse import command_name, commands_named, index, parse, walk
from strategies import Case, init_scripts

ORACLE = Query(Language(tree_sitter_bash.language()), """
(case_item) @case_item
(function_definition) @function_definition
((command name: (command_name (word) @_name)) @source (#any-of? @_name "." "source"))
""")
KINDS = ("case_item", "function_definition", "source")
NAMES = (b"status", b"status_of_proc", b"checkproc")  # commands_named's oracle: a walk of every node


def spans(nodes: list[Node]) -> list[tuple[int, int, str]]:
    return [(n.start_byte, n.end_byte, n.type) for n in nodes]


def assert_same_as_query(data: bytes) -> None:
    root = parse(data).root_node
    named = [n for n in walk(root) if n.type == "command" and (command_name(n) or b"").rsplit(b"/", 1)[-1] in NAMES]
    assert spans(commands_named(root, NAMES)) == spans(named)
    found = index(root).nodes
    expected = QueryCursor(ORACLE).captures(root)
    for kind in KINDS:
        wanted = sorted({(n.start_byte, n.end_byte, n.type) for n in expected.get(kind, [])},
                        key=lambda s: (s[0], -s[1]))
        assert spans(found[kind]) == wanted, kind


EDGES = {
    "function forms": b"function a { :; }\nfunction b() { :; }\nc ( ) { :; }\nd()\n{\n :\n}\ne () ( : )\n",
    "nested": b"main() {\n  f() { case $1 in status) g() { :; } ;; esac; }\n}\n",
    "source forms": b". /etc/rc.d/init.d/functions\nsource /lib/lsb/init-functions\nif . ./x; then :; fi\n"
                    b"{ . a; }\n( . b )\nx=$( . c )\ny=`. d`\n! . e\ntrue && . f || source g\n. \"$LIB\"\n"
                    b"FOO=1 . h\n.  i;. j\n",
    "look-alikes": b"# case function () . source\necho case function . source\nx=(a b)\ny=$((1+2))\n"
                   b"z=$(echo .)\n'.' a\n\".\" b\nsource=1\n./script\n..\n. \nsourced x\ncat a.b\n",
    "status arms": b"case \"$1\" in\n  start) : ;;\n  'status'|\"monitor\") : ;;\n  (stop) case $2 in x) : ;; esac ;;\n"
                   b"esac\n",
    "leading comments": b"\n\n# case\n  # function f() {\n\n. x\ncase a in b) : ;; esac\n",
    "broken": b"case $1 in\n status)\n  if [ x ]; then\n ;;\nesac\nf() {\n",
    "broken case": b"case $1 in status) echo ( ;; esac\ncase\n",
    "named commands": b"status httpd\n/sbin/checkproc -p x y; X=1 status_of_proc a b\n$(status z)\n`checkproc q`\n"
                      b"echo status; \"status\" a\nstatus.sh\nmystatus\nx/status y\n(status w)\n! status v|status u\n",
}


@pytest.mark.parametrize("name", sorted(EDGES))
def test_edge_cases(name: str) -> None:
    assert_same_as_query(EDGES[name])


CORPUS_FILES = sorted(p for p in (REPO / INPUT).rglob("*") if p.is_file())


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: str(p.relative_to(REPO / INPUT)))
def test_corpus(path: Path) -> None:
    assert_same_as_query(path.read_bytes())


NIGHTLY = os.environ.get("HA_REWRITE_HYPOTHESIS_PROFILE", "ci") == "nightly"  # as in test_properties.py


@settings(max_examples=5000 if NIGHTLY else 500, derandomize=not NIGHTLY, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(init_scripts())
def test_generated_scripts(case: Case) -> None:
    assert_same_as_query(case.script)
