"""Read a script as bytes and describe it, without ever decoding lossily."""
from __future__ import annotations

import os
import stat
from typing import NamedTuple

SHELLS = (b"sh", b"bash", b"ksh", b"dash", b"ash")


class Source(NamedTuple):
    path: str
    data: bytes
    mode: int


class SourceError(Exception):
    """A file that cannot be read; the message is one line naming the reason."""


class TooLarge(SourceError):
    """A file larger than MAX_BYTES, left unread."""


# The most a script may weigh: 100 times the largest init script or library a distribution ships
# (20-40 KB). Dense shell text costs the pipeline about 140 bytes of memory per byte, so a 100 MB log
# in a corpus would take 14 GB of a cluster node's memory; above this it is not read at all.
MAX_BYTES = 4 << 20


def read_source(path: str) -> Source:
    """Read PATH through any symlink; raise SourceError with a one-line reason.

    One open (non-blocking, so that a FIFO is refused, not waited on) and its fstat: the file read
    is the file checked. A file larger than MAX_BYTES raises TooLarge unread (one that grows past it
    while read raises it too, once read).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise SourceError("not a regular file")
            if st.st_size > MAX_BYTES:
                raise _too_large(st.st_size)
            with open(fd, "rb", closefd=False) as file:
                # read(), sized from fstat: read(MAX_BYTES + 1) allocated 4 MiB for each file, and
                # fragmented the heap (22 MB more held after 10,000 files)
                data = file.read()
        finally:
            os.close(fd)
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc)) from exc
    if len(data) > MAX_BYTES:  # it grew while read
        raise _too_large(len(data))
    return Source(path, data, st.st_mode & 0o7777)


def _too_large(size: int) -> TooLarge:
    return TooLarge(f"{size / (1 << 20):.1f} MiB: larger than any init script (at most {MAX_BYTES >> 20} MiB are read)")


def not_a_script_reason(data: bytes) -> str | None:
    """Why DATA is not a shell script, or None when it may be one."""
    if not data.strip():
        return "empty file"
    if b"\0" in data:
        return "binary file"
    if data.startswith(b"#!"):
        interpreter = data[2:].split(b"\n", 1)[0].split()
        if interpreter and interpreter[0].endswith(b"/env") and len(interpreter) > 1:
            interpreter = interpreter[1:]
        name = interpreter[0].rsplit(b"/", 1)[-1] if interpreter else b""
        if name not in SHELLS:
            return "interpreter is " + name.decode("latin-1")
    return None


def unrunnable_reason(data: bytes) -> str | None:
    """Why no shell can start DATA even unpatched, or None: a `#!` line ending in CR (a CRLF file)."""
    first = data.split(b"\n", 1)[0]
    if first.startswith(b"#!") and first.endswith(b"\r"):
        interpreter = display(first[2:-1].strip().split(b" ")[0])
        return (f"CRLF line endings: it cannot run even unpatched (the kernel looks for an interpreter named "
                f"'{interpreter}\\r'); convert it with dos2unix, then patch it")
    return None


def display(data: bytes) -> str:
    """Decode for display only: UTF-8 where valid, Latin-1 bytes otherwise."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")
