"""Which files a patch run writes: each patched script, and the patched library it sources."""
from __future__ import annotations

import os
from collections.abc import Sequence
from typing import NamedTuple, overload

from rewrite.deploy import Planned
from rewrite.pipeline import PATCHABLE, FileResult
from rewrite.review import section
from rewrite.spill import Spill


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


class Staged(Sequence[Planned]):
    """What the deployer writes for each output, made when it is read: the bytes of results parked in
    a Spill are read back one output at a time, as the deployer, a dry run or a review takes them."""

    def __init__(self, outputs: Sequence[Output], spill: Spill | None = None) -> None:
        self._outputs = outputs
        self._spill = spill

    def __len__(self) -> int:
        return len(self._outputs)

    @overload
    def __getitem__(self, index: int) -> Planned: ...

    @overload
    def __getitem__(self, index: slice) -> list[Planned]: ...

    def __getitem__(self, index: int | slice) -> Planned | list[Planned]:
        if isinstance(index, slice):
            return [self._planned(o) for o in self._outputs[index]]
        return self._planned(self._outputs[index])

    def _planned(self, output: Output) -> Planned:
        """The output's Planned; its diff is the review section `apply` reads."""
        result = output.result if self._spill is None else self._spill.restore(output.result)
        return Planned(output.name, os.path.abspath(result.path), result.original, result.patched or b"",
                       section(result.path, result.original, result.diff), result.mode,
                       result.library_name if result.rewired else None)


def planned(outputs: Sequence[Output], spill: Spill | None = None) -> Staged:
    """What the deployer writes for each output, the bytes of results parked in SPILL read back as it goes."""
    return Staged(outputs, spill)
