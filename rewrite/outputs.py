"""Which files a patch run writes: each patched script, and the patched library it sources."""
from __future__ import annotations

import os
from collections.abc import Sequence
from typing import NamedTuple

from rewrite.deploy import Planned
from rewrite.pipeline import PATCHABLE, FileResult
from rewrite.review import section


class Output(NamedTuple):
    name: str  # the file name in the destination
    result: FileResult


class Conflict(Exception):
    """Two different inputs would be written under the same name."""


def plan_outputs(results: Sequence[FileResult], dest: str, libraries: dict[str, FileResult]) -> list[Output]:
    """Library copies first (the scripts source them), then scripts in input order.

    A script's library is written when the script was rewired to it; a library given as a path is
    written when it needs patching. Two inputs claiming one name is a conflict, found before writing.
    """
    wanted = [libraries[r.library] for r in results if r.rewired and r.library is not None]
    wanted += [r for r in results if r.kind == "library"]
    wanted += [r for r in results if r.kind != "library"]
    outputs: dict[str, Output] = {}
    for result in wanted:
        if result.state != PATCHABLE and not result.wrapped:
            continue
        previous = outputs.get(result.name)
        if previous is not None and os.path.realpath(previous.result.path) != os.path.realpath(result.path):
            raise Conflict(f"{os.path.join(dest, result.name)}: both {previous.result.path} and "
                           f"{result.path} would be written there")
        outputs.setdefault(result.name, Output(result.name, result))
    return list(outputs.values())


def planned(outputs: Sequence[Output]) -> list[Planned]:
    """What the deployer writes for each output; its diff is the review section `apply` reads."""
    return [Planned(o.name, os.path.abspath(o.result.path), o.result.original, o.result.patched or b"",
                    section(o.result.path, o.result.original, o.result.diff), o.result.mode,
                    o.result.library_name if o.result.rewired else None) for o in outputs]
