"""Wrappers for scripts whose status text no edit can fix: status from the original's exit code."""
from __future__ import annotations

import shlex
from collections.abc import Sequence

from rewrite import __version__
from rewrite.jinja import environment
from rewrite.scan import Output

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
