"""Crash safety: SIGKILL `patch` and `apply` at several moments of a large batch.

Every output must be the old complete file or the new complete file, the manifest must name the
bytes on disk (as the recorded output or the one being replaced), and a re-run completes the job.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corpus_cases import REPO
from rewrite.cli import main
from rewrite.manifest import MANIFEST
from rewrite.review import sha256

COUNT = 400
SCRIPT = b"""#!/bin/sh
# %(version)s
NAME=app%(n)d
case "$1" in
  status)
    if [ -f /run/app%(n)d.pid ]; then echo "$NAME is running"; exit 0; fi
    echo "$NAME is not running"
    exit 3
    ;;
esac
"""


def _sources(root: Path, version: bytes) -> list[str]:
    root.mkdir(exist_ok=True)
    for n in range(COUNT):
        (root / f"app{n}").write_bytes(SCRIPT % {b"version": version, b"n": n})
    return [str(root / f"app{n}") for n in range(COUNT)]


def _outputs(dest: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in dest.iterdir() if p.name != MANIFEST and not p.name.endswith(".tmp")}


@pytest.fixture(scope="module")
def stages(tmp_path_factory):
    root = tmp_path_factory.mktemp("crash")
    paths = _sources(root / "in", b"version 1")
    assert main(["patch", "--dest", str(root / "old"), *paths]) == 1
    _sources(root / "in", b"version 2")
    assert main(["patch", "--dest", str(root / "new"), *paths]) == 1
    assert main(["diff", *paths, "-o", str(root / "review.patch")]) == 1  # the reviewed series of version 2
    return root, paths


@pytest.mark.parametrize("command", ("patch", "apply"))
@pytest.mark.parametrize("delay", (0.0, 0.15, 0.3, 0.5, 0.8, 1.2))
def test_sigkill_leaves_old_or_new_and_rerun_completes(stages, tmp_path, command, delay, capsys):
    root, paths = stages
    old, new = _outputs(root / "old"), _outputs(root / "new")
    dest = tmp_path / "D"
    shutil.copytree(root / "old", dest)
    args = ["--dest", str(dest), *paths] if command == "patch" else ["--dest", str(dest), str(root / "review.patch")]
    run = subprocess.Popen([sys.executable, "-m", "rewrite.cli", command, *args],
                           cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    run.send_signal(signal.SIGKILL)
    run.wait()

    now = _outputs(dest)
    assert set(now) == set(old)
    assert all(now[name] in (old[name], new[name]) for name in now)
    entries = json.loads((dest / MANIFEST).read_bytes())["files"]
    for name, entry in entries.items():
        on_disk = sha256((dest / name).read_bytes())
        assert on_disk in (entry["output_sha256"], entry.get("previous_sha256"))

    assert main(["status", "--dest", str(dest)]) in (0, 1)
    states = {line.rsplit(": ", 1)[1] for line in capsys.readouterr().out.splitlines()}
    assert states <= {"ok", "interrupted", "source changed"}

    assert main([command, *args]) in (0, 1)
    assert _outputs(dest) == new
    assert not list(dest.glob(".*.tmp"))
    capsys.readouterr()
    assert main(["status", "--dest", str(dest)]) == 0
