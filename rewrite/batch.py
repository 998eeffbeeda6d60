"""Run the pipeline over many inputs, in a process pool, streaming results back in input order.

Each worker process keeps its own `Libraries` cache, so a functions library is parsed and judged
once per worker, not once per script (a few at a time: memory must not grow with the corpus).
What comes back for each input is a `Done`: its position, a `FileSummary` without the file's
bytes (what every report needs, with the time the pipeline took) and, only when asked for, its
`FileResult` and its library's (what writing a patched copy needs). A caller that keeps only
summaries holds memory independent of the files' sizes.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from multiprocessing.synchronize import Event
from typing import NamedTuple

from rewrite.inputs import Input
from rewrite.pipeline import EXIT_CODES, FileResult, Libraries, process
from rewrite.report import FileSummary, summarize
from rewrite.transform import Settings

KEEP_NONE = "none"  # summaries only: scan, reports
KEEP_WRITABLE = "writable"  # full results of the files patch writes (a patched copy or a wrapper)
KEEP_ALL = "all"  # full results of every file
KEEPS = (KEEP_NONE, KEEP_WRITABLE, KEEP_ALL)

# Libraries kept parsed per process. Each costs about 650 KB (its tree, its scan, its result), and a
# fleet's corpus has one beside every directory of scripts; the inputs come sorted by directory,
# so a small cache still loads each library about once.
LIBRARY_CACHE = 8

Progress = Callable[[int, int], None]  # called with (files done, total) as each file completes


@dataclass(frozen=True)
class Done:
    """One input's outcome, yielded in input order."""

    index: int  # position in the inputs
    summary: FileSummary
    result: FileResult | None  # with KEEP_ALL, or KEEP_WRITABLE and something to write; else None
    # With a kept rewired result: its library's result, the first time this process sends it, for
    # plan_outputs, which writes the library copy too. Collect them by path: {d.library.path: d.library}.
    library: FileResult | None = None


class Job(NamedTuple):
    """What every worker needs to run the pipeline: picklable, sent once per worker."""

    settings: Settings
    explicit: tuple[tuple[str, str], ...]  # (family name, library path) given by option: Libraries.explicit
    keep: str
    outputs: bool = True  # summaries record the outputs on the status path (JSON shows them)
    diffs: bool = True  # summaries keep each file's diff (the HTML and Markdown reports show it)

    def libraries(self) -> Libraries:
        """An empty cache for this job's options."""
        return Libraries(dict(self.explicit), self.settings)


def default_jobs() -> int:
    """The CPUs this process may run on (the affinity mask), else os.cpu_count(), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run(inputs: Sequence[Input], settings: Settings, explicit: Mapping[str, str] | None = None, *,
        jobs: int | None = None, keep: str = KEEP_NONE, progress: Progress | None = None,
        outputs: bool = True, diffs: bool = True) -> Iterator[Done]:
    """Process every input; yield a Done per input, in input order, as soon as it and those before it are done.

    EXPLICIT maps a family name to the library given by its option (--functions, --lsb-functions,
    --rc-status), as Libraries takes it. JOBS (default: default_jobs()) worker processes; one job
    or one input runs in this process. KEEP: KEEP_NONE, KEEP_WRITABLE or KEEP_ALL (see Done).
    PROGRESS is called after each file completes, in completion order. Closing the generator
    early, or an exception in the caller (Ctrl-C), stops the workers. OUTPUTS false: summaries without
    the outputs on the status path (see summarize), for a run that renders no JSON. DIFFS false:
    summaries without the diff, for a run that renders no HTML or Markdown report.
    """
    if keep not in KEEPS:
        raise ValueError(f"keep must be one of {', '.join(KEEPS)}, not {keep!r}")
    job = Job(settings, tuple(sorted((explicit or {}).items())), keep, outputs, diffs)
    workers = min(jobs or default_jobs(), len(inputs))
    done = _serial(inputs, job) if workers <= 1 else _pooled(inputs, job, workers)
    yield from _in_order(done if progress is None else _counted(done, len(inputs), progress))


def exit_code(summaries: Iterable[FileSummary]) -> int:
    """pipeline.exit_code for summaries: 0 nothing to change, 1 changes or violations, 2 unprocessable."""
    return max((EXIT_CODES[s.state] for s in summaries), default=0)


class Worker:
    """The pipeline in one process: a bounded library cache, and which libraries were sent back already."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.libraries = job.libraries()
        self.sent: set[str] = set()

    def __call__(self, index: int, item: Input) -> Done:
        """Run the pipeline on one input (or take the decision the input already carries), timed."""
        if len(self.libraries.results()) >= LIBRARY_CACHE:
            self.libraries = self.job.libraries()  # memory must not grow with the corpus
        start = time.perf_counter()
        if item.state is None:
            result = process(item.path, self.job.settings, self.libraries)
        else:
            result = FileResult(item.path, item.state, reason=item.reason)
        summary = summarize(result, time.perf_counter() - start, self.job.outputs, self.job.diffs)
        if self.job.keep == KEEP_ALL:
            return Done(index, summary, result, self._library(result))
        if self.job.keep == KEEP_WRITABLE and result.patched is not None:
            library = self._library(result)
            return Done(index, summary, writable(result), writable(library) if library is not None else None)
        return Done(index, summary, None)

    def _library(self, result: FileResult) -> FileResult | None:
        if not result.rewired or result.library is None or result.library in self.sent:
            return None
        self.sent.add(result.library)
        return self.libraries.results().get(result.library)


def writable(result: FileResult) -> FileResult:
    """RESULT without its findings and outputs (the summary has them): what plan_outputs and writing read."""
    return replace(result, findings=(), outputs=())


def chunk_size(total: int, workers: int) -> int:
    """Inputs sent to a worker at once: few round trips, yet every worker busy until the end."""
    return max(1, min(64, total // (workers * 8)))


def _serial(inputs: Sequence[Input], job: Job) -> Iterator[Done]:
    worker = Worker(job)
    for index, item in enumerate(inputs):
        yield worker(index, item)


def _pooled(inputs: Sequence[Input], job: Job, workers: int) -> Iterator[Done]:
    """The pool's results, in completion order. When the caller stops early (closes the generator,
    Ctrl-C), no worker is killed: one killed while it sends a result keeps the result queue's lock,
    and the pool's own terminate() then waits for it for ever. The workers skip what is left and exit."""
    stop = multiprocessing.Event()
    pool = multiprocessing.Pool(workers, _start_worker, (job, stop))
    try:
        for done in pool.imap_unordered(_work, enumerate(inputs), chunk_size(len(inputs), workers)):
            if done is not None:
                yield done
    finally:
        stop.set()
        pool.close()
        try:
            pool.join()
        except KeyboardInterrupt:  # pragma: no cover - a second Ctrl-C: stop waiting for a worker busy on one file
            pool.terminate()
            raise


def _counted(done: Iterable[Done], total: int, progress: Progress) -> Iterator[Done]:
    for count, item in enumerate(done, 1):
        progress(count, total)
        yield item


def _in_order(done: Iterable[Done]) -> Iterator[Done]:
    """DONE, which arrive in completion order, in index order: only early arrivals wait here."""
    waiting: dict[int, Done] = {}
    following = 0
    for item in done:
        waiting[item.index] = item
        while following in waiting:
            yield waiting.pop(following)
            following += 1


# -- in the worker processes ------------------------------------------------------------------

_worker: Worker | None = None
_stop: Event | None = None  # set when the caller stopped: the inputs left are skipped


def _start_worker(job: Job, stop: Event) -> None:  # pragma: no cover - runs in the worker processes
    global _worker, _stop
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the pool
    _worker, _stop = Worker(job), stop


def _work(task: tuple[int, Input]) -> Done | None:  # pragma: no cover - runs in the worker processes
    assert _worker is not None and _stop is not None, "worker used before _start_worker"
    return None if _stop.is_set() else _worker(*task)


__all__ = ["Done", "Job", "KEEPS", "KEEP_ALL", "KEEP_NONE", "KEEP_WRITABLE", "Progress", "Worker", "default_jobs",
           "exit_code", "run", "writable"]
