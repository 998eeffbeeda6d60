"""Regenerate corpus/expected/ on purpose: `python tests/regen_expected.py`, then review `git diff`.

The golden tests never write; this script is the only thing that does.
"""
from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from corpus_cases import EXPECTED, REPO, families, patch_args, scan_args  # noqa: E402

from rewrite.cli import main  # noqa: E402


def regenerate() -> None:
    os.chdir(REPO)
    shutil.rmtree(EXPECTED, ignore_errors=True)
    for family in families():
        dest = EXPECTED / family
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = main(scan_args(family))
            main(patch_args(family, dest))
        dest.mkdir(parents=True, exist_ok=True)
        (dest / ".ha-rewrite.json").unlink(missing_ok=True)  # times and absolute paths: not a golden
        (dest / "scan.txt").write_text(out.getvalue() + f"exit {code}\n")


if __name__ == "__main__":
    regenerate()
