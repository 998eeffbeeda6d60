"""What a destination written by `patch` says about its files, for running them where they were staged.

The manifest (rewrite.manifest) names the original each output was made from: a wrapper's original
and the libraries beside that original are found through it, as `scan` finds them for a re-scan.
"""
from __future__ import annotations

import os
from pathlib import Path

from rewrite.manifest import ManifestError, load
from rewrite.parse import parse
from rewrite.targets import assignments


def recorded_source(path: str) -> str | None:
    """The original `patch` read to write PATH, from the manifest of PATH's directory; None if unknown."""
    try:
        entry = load(Path(path).parent).get(os.path.basename(path))
    except ManifestError:
        return None
    return entry.source if entry is not None and os.path.isfile(entry.source) else None


def wrapped_original(data: bytes, path: str) -> tuple[str, str] | None:
    """(the original on this host, where the wrapper runs it) for a wrapper at PATH; None if not found.

    The wrapper names the original where it will be deployed (`original=/etc/init.d/nfs`, from
    --original-dir). The manifest of the wrapper's directory says which file `patch` read: that file
    is the original, bound at the deployed path (this host's own /etc/init.d/nfs, if any, is another
    script). Without a manifest entry, the deployed path itself when it exists here.
    """
    value = assignments(parse(data).root_node, path).get(b"original")
    if value is None or not value.startswith(b"/"):
        return None
    deployed = os.fsdecode(value)
    source = recorded_source(path)
    if source is not None and os.path.basename(source) == os.path.basename(deployed):
        return source, deployed
    return (deployed, deployed) if os.path.isfile(deployed) else None
