"""Turn a reviewed series back into outputs, refusing every section whose original has drifted."""
from __future__ import annotations

import os
from collections.abc import Iterator
from typing import NamedTuple

from rewrite.deploy import Planned
from rewrite.diffs import DiffError, apply_diff
from rewrite.review import Section, sha256


NEW_FILE = b"--- /dev/null"  # a wrapper: a new file beside the original it runs


class Refusal(NamedTuple):
    name: str
    reason: str  # one line: which file, which hunk, why


def plan_apply(sections: list[Section]) -> Iterator[Planned | Refusal]:
    """Each section as the exact reviewed output, or the reason it cannot be applied."""
    for sec in sections:
        yield _plan(sec)


def _plan(sec: Section) -> Planned | Refusal:
    try:
        with open(sec.source, "rb") as handle:
            original = handle.read()
            mode = os.fstat(handle.fileno()).st_mode & 0o7777
    except OSError as exc:
        return Refusal(sec.name, f"{sec.source}: {exc.strerror or exc}")
    if sha256(original) != sec.sha256:
        return Refusal(sec.name, f"{sec.source}: changed since the diff was made "
                                 f"(sha256 {sha256(original)[:12]}, reviewed {sec.sha256[:12]})")
    try:
        patched = apply_diff(b"" if NEW_FILE in sec.diff.split(b"\n") else original, sec.diff)
    except DiffError as exc:
        return Refusal(sec.name, f"{sec.source}: {exc}")
    return Planned(sec.name, os.path.abspath(sec.source), original, patched, sec.diff, mode)
