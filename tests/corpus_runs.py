"""The corpus run through the real CLI and sandbox: each script, its patched or wrapped copy, verified.

Shared by tests/test_corpus_verify.py; `python tests/corpus_runs.py` prints the outcome table it
asserts (check -> what went wrong), to write or review that table.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from corpus_cases import INPUT, OPTIONS, REPO, families, inputs, patch_args  # noqa: E402

from rewrite.cli import main  # noqa: E402

LIBRARIES = ("functions", "init-functions", "rc.status")
SKIPPED_FAMILIES = ("broken",)  # nothing there runs: scan and patch report why (test_corpus)
# Checks a patched status path answers; any other failing check is start, stop or dispatch logic,
# which only an LSB-mode wrapper mends.
STATUS_CHECKS = ("status-stopped", "status-running", "status-dead-pidfile")


def scripts() -> list[str]:
    """Every corpus script that has a status operation to run: `family/name`."""
    return [f"{family}/{os.path.basename(p)}" for family in families() if family not in SKIPPED_FAMILIES
            for p in inputs(family) if os.path.basename(p) not in LIBRARIES]


def cli_json(argv: list[str]) -> dict[str, dict[str, Any]]:
    """`ha-rewrite ARGV --format json`, by script path."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        main([*argv, "--format", "json"])
    return {s["path"]: s for s in json.loads(out.getvalue())["scripts"]}


def failing(record: dict[str, Any]) -> dict[str, str]:
    """check or state -> why, for every check and state that is not right (a problem, or a wrong verdict)."""
    found = {}
    for state in record["states"]:
        if not state["ok"]:
            found[state["state"]] = state["problem"] or "wrong for " + ",".join(state["fooled"])
    if record["error"]:
        found["error"] = record["error"]
    for check in record.get("lsb", []):
        if not check["ok"]:
            found[check["check"]] = check["problem"] or "; ".join(check["why"])
    if record.get("lsb_error"):
        found["lsb"] = record["lsb_error"]
    return found


def needs_lsb_wrapper(before: dict[str, str]) -> bool:
    return any(check not in STATUS_CHECKS and not check.startswith(("running-", "stopped", "dead-"))
               and not why.startswith("then status") for check, why in before.items())


class Runs:
    """Originals, their `patch` copies (DEST) and `patch --lsb-wrapper` copies (LSB), all verified."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.before: dict[str, dict[str, Any]] = {}
        self.after: dict[str, dict[str, Any]] = {}  # the copy judged for issue #8 (verify --lsb)
        self.copy: dict[str, str] = {}  # which copy: patched | wrapped | lsb-wrapper | original
        self.states: dict[str, dict[str, Any]] = {}  # the `patch` copy's states (issue #6)

    def run(self) -> Runs:
        by_family: dict[str, list[str]] = {}
        for script in scripts():
            by_family.setdefault(script.split("/")[0], []).append(script)
        for family, names in by_family.items():
            options = OPTIONS.get(family, [])
            dest, lsb = self.work / family / "dest", self.work / family / "lsb"
            main_quiet(patch_args(family, dest))
            originals = [str(REPO / INPUT / n) for n in names]
            main_quiet(["patch", "--dest", str(lsb), "--original-dir", "/etc/init.d", "--lsb-wrapper",
                        *options, *originals])
            functions = ["--functions", options[1]] if options[:1] == ["--functions"] else []
            before = cli_json(["verify", "--lsb", *functions, *originals])
            for name, original in zip(names, originals):
                self.before[name] = before[original]
            chosen, plain = [], []
            for name in names:
                base = name.split("/")[1]
                patched = dest / base
                if needs_lsb_wrapper(failing(self.before[name])) and (lsb / base).exists():
                    self.copy[name] = "lsb-wrapper"
                    chosen.append(str(lsb / base))
                    if patched.exists():
                        plain.append(str(patched))
                elif patched.exists():
                    wrapper = b"\n# Heartbeat wrapper" in b"\n" + patched.read_bytes()[:200]
                    self.copy[name] = "wrapped" if wrapper else "patched"
                    chosen.append(str(patched))
                else:
                    self.copy[name] = "original"
                    chosen.append(str(REPO / INPUT / name))
            after = cli_json(["verify", "--lsb", *functions, *chosen]) if chosen else {}
            states = cli_json(["verify", *functions, *plain]) if plain else {}
            for name, path in zip(names, chosen):
                self.after[name] = after[path]
                if self.copy[name] != "lsb-wrapper":
                    self.states[name] = after[path]
            for path in plain:
                self.states[_name(family, path)] = states[path]
        return self


def _name(family: str, path: str) -> str:
    return f"{family}/{os.path.basename(path)}"


def main_quiet(argv: list[str]) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(argv)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        runs = Runs(Path(work)).run()
        for name in scripts():
            print(f"{name}: copy {runs.copy[name]}")
            print(f"    before: {failing(runs.before[name])}")
            print(f"    after:  {failing(runs.after[name])}")
            if name in runs.states:
                print(f"    states: {failing(runs.states[name])}")
