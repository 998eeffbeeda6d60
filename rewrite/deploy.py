"""Put reviewed outputs into a destination: the file, its diff, and its manifest entry.

Shared by `patch` and `apply`. An output whose current bytes are not the ones ha-rewrite recorded
(edited by hand, or never written by ha-rewrite) is refused unless `force` or `backup`; with
`backup` the old file is kept as NAME.orig-YYYYMMDDHHMMSS first, as Ansible's `backup=yes` does.
"""
from __future__ import annotations

import contextlib
import datetime
import fcntl
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from dataclasses import replace
from typing import NamedTuple

from rewrite import __version__
from rewrite.emit import EmitError, ensure_dir, sync_directory, write_atomic
from rewrite.manifest import MANIFEST, Entry, dump, file_sha256, load
from rewrite.review import sha256


class Planned(NamedTuple):
    """One output to put in place."""

    name: str
    source: str  # absolute path of the original
    original: bytes
    patched: bytes
    review: bytes  # the review section written as DEST/NAME.diff
    mode: int
    needs: str | None = None  # the output this one sources (a rewired script needs `functions`)


class Outcome(NamedTuple):
    name: str
    action: str  # written | unchanged | refused
    detail: str = ""  # the refusal's reason, or the backup's path


WRITTEN, UNCHANGED, REFUSED = "written", "unchanged", "refused"


def now_utc() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


MANIFEST_EVERY = 100  # files written between two manifest saves, at least
MANIFEST_SAVES = 16  # batches of a large run, at most: each save writes the whole manifest


def batch_size(count: int) -> int:
    """Files replaced between two manifest saves in a run writing COUNT: MANIFEST_EVERY, or more for a
    large run, so that its saves, each of every entry, add up to a few times the manifest, not
    count / 100 times (100,000 outputs took hours)."""
    return max(MANIFEST_EVERY, -(-count // MANIFEST_SAVES))


class _Write(NamedTuple):
    """A decision to write: the output's name, its final entry, the hash the file has now, whether to
    keep a backup."""

    name: str
    entry: Entry
    current: str | None
    backup: bool


def deploy(dest: Path, planned: Sequence[Planned], *, force: bool = False, backup: bool = False,
           clock: Callable[[], datetime.datetime] = now_utc) -> Iterator[Outcome]:
    """Write each planned output and record it in DEST's manifest.

    Crash safety, like a journal: before a batch of files is replaced, the manifest records each
    one's new hash next to the hash it has now (`previous_sha256`); after the batch, the previous
    hashes are dropped. Files are replaced atomically. Killed at any moment, every output is the
    old complete file or the new one, and the manifest names both; the next run completes the job.
    The same holds after a power loss: each save of the manifest is synced, and so are the batch's
    files before the save that drops their previous hashes (one directory sync for the batch, not
    two for each output: its file's and its diff's).
    """
    if not planned:
        return
    ensure_dir(dest)
    with _locked(dest):
        yield from _deploy_locked(dest, planned, force, backup, clock)


@contextlib.contextmanager
def _locked(dest: Path) -> Iterator[None]:
    """DEST for this run alone: an exclusive flock on the directory itself (no lock file to leave
    behind), held until the run ends or its process does. Two runs into one destination would each
    save a manifest without the other's entries, and the next run would refuse the files the lost
    entries named. A file system that cannot lock a directory is written unlocked, as before."""
    try:
        fd = os.open(dest, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise EmitError(f"{dest}: cannot open the destination: {exc.strerror or exc}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise EmitError(f"{dest}: another ha-rewrite run is writing there: run again when it is done") from None
        except OSError:  # pragma: no cover - no directory locks there (some network file systems)
            pass
        yield
    finally:
        os.close(fd)


def _deploy_locked(dest: Path, planned: Sequence[Planned], force: bool, backup: bool,
                   clock: Callable[[], datetime.datetime]) -> Iterator[Outcome]:
    names, inputs = [MANIFEST], set()
    for item in planned:  # one pass: PLANNED may read each item from disk (outputs.Staged)
        names.append(item.name)
        inputs.add(os.path.realpath(item.source))
    _remove_stale_temps(dest, names)
    entries = load(dest)
    try:
        size = batch_size(len(planned))
        for start in range(0, len(planned), size):
            # An item at a time, taken twice: PLANNED may read each from disk (outputs.Staged), and a
            # batch of a large run is thousands of files.
            batch = [(i, _decide(dest, planned[i], entries, inputs, force, backup, clock()))
                     for i in range(start, min(start + size, len(planned)))]
            pending = False
            for _, decision in batch:
                if isinstance(decision, _Write):
                    entries[decision.name] = replace(decision.entry, previous_sha256=decision.current or "")
                    pending = True
            if pending:
                write_atomic(dest / MANIFEST, dump(entries), 0o644)
            for i, decision in batch:
                yield _write(dest, planned[i], decision, entries) if isinstance(decision, _Write) else decision
            if pending:
                sync_directory(dest)  # the batch's new names are durable before the manifest forgets the old hashes
                write_atomic(dest / MANIFEST, dump(entries), 0o644)
    finally:
        if any(e.previous_sha256 is not None for e in entries.values()):
            write_atomic(dest / MANIFEST, dump(entries), 0o644)


def _remove_stale_temps(dest: Path, names: list[str]) -> None:
    """Temp files a killed run left behind for NAMES (`.NAME.*.tmp`, as write_atomic names them: its
    diff's and backup's too), from one listing of DEST (a glob per name listed a destination of
    100,000 outputs 100,000 times)."""
    wanted = set(names)
    for entry in os.listdir(dest):
        core = entry[1:-4]
        if entry.startswith(".") and entry.endswith(".tmp") and \
                any(char == "." and core[:i] in wanted for i, char in enumerate(core)):
            stale = dest / entry
            with contextlib.suppress(OSError):
                if stale.is_file() and not stale.is_symlink():
                    stale.unlink()


def _decide(dest: Path, item: Planned, entries: dict[str, Entry], inputs: set[str], force: bool, backup: bool,
            when: datetime.datetime) -> _Write | Outcome:
    target = dest / item.name
    if os.path.realpath(target) in inputs:
        return Outcome(item.name, REFUSED, f"{target} is an input: inputs are never overwritten")
    current = file_sha256(target)
    new = sha256(item.patched)
    entry = Entry(item.source, sha256(item.original), new, __version__, when.strftime("%Y-%m-%dT%H:%M:%SZ"))
    recorded = entries.get(item.name)
    if current == new and recorded is not None \
            and recorded == replace(entry, tool_version=recorded.tool_version, time=recorded.time) \
            and file_sha256(dest / (item.name + ".diff")) == sha256(item.review):
        return Outcome(item.name, UNCHANGED)  # also complete: recorded, not pending, its diff written
    ours = {recorded.output_sha256, recorded.previous_sha256} if recorded is not None else set()
    if current is None or current == new or current in ours:
        return _Write(item.name, entry, current, False)
    why = "was edited by hand" if recorded is not None else "was not written by ha-rewrite"
    if not (force or backup):
        return Outcome(item.name, REFUSED, f"{target} {why}: use --force to overwrite it, or --backup to keep a copy")
    return _Write(item.name, entry, current, backup)


def _write(dest: Path, item: Planned, decision: _Write, entries: dict[str, Entry]) -> Outcome:
    target = dest / item.name
    kept = str(_keep(target, datetime.datetime.strptime(decision.entry.time, "%Y-%m-%dT%H:%M:%SZ"))) \
        if decision.backup else ""
    write_atomic(target, item.patched, item.mode, sync_dir=False)  # synced with its batch
    write_atomic(dest / (item.name + ".diff"), item.review, 0o644, sync_dir=False)
    entries[item.name] = decision.entry
    return Outcome(item.name, WRITTEN, kept)


def _keep(target: Path, when: datetime.datetime) -> Path:
    kept = target.with_name(f"{target.name}.orig-{when.strftime('%Y%m%d%H%M%S')}")
    try:
        old, mode = target.read_bytes(), target.stat().st_mode & 0o7777
    except OSError as exc:
        raise EmitError(f"{target}: cannot keep a backup: {exc.strerror}") from exc
    write_atomic(kept, old, mode)
    return kept


__all__ = ["Planned", "Outcome", "deploy", "EmitError", "WRITTEN", "UNCHANGED", "REFUSED"]
