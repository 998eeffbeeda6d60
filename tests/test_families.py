"""Beyond Red Hat: Debian's init-functions and SUSE's rc.status, run for real where they can be.

Contract rules: running prints exactly `running` first (1); stopped prints no `running`/`OK` (2);
exit codes unchanged (3).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from corpus_cases import INPUT, REPO
from rewrite.cli import main
from rewrite.contract import judge
from rewrite.parse import parse
from rewrite.pipeline import Libraries, process
from rewrite.scan import prepare
from rewrite.transform import Settings

DEBIAN = REPO / INPUT / "debian"


@pytest.fixture
def patched_lsb(tmp_path: Path) -> Path:
    assert main(["patch", "--dest", str(tmp_path / "D"), "--lsb-functions", str(DEBIAN / "init-functions")]) == 1
    return tmp_path / "D" / "init-functions"


def _status_of_proc(library: Path, pidfile: Path, name: str) -> tuple[bytes, int]:
    run = subprocess.run(["bash", "-c", '. "$1"; status_of_proc -p "$2" /usr/sbin/daemon "$3"', "t",
                          str(library), str(pidfile), name],
                         capture_output=True, env={"PATH": "/usr/bin:/bin", "LANG": "C"}, timeout=30)
    return run.stdout, run.returncode


@pytest.mark.parametrize("name", ("nginx", "knotd", "a-daemon-with-a-name-long-enough-to-push-the-word-far-away"))
def test_patched_status_of_proc(patched_lsb, tmp_path, name):
    sleeper = subprocess.Popen([shutil.which("sleep") or "sleep", "60"])
    try:
        pidfile = tmp_path / "d.pid"
        pidfile.write_text(f"{sleeper.pid}\n")
        stdout, code = _status_of_proc(patched_lsb, pidfile, name)
        assert (stdout.split(b"\n")[0], code) == (b"running", 0)
        assert judge(stdout, code) == ("running", "running", "running")
    finally:
        sleeper.kill()
        sleeper.wait()
    stdout, code = _status_of_proc(patched_lsb, pidfile, name)
    assert b"stopped" in stdout and b"running" not in stdout.lower() and b"OK" not in stdout
    assert code in (1, 3) and judge(stdout, code) == ("stopped", "stopped", "stopped")


def test_unpatched_status_of_proc_fools_lrmd_for_knotd(tmp_path):
    sleeper = subprocess.Popen([shutil.which("sleep") or "sleep", "60"])
    try:
        pidfile = tmp_path / "d.pid"
        pidfile.write_text(f"{sleeper.pid}\n")
        stdout, code = _status_of_proc(DEBIAN / "init-functions", pidfile, "knotd")
    finally:
        sleeper.kill()
        sleeper.wait()
    assert code == 0 and judge(stdout, code).lrmd == "stopped"


def test_debian_script_is_rewired_to_the_patched_library(tmp_path):
    assert main(["patch", "--dest", str(tmp_path / "D"), str(DEBIAN / "nginx")]) == 1
    assert sorted(p.name for p in (tmp_path / "D").iterdir() if not p.name.startswith(".")) == [
        "init-functions", "init-functions.diff", "nginx", "nginx.diff"]
    assert b"\n. /etc/ha.d/resource.d/init-functions\n" in (tmp_path / "D" / "nginx").read_bytes()


def test_suse_banner_goes_to_stderr_and_rc_status_stays(tmp_path):
    assert main(["patch", "--dest", str(tmp_path / "D"), str(REPO / INPUT / "suse" / "ntp")]) == 1
    patched = (tmp_path / "D" / "ntp").read_bytes()
    assert b'echo -n "Checking for running network time daemon: " >&2\n' in patched
    assert not (tmp_path / "D" / "rc.status").exists()


@pytest.mark.parametrize("family", ("debian", "suse", "redhat-2010"))
def test_destination_rescans_compliant_through_its_manifest(tmp_path, family, capsys):
    """A destination written by `patch` re-scans as compliant with no options: its own library
    copies beside the scripts, the unpatched ones beside the originals named in the manifest."""
    scripts = [p for p in sorted((REPO / INPUT / family).iterdir()) if p.name not in (
        "functions", "init-functions", "rc.status", "nfs")]
    main(["patch", "--dest", str(tmp_path / "D"), *map(str, scripts)])
    outputs = [str(p) for p in sorted((tmp_path / "D").iterdir()) if not p.name.startswith(".")
               and p.suffix != ".diff"]
    capsys.readouterr()
    assert main(["scan", *outputs]) == 0, capsys.readouterr()
    assert main(["scan", str(tmp_path / "D")]) == 0, capsys.readouterr()  # the directory: diffs, manifest skipped
    assert "unparseable" not in capsys.readouterr().out


# -- scripts for several distributions: `if [ -f LIB ]; then . LIB; elif ...` -------------------

SEVERAL = (b'#!/bin/sh\n'
           b'if [ -f /etc/rc.d/init.d/functions ]; then\n'
           b'\t. /etc/rc.d/init.d/functions\n'
           b'elif test -r /lib/lsb/init-functions; then\n'
           b'\t. /lib/lsb/init-functions\n'
           b'fi\n'
           b'case "$1" in\n'
           b'status)\n'
           b'\tstatus_of_proc -p /var/run/knotd.pid /usr/sbin/knotd knotd\n'
           b'\t;;\n'
           b'esac\n')


@pytest.mark.parametrize(("src", "guarded"), (
    (b'[ -f /etc/init.d/functions ] && . /etc/init.d/functions\n', [True]),
    (b'L=/etc/init.d/functions\nif test -r "$L"; then\n\t. "$L"\nfi\n', [True]),
    (b'f() {\n\t[[ -e /etc/init.d/functions ]] && source /etc/init.d/functions\n}\n', [True]),
    (b'if [ -s /etc/rc.status ]; then { . /etc/rc.status; } 2>/dev/null; fi\n', [True]),
    (b'[ -f /etc/init.d/functions ] && . /etc/init.d/functions && echo loaded\n', [True]),
    (SEVERAL, [True, True]),
    (b'. /etc/init.d/functions\n', [False]),
    (b'[ -f /etc/init.d/functions ] || . /etc/init.d/functions\n', [False]),
    (b'[ -f /etc/default/foo ] && . /etc/init.d/functions\n', [False]),  # another file tested
    (b'[ -d /etc/init.d/functions ] && . /etc/init.d/functions\n', [False]),  # not a file test
    (b'if [ -f /etc/init.d/functions ]; then :; else . /etc/init.d/functions; fi\n', [False]),
))
def test_a_source_line_is_guarded_when_a_test_finds_its_file_first(src, guarded):
    assert [line.guarded for line in prepare(parse(src)).lines] == guarded


def test_a_script_for_several_distributions_is_judged_against_the_library_found(tmp_path):
    """openhpid and friends source Red Hat's functions if it exists, else init-functions: on a
    Debian node the first is passed over, as the script passes over it (before: an error asking
    for --functions). An unguarded line still needs its library."""
    if any(os.path.exists(p) for p in ("/etc/rc.d/init.d/functions", "/etc/init.d/functions")):
        pytest.skip("this machine has a system functions library")
    script = tmp_path / "knotd"
    script.write_bytes(SEVERAL)
    shutil.copy(DEBIAN / "init-functions", tmp_path / "init-functions")
    result = process(str(script), Settings(), Libraries())
    assert (result.state, result.library) == ("patchable", str(tmp_path / "init-functions"))
    assert result.patched == SEVERAL.replace(b"\t. /lib/lsb/init-functions", b"\t. /etc/ha.d/resource.d/init-functions")
    shutil.copy(REPO / INPUT / "redhat-2010" / "functions", tmp_path / "functions")  # now the first is found
    assert process(str(script), Settings(), Libraries()).library == str(tmp_path / "functions")
    (tmp_path / "functions").unlink()
    script.write_bytes(SEVERAL.replace(b"if [ -f /etc/rc.d/init.d/functions ]; then", b"if true; then"))
    unguarded = process(str(script), Settings(), Libraries())
    assert (unguarded.state, unguarded.reason) == ("error", "sources /etc/rc.d/init.d/functions, which was not "
                                                   "found: give the functions library with --functions")
