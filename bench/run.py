"""Benchmark: ha-rewrite over a large corpus built by replicating corpus/input/.

    python bench/run.py                      # 10,000+ files, 3 runs of each stage, median
    python bench/run.py --files 2500 --repeat 5 --jobs 4

It copies corpus/input/ into a temporary directory until there are at least --files files
(`copy-NNNNN/<family>/<name>`: each family's library stays beside its scripts; the
hand-written family, which has none, gets the 2010 `functions`, as its goldens are judged), then
measures, each stage in a fresh Python process so that its peak memory is its own:

    (a) read     read every file (the floor)
    (b) parse    read + a bare tree-sitter-bash parse of every file
    (c) scan     what `ha-rewrite scan DIR` does: expand the inputs, run the pipeline (batch.run,
                 summaries only), render the findings text; with --jobs 1 and the default jobs
    (d) patch    what `ha-rewrite patch --dest TMP DIR` does: the same, keeping the results that
                 have something to write (patched copies, wrappers) with their bytes parked in a
                 temporary file (spill.Spill), name conflicts checked
                 (outputs.plan_outputs), then each output and its diff written with
                 emit.write_atomic (each file synced, the directory once, as `patch` does for each
                 batch; not the manifest `patch` keeps); one destination
                 directory per replicated family, because all copies of `httpd` in one --dest
                 would be a name conflict

Then (e) large scripts: for each shape of tests/shapes.py (thousands of functions, case arms, lines
of one status branch, calls, here-documents, ...), a script of 2,000 and one of 8,000 units, each
parsed bare and taken through the pipeline as `scan` does, in one process (the median of five runs,
each from a collected heap): the CPU ratio of the pipeline to the bare parse, and how the
pipeline's time grows from 2,000 to 8,000 units (linear: about 4; tests/test_scaling.py counts the
same growth in lines of Python run; this also sees loops in C). And (f) memory growth: scan and patch
at --jobs 1 of a corpus a quarter the size, their peak memory against the whole corpus's (the
difference is what the report keeps per file, and for patch what it keeps of each file to write:
the pipeline's own memory does not grow with the corpus).

Stages run round-robin, one run of each per round, for --repeat rounds; after its first run, a
stage's next run is skipped when it would end past the --budget (seconds from the start, default
250; the large scripts (e) and the quarter corpus (f) take about 40 s more), so that the whole
benchmark stays under five minutes, and the table says how many runs each median comes from. The corpus and the patch
destinations live under --tmp (default /dev/shm when it is a directory, a tmpfs on Linux: the
figures are CPU, not disk; on ext4 each atomic write's two fsyncs cost about 3 ms more). It prints
files/s, MB/s and peak RSS (the stage's own process, and its largest pool worker), then the ratios
c/b and d/b at --jobs 1 (of wall time, and of CPU time, which other processes on the machine
disturb less; also per round, each against that round's parse, to show the spread) and the speed-up
with more jobs.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus" / "input"
STAGES = ("read", "parse", "scan", "patch")
# Families whose goldens are judged against a library named by option (tests/corpus_cases.py):
# here a copy of it lies beside their scripts instead.
BESIDE = {"handmade": CORPUS / "redhat-2010" / "functions"}


# -- the corpus --------------------------------------------------------------------------------


def build_corpus(root: Path, files: int) -> int:
    """Copies of corpus/input under ROOT until at least FILES files; returns how many were written."""
    template = {family.name: sorted(p for p in family.iterdir() if p.is_file()) for family in sorted(CORPUS.iterdir())}
    for family, library in BESIDE.items():
        template[family].append(library)
    per_copy = sum(len(paths) for paths in template.values())
    for copy in range(math.ceil(files / per_copy)):
        for family, paths in template.items():
            target = root / f"copy-{copy:05d}" / family
            target.mkdir(parents=True)
            for path in paths:
                shutil.copy2(path, target / path.name)
    return math.ceil(files / per_copy) * per_copy


# -- one stage, in its own process ---------------------------------------------------------------


def stage(name: str, root: Path, jobs: int, dest: Path) -> dict[str, Any]:
    """Run stage NAME over ROOT; its time, counts and this process's peak memory."""
    from rewrite.inputs import expand  # imported before the clock starts

    cpu_start = _cpu()
    start = time.perf_counter()
    paths = [item.path for item in expand([str(root)])]
    counted = {"read": _read, "parse": _parse, "scan": _scan, "patch": _patch}[name](paths, jobs, dest)
    seconds = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": seconds, "cpu": _cpu() - cpu_start, "files": len(paths), "bytes": counted, "rss_kb": own,
            "worker_rss_kb": children}


def _cpu() -> float:
    """User + system CPU seconds of this process and its finished children (the pool's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _read(paths: list[str], jobs: int, dest: Path) -> int:
    return sum(len(Path(path).read_bytes()) for path in paths)


def _parse(paths: list[str], jobs: int, dest: Path) -> int:
    from rewrite.parse import parse

    total = 0
    for path in paths:
        data = Path(path).read_bytes()
        parse(data)
        total += len(data)
    return total


def _scan(paths: list[str], jobs: int, dest: Path) -> int:
    from rewrite.batch import run
    from rewrite.inputs import Input
    from rewrite.report import text_chunks
    from rewrite.transform import Settings

    summaries = [done.summary for done in run([Input(p) for p in paths], Settings(diffs=False), jobs=jobs,
                                              outputs=False)]
    for _ in text_chunks(summaries):  # printed a piece at a time
        pass
    return _size(paths)


def _patch(paths: list[str], jobs: int, dest: Path) -> int:
    from rewrite.batch import KEEP_WRITABLE, run
    from rewrite.emit import ensure_dir, sync_directory, write_atomic
    from rewrite.inputs import Input
    from rewrite.outputs import plan_outputs
    from rewrite.pipeline import FileResult
    from rewrite.report import FileSummary, summary
    from rewrite.spill import Spill
    from rewrite.transform import Settings

    settings = Settings()
    summaries: list[FileSummary] = []
    kept: dict[str, list[FileResult]] = defaultdict(list)  # by directory: one --dest each
    libraries: dict[str, FileResult] = {}
    spill = Spill()  # the results' bytes wait there until written, as in `patch`
    for done in run([Input(p) for p in paths], settings, jobs=jobs, keep=KEEP_WRITABLE, outputs=False, diffs=False):
        summaries.append(done.summary)
        if done.result is not None:
            kept[os.path.dirname(done.result.path)].append(spill.park(done.result))
        if done.library is not None and done.library.path not in libraries:
            libraries[done.library.path] = spill.park(done.library)
    top = os.path.commonpath(paths)
    for directory, results in kept.items():
        target = dest / os.path.relpath(directory, top)
        outputs = plan_outputs(results, str(target), libraries)
        ensure_dir(target)
        for output in outputs:
            result = spill.restore(output.result)
            write_atomic(target / output.name, result.patched or b"", result.mode, sync_dir=False)
            write_atomic(target / (output.name + ".diff"), result.diff, 0o644, sync_dir=False)
        sync_directory(target)  # once for the directory's new names, as deploy does for each batch
    spill.close()
    summary(summaries, written=True)
    return _size(paths)


def _size(paths: list[str]) -> int:
    return sum(os.stat(path).st_size for path in paths)


# -- (e) large scripts, in their own process -------------------------------------------------------

LARGE_UNITS = (2_000, 8_000)


def large_scripts(scratch: Path) -> list[dict[str, Any]]:
    """For each shape, at each of LARGE_UNITS: the script's size, the bare parse's and the pipeline's CPU seconds."""
    sys.path.insert(0, str(REPO / "tests"))
    from shapes import FUNCTIONS, SHAPES, script

    from rewrite.parse import parse
    from rewrite.pipeline import Libraries, process
    from rewrite.transform import Settings

    settings = Settings(diffs=False)
    libraries = Libraries(explicit={"redhat": str(FUNCTIONS)}, settings=settings)
    process(str(FUNCTIONS), settings, libraries)  # judged once, as for every script of a run
    rows = []
    for shape in sorted(SHAPES):
        for units in LARGE_UNITS:
            path = scratch / f"{shape}-{units}"
            path.write_text(script(shape, units))
            data = path.read_bytes()
            rows.append({"shape": shape, "units": units, "bytes": len(data),
                         "parse": _cpu_median(lambda: parse(data)),
                         "scan": _cpu_median(lambda: process(str(path), settings, libraries))})
    return rows


def _cpu_median(work: Any, runs: int = 5) -> float:
    """The median CPU seconds of RUNS calls of WORK, each from a collected heap (a collection of what
    the one before left would be charged to it)."""
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return statistics.median(times)


def _large_table(rows: list[dict[str, Any]]) -> str:
    small, large = LARGE_UNITS
    lines = [f"(e) large scripts, CPU of the pipeline (as scan) against a bare parse of the same script; "
             f"growth from {small:,} to {large:,} units (linear: about {large / small:.0f})",
             f"{'shape':<18}{'KB':>7}{'parse s':>9}{'scan s':>8}{'scan/parse':>12}{'growth':>8}"]
    by_shape: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        by_shape[row["shape"]][row["units"]] = row
    for shape, sizes in by_shape.items():
        big = sizes[large]
        growth = big["scan"] / max(sizes[small]["scan"], 1e-9)
        flag = "  grows faster than the script" if growth > 1.5 * large / small else ""
        lines.append(f"{shape:<18}{big['bytes'] / 1024:>7.0f}{big['parse']:>9.3f}{big['scan']:>8.3f}"
                     f"{big['scan'] / max(big['parse'], 1e-9):>12.1f}{growth:>8.1f}{flag}")
    return "\n".join(lines)


# -- the driver ------------------------------------------------------------------------------------


def measure(name: str, root: Path, jobs: int, scratch: Path) -> Any:
    """Run one stage in a fresh interpreter; a fresh destination for patch, removed after."""
    dest = Path(tempfile.mkdtemp(prefix="dest-", dir=scratch))
    try:
        command = [sys.executable, __file__, "--stage", name, "--root", str(root), "--jobs", str(jobs),
                   "--dest", str(dest)]
        output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=REPO).stdout
        result: dict[str, Any] = json.loads(output)
        return result
    finally:
        shutil.rmtree(dest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=10_000, help="at least this many files (default 10000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each stage; the median is shown (default 3)")
    parser.add_argument("--jobs", type=int, default=None, help="the parallel run's jobs (default: the CPUs)")
    parser.add_argument("--budget", type=float, default=250.0,
                        help="skip a repeated run that would end past this many seconds (default 250)")
    parser.add_argument("--tmp", type=Path, default=Path("/dev/shm") if Path("/dev/shm").is_dir() else None,
                        help="where the corpus is built (default /dev/shm if present, else the system's temp dir)")
    parser.add_argument("--stage", choices=STAGES + ("large",), help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--dest", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage == "large":
        print(json.dumps(large_scripts(args.dest)))
        return 0
    if args.stage:
        print(json.dumps(stage(args.stage, args.root, args.jobs or 1, args.dest)))
        return 0
    from rewrite.batch import default_jobs

    jobs = args.jobs or default_jobs()
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ha-rewrite-bench-", dir=args.tmp) as scratch:
        root = Path(scratch) / "corpus"
        files = build_corpus(root, args.files)
        print(f"corpus: {files} files in {root} (built in {time.perf_counter() - began:.1f} s); "
              f"{default_jobs()} CPUs; default jobs {jobs}", flush=True)
        plan = [("read", 1), ("parse", 1), ("scan", 1), ("scan", jobs), ("patch", 1), ("patch", jobs)]
        plan = list(dict.fromkeys(plan))  # jobs == 1: each stage once
        runs = _rounds(plan, root, Path(scratch), args.repeat, args.budget, began)
        large = measure("large", root, 1, Path(scratch))
        build_corpus(Path(scratch) / "quarter", files // 4)
        smaller = {name: measure(name, Path(scratch) / "quarter", 1, Path(scratch)) for name in ("scan", "patch")}
    print(_table(plan, runs, jobs))
    print(_large_table(large))
    for name in ("scan", "patch"):
        print(_growth(name, smaller[name], runs[(name, 1)]))
    print("load average at the end: " + " ".join(f"{x:.1f}" for x in os.getloadavg()) + " (other processes compete)")
    print(f"total {time.perf_counter() - began:.0f} s")
    return 0


def _rounds(plan: list[tuple[str, int]], root: Path, scratch: Path, repeat: int, budget: float,
            began: float) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """Up to REPEAT runs of each stage, round-robin; after the first, a run that would end past BUDGET is skipped."""
    runs: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for round_number in range(repeat):
        for key in plan:
            took = [r["wall"] for r in runs[key]]
            if took and time.perf_counter() - began + max(took) > budget:
                continue
            start = time.perf_counter()
            result = measure(key[0], root, key[1], scratch)
            result["wall"] = time.perf_counter() - start
            result["round"] = round_number
            runs[key].append(result)
            print(f"  round {round_number + 1}: {key[0]:<5} jobs {key[1]}: {result['seconds']:.2f} s", flush=True)
    return runs


def _table(plan: list[tuple[str, int]], runs: dict[tuple[str, int], list[dict[str, Any]]], jobs: int) -> str:
    wall = {key: statistics.median(r["seconds"] for r in runs[key]) for key in plan}
    cpu = {key: statistics.median(r["cpu"] for r in runs[key]) for key in plan}
    letters = dict(zip(STAGES, "abcd"))
    lines = [f"{'stage':<10}{'jobs':>5}{'runs':>5}{'wall s':>9}{'CPU s':>8}{'files/s':>9}{'MB/s':>7}"
             f"{'peak RSS MB':>13}{'worker MB':>11}"]
    for key in plan:
        name, stage_jobs = key
        first = runs[key][0]
        rss = max(r["rss_kb"] for r in runs[key]) / 1024
        worker = max(r["worker_rss_kb"] for r in runs[key]) / 1024 if stage_jobs > 1 else 0
        lines.append(f"({letters[name]}) {name:<6}{stage_jobs:>5}{len(runs[key]):>5}{wall[key]:>9.2f}{cpu[key]:>8.2f}"
                     f"{first['files'] / wall[key]:>9.0f}{first['bytes'] / wall[key] / 1e6:>7.1f}"
                     f"{rss:>13.0f}{worker:>11.0f}")
    b = ("parse", 1)
    for label, measure_of in (("wall", wall), ("CPU", cpu)):
        lines.append(f"ratios of {label} time at jobs 1: c/b = {measure_of[('scan', 1)] / measure_of[b]:.2f}, "
                     f"d/b = {measure_of[('patch', 1)] / measure_of[b]:.2f}  (targets: 1.5 and 2.5)")
    rounds = {stage: " ".join(f"{r:.2f}" for r in _per_round(runs, stage)) for stage in ("scan", "patch")}
    lines.append(f"per round, CPU against that round's parse (the machine drifts less within a round): "
                 f"c/b = {rounds['scan']}, d/b = {rounds['patch']}")
    if jobs > 1:
        lines.append(f"ratios of wall time at jobs {jobs}: c/b = {wall[('scan', jobs)] / wall[b]:.2f}, "
                     f"d/b = {wall[('patch', jobs)] / wall[b]:.2f}; speed-up from jobs 1 to {jobs}: "
                     f"scan {wall[('scan', 1)] / wall[('scan', jobs)]:.2f}x, "
                     f"patch {wall[('patch', 1)] / wall[('patch', jobs)]:.2f}x")
    return "\n".join(lines)


def _growth(name: str, smaller: dict[str, Any], runs: list[dict[str, Any]]) -> str:
    """(f): how NAME's peak memory at jobs 1 grows from a quarter of the corpus to all of it."""
    whole = min(r["rss_kb"] for r in runs)
    per_file = (whole - smaller["rss_kb"]) * 1024 / (runs[0]["files"] - smaller["files"])
    return (f"(f) memory growth, {name:<5} at jobs 1: {smaller['rss_kb'] / 1024:.0f} MB peak for {smaller['files']:,} "
            f"files, {whole / 1024:.0f} MB for {runs[0]['files']:,}: {per_file:,.0f} bytes more a file")


def _per_round(runs: dict[tuple[str, int], list[dict[str, Any]]], stage: str) -> list[float]:
    """STAGE's CPU time at jobs 1 over the bare parse's in the same round, for each round that ran both."""
    parse = {r["round"]: r["cpu"] for r in runs[("parse", 1)]}
    return [r["cpu"] / parse[r["round"]] for r in runs[(stage, 1)] if r["round"] in parse]


if __name__ == "__main__":
    sys.exit(main())
