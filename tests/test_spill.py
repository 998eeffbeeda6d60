"""The results a batch keeps to write are parked in a temporary file, not in memory, and come back whole."""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tracemalloc
from pathlib import Path

from corpus_cases import INPUT, REPO
from rewrite.cli import main
from rewrite.outputs import plan_outputs, planned
from rewrite.pipeline import FileResult, Libraries, process
from rewrite.spill import Spill
from rewrite.transform import Settings

FAMILY = REPO / INPUT / "redhat-2010"


def test_a_parked_result_holds_no_bytes_and_comes_back_whole():
    results = [process(str(p), Settings(), Libraries()) for p in sorted(FAMILY.iterdir())]
    results.append(FileResult("compliant", "compliant", original=b"#!/bin/sh\n"))  # nothing to write
    assert results[-1].patched is None and sum(1 for r in results if r.patched) > 3
    with Spill() as spill:
        parked = [spill.park(r) for r in results]
        assert all(p.original == b"" and p.diff == b"" and p.patched in (None, b"") for p in parked)
        assert [(p.patched is None) for p in parked] == [(r.patched is None) for r in results]
        assert [spill.restore(p) for p in reversed(parked)] == list(reversed(results))  # any order
        assert spill.restore(results[0]) is results[0]  # not parked: as it is
        with Spill() as other:
            assert other.restore(parked[0]) is parked[0]  # parked elsewhere: not this spill's to restore


def test_parked_results_plan_what_the_full_results_plan(tmp_path):
    """What patch writes and reviews is the same, read back from the spill or held in memory."""
    results = [process(str(p), Settings(), Libraries()) for p in sorted(FAMILY.iterdir())]
    libraries = {r.path: r for r in results if r.kind == "library"}
    written = [r for r in results if r.patched is not None and r.kind != "library"]
    with Spill() as spill:
        parked = [spill.park(r) for r in written]
        parked_libraries = {path: spill.park(r) for path, r in libraries.items()}
        staged = planned(plan_outputs(parked, str(tmp_path), parked_libraries), spill)
        whole = list(planned(plan_outputs(written, str(tmp_path), libraries)))
        assert list(staged) == whole and len(whole) > 3
        assert staged[1:3] == whole[1:3] and staged[-1] == whole[-1]


def _peak_of_patch(tmp_path: Path, copies: int) -> int:
    """The peak of Python memory in `patch` of COPIES of each redhat-2010 script, each under a name of
    its own (one --dest takes them all)."""
    inputs, dest = tmp_path / f"in-{copies}", tmp_path / f"dest-{copies}"
    inputs.mkdir()
    for k in range(copies):
        for script in sorted(FAMILY.iterdir()):
            if script.name != "functions":
                shutil.copy2(script, inputs / f"{script.name}-{k}")
    tracemalloc.start()
    try:
        code = main(["patch", "--quiet", "--jobs", "1", "--functions", str(FAMILY / "functions"), "--dest", str(dest),
                     str(inputs)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 1 and len(os.listdir(dest)) > 5 * copies
    return peak


def test_patch_memory_does_not_hold_the_files_it_will_write(tmp_path, capsys):
    """Python memory at its peak grows by what is kept of each file for the summary (about 2 KB), not
    by its bytes: the original, the patched copy and the diff wait in the spill until written."""
    results = [process(str(p), Settings(), Libraries()) for p in sorted(FAMILY.iterdir()) if p.name != "functions"]
    held = sum(len(r.original) + len(r.patched or b"") + len(r.diff) for r in results) / len(results)
    _peak_of_patch(tmp_path, 1)  # caches warmed: the parser, the templates, the imports
    few, many = _peak_of_patch(tmp_path, 2), _peak_of_patch(tmp_path, 12)
    assert (many - few) / (10 * len(results)) < held, (few, many, held)  # held in memory, they would add held
    capsys.readouterr()


def test_a_spill_that_cannot_be_written_is_one_line_and_nothing_is_written(tmp_path):
    """TMPDIR full (here: a file size limit, which the spill's file meets first): exit 2, one line, no traceback."""
    (tmp_path / "tmp").mkdir()

    def limited() -> None:  # pragma: no cover - runs in the child
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))

    run = subprocess.run([sys.executable, "-m", "rewrite.cli", "patch", "--quiet", "--dest", str(tmp_path / "dest"),
                          str(FAMILY)], capture_output=True, text=True, preexec_fn=limited,
                         env={**os.environ, "TMPDIR": str(tmp_path / "tmp")}, cwd=REPO)
    assert run.returncode == 2, run.stderr
    assert run.stderr.splitlines() == [f"ha-rewrite: cannot keep the outputs in a temporary file in {tmp_path / 'tmp'}"
                                       " (TMPDIR) until they are written: File too large"]
    assert not (tmp_path / "dest").exists() and os.listdir(tmp_path / "tmp") == []
