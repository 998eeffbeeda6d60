"""Put reviewed outputs into a destination: the file, its diff, and its manifest entry.

Shared by `patch` and `apply`. An output whose current bytes are not the ones ha-rewrite recorded
(edited by hand, or never written by ha-rewrite) is refused unless `force` or `backup`; with
`backup` the old file is kept as NAME.orig-YYYYMMDDHHMMSS first, as Ansible's `backup=yes` does.
"""
from __future__ import annotations

import contextlib
import datetime
import glob
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from rewrite import __version__
from rewrite.emit import EmitError, ensure_dir, write_atomic
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


MANIFEST_EVERY = 100  # files between manifest saves; a crash in between is healed by the next run


def deploy(dest: Path, planned: Sequence[Planned], *, force: bool = False, backup: bool = False,
           clock: Callable[[], datetime.datetime] = now_utc) -> Iterator[Outcome]:
    """Write each planned output, then its manifest entry.

    Crash safety: every file is replaced atomically; the manifest is saved every MANIFEST_EVERY
    files and at the end. Killed in between, a file may be newer than its entry: the next run finds
    the bytes it was about to write already there, takes them as its own and records them.
    """
    if not planned:
        return
    ensure_dir(dest)
    _remove_stale_temps(dest, [p.name for p in planned] + [MANIFEST])
    entries = load(dest)
    inputs = {os.path.realpath(p.source) for p in planned}
    unsaved = 0
    try:
        for item in planned:
            if os.path.realpath(dest / item.name) in inputs:
                yield Outcome(item.name, REFUSED, f"{dest / item.name} is an input: inputs are never overwritten")
                continue
            outcome = _one(dest, item, entries, force, backup, clock())
            unsaved += outcome.action == WRITTEN
            if unsaved >= MANIFEST_EVERY:
                write_atomic(dest / MANIFEST, dump(entries), 0o644)
                unsaved = 0
            yield outcome
    finally:
        if unsaved:
            write_atomic(dest / MANIFEST, dump(entries), 0o644)


def _remove_stale_temps(dest: Path, names: list[str]) -> None:
    """Temp files a killed run left behind (`.NAME.XXXXXX.tmp`, as write_atomic names them)."""
    for name in names:
        for stale in dest.glob(glob.escape("." + name + ".") + "*.tmp"):
            with contextlib.suppress(OSError):
                if stale.is_file() and not stale.is_symlink():
                    stale.unlink()


def _one(dest: Path, item: Planned, entries: dict[str, Entry], force: bool, backup: bool,
         when: datetime.datetime) -> Outcome:
    target = dest / item.name
    current = file_sha256(target)
    new = sha256(item.patched)
    entry = Entry(item.source, sha256(item.original), new, __version__, when.strftime("%Y-%m-%dT%H:%M:%SZ"))
    recorded = entries.get(item.name)
    if current == new and recorded is not None and recorded.output_sha256 == new \
            and (recorded.source, recorded.source_sha256) == (entry.source, entry.source_sha256):
        return Outcome(item.name, UNCHANGED)
    detail = ""
    if current is not None and current != new and (recorded is None or recorded.output_sha256 != current):
        why = "was edited by hand" if recorded is not None else "was not written by ha-rewrite"
        if not (force or backup):
            return Outcome(item.name, REFUSED, f"{target} {why}: use --force to overwrite it, "
                                               "or --backup to keep a copy")
        if backup:
            detail = str(_keep(target, when))
    write_atomic(target, item.patched, item.mode)
    write_atomic(dest / (item.name + ".diff"), item.review, 0o644)
    entries[item.name] = entry
    return Outcome(item.name, WRITTEN, detail)


def _keep(target: Path, when: datetime.datetime) -> Path:
    kept = target.with_name(f"{target.name}.orig-{when.strftime('%Y%m%d%H%M%S')}")
    try:
        old, mode = target.read_bytes(), target.stat().st_mode & 0o7777
    except OSError as exc:
        raise EmitError(f"{target}: cannot keep a backup: {exc.strerror}") from exc
    write_atomic(kept, old, mode)
    return kept


__all__ = ["Planned", "Outcome", "deploy", "EmitError", "WRITTEN", "UNCHANGED", "REFUSED"]
