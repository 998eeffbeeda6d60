from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import NoReturn

import pytest

from rewrite import emit
from rewrite.emit import EmitError
from rewrite.emit import ensure_dir
from rewrite.emit import write_atomic

DATA = b"#!/bin/sh\r\necho caf\xe9\x00\n"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def enospc(*args: object) -> NoReturn:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


# -- write_atomic -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", (0o755, 0o644, 0o700, 0o4750))
def test_writes_bytes_and_mode(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "httpd"
    write_atomic(target, DATA, mode)
    assert target.read_bytes() == DATA
    assert mode_of(target) == mode
    assert os.listdir(tmp_path) == ["httpd"]


def test_mode_ignores_file_type_bits_and_umask(tmp_path: Path) -> None:
    target = tmp_path / "httpd"
    old_umask = os.umask(0o077)
    try:
        write_atomic(target, b"", stat.S_IFREG | 0o755)
    finally:
        os.umask(old_umask)
    assert target.read_bytes() == b""
    assert mode_of(target) == 0o755


def test_large_data(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40000
    write_atomic(tmp_path / "big", data, 0o644)
    assert (tmp_path / "big").read_bytes() == data


def test_short_writes_are_completed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, bytes(data[:3])))
    write_atomic(tmp_path / "f", DATA, 0o644)
    assert (tmp_path / "f").read_bytes() == DATA


def test_replaces_existing_file_atomically(tmp_path: Path) -> None:
    target = tmp_path / "httpd"
    target.write_bytes(b"old\n")
    target.chmod(0o600)
    inode = os.lstat(target).st_ino
    write_atomic(target, DATA, 0o755)
    assert target.read_bytes() == DATA
    assert mode_of(target) == 0o755
    assert os.lstat(target).st_ino != inode
    assert os.listdir(tmp_path) == ["httpd"]


def test_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_atomic(Path("httpd"), DATA, 0o644)
    assert (tmp_path / "httpd").read_bytes() == DATA


def test_refuses_symlink_target(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.write_bytes(b"keep\n")
    link = tmp_path / "httpd"
    link.symlink_to(real)
    with pytest.raises(EmitError, match=f"^{link}: is a symbolic link"):
        write_atomic(link, DATA, 0o755)
    assert real.read_bytes() == b"keep\n"
    assert link.is_symlink()
    assert sorted(os.listdir(tmp_path)) == ["httpd", "real"]


def test_refuses_dangling_symlink_target(tmp_path: Path) -> None:
    link = tmp_path / "httpd"
    link.symlink_to(tmp_path / "missing")
    with pytest.raises(EmitError, match="is a symbolic link"):
        write_atomic(link, DATA, 0o755)
    assert not (tmp_path / "missing").exists()


def test_refuses_symlinked_parent(tmp_path: Path) -> None:
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    (tmp_path / "dest").symlink_to(real_dir)
    target = tmp_path / "dest" / "httpd"
    with pytest.raises(EmitError, match=f"^{target}: parent directory .* is a symbolic link"):
        write_atomic(target, DATA, 0o755)
    assert os.listdir(real_dir) == []


@pytest.mark.parametrize("kind", ("directory", "fifo"))
def test_refuses_target_that_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "httpd"
    if kind == "directory":
        target.mkdir()
    else:
        os.mkfifo(target)
    with pytest.raises(EmitError, match=f"^{target}: exists and is not a regular file$"):
        write_atomic(target, DATA, 0o755)


def test_parent_is_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"x")
    target = tmp_path / "file" / "httpd"
    with pytest.raises(EmitError, match=f"^{target}: Not a directory$") as info:
        write_atomic(target, DATA, 0o755)
    assert isinstance(info.value.__cause__, NotADirectoryError)
    assert os.listdir(tmp_path) == ["file"]


def test_parent_missing(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "httpd"
    with pytest.raises(EmitError, match=f"^{target}: No such file or directory$"):
        write_atomic(target, DATA, 0o755)


def test_failing_write_leaves_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "httpd"
    target.write_bytes(b"old\n")
    monkeypatch.setattr(os, "write", enospc)
    with pytest.raises(EmitError, match=f"^{target}: No space left on device$") as info:
        write_atomic(target, DATA, 0o755)
    assert isinstance(info.value.__cause__, OSError)
    assert info.value.__cause__.errno == errno.ENOSPC
    assert target.read_bytes() == b"old\n"
    assert os.listdir(tmp_path) == ["httpd"]


def test_failing_fsync_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "fsync", enospc)
    with pytest.raises(EmitError, match="No space left on device"):
        write_atomic(tmp_path / "httpd", DATA, 0o755)
    assert os.listdir(tmp_path) == []


def test_failing_replace_leaves_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "httpd"
    target.write_bytes(b"old\n")
    monkeypatch.setattr(os, "replace", lambda src, dst: enospc())
    with pytest.raises(EmitError, match=f"^{target}: No space left on device$"):
        write_atomic(target, DATA, 0o755)
    assert target.read_bytes() == b"old\n"
    assert os.listdir(tmp_path) == ["httpd"]


def test_failing_cleanup_reports_first_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "write", enospc)
    monkeypatch.setattr(os, "unlink", lambda path: (_ for _ in ()).throw(PermissionError(13, "no")))
    with pytest.raises(EmitError, match="No space left on device"):
        write_atomic(tmp_path / "httpd", DATA, 0o755)


def test_failing_directory_fsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(directory: Path) -> NoReturn:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(emit, "_fsync_dir", fail)
    target = tmp_path / "httpd"
    with pytest.raises(EmitError, match=f"^{target}: Input/output error$"):
        write_atomic(target, DATA, 0o755)
    assert target.read_bytes() == DATA  # in place, but its durability is not known
    assert os.listdir(tmp_path) == ["httpd"]


def test_unreadable_target_path(tmp_path: Path) -> None:
    target = tmp_path / ("x" * 300)
    with pytest.raises(EmitError, match="File name too long$"):
        write_atomic(target, DATA, 0o755)


def test_error_without_strerror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "replace", lambda src, dst: (_ for _ in ()).throw(OSError("odd")))
    with pytest.raises(EmitError, match=f"^{tmp_path / 'f'}: odd$"):
        write_atomic(tmp_path / "f", DATA, 0o644)


# -- ensure_dir ---------------------------------------------------------------------------


def test_ensure_dir_creates_parents_with_mode(tmp_path: Path) -> None:
    target = tmp_path / "etc" / "ha.d" / "resource.d"
    old_umask = os.umask(0o077)
    try:
        ensure_dir(target)
    finally:
        os.umask(old_umask)
    for directory in (tmp_path / "etc", tmp_path / "etc" / "ha.d", target):
        assert stat.S_ISDIR(os.lstat(directory).st_mode)
        assert mode_of(directory) == 0o755


def test_ensure_dir_keeps_existing_directory(tmp_path: Path) -> None:
    target = tmp_path / "dest"
    target.mkdir(mode=0o700)
    (target / "keep").write_bytes(b"x")
    ensure_dir(target)
    assert mode_of(target) == 0o700
    assert os.listdir(target) == ["keep"]


def test_ensure_dir_relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ensure_dir(Path("a/b"))
    assert (tmp_path / "a" / "b").is_dir()


def test_ensure_dir_refuses_symlink(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    link = tmp_path / "dest"
    link.symlink_to(tmp_path / "real")
    with pytest.raises(EmitError, match=f"^{link}: is a symbolic link, not a directory$"):
        ensure_dir(link)


def test_ensure_dir_refuses_regular_file(tmp_path: Path) -> None:
    target = tmp_path / "dest"
    target.write_bytes(b"x")
    with pytest.raises(EmitError, match=f"^{target}: exists and is not a directory$"):
        ensure_dir(target)
    assert target.read_bytes() == b"x"


def test_ensure_dir_under_regular_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"x")
    target = tmp_path / "file" / "a" / "b"
    with pytest.raises(EmitError, match=f"^{target}: Not a directory$"):
        ensure_dir(target)


def test_ensure_dir_then_write(tmp_path: Path) -> None:
    dest = tmp_path / "resource.d"
    ensure_dir(dest)
    write_atomic(dest / "httpd", DATA, 0o755)
    write_atomic(dest / "functions", b"f\n", 0o644)
    assert sorted(os.listdir(dest)) == ["functions", "httpd"]


def test_ensure_dir_mkdir_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "mkdir", lambda path, mode: enospc())
    target = tmp_path / "dest"
    with pytest.raises(EmitError, match=f"^{target}: No space left on device$") as info:
        ensure_dir(target)
    assert isinstance(info.value.__cause__, OSError)
    assert not target.exists()
