"""Expanding command-line inputs: files, directories, `-`; order, de-duplication, names, loops."""
from __future__ import annotations

import io
import os
import sys
import tracemalloc
from pathlib import Path

import pytest

from rewrite import inputs
from rewrite.inputs import Input, expand, name_reason


def _touch(path: Path, data: bytes = b"#!/bin/sh\n") -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path)


def _paths(items: list[Input]) -> list[str]:
    return [item.path for item in items]


def test_files_keep_their_order_and_spelling(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _touch(tmp_path / "b")
    _touch(tmp_path / "a")
    assert expand(["b", "./a"]) == [Input("b"), Input("./a")]


def test_directory_is_walked_recursively_in_sorted_order(tmp_path):
    for name in ("z", "a/y", "a/b/x", "m", "a/c"):
        _touch(tmp_path / name)
    assert _paths(expand([str(tmp_path)])) == [str(tmp_path / n) for n in ("a/b/x", "a/c", "a/y", "m", "z")]


def test_each_file_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _touch(tmp_path / "d/s")
    _touch(tmp_path / "t")
    assert _paths(expand(["d/s", "d", "t", str(tmp_path / "t"), "./d/../t"])) == ["d/s", "t"]


def test_directory_reached_twice_is_walked_once(tmp_path):
    _touch(tmp_path / "rc.d/init.d/httpd")
    (tmp_path / "init.d").symlink_to("rc.d/init.d")
    assert _paths(expand([str(tmp_path / "init.d"), str(tmp_path / "rc.d")])) == [str(tmp_path / "init.d/httpd")]


def test_symlink_to_a_directory_elsewhere_is_followed(tmp_path):
    _touch(tmp_path / "elsewhere/s")
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree/link").symlink_to(tmp_path / "elsewhere")
    assert expand([str(tmp_path / "tree")]) == [Input(str(tmp_path / "tree/link/s"))]


def test_symlink_loop_to_an_ancestor_is_an_error_item(tmp_path):
    _touch(tmp_path / "d/s")
    (tmp_path / "d/sub").mkdir()
    (tmp_path / "d/sub/up").symlink_to("..")
    (tmp_path / "d/sub/also").symlink_to("..")
    loop = "symbolic link loop: leads back into a directory being walked"
    assert expand([str(tmp_path / "d")]) == [Input(str(tmp_path / "d/s")),
                                             Input(str(tmp_path / "d/sub/also"), "error", loop),
                                             Input(str(tmp_path / "d/sub/up"), "error", loop)]


@pytest.mark.parametrize("walked", (True, False), ids=("in a directory", "as an argument"))
def test_self_referencing_symlink_is_an_error_item(tmp_path, walked):
    (tmp_path / "self").symlink_to("self")
    (tmp_path / "ping").symlink_to("pong")
    (tmp_path / "pong").symlink_to("ping")
    args = [str(tmp_path)] if walked else [str(tmp_path / "ping"), str(tmp_path / "pong"), str(tmp_path / "self")]
    assert [(Path(i.path).name, i.state, i.reason) for i in expand(args)] == [
        (name, "error", "symbolic link loop") for name in ("ping", "pong", "self")]


def test_missing_and_dangling_paths_are_error_items(tmp_path):
    (tmp_path / "dangling").symlink_to("nowhere")
    assert expand([str(tmp_path / "missing"), str(tmp_path)]) == [
        Input(str(tmp_path / "missing"), "error", "No such file or directory"),
        Input(str(tmp_path / "dangling"), "error", "No such file or directory")]


def test_special_files_are_left_to_the_pipeline(tmp_path):
    """A FIFO is listed as is: the pipeline reports it (`not a regular file`) without opening it."""
    os.mkfifo(tmp_path / "fifo")
    assert expand([str(tmp_path)]) == [Input(str(tmp_path / "fifo"))]


def test_version_control_directories_are_not_walked(tmp_path):
    _touch(tmp_path / ".git/hooks/pre-commit")
    _touch(tmp_path / "CVS/Root")
    _touch(tmp_path / ".hidden/s")
    assert _paths(expand([str(tmp_path)])) == [str(tmp_path / ".hidden/s")]


def test_unlistable_directory_is_an_error_item(tmp_path, monkeypatch):
    """Root lists any directory whatever its mode, so the failure is simulated."""
    (tmp_path / "d").mkdir()

    def refuse(path):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(os, "listdir", refuse)
    assert expand([str(tmp_path / "d")]) == [Input(str(tmp_path / "d"), "error",
                                                   "cannot list directory: Permission denied")]


@pytest.mark.parametrize(("name", "reason"), (
    ("httpd~", "editor backup (*~)"),
    (".#httpd", "editor lock file (.#*)"),
    (".httpd.swp", "editor swap file (*.swp)"),
    ("httpd.bak", "backup copy (*.bak)"),
    ("httpd.orig", "backup copy (*.orig)"),
    ("functions.rpmnew", "package manager leftover (*.rpmnew)"),
    ("functions.rpmsave", "package manager leftover (*.rpmsave)"),
    ("functions.rpmorig", "package manager leftover (*.rpmorig)"),
    ("ssh.dpkg-old", "package manager leftover (*.dpkg-old)"),
    ("ssh.dpkg-new", "package manager leftover (*.dpkg-new)"),
    ("ssh.dpkg-dist", "package manager leftover (*.dpkg-dist)"),
    ("httpd.diff", "a diff (*.diff)"),
    ("review.patch", "a diff (*.patch)"),
    ("httpd.rej", "a diff's rejected hunks (*.rej)"),
    (".ha-rewrite.json", "ha-rewrite's manifest (.ha-rewrite.json)"),
    ("README.md", "documentation (README*)"),
    ("NOTES.md", "documentation (*.md)"),
    ("LICENSE", "licence text (LICENSE*)"),
    ("httpd.service", "systemd unit (*.service)"),
    ("ocf.py", "Python source (*.py)"),
    ("Utils.pm", "Perl module (*.pm)"),
    ("hosts.json", "data file (*.json)"),
    ("httpd.conf", "configuration file (*.conf)"),
    ("ha.cf", "Heartbeat configuration (ha.cf)"),
    ("haresources", "Heartbeat configuration (haresources)"),
    ("httpd", None),
    ("functions", None),
    ("init-functions", None),
    ("rc.status", None),
    (".httpd", None),  # hidden: only when a walk finds it
    ("httpd.sh", None),
    ("bak", None),
    pytest.param("dir.bak/httpd", None, id="only the file name counts"),
))
def test_name_reason(name, reason):
    assert name_reason(name) == reason


def test_names_classify_without_reading(tmp_path):
    _touch(tmp_path / "httpd")
    _touch(tmp_path / "httpd.rpmnew")
    _touch(tmp_path / "httpd~")
    _touch(tmp_path / "elsewhere/x.orig")
    assert expand([str(tmp_path / "httpd"), str(tmp_path)]) == [
        Input(str(tmp_path / "httpd")),
        Input(str(tmp_path / "elsewhere/x.orig"), "not-a-script", "backup copy (*.orig)"),
        Input(str(tmp_path / "httpd.rpmnew"), "not-a-script", "package manager leftover (*.rpmnew)"),
        Input(str(tmp_path / "httpd~"), "not-a-script", "editor backup (*~)"),
    ]


def test_a_walk_passes_over_documents_data_and_hidden_files_but_not_a_file_named(tmp_path):
    """A repository or a fleet's collection holds more than scripts: read as shell, a README, a
    systemd unit or a Python module was judged a broken init script (exit 2). A dot file found by a
    walk is never run by an init system (insserv's `.depend.start`, OCF's `.ocf-directories`); one
    named on the command line is read."""
    for name in ("httpd", "README.md", "LICENSE", "httpd.service", "lib/ocf.py", ".depend.start",
                 "lib/.ocf-directories", ".hidden/named"):
        _touch(tmp_path / name)
    hidden = str(tmp_path / "lib/.ocf-directories")
    found = {item.path: item.reason for item in expand([str(tmp_path), hidden])}
    assert found == {str(tmp_path / name): reason for name, reason in (
        (".depend.start", inputs.HIDDEN),
        (".hidden/named", ""),  # a hidden directory is walked: only the file's own name counts
        ("LICENSE", "licence text (LICENSE*)"),
        ("README.md", "documentation (README*)"),
        ("httpd", ""),
        ("httpd.service", "systemd unit (*.service)"),
        ("lib/.ocf-directories", inputs.HIDDEN),
        ("lib/ocf.py", "Python source (*.py)"))}
    assert expand([hidden]) == [Input(hidden)]
    assert {item.state for item in expand([str(tmp_path)]) if item.reason} == {"not-a-script"}


def test_stdin_lists_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _touch(tmp_path / "a")
    _touch(tmp_path / "d/b")
    _touch(tmp_path / "with space")
    stdin = io.StringIO("a\n\n  \nd\r\nwith space\na\n")
    assert _paths(expand(["-", "a", "-"], stdin)) == ["a", "d/b", "with space"]


def test_stdin_lists_nul_separated_paths_as_find_print0_writes_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _touch(tmp_path / "a")
    _touch(tmp_path / "line\nbreak")  # a name only the NUL-separated form can carry
    _touch(tmp_path / "with space")
    stdin = io.StringIO("a\0line\nbreak\0with space\0")
    assert _paths(expand(["-"], stdin)) == ["a", "line\nbreak", "with space"]


def test_stdin_dash_without_a_stream_adds_nothing(tmp_path):
    assert expand(["-"]) == []


def test_a_large_directory_is_walked_holding_its_names_only(tmp_path):
    """The walk's own memory, beyond the list it returns, is the directory's sorted names: not an
    os.DirEntry per file with its cached stat (about 900 bytes each, 90 MB for 100,000 files)."""
    for i in range(3000):
        (tmp_path / f"s{i:05d}").touch()
    tracemalloc.start()
    try:
        items = expand([str(tmp_path)])
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(items) == 3000
    assert (peak - current) / 3000 < 300


def test_a_tree_deeper_than_python_recursion_is_walked(tmp_path):
    """Each level of directories was a recursive call: 500 levels ended in a RecursionError traceback."""
    levels = [str(tmp_path / "a")]
    for _ in range(sys.getrecursionlimit() + 100):
        levels.append(os.path.join(levels[-1], "a"))
    for directory in levels:
        os.mkdir(directory)
    try:
        _touch(Path(levels[-1]) / "s")
        _touch(tmp_path / "z")
        assert _paths(expand([str(tmp_path)])) == [os.path.join(levels[-1], "s"), str(tmp_path / "z")]
    finally:  # by hand: pytest's clean-up of old temporary directories (shutil.rmtree) recurses too
        Path(levels[-1], "s").unlink(missing_ok=True)
        for directory in reversed(levels):
            os.rmdir(directory)


def test_the_walk_knows_each_real_path_it_gives_without_resolving_it(tmp_path):
    """The walk hands over a file's real path (its directory's, and its name) unless the file or a
    directory on the way is a symbolic link: each one it gives is os.path.realpath's answer, and
    the files listed are those that resolving every path would list."""
    _touch(tmp_path / "real/sub/s")
    _touch(tmp_path / "real/t")
    (tmp_path / "real/sub/up").symlink_to("..")  # a loop
    (tmp_path / "real/link-to-sub").symlink_to("sub")
    (tmp_path / "real/link-to-t").symlink_to("../real/./t")
    (tmp_path / "real/chain").symlink_to("link-to-t")
    (tmp_path / "top").symlink_to("real")
    (tmp_path / "other").mkdir()
    (tmp_path / "other/elsewhere").symlink_to(tmp_path / "real/sub")
    given = list(inputs._expand_one(str(tmp_path / "top"), inputs._Seen(set(), set())))
    given += list(inputs._expand_one(str(tmp_path / "other"), inputs._Seen(set(), set())))
    known = [(item.path, real) for item, real in given if real is not None]
    assert len(known) >= 3 and all(real == os.path.realpath(path) for path, real in known)
    listed = expand([str(tmp_path / "top"), str(tmp_path / "other"), str(tmp_path)])
    assert [(os.path.relpath(item.path, tmp_path), item.state) for item in listed] == [
        ("top/chain", None), ("top/link-to-sub/s", None), ("top/link-to-sub/up", "error")]  # each file once
