"""Review before deploy: diff series, drift-checked apply, manifest, backups, status, interactive."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from corpus_cases import INPUT, REPO
from rewrite.cli import main
from rewrite.manifest import MANIFEST
from rewrite.review import ReviewError, colorize, header, parse_series, section

NAMES = ("functions", "httpd", "tomcat", "redis")


@pytest.fixture
def originals(tmp_path: Path) -> Path:
    """A private copy of the 2010 family, so tests may change an original."""
    root = tmp_path / "init.d"
    root.mkdir()
    for name in NAMES:
        shutil.copy2(REPO / INPUT / "redhat-2010" / name, root / name)
    return root


def _scripts(root: Path) -> list[str]:
    return [str(root / n) for n in NAMES if n != "functions"]


def _outputs(dest: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(dest.iterdir()) if p.name != MANIFEST}


def test_diff_then_apply_equals_patch(originals, tmp_path, capsys):
    review = tmp_path / "review.patch"
    assert main(["diff", "-o", str(review), *_scripts(originals)]) == 1
    assert main(["apply", str(review), "--dest", str(tmp_path / "D")]) == 1
    assert main(["patch", "--dest", str(tmp_path / "D2"), *_scripts(originals)]) == 1
    assert _outputs(tmp_path / "D") == _outputs(tmp_path / "D2")
    assert sorted(_outputs(tmp_path / "D")) == sorted(NAMES + tuple(n + ".diff" for n in NAMES))
    assert review.read_bytes() == b"".join((tmp_path / "D" / f"{n}.diff").read_bytes() for n in NAMES)


@pytest.mark.parametrize("tool", (["patch", "-p1", "--quiet"], ["git", "apply"]))
def test_series_applies_with_gnu_patch_and_git_apply(originals, tmp_path, tool):
    review = tmp_path / "review.patch"
    main(["diff", "-o", str(review), *_scripts(originals)])
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=scratch, check=True)
    for name in NAMES:
        shutil.copy2(originals / name, scratch / name)
    subprocess.run(tool, stdin=review.open("rb"), cwd=scratch, check=True)
    main(["patch", "--dest", str(tmp_path / "D"), *_scripts(originals)])
    for name in NAMES:
        assert (scratch / name).read_bytes() == (tmp_path / "D" / name).read_bytes()


def test_drifted_original_is_refused_whole_and_others_applied(originals, tmp_path, capsys):
    review = tmp_path / "review.patch"
    main(["diff", "-o", str(review), *_scripts(originals)])
    tomcat = originals / "tomcat"
    tomcat.write_bytes(tomcat.read_bytes().replace(b"#!/bin/bash", b"#!/bin/bash ", 1))
    dest = tmp_path / "D"
    assert main(["apply", str(review), "--dest", str(dest)]) == 2
    err = capsys.readouterr().err
    assert f"{review}: tomcat: refused: {tomcat}: changed since the diff was made" in err
    assert not (dest / "tomcat").exists() and not (dest / "tomcat.diff").exists()
    assert (dest / "httpd").exists() and (dest / "functions").exists()
    assert "tomcat" not in json.loads((dest / MANIFEST).read_text())["files"]


def test_hunk_that_does_not_match_is_refused(originals, tmp_path, capsys):
    review = tmp_path / "review.patch"
    main(["diff", "-o", str(review), str(originals / "tomcat")])
    edited = review.read_bytes().replace(b' # Corpus script', b' # Edited script', 1)
    assert edited != review.read_bytes()
    review.write_bytes(edited)
    assert main(["apply", str(review), "--dest", str(tmp_path / "D")]) == 2
    assert "does not match the original" in capsys.readouterr().err
    assert not (tmp_path / "D" / "tomcat").exists()


def test_check_writes_nothing(originals, tmp_path, capsys):
    review = tmp_path / "review.patch"
    main(["diff", "-o", str(review), str(originals / "httpd")])
    assert main(["apply", "--check", str(review), "--dest", str(tmp_path / "D")]) == 1
    assert not (tmp_path / "D").exists()
    assert f"{tmp_path / 'D' / 'httpd'}: would be written" in capsys.readouterr().err


@pytest.mark.parametrize(("series", "message"), (
    pytest.param(b"", "no `ha-rewrite: source` header", id="empty"),
    pytest.param(b"\x00\x01\xff garbage\n", "no `ha-rewrite: source` header", id="binary garbage"),
    pytest.param(b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n", "no `ha-rewrite: source` header", id="plain diff"),
    pytest.param(b"note\n" + header("/etc/hosts", b"") + b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n",
                 "text before the first", id="text before header"),
    pytest.param(header("/etc/hosts", b"") + b"--- a/x\n+++ b/../x\n@@ -1 +1 @@\n-a\n+b\n",
                 "would leave the destination", id="dot-dot"),
    pytest.param(header("/etc/hosts", b"") + b"--- a/x\n+++ /etc/passwd\n@@ -1 +1 @@\n-a\n+b\n",
                 "would leave the destination", id="absolute path"),
    pytest.param(header("/etc/hosts", b"") + b"--- a/x\n+++ b/.ha-rewrite.json\n@@ -1 +1 @@\n-a\n+b\n",
                 "would leave the destination", id="the manifest"),
    pytest.param(header("/etc/hosts", b"") + b"--- a/x\n+++ b/x\n@@ -1,3 +1 @@\n-a\n+b\n",
                 "line 1:", id="malformed hunk"),
    pytest.param(header("/etc/hosts", b"") + b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n--- a/y\n+++ b/y\n"
                 b"@@ -1 +1 @@\n-a\n+b\n", "exactly one file", id="two files in one section"),
))
def test_hostile_series_are_refused(series, message, tmp_path, capsys):
    bad = tmp_path / "bad.patch"
    bad.write_bytes(series)
    dest = tmp_path / "D"
    assert main(["apply", str(bad), "--dest", str(dest)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{bad}: ") and message in err and len(err.splitlines()) == 1
    assert not dest.exists()


def test_missing_original_is_refused(tmp_path, capsys):
    series = section(str(tmp_path / "gone"), b"a\n", b"--- a/gone\n+++ b/gone\n@@ -1 +1 @@\n-a\n+b\n")
    (tmp_path / "r.patch").write_bytes(series)
    assert main(["apply", str(tmp_path / "r.patch"), "--dest", str(tmp_path / "D")]) == 2
    assert "No such file or directory" in capsys.readouterr().err


def test_parse_series_round_trip(originals):
    diff = b"--- a/httpd\n+++ b/httpd\n@@ -1 +1 @@\n-a\n+b\n"
    odd = str(originals / 'name "with" quotes')
    (sec,) = parse_series(section(odd, b"a\n", diff))
    assert (sec.source, sec.name, sec.line) == (odd, "httpd", 1)
    with pytest.raises(ReviewError):
        parse_series(b"ha-rewrite: source \"x\" sha256 " + b"0" * 64 + b"\n")


def test_colorize():
    assert colorize(b"--- a/x\n+x\n-y\n@@ -1 +1 @@\n z") == (
        b"\033[1m--- a/x\033[m\n\033[32m+x\033[m\n\033[31m-y\033[m\n\033[36m@@ -1 +1 @@\033[m\n z")


def test_diff_colour_always_and_never(originals, capsys):
    main(["diff", "--color", "always", str(originals / "httpd")])
    assert "\033[32m+. /etc/ha.d/resource.d/functions" in capsys.readouterr().out
    main(["diff", "--color", "never", str(originals / "httpd")])
    assert "\033[" not in capsys.readouterr().out
    both = [str(originals / "httpd"), str(originals / "tomcat")]  # printed a section at a time, coloured as a whole
    main(["diff", "--color", "never", *both])
    plain = capsys.readouterr().out
    main(["diff", "--color", "always", *both])
    assert capsys.readouterr().out == colorize(plain.encode()).decode()
    assert plain.count("ha-rewrite: source") == 3  # the two scripts and the library copy they source


# -------------------------------------------------------------------- manifest and drift of outputs


def test_manifest_records_every_output(originals, tmp_path):
    dest = tmp_path / "D"
    main(["patch", "--dest", str(dest), str(originals / "httpd")])
    files = json.loads((dest / MANIFEST).read_text())["files"]
    assert sorted(files) == ["functions", "httpd"]
    assert files["httpd"]["source"] == str(originals / "httpd")
    assert set(files["httpd"]) == {"source", "source_sha256", "output_sha256", "tool_version", "time"}


def test_hand_edited_output_is_refused_then_forced_or_backed_up(originals, tmp_path, capsys):
    dest = tmp_path / "D"
    main(["patch", "--dest", str(dest), str(originals / "httpd")])
    edited = (dest / "httpd").read_bytes() + b"# local change\n"
    (dest / "httpd").write_bytes(edited)
    capsys.readouterr()
    assert main(["patch", "--dest", str(dest), str(originals / "httpd")]) == 2
    assert f"refused: {dest / 'httpd'} was edited by hand" in capsys.readouterr().err
    assert (dest / "httpd").read_bytes() == edited
    assert main(["patch", "--backup", "--dest", str(dest), str(originals / "httpd")]) == 1
    backups = list(dest.glob("httpd.orig-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == edited
    assert len(backups[0].name) == len("httpd.orig-YYYYMMDDHHMMSS")
    (dest / "httpd").write_bytes(edited)
    assert main(["patch", "--force", "--dest", str(dest), str(originals / "httpd")]) == 1
    assert (dest / "httpd").read_bytes() != edited


def test_foreign_file_in_destination_is_refused(originals, tmp_path, capsys):
    dest = tmp_path / "D"
    dest.mkdir()
    (dest / "httpd").write_bytes(b"admin's own\n")
    assert main(["patch", "--dest", str(dest), str(originals / "httpd")]) == 2
    assert "was not written by ha-rewrite" in capsys.readouterr().err
    assert (dest / "httpd").read_bytes() == b"admin's own\n"


def test_rerun_with_nothing_changed_writes_nothing(originals, tmp_path, capsys):
    dest = tmp_path / "D"
    main(["patch", "--dest", str(dest), str(originals / "httpd")])
    before = {p.name: p.stat().st_mtime_ns for p in dest.iterdir()}
    capsys.readouterr()
    assert main(["patch", "--dest", str(dest), str(originals / "httpd")]) == 1
    assert "Writing" not in capsys.readouterr().err
    assert {p.name: p.stat().st_mtime_ns for p in dest.iterdir()} == before


def test_status_reports_each_case(originals, tmp_path, capsys):
    dest = tmp_path / "D"
    main(["patch", "--dest", str(dest), *_scripts(originals)])
    capsys.readouterr()
    assert main(["status", "--dest", str(dest)]) == 0
    assert capsys.readouterr().out == "".join(f"{dest / n}: ok\n" for n in sorted(NAMES))
    (originals / "httpd").write_bytes((originals / "httpd").read_bytes() + b"\n")
    (dest / "redis").write_bytes(b"edited\n")
    (dest / "tomcat").unlink()
    assert main(["status", "--dest", str(dest)]) == 1
    assert capsys.readouterr().out == (f"{dest / 'functions'}: ok\n{dest / 'httpd'}: source changed\n"
                                       f"{dest / 'redis'}: edited\n{dest / 'tomcat'}: missing\n")


def test_status_without_manifest_is_an_error(tmp_path, capsys):
    assert main(["status", "--dest", str(tmp_path)]) == 2
    assert "no manifest" in capsys.readouterr().err


def test_interactive_asks_per_file(originals, tmp_path, monkeypatch, capsys):
    dest = tmp_path / "D"
    monkeypatch.setattr("sys.stdin", io.StringIO("y\nn\ny\nq\n"))
    assert main(["patch", "-i", "--dest", str(dest), *_scripts(originals)]) == 1
    assert sorted(_outputs(dest)) == ["functions", "functions.diff", "tomcat", "tomcat.diff"]
    assert capsys.readouterr().out.count("ha-rewrite: source ") == 4  # redis was shown, then q


def test_interactive_skips_scripts_whose_library_was_declined(originals, tmp_path, monkeypatch, capsys):
    dest = tmp_path / "D"
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert main(["patch", "-i", "--dest", str(dest), str(originals / "httpd"), str(originals / "tomcat")]) == 1
    assert not dest.exists()
    err = capsys.readouterr().err
    assert "Skipping httpd: it sources the functions copy you declined" in err
    assert "Skipping tomcat" in err
