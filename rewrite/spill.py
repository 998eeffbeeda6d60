"""Bytes a batch holds until it writes them, parked in an unnamed temporary file, not in memory.

`patch` and `diff` can write nothing before every input is processed: two inputs that would be
written under one name are a conflict found first. Until then, each result to write waits here,
so that a run's memory does not grow with the corpus (about 12 KB a script: the original, the
patched copy and the diff). The file is made with tempfile.TemporaryFile: private to this user,
gone from the file system from the start, and so never left behind, even by a killed run.
"""
from __future__ import annotations

import tempfile
from dataclasses import replace
from typing import IO, NamedTuple

from rewrite.pipeline import FileResult


class SpillError(Exception):
    """The temporary file could not be made, written or read: the message says why."""


class _Stored(NamedTuple):
    """Where a parked result's bytes are: (offset, length) of each in the file."""

    original: tuple[int, int]
    patched: tuple[int, int] | None
    diff: tuple[int, int]


class Spill:
    """Results parked without their bytes, and the file their bytes wait in. Use it as a context manager."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None  # made by the first park: a run with nothing to write makes none
        self._size = 0
        # By identity: each parked result is held here, so its id names it for as long as the spill lives.
        self._parked: dict[int, tuple[FileResult, _Stored]] = {}

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._parked.clear()

    def park(self, result: FileResult) -> FileResult:
        """RESULT without its bytes (original, patched, diff), which wait in the file for restore()."""
        stored = _Stored(self._put(result.original), None if result.patched is None else self._put(result.patched),
                         self._put(result.diff))
        parked = replace(result, original=b"", patched=None if result.patched is None else b"", diff=b"")
        self._parked[id(parked)] = parked, stored
        return parked

    def restore(self, result: FileResult) -> FileResult:
        """RESULT with the bytes park() took from it; a result that was not parked here, as it is."""
        found = self._parked.get(id(result))  # a parked result is held here: no other object has its id
        if found is None:
            return result
        stored = found[1]
        return replace(result, original=self._get(stored.original), diff=self._get(stored.diff),
                       patched=None if stored.patched is None else self._get(stored.patched))

    def _put(self, data: bytes) -> tuple[int, int]:
        if not data:
            return 0, 0
        try:
            if self._file is None:
                self._file = tempfile.TemporaryFile(prefix="ha-rewrite-")
            self._file.seek(self._size)
            self._file.write(data)
            self._file.flush()  # a full disk is reported here, naming the cause, not at a later read
        except OSError as exc:
            raise SpillError(f"cannot keep the outputs in a temporary file in {tempfile.gettempdir()} "
                             f"(TMPDIR) until they are written: {exc.strerror or exc}") from exc
        start, self._size = self._size, self._size + len(data)
        return start, len(data)

    def _get(self, where: tuple[int, int]) -> bytes:
        start, length = where
        if not length:
            return b""
        assert self._file is not None, "bytes stored in a spill that has no file"
        try:
            self._file.seek(start)
            data = self._file.read(length)
        except OSError as exc:  # pragma: no cover - a read of what was just written fails: a failing disk
            raise SpillError(f"cannot read back the outputs kept in a temporary file in {tempfile.gettempdir()}: "
                             f"{exc.strerror or exc}") from exc
        if len(data) != length:  # pragma: no cover - the file was cut short under us
            raise SpillError(f"the outputs kept in a temporary file in {tempfile.gettempdir()} were cut short")
        return data


__all__ = ["Spill", "SpillError"]
