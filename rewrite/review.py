"""Review diffs: per-file sections that record the original's path and SHA-256, and parsing them back.

A section is one line that GNU `patch` and `git apply` skip as leading garbage, then a plain unified
diff:

    ha-rewrite: source "/etc/init.d/httpd" sha256 2c26b4...
    --- a/httpd
    +++ b/httpd
    @@ ...

The path is a JSON string, so any file name survives; `apply` checks the hash before it touches
anything, so nothing is deployed that differs from what was reviewed.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from typing import NamedTuple

from rewrite.diffs import DiffError, check_diff

_HEADER = re.compile(rb'^ha-rewrite: source ("(?:[^"\\]|\\.)*") sha256 ([0-9a-f]{64})$')
_TARGET = re.compile(rb"^\+\+\+ (\S+)")


class Section(NamedTuple):
    source: str  # the original's path, as it was given when the diff was made
    sha256: str  # the original's hash when the diff was made
    name: str  # the output's file name in the destination
    diff: bytes  # the section: header line and unified diff, as `patch` writes DEST/NAME.diff
    line: int  # where the section starts in the series (1-based), for messages


class ReviewError(Exception):
    """A series that cannot be trusted; the message is one line naming where and why."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def header(source: str, original: bytes) -> bytes:
    path = json.dumps(os.fsdecode(source), ensure_ascii=True).encode()
    return b"ha-rewrite: source " + path + b" sha256 " + sha256(original).encode() + b"\n"


def section(source: str, original: bytes, diff: bytes) -> bytes:
    """One file's review section; b"" when there is nothing to change."""
    return header(source, original) + diff if diff else b""


def parse_series(data: bytes) -> list[Section]:
    """Split a reviewed series into sections; refuse anything that is not exactly that."""
    starts = [i for i, line in enumerate(data.split(b"\n")) if _HEADER.match(line)]
    lines = data.split(b"\n")
    if not starts:
        raise ReviewError("no `ha-rewrite: source` header: not a series written by `ha-rewrite diff`")
    if any(line.strip() for line in lines[:starts[0]]):
        raise ReviewError("line 1: text before the first `ha-rewrite: source` header")
    bounds = starts + [len(lines)]
    return [_section(lines, begin, end) for begin, end in zip(bounds, bounds[1:])]


def _section(lines: list[bytes], begin: int, end: int) -> Section:
    match = _HEADER.match(lines[begin])
    assert match is not None
    body = b"\n".join(lines[begin:end])
    if end < len(lines):
        body += b"\n"
    try:
        source = json.loads(match.group(1))
        check_diff(body)
    except (ValueError, DiffError) as exc:
        raise ReviewError(f"line {begin + 1}: {exc}") from exc
    return Section(source, match.group(2).decode(), _target_name(lines[begin:end], begin), body, begin + 1)


def _target_name(lines: list[bytes], begin: int) -> str:
    """The output's name from `+++ b/NAME`: one plain file name, nothing that leaves the destination."""
    targets = [m.group(1) for m in map(_TARGET.match, lines) if m]
    if len(targets) != 1:
        raise ReviewError(f"line {begin + 1}: a section must patch exactly one file")
    raw = targets[0][2:] if targets[0].startswith(b"b/") else targets[0]
    name = os.fsdecode(raw)
    if not name or "/" in name or name in (".", "..") or name.startswith("."):
        raise ReviewError(f"line {begin + 1}: output name {name!r} would leave the destination")
    return name


_COLOURS = ((b"ha-rewrite:", b"\033[33m"), (b"---", b"\033[1m"), (b"+++", b"\033[1m"), (b"@@", b"\033[36m"),
            (b"-", b"\033[31m"), (b"+", b"\033[32m"))


def colorize(series: bytes) -> bytes:
    """ANSI colours as git diff uses them: headers bold, hunks cyan, removals red, additions green."""
    out = []
    for line in series.split(b"\n"):
        colour = next((c for prefix, c in _COLOURS if line.startswith(prefix)), b"")
        out.append(colour + line + b"\033[m" if colour else line)
    return b"\n".join(out)
