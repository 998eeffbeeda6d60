"""The pre-commit hook (.pre-commit-hooks.yaml), run by a real pre-commit on a repository of init scripts."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from corpus_cases import INPUT, REPO

PRE_COMMIT = Path(sys.executable).with_name("pre-commit")


def test_pre_commit_runs_the_scan_hook(tmp_path: Path) -> None:
    """pre-commit installs the hook from this repository, passes it the files tagged `shell` and
    fails on the scan's exit code 1, showing its PATH:LINE:COL lines; a compliant file passes."""
    scripts = tmp_path / "repo" / "scripts"
    scripts.mkdir(parents=True)
    for family, name in (("redhat-2010", "httpd"), ("redhat-2010", "functions"), ("handmade", "compliant")):
        shutil.copy(REPO / INPUT / family / name, scripts / name)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    git = ["git", "-c", "safe.directory=*"]
    subprocess.run([*git, "init", "-q", "."], cwd=tmp_path / "repo", check=True)
    subprocess.run([*git, "add", "."], cwd=tmp_path / "repo", check=True)

    def hook(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(PRE_COMMIT), "try-repo", str(REPO), "ha-rewrite-scan", *args],
                              cwd=tmp_path / "repo", env=env, capture_output=True, text=True, timeout=600)

    failed = hook("--all-files")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert re.search(r"^ha-rewrite scan\.+Failed$", failed.stdout, re.MULTILINE)
    assert re.search(r"^scripts/httpd:\d+:\d+: HB030 status comes from scripts/functions", failed.stdout, re.MULTILINE)
    assert "2 files: 1 compliant, 1 patchable" in failed.stdout  # `functions` has no shebang: not `shell`
    passed = hook("--files", "scripts/compliant")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert re.search(r"^ha-rewrite scan\.+Passed$", passed.stdout, re.MULTILINE)
