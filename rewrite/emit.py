"""Write output files atomically into the destination, keeping their modes.

A target is replaced only through a temp file in its own directory plus `os.replace`, so a
reader sees the old bytes or the new ones, never a mixture; nothing is written through a
symlink, and a failure leaves neither a partial file nor a temp file behind.
"""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path


class EmitError(Exception):
    """A file or directory that could not be written; the message is one line naming the path."""


def write_atomic(path: Path, data: bytes | Iterable[bytes], mode: int, sync_dir: bool = True) -> None:
    """Replace PATH with DATA (bytes, or chunks written as they come) and permission bits MODE,
    atomically; raise EmitError. A symbolic link at PATH or as its directory is refused.

    The file's bytes are synced before it takes PATH's place; the directory too, so that the new
    name survives a power loss, unless SYNC_DIR is false: a caller replacing many files of one
    directory then calls sync_directory once after the last (one sync covers every name in it)."""
    _refuse_unsafe_target(path)
    try:
        tmp = _write_temp(path, data, mode)
    except OSError as exc:
        raise _error(path, exc) from exc
    try:
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise _error(path, exc) from exc
    if sync_dir:
        sync_directory(path.parent, path)


def sync_directory(directory: Path, written: Path | None = None) -> None:
    """Make the names last replaced in DIRECTORY durable; raise EmitError naming WRITTEN (the file
    just written there) or DIRECTORY."""
    try:
        _fsync_dir(directory)
    except OSError as exc:
        raise _error(written or directory, exc) from exc


def ensure_dir(path: Path) -> None:
    """Create directory PATH (and missing parents) with mode 0o755; raise EmitError."""
    st = _lstat(path)
    if st is not None:
        _require_real_dir(path, st)
        return
    missing = [p for p in (path, *path.parents) if not os.path.lexists(p)]
    try:
        for directory in reversed(missing):
            os.mkdir(directory, 0o755)
            os.chmod(directory, 0o755)  # whatever the umask
    except OSError as exc:
        raise _error(path, exc) from exc


def _refuse_unsafe_target(path: Path) -> None:
    parent = _lstat(path.parent)
    if parent is not None and stat.S_ISLNK(parent.st_mode):
        raise EmitError(f"{path}: parent directory {path.parent} is a symbolic link")
    st = _lstat(path)
    if st is None:
        return
    if stat.S_ISLNK(st.st_mode):
        raise EmitError(f"{path}: is a symbolic link, refusing to write through it")
    if not stat.S_ISREG(st.st_mode):
        raise EmitError(f"{path}: exists and is not a regular file")


def _require_real_dir(path: Path, st: os.stat_result) -> None:
    if stat.S_ISLNK(st.st_mode):
        raise EmitError(f"{path}: is a symbolic link, not a directory")
    if not stat.S_ISDIR(st.st_mode):
        raise EmitError(f"{path}: exists and is not a directory")


def _lstat(path: Path) -> os.stat_result | None:
    """PATH's lstat, or None when nothing is there; EmitError on any other failure."""
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _error(path, exc) from exc


def _write_temp(path: Path, data: bytes | Iterable[bytes], mode: int) -> str:
    """A synced temp file beside PATH holding DATA with MODE; removed again on any failure
    (a chunk's producer may raise too)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".", suffix=".tmp")
    try:
        try:
            for chunk in (data,) if isinstance(data, bytes) else data:
                _write_all(fd, chunk)
            os.fchmod(fd, mode & 0o7777)
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        _remove(tmp)
        raise
    return tmp


def _remove(tmp: str) -> None:
    with contextlib.suppress(OSError):  # keep the first error, which says what went wrong
        os.unlink(tmp)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _error(path: Path, exc: OSError) -> EmitError:
    return EmitError(f"{path}: {exc.strerror or exc}")
