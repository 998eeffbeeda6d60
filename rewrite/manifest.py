"""DEST/.ha-rewrite.json: what ha-rewrite wrote into a destination, so later runs can tell drift.

For each output file: the source's path and hash, the output's hash, the tool version and time.
`status` compares them with the disk; `patch` and `apply` refuse to overwrite an output whose
hash is not the recorded one (edited by hand) unless told to.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rewrite.review import sha256

MANIFEST = ".ha-rewrite.json"
FORMAT = 1


@dataclass(frozen=True)
class Entry:
    source: str  # absolute path of the original
    source_sha256: str
    output_sha256: str
    tool_version: str
    time: str  # UTC, ISO 8601
    previous_sha256: str | None = None  # set while a run replaces the output: its hash before ("" none)


class ManifestError(Exception):
    """A manifest that cannot be read; the message is one line."""


def load(dest: Path) -> dict[str, Entry]:
    """The entries of DEST's manifest, by output name; none when there is no manifest yet."""
    path = dest / MANIFEST
    try:
        raw = json.loads(path.read_bytes())
        return {name: Entry(**fields) for name, fields in raw["files"].items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ManifestError(f"{path}: unreadable manifest: {exc}") from exc


def dump(entries: dict[str, Entry]) -> bytes:
    files = {name: {k: v for k, v in vars(entry).items() if v is not None} for name, entry in sorted(entries.items())}
    return json.dumps({"format": FORMAT, "files": files}, indent=2).encode() + b"\n"


def file_sha256(path: Path) -> str | None:
    """The hash of a regular file, None when it is missing (a symlink counts as missing content)."""
    try:
        if path.is_symlink():
            return None
        return sha256(path.read_bytes())
    except OSError:
        return None


OK = "ok"
SOURCE_CHANGED = "source changed"
EDITED = "edited"
MISSING = "missing"
INTERRUPTED = "interrupted"


def state(dest: Path, name: str, entry: Entry) -> str:
    """ok, missing (output gone), edited (output changed by hand), source changed (re-run needed),
    interrupted (a run was stopped before it replaced this output: re-run)."""
    output = file_sha256(dest / name)
    if entry.previous_sha256 is not None and output != entry.output_sha256 and \
            (output or "") == entry.previous_sha256:
        return INTERRUPTED
    if output is None:
        return MISSING
    if output != entry.output_sha256:
        return EDITED
    if file_sha256(Path(entry.source)) != entry.source_sha256:
        return SOURCE_CHANGED
    return OK
