"""Reading scripts: what is not a shell script, modes, display decoding."""
from __future__ import annotations

import os

import pytest

from rewrite.source import SourceError, TooLarge, display, not_a_script_reason, read_source


@pytest.mark.parametrize(("data", "reason"), (
    (b"", "empty file"),
    (b"  \n\n", "empty file"),
    (b"\x7fELF\x02\x01\x01\x00\x00", "binary file"),
    (b"#!/usr/bin/perl\nprint 1;\n", "interpreter is perl"),
    (b"#!/usr/bin/env python3\n", "interpreter is python3"),
    (b"#!/usr/bin/env bash\n", None),
    (b"#!/bin/sh -e\n", None),
    (b"#! /bin/bash\n", None),
    (b"#!/bin/ksh", None),
    pytest.param(b"# no shebang, sourced as sh\nstatus() { :; }\n", None, id="no shebang"),
))
def test_not_a_script_reason(data, reason):
    assert not_a_script_reason(data) == reason


def test_display_falls_back_to_latin1():
    assert display("é".encode()) == "é"
    assert display(b"Ren\xe9") == "René"


def test_read_source_keeps_bytes_and_mode(tmp_path):
    path = tmp_path / "s"
    path.write_bytes(b"#!/bin/sh\r\n\xe9\n")
    path.chmod(0o751)
    source = read_source(str(path))
    assert (source.data, source.mode) == (b"#!/bin/sh\r\n\xe9\n", 0o751)


def test_read_source_through_a_symlink(tmp_path):
    (tmp_path / "real").write_bytes(b"x")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert read_source(str(tmp_path / "link")).data == b"x"


@pytest.mark.parametrize("name", ("missing", "."))
def test_read_source_errors(tmp_path, name):
    with pytest.raises(SourceError):
        read_source(str(tmp_path / name))


def test_a_huge_file_is_not_read(tmp_path):
    """A 10 GB core dump (sparse here) is refused from its size alone, before a byte of it is read."""
    path = tmp_path / "core"
    path.write_bytes(b"")
    os.truncate(path, 10 << 30)
    with pytest.raises(TooLarge, match=r"^10240\.0 MiB: larger than any init script"):
        read_source(str(path))
