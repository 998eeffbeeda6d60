"""The command line through main(argv): exit codes, channels, files written, errors in one line."""
from __future__ import annotations

import hashlib
import io
import json
import os
import shlex
import shutil
import subprocess
import sys

import pytest

from corpus_cases import EXPECTED, INPUT, REPO
from rewrite.cli import main
from samples import COMPLIANT, SELF_MADE, write_script

RH2010 = REPO / INPUT / "redhat-2010"
_write = write_script


def test_scan_compliant_exits_0(tmp_path, capsys):
    script = _write(tmp_path / "ok", COMPLIANT)
    assert main(["scan", str(script)]) == 0
    assert capsys.readouterr().out == "1 file: 1 compliant\n"


def test_scan_finding_line_and_exit_1(tmp_path, capsys):
    script = _write(tmp_path / "app", SELF_MADE)
    assert main(["scan", str(script)]) == 1
    out = capsys.readouterr().out
    assert out == (f"{script}:6:5: HB010 stopped path prints 'running' or 'OK', which rm or lrmd may read as "
                   "running: reword to 'stopped'\n1 file: 1 patchable\n")


def test_scan_json_schema(tmp_path, capsys):
    script = _write(tmp_path / "app", SELF_MADE)
    assert main(["scan", "--format", "json", str(script)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["patchable"] == 1 and report["summary"]["compliant"] == 0
    (file,) = report["files"]
    assert (file["path"], file["state"], file["kind"]) == (str(script), "patchable", "script")
    (finding,) = file["findings"]
    assert finding == {
        "path": str(script), "rule": "HB010", "name": "stopped-line-says-running", "line": 6, "column": 5,
        "byte_start": SELF_MADE.index(b'echo "$NAME is not'), "byte_end": SELF_MADE.index(b'\n    exit 3'),
        "text": 'echo "$NAME is not running"', "outcome": "stopped",
        "message": finding["message"], "verdicts": {"rm": "stopped", "lrmd": "stopped", "lsb": "stopped"},
        "fixable": True,
    }


def test_scan_json_lists_every_output_on_the_status_path(tmp_path, capsys):
    script = _write(tmp_path / "app", SELF_MADE.replace(b'echo "$NAME is running"', b'echo "$NAME is running" 1>&2'))
    main(["scan", "--format", "json", str(script)])
    outputs = json.loads(capsys.readouterr().out)["files"][0]["outputs"]
    assert [(o["line"], o["text"], o["stream"], o["code"], o["role"], o["outcome"]) for o in outputs] == [
        (5, 'echo "$NAME is running"', "stderr", None, "redirected", None),
        (6, 'echo "$NAME is not running"', "stdout", 3, "status", "stopped"),
    ]


def test_patch_writes_copy_and_diff_keeping_mode(tmp_path, capsys):
    script = _write(tmp_path / "app", SELF_MADE, 0o750)
    dest = tmp_path / "dest"
    assert main(["patch", "--dest", str(dest), str(script)]) == 1
    assert sorted(p.name for p in dest.iterdir()) == [".ha-rewrite.json", "app", "app.diff"]
    assert (dest / "app").read_bytes() == SELF_MADE.replace(b"is not running", b"is stopped")
    assert (dest / "app").stat().st_mode & 0o7777 == 0o750
    assert (dest / "app.diff").read_bytes().startswith(
        b'ha-rewrite: source "' + bytes(script) + b'" sha256 ' + hashlib.sha256(SELF_MADE).hexdigest().encode()
        + b"\n--- a/app\n+++ b/app\n@@ -3,7 +3,7 @@\n")
    err = capsys.readouterr().err
    assert f"Writing {dest / 'app'}\n" in err
    assert err.endswith("1 file: 1 patched\n")
    assert script.read_bytes() == SELF_MADE


def test_dry_run_prints_combined_diff_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    dest = tmp_path / "dest"
    paths = [str(INPUT / "redhat-2010" / n) for n in ("httpd", "tomcat")]
    assert main(["patch", "--dry-run", "--dest", str(dest), *paths]) == 1
    expected = b"".join((REPO / EXPECTED / "redhat-2010" / f"{n}.diff").read_bytes()
                        for n in ("functions", "httpd", "tomcat"))
    assert capsys.readouterr().out == expected.decode()
    assert not dest.exists()


def test_functions_alone_patches_the_library(tmp_path):
    dest = tmp_path / "dest"
    assert main(["patch", "--dest", str(dest), "--functions", str(RH2010 / "functions")]) == 1
    assert sorted(p.name for p in dest.iterdir()) == [".ha-rewrite.json", "functions", "functions.diff"]
    assert (dest / "functions").read_bytes() == (REPO / EXPECTED / "redhat-2010" / "functions").read_bytes()


def test_deploy_dir_is_the_path_written_into_the_script(tmp_path):
    dest = tmp_path / "stage"
    assert main(["patch", "--dest", str(dest), "--deploy-dir", "/srv/ha rsc", str(RH2010 / "httpd")]) == 1
    assert b"\n. '/srv/ha rsc/functions'\n" in (dest / "httpd").read_bytes()
    assert sorted(p.name for p in dest.iterdir()) == [".ha-rewrite.json", "functions", "functions.diff", "httpd",
                                                      "httpd.diff"]


def test_file_names_and_deploy_dir_that_are_not_utf8(tmp_path, capsysbinary):
    """Names are bytes on Linux (Latin-1 ones in old fleets): each is written, sourced and wrapped as
    it is (an internal error before, for every such file); the report prints the name's bytes."""
    src, dest = tmp_path / b"in\xe9".decode("utf-8", "surrogateescape"), tmp_path / "dest"
    src.mkdir()
    for name in ("functions", "httpd", "nfs"):  # nfs prints a list: a wrapper
        shutil.copy(RH2010 / name, src / os.fsdecode(name.encode() + b"\xe9" if name != "functions" else b"functions"))
    deploy = os.fsdecode(b"/srv/r\xe9sources")
    assert main(["patch", "--dest", str(dest), "--deploy-dir", deploy, str(src)]) == 1
    names = sorted(os.fsencode(p.name) for p in dest.iterdir())
    assert names == [b".ha-rewrite.json", b"functions", b"functions.diff", b"httpd\xe9", b"httpd\xe9.diff",
                     b"nfs\xe9", b"nfs\xe9.diff"]
    assert b"\n. '/srv/r\xe9sources/functions'\n" in (dest / os.fsdecode(b"httpd\xe9")).read_bytes()
    wrapper = (dest / os.fsdecode(b"nfs\xe9")).read_bytes()  # it runs the original where it is
    assert b"\noriginal=" + os.fsencode(shlex.quote(str(src / os.fsdecode(b"nfs\xe9")))) + b"\n" in wrapper
    capsysbinary.readouterr()
    assert main(["scan", str(src)]) == 1
    out, err = capsysbinary.readouterr()
    assert out.startswith(os.fsencode(src) + b"/functions:") and b"\n" + os.fsencode(src) + b"/httpd\xe9:26:3: HB030" in out
    assert out.endswith(b"3 files: 2 patchable, 1 needs-wrapper\n")
    assert err == os.fsencode(src) + b"/nfs\xe9: needs-wrapper: status prints a list of states, not one: needs a wrapper\n"


def test_word_ok(tmp_path):
    dest = tmp_path / "dest"
    assert main(["patch", "--dest", str(dest), "--word", "OK", "--functions", str(RH2010 / "functions")]) == 1
    assert b'echo "OK"' in (dest / "functions").read_bytes()
    assert b'echo "running"' not in (dest / "functions").read_bytes()


def test_compliant_script_is_not_copied(tmp_path, capsys):
    script = _write(tmp_path / "ok", COMPLIANT)
    assert main(["patch", "--dest", str(tmp_path / "dest"), str(script)]) == 0
    assert not (tmp_path / "dest").exists()


def test_same_name_from_two_inputs_is_a_conflict_before_writing(tmp_path, capsys):
    one, two = tmp_path / "a", tmp_path / "b"
    one.mkdir(), two.mkdir()
    _write(one / "app", SELF_MADE)
    _write(two / "app", SELF_MADE.replace(b"NAME=app", b"NAME=other"))
    dest = tmp_path / "dest"
    assert main(["patch", "--dest", str(dest), str(one / "app"), str(two / "app")]) == 2
    assert not dest.exists()
    assert f"ha-rewrite: {dest / 'app'}: both {one / 'app'} and {two / 'app'} would be written there\n" \
        in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), (
    pytest.param(["patch"], "give script paths, or --functions FILE", id="patch without paths"),
    pytest.param(["scan"], "Missing argument 'PATHS...'", id="scan without paths"),
    pytest.param(["scan", "--format", "xml", "x"], "Invalid value for '--format'", id="bad format"),
    pytest.param(["patch", "--functions", "/", "x"], "is a directory", id="directory as --functions"),
    pytest.param(["frobnicate"], "No such command", id="unknown command"),
))
def test_usage_errors_exit_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_bad_files_are_named_in_one_line_and_others_still_processed(tmp_path, capsys):
    good = _write(tmp_path / "app", SELF_MADE)
    missing = tmp_path / "missing"
    os.mkfifo(tmp_path / "fifo")
    assert main(["scan", str(missing), str(tmp_path / "fifo"), str(good)]) == 2
    captured = capsys.readouterr()
    assert f"{missing}: error: No such file or directory\n" in captured.err
    assert f"{tmp_path / 'fifo'}: error: not a regular file\n" in captured.err
    assert "HB010" in captured.out
    assert "Traceback" not in captured.err


def test_a_directory_is_walked_and_stdin_lists_paths(tmp_path, capsys, monkeypatch):
    tree = tmp_path / "init.d"
    (tree / "sub").mkdir(parents=True)
    _write(tree / "sub" / "app", SELF_MADE)
    _write(tree / "ok", COMPLIANT)
    _write(tree / "app~", SELF_MADE)  # an editor's backup: not a script, by its name
    assert main(["scan", str(tree)]) == 1
    assert capsys.readouterr().out.endswith("3 files: 1 compliant, 1 patchable, 1 not-a-script\n")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(f"{tree / 'ok'}\n\n{tree / 'sub' / 'app'}\n".encode())))
    assert main(["scan", "-"]) == 1
    assert capsys.readouterr().out.endswith("2 files: 1 compliant, 1 patchable\n")

    found = subprocess.run(["find", str(tree), "-type", "f", "-print0"], capture_output=True, check=True).stdout
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(found)))  # find -print0 | ha-rewrite scan -
    assert main(["scan", "-"]) == 1
    assert capsys.readouterr().out.endswith("3 files: 1 compliant, 1 patchable, 1 not-a-script\n")


@pytest.mark.parametrize("command", ["scan", "patch", "diff"])
def test_a_script_piped_to_dash_is_a_usage_error_not_a_path_per_line(command, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(SELF_MADE)))
    assert main([command, "-"]) == 2
    captured = capsys.readouterr()
    assert captured.err == ("ha-rewrite: -: standard input holds a script, not file names"
                            " (`-` reads paths, one a line): give the script's path\n")
    assert captured.out == "" and list(tmp_path.iterdir()) == []


def test_missing_library_is_an_error(tmp_path, capsys):
    if any(os.path.exists(p) for p in ("/etc/rc.d/init.d/functions", "/etc/init.d/functions")):
        pytest.skip("this machine has a system functions library")
    script = _write(tmp_path / "httpd", (RH2010 / "httpd").read_bytes())
    assert main(["patch", "--dest", str(tmp_path / "dest"), str(script)]) == 2
    assert (f"{script}: error: sources /etc/rc.d/init.d/functions, which was not found: give the functions "
            "library with --functions\n") in capsys.readouterr().err


def test_unwritable_destination_is_a_clean_error(tmp_path, capsys):
    script = _write(tmp_path / "app", SELF_MADE)
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["patch", "--dest", str(blocker / "dest"), str(script)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ha-rewrite: ") and "Traceback" not in err


def test_console_script_exit_codes_and_no_traceback(tmp_path):
    exe = shutil.which("ha-rewrite", path=os.path.dirname(sys.executable)) or shutil.which("ha-rewrite")
    if exe is None:
        pytest.skip("ha-rewrite is not installed in this environment")
    run = subprocess.run([exe, "scan", str(tmp_path / "nope")], capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.splitlines()[0] == f"{tmp_path / 'nope'}: error: No such file or directory"
    assert "Traceback" not in run.stderr
    assert subprocess.run([exe, "--help"], capture_output=True).returncode == 0
