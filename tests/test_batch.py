"""The batch runner over a mixed tree: classification, input order, jobs 1 == jobs 4, what is kept."""
from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import os
import shutil
import tracemalloc
from pathlib import Path

import pytest

from corpus_cases import INPUT, REPO
from rewrite import batch, pipeline
from rewrite import library as library_module
from rewrite.batch import KEEP_ALL, KEEP_NONE, KEEP_WRITABLE, Done, Job, Worker, chunk_size, run
from rewrite.cli import main
from rewrite.inputs import expand
from rewrite.outputs import Conflict, plan_outputs
from rewrite.pipeline import Libraries, process
from rewrite.report import batch_summary, json_report, render, summary, text_report
from rewrite.transform import Settings
from samples import COMPLIANT

CORPUS = REPO / INPUT
SELF_MADE = b"""#!/bin/sh
case "$1" in
  status)
    if [ -f /run/app.pid ]; then echo "app is running"; exit 0; fi
    echo "app is not running"; exit 3 ;;
esac
"""
NO_STATUS = b"#!/bin/sh\ncase \"$1\" in\n  start) /usr/sbin/appd ;;\nesac\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4

# The mixed tree: each file's name and the state the batch must give it.
MIXED_STATES = {
    "a/app": "patchable",  # a/app and b/app both patchable: the same output name, a conflict for patch
    "b/app": "patchable",
    "bin/appd": "not-a-script",  # an ELF binary
    "dangling": "error",  # a symbolic link to nothing: unreadable
    "empty": "not-a-script",
    "fifo": "error",  # unreadable: a FIFO is not a regular file (tests run as root: chmod 000 reads fine)
    "functions": "patchable",  # the library, found beside the scripts
    "httpd": "patchable",  # rewired to the patched library
    "httpd.rpmnew": "not-a-script",  # a shell script, skipped by its name unread
    "httpd~": "not-a-script",
    "loop": "error",  # a symbolic link to the tree itself
    "nfs": "needs-wrapper",
    "nostatus": "needs-wrapper",
    "ok": "compliant",
    "perl-script": "not-a-script",
    "unterminated": "unparseable",
}


def build_mixed(root: Path) -> Path:
    """A tree with scripts of every state, non-scripts, a binary, a symlink loop, unreadable files."""
    for sub in ("a", "b", "bin"):
        (root / sub).mkdir(parents=True)
    rh2010 = CORPUS / "redhat-2010"
    for name in ("functions", "httpd", "nfs"):
        shutil.copy(rh2010 / name, root / name)
    shutil.copy(rh2010 / "httpd", root / "httpd.rpmnew")
    shutil.copy(rh2010 / "httpd", root / "httpd~")
    for name in ("unterminated", "perl-script", "empty"):
        shutil.copy(CORPUS / "broken" / name, root / name)
    for name, data in (("a/app", SELF_MADE), ("b/app", SELF_MADE), ("ok", COMPLIANT), ("nostatus", NO_STATUS),
                       ("bin/appd", ELF)):
        (root / name).write_bytes(data)
    os.mkfifo(root / "fifo")
    (root / "dangling").symlink_to("nowhere")
    (root / "loop").symlink_to(".")
    return root


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_mixed(tmp_path_factory.mktemp("mixed"))


def _states(done: list[Done], root: Path) -> dict[str, str]:
    return {os.path.relpath(d.summary.path, root): d.summary.state for d in done}


@pytest.mark.parametrize("jobs", (1, 4))
def test_mixed_tree_classification(mixed, jobs):
    done = list(run(expand([str(mixed)]), Settings(), jobs=jobs))
    assert _states(done, mixed) == MIXED_STATES
    assert [d.index for d in done] == list(range(len(MIXED_STATES)))
    reasons = {os.path.relpath(d.summary.path, mixed): d.summary.reason for d in done}
    assert (reasons["fifo"], reasons["dangling"], reasons["loop"]) == (
        "not a regular file", "No such file or directory",
        "symbolic link loop: leads back into a directory being walked")
    assert (reasons["bin/appd"], reasons["httpd~"]) == ("binary file", "editor backup (*~)")
    summaries = [d.summary for d in done]
    assert batch.exit_code(summaries) == 2
    assert summary(summaries) == ("16 files: 1 compliant, 4 patchable, 2 needs-wrapper, 1 unparseable, "
                                  "5 not-a-script, 3 error")


def test_mixed_tree_name_conflict_is_found_before_writing(mixed, tmp_path):
    settings = Settings()
    done = list(run(expand([str(mixed)]), settings, jobs=2, keep=KEEP_WRITABLE))
    kept = [d.result for d in done if d.result is not None]
    assert sorted(os.path.relpath(r.path, mixed) for r in kept) == ["a/app", "b/app", "functions", "httpd", "nfs"]
    libraries = {d.library.path: d.library for d in done if d.library is not None}
    assert list(libraries) == [str(mixed / "functions")]
    with pytest.raises(Conflict, match=r"app: both .*/a/app and .*/b/app would be written there"):
        plan_outputs(kept, str(tmp_path / "dest"), libraries)
    assert not (tmp_path / "dest").exists()
    without_b = [r for r in kept if not r.path.endswith("b/app")]
    assert [o.name for o in plan_outputs(without_b, str(tmp_path / "dest"), libraries)] == [
        "functions", "app", "httpd", "nfs"]  # nfs: a wrapper


@pytest.mark.parametrize("tree", ("mixed", "corpus"))
def test_jobs_1_and_jobs_4_agree(mixed, tree):
    inputs = expand([str(mixed) if tree == "mixed" else str(CORPUS)])
    one = list(run(inputs, Settings(), jobs=1, keep=KEEP_ALL))
    four = list(run(inputs, Settings(), jobs=4, keep=KEEP_ALL))
    assert [d.result for d in one] == [d.result for d in four]
    assert json_report([d.summary for d in one]) == json_report([d.summary for d in four])
    assert [(d.summary.path, d.summary.record_json, d.summary.diff) for d in one] == [
        (d.summary.path, d.summary.record_json, d.summary.diff) for d in four]


def test_batch_matches_the_pipeline_file_by_file():
    inputs = expand([str(CORPUS / "redhat-2010")])
    libraries = Libraries()
    expected = [process(i.path, Settings(), libraries) for i in inputs]
    assert [d.result for d in run(inputs, Settings(), jobs=2, keep=KEEP_ALL)] == expected
    assert json_report([d.summary for d in run(inputs, Settings(), jobs=2)]) == json_report(expected)


@pytest.mark.parametrize("jobs", (1, 3))
def test_keep(mixed, jobs):
    inputs = expand([str(mixed)])
    assert all(d.result is None for d in run(inputs, Settings(), jobs=jobs, keep=KEEP_NONE))
    writable = [d for d in run(inputs, Settings(), jobs=jobs, keep=KEEP_WRITABLE) if d.result is not None]
    assert [os.path.relpath(d.summary.path, mixed) for d in writable] == ["a/app", "b/app", "functions", "httpd", "nfs"]
    assert all(d.result is not None and d.result.patched for d in writable)
    assert [d.summary.state for d in writable][-1] == "needs-wrapper"  # written as a wrapper


def test_summaries_hold_no_file_bytes_but_keep_positions(mixed):
    (done,) = run(expand([str(mixed / "httpd")]), Settings())
    assert done.result is None
    record = done.summary.record
    assert record["findings"][0]["line"] > 1 and record["state"] == "patchable"
    assert done.summary.diff.startswith(b"--- a/httpd\n") and done.summary.seconds > 0
    assert done.summary.name == "httpd" and done.summary.rewired


@pytest.mark.parametrize("jobs", (1, 2))
def test_progress_is_called_once_per_file(mixed, jobs):
    calls: list[tuple[int, int]] = []
    inputs = expand([str(mixed)])
    list(run(inputs, Settings(), jobs=jobs, progress=lambda done, total: calls.append((done, total))))
    assert calls == [(n, len(inputs)) for n in range(1, len(inputs) + 1)]


def test_closing_early_stops_the_pool(mixed):
    results = run(expand([str(CORPUS)]), Settings(), jobs=2)
    first = next(results)
    results.close()
    assert first.index == 0


def test_closing_early_kills_no_worker(monkeypatch):
    """A worker killed while it sends a result keeps the result queue's lock, and Pool.terminate()
    then waits for it for ever (it hung 2 runs in 3 of 1,000 early closes on a busy machine): the
    workers skip what is left instead, and every one has exited when close() returns."""
    killed = []
    monkeypatch.setattr(multiprocessing.pool.Pool, "terminate", lambda pool: killed.append(pool))
    results = run(expand([str(CORPUS)]) * 4, Settings(), jobs=2)
    next(results)
    results.close()
    assert killed == [] and multiprocessing.active_children() == []


def test_no_inputs():
    assert list(run([], Settings(), jobs=4)) == []
    assert batch.exit_code([]) == 0


def test_unknown_keep_is_refused():
    with pytest.raises(ValueError, match="keep must be one of"):
        list(run([], Settings(), keep="bytes"))


def test_explicit_functions_reach_the_workers(tmp_path):
    """--functions FILE is used by every worker: hand-written scripts judged against the 2010 library."""
    inputs = expand([str(CORPUS / "handmade")])
    functions = str(CORPUS / "redhat-2010/functions")
    serial = [d.summary for d in run(inputs, Settings(), {"redhat": functions}, jobs=1)]
    pooled = [d.summary for d in run(inputs, Settings(), {"redhat": functions}, jobs=2)]
    assert [s.record_json for s in pooled] == [s.record_json for s in serial]
    assert {s.library for s in pooled} == {functions, None}  # None: scripts that source no library
    legacyd = next(s for s in pooled if s.path.endswith("legacyd"))
    assert (legacyd.library, legacyd.state) == (functions, "patchable")


@pytest.mark.parametrize(("total", "workers", "size"), ((1, 4, 1), (100, 2, 6), (10_000, 2, 64), (10_000, 64, 19)))
def test_chunk_size(total, workers, size):
    assert chunk_size(total, workers) == size


def test_default_jobs():
    assert 1 <= batch.default_jobs() <= (os.cpu_count() or 1)


def test_one_decides_classified_inputs_without_reading(tmp_path):
    worker = Worker(Job(Settings(), (), KEEP_ALL))
    done = worker(7, expand([str(tmp_path / "x~")])[0])
    assert done.index == 7 and done.summary.state == "error"  # missing: stat comes before the name
    (tmp_path / "x~").write_bytes(b"")
    done = worker(0, expand([str(tmp_path / "x~")])[0])
    assert (done.summary.state, done.summary.reason) == ("not-a-script", "editor backup (*~)")


def test_batch_summary_of_the_mixed_tree(mixed):
    summaries = [d.summary for d in run(expand([str(mixed)]), Settings(), jobs=2)]
    lines = batch_summary(summaries, written=True, slowest=3).splitlines()
    assert lines[:7] == ["16 files", "       1 compliant", "       4 patched", "       2 needs-wrapper",
                         "       1 unparseable", "       5 not-a-script", "       3 error"]
    assert lines[7] == "slowest:" and len(lines) == 11


def test_library_cache_is_bounded(tmp_path):
    """A fleet's corpus has a library beside every directory: the cache is renewed, results stay the same."""
    for n in range(batch.LIBRARY_CACHE + 3):
        (tmp_path / f"host{n:02d}").mkdir()
        shutil.copy(CORPUS / "redhat-2010/functions", tmp_path / f"host{n:02d}/functions")
        shutil.copy(CORPUS / "redhat-2010/httpd", tmp_path / f"host{n:02d}/httpd")
    worker = Worker(Job(Settings(), (), KEEP_NONE))
    sizes = []
    for n, item in enumerate(expand([str(tmp_path)])):  # host00/functions, host00/httpd, host01/functions, ...
        worker(n, item)
        sizes.append(len(worker.libraries.results()))
    # an input that is a library is judged once, for itself and for the scripts beside it
    assert sizes[:4] == [1, 1, 2, 2] and max(sizes) == batch.LIBRARY_CACHE and sizes[-1] == 4
    summaries = [d.summary for d in run(expand([str(tmp_path)]), Settings(), jobs=1)]
    assert [s.state for s in summaries] == ["patchable"] * len(summaries)
    assert [s.library for s in summaries if s.name == "httpd"] == [
        str(tmp_path / f"host{n:02d}/functions") for n in range(batch.LIBRARY_CACHE + 3)]


def test_a_library_input_is_judged_the_same_before_or_after_its_scripts(tmp_path):
    """The library given as input shares its parse with the scripts that load it, whichever comes first."""
    for name in ("functions", "httpd", "named"):
        shutil.copy(CORPUS / "redhat-2004" / name, tmp_path / name)
    paths = [str(tmp_path / name) for name in ("functions", "httpd", "named")]
    first = [process(p, Settings(), Libraries()) for p in paths]
    shared = Libraries()
    last = [process(p, Settings(), shared) for p in reversed(paths)][::-1]
    assert first == last
    assert first[0].kind == "library" and first[0].state == "patchable" and first[1].library == paths[0]
    assert shared.results()[paths[0]] is last[0]


def test_a_library_input_judged_already_is_not_parsed_again(tmp_path, monkeypatch):
    """Scripts sort before `functions`: the input reuses the judgement their loading made, unless
    its bytes are not those judged (changed since) or the settings differ."""
    for name in ("functions", "httpd", "named"):
        shutil.copy(CORPUS / "redhat-2004" / name, tmp_path / name)
    parsed: list[bytes] = []
    real = pipeline.parse
    for module in (pipeline, library_module):
        monkeypatch.setattr(module, "parse", lambda data: parsed.append(data) or real(data))
    libraries = Libraries()
    httpd, named, functions = (process(str(tmp_path / name), Settings(), libraries)
                               for name in ("httpd", "named", "functions"))
    library = (tmp_path / "functions").read_bytes()
    assert parsed.count(library) == 1 and functions.kind == "library" and functions.state == "patchable"
    assert functions is libraries.results()[str(tmp_path / "functions")] and httpd.library == named.library
    assert process(str(tmp_path / "functions"), Settings(b"OK"), libraries).findings != functions.findings
    assert parsed.count(library) == 2  # judged again with the other word
    (tmp_path / "functions").write_bytes(library + b"\n")
    again = process(str(tmp_path / "functions"), Settings(), libraries)
    assert parsed[-1] == library + b"\n" and again.state == "patchable"


def test_interrupt_stops_the_workers():
    """Ctrl-C in the parent (here: raised from the progress hook) leaves no worker behind."""

    def interrupt(done: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        list(run(expand([str(CORPUS)]), Settings(), jobs=2, progress=interrupt))
    assert multiprocessing.active_children() == []


def test_libraries_come_back_from_the_workers(tmp_path):
    """Each rewired script's library comes back once per worker, a Debian one loaded as Debian."""
    done = list(run(expand([str(CORPUS / "debian"), str(CORPUS / "redhat-2010")]), Settings(), jobs=2,
                    keep=KEEP_WRITABLE))
    libraries = {d.library.path: d.library for d in done if d.library is not None}
    assert {name: result.name for name, result in libraries.items()} == {
        str(CORPUS / "debian/init-functions"): "init-functions", str(CORPUS / "redhat-2010/functions"): "functions"}
    kept = [d.result for d in done if d.result is not None and "debian" in d.result.path]
    names = [o.name for o in plan_outputs(kept, str(tmp_path), libraries)]
    assert names[0] == "init-functions" and len(names) == len(set(names))


def test_writable_results_plan_the_same_outputs(tmp_path):
    """KEEP_WRITABLE drops findings and outputs; what patch writes and reviews is unchanged."""
    from rewrite.outputs import planned

    inputs = expand([str(CORPUS / "redhat-2010"), str(CORPUS / "wrappers")])

    def plan(keep: str) -> list:
        done = list(run(inputs, Settings(), jobs=2, keep=keep))
        libraries = {d.library.path: d.library for d in done if d.library is not None}
        written = [d.result for d in done if d.result is not None and d.result.patched is not None]
        return list(planned(plan_outputs(written, str(tmp_path), libraries)))

    slim = plan(KEEP_WRITABLE)
    assert slim == plan(KEEP_ALL) and len(slim) > 10
    kept = [d.result for d in run(inputs, Settings(), jobs=1, keep=KEEP_WRITABLE) if d.result is not None]
    assert all(r.findings == () and r.outputs == () and r.patched for r in kept)


@pytest.mark.parametrize("jobs", (1, 2))
def test_summaries_without_outputs_keep_everything_else(mixed, jobs):
    """A run that renders no JSON keeps each file's record without the outputs on its status path
    (two thirds of it): the text, HTML and Markdown reports are the same, and JSON is refused."""
    inputs = expand([str(mixed)])
    full = [d.summary for d in run(inputs, Settings(), jobs=jobs)]
    slim = [d.summary for d in run(inputs, Settings(), jobs=jobs, outputs=False)]
    assert [{k: v for k, v in s.record.items() if k != "outputs"} for s in full] == [s.record for s in slim]
    assert any(s.record["outputs"] for s in full) and all("outputs" not in s.record for s in slim)
    assert sum(map(len, (s.record_json for s in slim))) < sum(map(len, (s.record_json for s in full))) / 2
    assert text_report(slim) == text_report(full)
    assert "".join(render(slim, "html")) == "".join(render(full, "html"))
    with pytest.raises(ValueError, match="summarized without its outputs"):
        json_report(slim)


def _scan_peak(root: Path, copies: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """The most memory Python holds at once while `scan --jobs 1` runs over COPIES of redhat-2010/httpd
    (beside their library), its output sent to /dev/null."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    shutil.copy(CORPUS / "redhat-2010/functions", root / "functions")
    data = (CORPUS / "redhat-2010/httpd").read_bytes()
    for i in range(copies):
        (root / f"httpd{i:05d}").write_bytes(data)
    with open(os.devnull, "w") as devnull:
        monkeypatch.setattr("sys.stdout", devnull)
        monkeypatch.setattr("sys.stderr", devnull)
        tracemalloc.start()
        try:
            assert main(["scan", "--jobs", "1", str(root)]) == 1
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def test_a_scan_keeps_little_per_file(tmp_path, monkeypatch):
    """What memory grows by with the corpus is the summary kept per file for the report (its state,
    findings, time): about 1 KB for httpd. It was 4.9 KB: the status path's outputs in every summary,
    the whole report decoded and built before the first line was printed, and a DirEntry per file."""
    few = _scan_peak(tmp_path / "t", 100, monkeypatch)
    many = _scan_peak(tmp_path / "t", 400, monkeypatch)
    assert (many - few) / 300 < 1500, f"{(many - few) / 300:.0f} bytes per file"
