"""Real bash runs the library's status(), before and after patching, with fake daemons.

Contract rules exercised: running prints exactly `running` first and returns 0 (rule 1);
stopped prints `stopped` wording, neither `running` nor `OK`, and returns 3 (rules 2, 3);
the unpatched Red Hat line is cut off by lrmd's 79-byte window (HB001).
"""
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from corpus_cases import INPUT, REPO
from rewrite.cli import main
from rewrite.contract import judge, lrmd_verdict, rm_verdict

ERAS = {  # how each era's status() is called for a pid file
    "redhat-2004": ["status", "httpd"],
    "redhat-2007": ["status", "-p", "{pidfile}", "httpd"],
    "redhat-2010": ["status", "-p", "{pidfile}", "httpd"],
}


class Daemons:
    """Copies of `sleep` named httpd, so pidof and /proc see that name; a pid file listing them."""

    def __init__(self, root: Path) -> None:
        self.binary = root / "httpd"
        shutil.copy(shutil.which("sleep") or "/bin/sleep", self.binary)
        self.pidfile = root / "httpd.pid"
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, count: int) -> None:
        self.procs += [subprocess.Popen([str(self.binary), "300"]) for _ in range(count)]
        self.pidfile.write_text(self.pids + "\n")

    @property
    def pids(self) -> str:
        return " ".join(str(p.pid) for p in self.procs)

    def stop(self) -> None:
        for proc in self.procs:
            proc.kill()
            proc.wait()
        self.procs = []
        self.pidfile.unlink(missing_ok=True)


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[Daemons]:
    fakes = Daemons(tmp_path)
    yield fakes
    fakes.stop()


def _status(library: Path, era: str, pidfile: Path) -> tuple[bytes, int]:
    call = " ".join(f'"{a}"' for a in ERAS[era]).format(pidfile=pidfile)
    run = subprocess.run(["bash", "-c", f'. "$1"; {call}', "status-test", str(library)],
                         capture_output=True, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"},
                         timeout=30)
    return run.stdout, run.returncode


@pytest.fixture
def patched(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    era = request.param
    dest = tmp_path / "dest"
    assert main(["patch", "--dest", str(dest), "--functions", str(REPO / INPUT / era / "functions")]) == 1
    return dest / "functions"


@pytest.mark.parametrize("patched", list(ERAS), indirect=True, ids=list(ERAS))
def test_patched_library_prints_running_with_nine_daemons(patched, daemons, request):
    era = request.node.callspec.id
    daemons.start(9)
    stdout, code = _status(patched, era, daemons.pidfile)
    assert stdout.split(b"\n")[0] == b"running"
    assert code == 0
    assert judge(stdout, code) == ("running", "running", "running")


@pytest.mark.parametrize("patched", list(ERAS), indirect=True, ids=list(ERAS))
def test_patched_library_prints_stopped_with_none(patched, daemons, request):
    era = request.node.callspec.id
    stdout, code = _status(patched, era, daemons.pidfile)
    assert b"stopped" in stdout
    assert b"running" not in stdout.lower() and b"OK" not in stdout
    assert code == 3
    assert judge(stdout, code) == ("stopped", "stopped", "stopped")


@pytest.mark.parametrize("era", list(ERAS))
def test_unpatched_library_fails_lrmd_with_many_daemons(era, daemons):
    """Enough pids to push `running` past the window, whatever their width (a fresh container's are short)."""
    while len(f"httpd (pid {daemons.pids}) is running") <= 79:
        daemons.start(1)
    stdout, code = _status(REPO / INPUT / era / "functions", era, daemons.pidfile)
    assert code == 0
    assert b"is running..." in stdout.split(b"\n")[0]
    assert rm_verdict(stdout) == "running"
    assert lrmd_verdict(stdout) == "stopped"
