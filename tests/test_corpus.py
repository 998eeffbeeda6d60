"""Golden tests over corpus/: whole outputs compared byte for byte, plus the invariants.

Rules exercised: every HBxxx rule that fires on the corpus (see corpus/expected/*/scan.txt).
Regenerate the goldens only on purpose: `python tests/regen_expected.py`, then review the diff.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from corpus_cases import EXPECTED, INPUT, OPTIONS, REPO, families, inputs, patch_args, scan_args
from rewrite.cli import main
from rewrite.diffs import parse_diff


@pytest.fixture(autouse=True)
def _at_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(root.iterdir()) if p.name not in ("scan.txt", ".ha-rewrite.json")}


@pytest.mark.parametrize("family", families())
def test_scan_output_is_golden(family, capsys):
    code = main(scan_args(family))
    out = capsys.readouterr().out
    assert out + f"exit {code}\n" == (EXPECTED / family / "scan.txt").read_text()


@pytest.mark.parametrize("family", families())
def test_patch_output_is_golden(family, tmp_path, capsys):
    dest = tmp_path / "dest"
    main(patch_args(family, dest))
    written = _tree(dest) if dest.exists() else {}
    assert written == _tree(EXPECTED / family)


def _patched_pairs(wrappers: bool = True):
    """(original, expected output, expected diff); a wrapper's diff creates a new file."""
    for family in families():
        for diff in sorted((REPO / EXPECTED / family).glob("*.diff")):
            name = diff.name[:-len(".diff")]
            original = REPO / INPUT / family / name
            if wrappers or b"\n--- /dev/null\n" not in diff.read_bytes():
                yield pytest.param(original, diff.with_suffix(""), diff, id=f"{family}/{name}")


def _before(original: Path, diff: Path) -> bytes:
    return b"" if b"\n--- /dev/null\n" in diff.read_bytes() else original.read_bytes()


@pytest.mark.parametrize(("original", "patched", "diff"), list(_patched_pairs()))
def test_diff_applies_with_gnu_patch(original, patched, diff, tmp_path):
    """`cp ORIGINAL DEST/NAME && patch DEST/NAME < DEST/NAME.diff` reproduces the copy."""
    copy = tmp_path / patched.name
    copy.write_bytes(_before(original, diff))
    subprocess.run(["patch", "--quiet", str(copy)], stdin=diff.open("rb"), check=True)
    assert copy.read_bytes() == patched.read_bytes()


@pytest.mark.parametrize(("original", "patched", "diff"), list(_patched_pairs()))
def test_diff_applies_with_git_apply(original, patched, diff, tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    if _before(original, diff):
        shutil.copyfile(original, tmp_path / patched.name)
    subprocess.run(["git", "apply", str(diff)], cwd=tmp_path, check=True)
    assert (tmp_path / patched.name).read_bytes() == patched.read_bytes()


@pytest.mark.parametrize(("original", "patched", "diff"), list(_patched_pairs()))
def test_output_passes_bash_n_when_input_does(original, patched, diff):
    if subprocess.run(["bash", "-n", str(original)], capture_output=True).returncode != 0:
        pytest.skip("the input itself does not pass bash -n (CRLF or broken on purpose)")
    subprocess.run(["bash", "-n", str(patched)], check=True)


@pytest.mark.parametrize(("original", "patched", "diff"), list(_patched_pairs(wrappers=False)))
def test_only_edited_lines_differ(original, patched, diff):
    """Every line outside the hunks' -/+ lines is byte-identical (CRLF, Latin-1, no final newline)."""
    old, new = original.read_bytes().split(b"\n"), patched.read_bytes().split(b"\n")
    (patch,) = parse_diff(diff.read_bytes())
    removed = {line.source_line_no - 1 for hunk in patch for line in hunk if line.is_removed}
    added = {line.target_line_no - 1 for hunk in patch for line in hunk if line.is_added}
    assert len(removed) == len(added)
    assert [l for i, l in enumerate(old) if i not in removed] == [l for i, l in enumerate(new) if i not in added]
    assert original.read_bytes().endswith(b"\n") == patched.read_bytes().endswith(b"\n")


@pytest.mark.parametrize("family", families())
def test_second_run_changes_nothing(family, tmp_path, capsys):
    expected = REPO / EXPECTED / family
    outputs = sorted(str(p) for p in expected.iterdir() if p.suffix != ".diff" and p.name != "scan.txt")
    if not outputs:
        pytest.skip("nothing patched in this family")
    assert main(["patch", "--dest", str(tmp_path / "again"), *OPTIONS.get(family, []), *outputs]) == 0
    assert not (tmp_path / "again").exists()
    assert "compliant" in capsys.readouterr().err


@pytest.mark.parametrize("family", families())
def test_inputs_are_untouched(family, tmp_path):
    def digests() -> dict[str, str]:
        return {p: hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in inputs(family)}

    before = digests()
    main(patch_args(family, tmp_path / "dest"))
    assert digests() == before


def test_every_family_has_expected_outputs():
    assert families() == sorted(p.name for p in (REPO / EXPECTED).iterdir())
