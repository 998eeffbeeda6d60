"""The consumers of CONTRACT.md as code: what each one concludes from a status run.

rm    Heartbeat's ResourceManager: all of stdout, shell globs.
lrmd  the CRM's lrmd: the first line of stdout inside an 80-byte buffer (79 bytes + NUL).
lsb   Pacemaker's lsb: class: the exit code alone.
"""
from __future__ import annotations

import re
from typing import NamedTuple

RUNNING = "running"
STOPPED = "stopped"
UNKNOWN = "unknown"

LRMD_WINDOW = 79

# `X.*Y` is searched as X, then Y after the first X: the same answer (the first X ends first) in
# one pass, where `.*` tries every end of the text again after each X (quadratic in a text of many X).
_RM_NOT = re.compile(rb"[Nn][Oo][Tt] ")
_RM_RUNNING_WORD = re.compile(rb"[Rr]unning")
_RM_RUNNING = re.compile(rb"[Rr]unning|OK")
_LRMD_NOT = re.compile(rb"not")
_LRMD_RUNNING = re.compile(rb"running")


class Verdicts(NamedTuple):
    rm: str
    lrmd: str
    lsb: str


def rm_verdict(stdout: bytes) -> str:
    """ResourceManager's `case` on `$script status`: not-running is checked first."""
    if _then(_RM_NOT, _RM_RUNNING_WORD, stdout):  # `*[Nn][Oo][Tt]\ *[Rr]unning*`
        return STOPPED
    return RUNNING if _RM_RUNNING.search(stdout) else STOPPED


def lrmd_buffer(stdout: bytes, window: int | None = LRMD_WINDOW) -> bytes:
    """What lrmd sees: at most 79 bytes, cut at the first newline."""
    return stdout[:window].split(b"\n", 1)[0]


def lrmd_verdict(stdout: bytes, window: int | None = LRMD_WINDOW) -> str:
    """lrmd's RAExec heartbeat plugin: stopped patterns first, `running` case-blind, `OK` not.

    WINDOW=None judges the whole first line: what lrmd would conclude with a larger buffer.
    """
    seen = lrmd_buffer(stdout, window)
    lower = seen.lower()
    if b"stopped" in lower or _then(_LRMD_NOT, _LRMD_RUNNING, lower):  # `stopped|not.*running`
        return STOPPED
    return RUNNING if b"running" in lower or b"OK" in seen else STOPPED


def lsb_verdict(code: int | None) -> str:
    """Pacemaker's lsb: class reads the exit code alone."""
    if code == 0:
        return RUNNING
    if code in (1, 2, 3):
        return STOPPED
    return UNKNOWN


def judge(stdout: bytes, code: int | None) -> Verdicts:
    """Every consumer's verdict on one status run."""
    return Verdicts(rm_verdict(stdout), lrmd_verdict(stdout), lsb_verdict(code))


def says_running(text: bytes) -> bool:
    """Contract rule 2: a stopped path must not print `running` (any case) or `OK`."""
    return b"running" in text.lower() or b"OK" in text


_NEGATION = re.compile(rb"\b(not|isn't|is\s+not|never)\b", re.IGNORECASE)
_NEGATED = re.compile(rb"\b(running|ok)\b", re.IGNORECASE)
_STOPPED_WORDS = re.compile(rb"\b(stopped|dead|unused|inactive|down|failed|failure)\b", re.IGNORECASE)
_RUNNING_WORDS = re.compile(rb"\b(running|alive|active|up)\b|\bOK\b", re.IGNORECASE)


def text_outcome(text: bytes) -> str:
    """What a message means to a human reader: running, stopped, or unknown."""
    if _then(_NEGATION, _NEGATED, text) or _STOPPED_WORDS.search(text):
        return STOPPED
    return RUNNING if _RUNNING_WORDS.search(text) else UNKNOWN


def _then(first: re.Pattern[bytes], then: re.Pattern[bytes], text: bytes) -> bool:
    """Does THEN occur in TEXT after (not overlapping) the first occurrence of FIRST: `FIRST.*THEN`."""
    found = first.search(text)
    return found is not None and then.search(text, found.end()) is not None
