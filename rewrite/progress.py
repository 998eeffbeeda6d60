"""A one-line progress bar on stderr: files done / total, rate, ETA. Plain `\\r` and one ANSI code.

It draws only on a terminal and not with --quiet; otherwise every call does nothing, so callers
never need to ask. Pass it as `batch.run(..., progress=bar)`; print other lines through
`bar.write(line)` so that they do not collide with the bar.
"""
from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

ERASE = "\r\x1b[K"  # back to the start of the line, clear to its end


class ProgressBar:
    """Call it with (done, total) after each file; close() erases it."""

    def __init__(self, stream: TextIO | None = None, quiet: bool = False, interval: float = 0.1,
                 clock: Callable[[], float] = time.monotonic, columns: int | None = None) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.enabled = not quiet and _is_terminal(self.stream)
        self.interval = interval  # seconds between redraws; the last file always redraws
        self.clock = clock
        self.columns = columns if columns is not None else _columns(self.stream)
        self.start = clock()
        self.last_draw: float | None = None
        self.line = ""

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if done < total and self.last_draw is not None and now - self.last_draw < self.interval:
            return
        self.last_draw = now
        self.line = render(done, total, now - self.start, self.columns)
        self.stream.write(ERASE + self.line)
        self.stream.flush()

    def write(self, line: str) -> None:
        """Print LINE (no newline needed) above the bar, then draw the bar again."""
        if self.enabled and self.line:
            self.stream.write(ERASE + line + "\n" + self.line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Erase the bar, leaving the cursor at the start of an empty line."""
        if self.enabled and self.line:
            self.stream.write(ERASE)
            self.stream.flush()
        self.line = ""

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def render(done: int, total: int, elapsed: float, columns: int = 80) -> str:
    """`[#####.....]  50/100 files  50%  25.0 files/s  ETA 0:02`, cut to fit COLUMNS - 1."""
    fraction = done / total if total else 1.0
    rate = done / elapsed if elapsed > 0 else 0.0
    eta = format_duration((total - done) / rate) if rate > 0 else "?"
    figures = f"{done}/{total} files {fraction:4.0%}  {rate:.1f} files/s  ETA {eta}"
    width = max(10, min(40, columns - len(figures) - 4))
    filled = int(width * fraction)
    return f"[{'#' * filled}{'.' * (width - filled)}] {figures}"[:max(columns - 1, 1)]


def format_duration(seconds: float) -> str:
    """`M:SS`, or `H:MM:SS` from an hour on."""
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _columns(stream: TextIO) -> int:
    """The width of the terminal STREAM writes to (stdout may be redirected while stderr is not)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return shutil.get_terminal_size().columns


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or minimal stream
        return False


__all__ = ["ERASE", "ProgressBar", "format_duration", "render"]
