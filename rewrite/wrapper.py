"""Wrappers for scripts whose status text no edit can fix: status from the original's exit code."""
from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from pathlib import Path

from rewrite import __version__
from rewrite.jinja import environment
from rewrite.manifest import ManifestError, load
from rewrite.parse import parse
from rewrite.scan import Output
from rewrite.targets import assignments

LSB_CODES = range(0, 5)


def lsb_refusal(outputs: Sequence[Output]) -> str | None:
    """Why the original's status exit codes cannot be trusted to be LSB-like, or None.

    Codes propagated from a program (`$DAEMON status; exit $?`) are unknown here and trusted; a
    literal outside 0-4, or a status that exits 0 on every path, is the "not LSB compliant" case.
    """
    codes = [o.code for o in outputs if o.role == "status" and o.stream == "stdout"]
    odd = sorted({c for c in codes if c is not None and c not in LSB_CODES})
    if odd:
        return f"its status exits {', '.join(map(str, odd))}, which is not an LSB status code"
    if codes and all(c == 0 for c in codes):
        return "its status exits 0 whatever the state (not LSB compliant)"
    return None


def render_wrapper(original: str, reason: str, word: bytes, lsb: bool = False) -> bytes:
    """The wrapper script for ORIGINAL (its absolute path where it will be deployed).

    LSB: judge the original's status by its words and make start and stop idempotent
    (wrapper-lsb.sh.j2), for scripts whose exit codes no edit can make LSB-correct.
    """
    template = environment().get_template("wrapper-lsb.sh.j2" if lsb else "wrapper.sh.j2")
    return template.render(original=original, original_quoted=shlex.quote(original), reason=reason,
                           word=word.decode(), version=__version__).encode()


HEADER = b"written by ha-rewrite "  # on the wrapper's second line (both templates)


def is_wrapper(data: bytes) -> bool:
    """A wrapper `patch` wrote: its header comment says so and it names its `original=`."""
    head = data.split(b"\n", 3)[:3]
    return len(head) > 1 and head[1].startswith(b"# Heartbeat wrapper") and HEADER in head[1] \
        and b"\noriginal=" in data


def wrapped_original(data: bytes, path: str) -> tuple[str, str] | None:
    """(the original on this host, where the wrapper runs it) for a wrapper at PATH; None if not found.

    The wrapper names the original where it will be deployed (`original=/etc/init.d/nfs`, from
    --original-dir). When no file is there on this host, the manifest of the wrapper's directory
    says which file `patch` read: that file stands in for it, bound at the deployed path.
    """
    value = assignments(parse(data).root_node, path).get(b"original")
    if value is None or not value.startswith(b"/"):
        return None
    deployed = os.fsdecode(value)
    if os.path.isfile(deployed):
        return deployed, deployed
    try:
        entry = load(Path(path).parent).get(os.path.basename(path))
    except ManifestError:
        return None
    if entry is None or os.path.basename(entry.source) != os.path.basename(deployed) \
            or not os.path.isfile(entry.source):
        return None
    return entry.source, deployed
