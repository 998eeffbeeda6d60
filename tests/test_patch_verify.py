"""`patch --verify`: every written file's status runs in the verify sandbox before success is reported."""
from __future__ import annotations

import shutil

import pytest

from corpus_cases import INPUT, REPO
from rewrite.cli import main

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")


def test_patched_outputs_verify_in_every_state(tmp_path, capsys):
    scripts = [str(REPO / INPUT / "redhat-2010" / n) for n in ("httpd", "tomcat")]
    assert main(["patch", "--verify", "--dest", str(tmp_path / "D"), *scripts]) == 1  # 1: files were patched
    assert "Verified 3 files: 3 right in every state, 0 not\n" in capsys.readouterr().err


def test_an_output_still_judged_wrong_is_reported(tmp_path, capsys):
    """Text and exit codes are fixed, but the script only tests that its pid file exists: with a
    stale pid file it still says running, which no edit of its words can mend."""
    script = tmp_path / "sloppy"
    script.write_bytes(b'#!/bin/sh\nPIDFILE=/var/run/sloppy.pid\ncase "$1" in\n  status)\n'
                       b'    if [ -f $PIDFILE ]; then echo "sloppy is running"; exit 0; fi\n'
                       b'    echo "sloppy is not running"; exit 0 ;;\nesac\n')
    script.chmod(0o755)
    assert main(["patch", "--verify", "--dest", str(tmp_path / "D"), str(script)]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'D' / 'sloppy'}: dead-pidfile: wrong for rm, lrmd, lsb: stdout 'sloppy is running'" in err
    assert "Verified 1 file: 0 right in every state, 1 not\n" in err
