"""The README's first command (its main job on the bundled corpus) does what the README says."""
from __future__ import annotations

import glob
import re
import shlex

from corpus_cases import REPO

from rewrite.cli import main


def test_the_first_command_exits_as_the_readme_says(tmp_path, monkeypatch, capsys):
    readme = (REPO / "README.md").read_text()
    first = re.search(r"```sh\n(.*)\n", readme)
    assert first is not None and first.group(1).startswith("python3 -m venv .venv && ")
    words = shlex.split(first.group(1).split(".venv/bin/ha-rewrite ", 1)[1])
    monkeypatch.chdir(REPO)
    argv = [str(tmp_path / w) if w == "out" else w for w in words]
    argv = [match for word in argv for match in (sorted(glob.glob(word)) if "*" in word else [word])]
    code = main(argv)
    said = re.search(r"`\./out` \(exit (\d):", readme)
    assert said is not None and code == int(said.group(1))
    assert (tmp_path / "out" / "httpd").is_file() and (tmp_path / "out" / "nfs").is_file()
    assert "nfs: needs-wrapper: status prints a list of states" in capsys.readouterr().err
