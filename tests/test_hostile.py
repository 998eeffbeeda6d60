"""Hostile inputs: each gets correct handling or a one-line error naming the file, never a traceback.

Nothing is ever written outside the destination, through a symlink, or over an input.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from corpus_cases import INPUT, REPO
from rewrite.cli import main
from rewrite.source import MAX_BYTES
from samples import SELF_MADE, write_script

STATUS = SELF_MADE
FIXED = STATUS.replace(b"is not running", b"is stopped")
HASH_BANG, REST = STATUS.split(b"\n", 1)[0] + b"\n", STATUS.split(b"\n", 1)[1]


_file = write_script


def _run(argv, capsys):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


@pytest.mark.parametrize(("data", "reason"), (
    pytest.param(b"\x7fELF\x02\x01\x01" + bytes(range(256)), "binary file", id="ELF binary"),
    pytest.param(STATUS + b"\x00" * 3 + b"tail\n", "binary file", id="NUL byte after the text"),
    pytest.param(b"", "empty file", id="empty"),
    pytest.param(b"#!/usr/bin/python3\nprint('status')\n", "interpreter is python3", id="python"),
))
def test_not_a_script_is_skipped_quietly(tmp_path, capsys, data, reason):
    path = _file(tmp_path / "x", data)
    code, out, err = _run(["scan", "--format", "json", path], capsys)
    assert code == 0 and err == ""
    assert f'"reason": "{reason}"' in out and '"state": "not-a-script"' in out


@pytest.mark.parametrize("data", (
    pytest.param(STATUS.replace(b"is not running", b"caf\xe9 is not running"), id="Latin-1 in the message"),
    pytest.param(STATUS.replace(b"is not running", b"\xff\xfe is not running"), id="invalid UTF-8"),
    pytest.param(HASH_BANG + REST.replace(b"\n", b"\r\n"), id="CRLF past the #! line"),  # on it: HB051
    pytest.param(HASH_BANG + REST.replace(b"\n", b"\r\n", 4), id="mixed line endings"),
    pytest.param(STATUS.rstrip(b"\n"), id="no final newline"),
))
def test_odd_bytes_survive(tmp_path, capsys, data):
    path = _file(tmp_path / "app", data)
    code, _, _ = _run(["patch", "--dest", tmp_path / "D", path], capsys)
    assert code == 1
    assert (tmp_path / "D" / "app").read_bytes() == data.replace(b"is not running", b"is stopped")


def _filled(size: int) -> bytes:
    """STATUS with comment lines after its first assignment, SIZE bytes in all."""
    line = b"# filler line, long enough to weigh something in the file\n"
    count, rest = divmod(size - len(STATUS), len(line))
    return STATUS.replace(b"NAME=app\n", b"NAME=app\n" + line * count + b"#" * (rest - 1) + b"\n")


def test_a_script_of_the_largest_size_read_is_patched(tmp_path, capsys):
    data = _filled(MAX_BYTES)
    assert len(data) == MAX_BYTES
    path = _file(tmp_path / "app", data)
    code, _, _ = _run(["patch", "--dest", tmp_path / "D", path], capsys)
    assert code == 1
    assert (tmp_path / "D" / "app").read_bytes() == data.replace(b"is not running", b"is stopped")


@pytest.mark.parametrize("size", (MAX_BYTES + 1, 20 << 20))
def test_a_file_larger_than_any_script_is_not_read(tmp_path, capsys, size):
    """A log, a disk image or a core dump in a collected tree: parsing 100 MB of dense text would take
    14 GB. It is skipped as not a script, unread, and nothing is written for it."""
    path = _file(tmp_path / "app", _filled(size))
    code, out, err = _run(["scan", "--format", "json", path], capsys)
    (record,) = json.loads(out)["files"]
    assert (code, err, record["state"]) == (0, "", "not-a-script")
    assert record["reason"] == f"{size / (1 << 20):.1f} MiB: larger than any init script (at most 4 MiB are read)"
    assert _run(["patch", "--dest", tmp_path / "D", path], capsys)[0] == 0
    assert not (tmp_path / "D").exists()


def test_ten_thousand_deep_nesting(tmp_path, capsys):
    depth = 10_000
    data = (b'#!/bin/sh\ncase "$1" in\n  status)\n' + b"if true; then\n" * depth
            + b'echo "app is not running"; exit 3\n' + b"fi\n" * depth + b";;\nesac\n")
    path = _file(tmp_path / "app", data)
    code, _, _ = _run(["patch", "--dest", tmp_path / "D", path], capsys)
    assert code == 1
    patched = (tmp_path / "D" / "app").read_bytes()
    assert patched == data.replace(b"is not running", b"is stopped")
    checks = [subprocess.run(["bash", "-n", str(p)], capture_output=True).returncode
              for p in (path, tmp_path / "D" / "app")]
    assert checks[0] == checks[1]  # bash's own parser gives up near 2,500 levels: on both, or neither


def test_fifo_and_dangling_link_are_errors_not_hangs(tmp_path, capsys):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    good = _file(tmp_path / "app", STATUS)
    code, out, err = _run(["scan", tmp_path / "fifo", tmp_path / "dangling", good], capsys)
    assert code == 2
    assert err.splitlines() == [f"{tmp_path / 'fifo'}: error: not a regular file",
                                f"{tmp_path / 'dangling'}: error: No such file or directory"]
    assert "HB010" in out


def test_symlinked_source_is_read_through_and_named_after_the_link(tmp_path, capsys):
    real = _file(tmp_path / "app-1.2", STATUS)
    (tmp_path / "app").symlink_to(real)
    code, _, _ = _run(["patch", "--dest", tmp_path / "D", tmp_path / "app"], capsys)
    assert code == 1
    assert (tmp_path / "D" / "app").read_bytes() == FIXED
    assert not (tmp_path / "D" / "app-1.2").exists()


def test_destination_that_is_a_symlink_is_refused(tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "D").symlink_to(elsewhere)
    code, _, err = _run(["patch", "--dest", tmp_path / "D", _file(tmp_path / "app", STATUS)], capsys)
    assert code == 2 and "symbolic link" in err
    assert list(elsewhere.iterdir()) == []


def test_symlink_where_an_output_would_go_is_refused(tmp_path, capsys):
    victim = _file(tmp_path / "victim", b"precious\n")
    dest = tmp_path / "D"
    dest.mkdir()
    (dest / "app").symlink_to(victim)
    code, _, err = _run(["patch", "--force", "--dest", dest, _file(tmp_path / "app", STATUS)], capsys)
    assert code == 2 and "symbolic link" in err
    assert victim.read_bytes() == b"precious\n"
    assert (dest / "app").is_symlink()


def test_destination_holding_the_input_never_overwrites_it(tmp_path, capsys):
    script = _file(tmp_path / "app", STATUS)
    code, _, err = _run(["patch", "--force", "--dest", tmp_path, script], capsys)
    assert code == 2
    assert f"{tmp_path / 'app'} is an input: inputs are never overwritten" in err
    assert script.read_bytes() == STATUS


def test_same_script_twice_is_processed_once(tmp_path, capsys):
    script = _file(tmp_path / "app", STATUS)
    code, _, err = _run(["patch", "--dest", tmp_path / "D", script, tmp_path / "." / "app", script], capsys)
    assert code == 1
    assert err.count("Writing") == 1 and err.endswith("1 file: 1 patched\n")


def _in_bwrap(tmp_path: Path, binds: list[str], argv: list[str]) -> subprocess.CompletedProcess[str]:
    if not Path("/usr/bin/bwrap").exists():
        pytest.skip("bubblewrap is not installed")
    command = ["bwrap", "--bind", "/", "/", "--dev", "/dev", "--proc", "/proc", *binds,
               sys.executable, "-m", "rewrite.cli", *argv]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)})


def test_read_only_destination_is_a_clean_error(tmp_path):
    dest = tmp_path / "D"
    dest.mkdir()
    script = _file(tmp_path / "app", STATUS)
    run = _in_bwrap(tmp_path, ["--ro-bind", str(dest), str(dest)], ["patch", "--dest", str(dest), str(script)])
    assert run.returncode == 2
    assert run.stderr.splitlines()[-1].startswith(f"ha-rewrite: {dest}/") and "Read-only" in run.stderr
    assert "Traceback" not in run.stderr
    assert list(dest.iterdir()) == []


def test_full_destination_leaves_no_partial_file(tmp_path):
    dest = tmp_path / "D"
    dest.mkdir()
    big = _file(tmp_path / "httpd", (REPO / INPUT / "redhat-2010" / "httpd").read_bytes())
    run = _in_bwrap(tmp_path, ["--size", "2048", "--tmpfs", str(dest)],
                    ["patch", "--dest", str(dest), "--functions", str(REPO / INPUT / "redhat-2010" / "functions"),
                     str(big)])
    assert run.returncode == 2, run.stderr
    assert "No space left on device" in run.stderr and "Traceback" not in run.stderr
