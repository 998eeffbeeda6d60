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
# Per action: a script's own slow work (suse/sshd's restart generates an RSA host key with the host's
# ssh-keygen) can take over verify's default 10 s on a loaded machine; a real hang still shows as one.
TIMEOUT = ["--timeout", "20"]


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


def verdicts(record: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """(wrong, no verdict): check or state -> why, for every one that is not right."""
    wrong, none = {}, {}
    if record["error"]:
        none["error"] = record["error"]
    for state in record["states"]:
        if state["problem"]:
            none[state["state"]] = state["problem"]
        elif not state["ok"]:
            wrong[state["state"]] = "wrong for " + ",".join(state["fooled"])
    for check in record.get("lsb", []):
        if check["problem"]:
            none[check["check"]] = check["problem"]
        elif not check["ok"]:
            wrong[check["check"]] = "; ".join(check["why"])
    return wrong, none


def needs_lsb_wrapper(wrong: dict[str, str]) -> bool:
    """A wrong answer no edit of the status path mends: start, stop, restart, an unknown action."""
    return any(check not in STATUS_CHECKS and not check.startswith(("running-", "stopped", "dead-"))
               and not why.startswith("then status") for check, why in wrong.items())


class Runs:
    """Originals, their `patch` copies (DEST) and `patch --lsb-wrapper` copies (LSB), verified.

    The copy judged by the checklist is the `patch` copy (the original when `patch` had nothing to
    change), or the LSB-mode wrapper when the original's start, stop or dispatch is wrong, or when
    the `patch` copy still answers a check wrong (a status that ignores its stale pid file), and the
    wrapper answers fewer checks wrong (it judges the original's words as rm does: `NOT OK` fools it).
    """

    def __init__(self, work: Path) -> None:
        self.work = work
        self.before: dict[str, dict[str, Any]] = {}
        self.default: dict[str, dict[str, Any]] = {}  # the `patch` copy (issue #6: every state)
        self.after: dict[str, dict[str, Any]] = {}  # the copy judged for issue #8 (verify --lsb)
        self.copy: dict[str, str] = {}  # patched | wrapped | original | lsb-wrapper

    def run(self) -> Runs:
        by_family: dict[str, list[str]] = {}
        for script in scripts():
            by_family.setdefault(script.split("/")[0], []).append(script)
        for family, names in by_family.items():
            self._family(family, names)
        return self

    def _family(self, family: str, names: list[str]) -> None:
        options = OPTIONS.get(family, [])
        dest, lsb = self.work / family / "dest", self.work / family / "lsb"
        main_quiet(patch_args(family, dest))
        originals = [str(REPO / INPUT / n) for n in names]
        main_quiet(["patch", "--dest", str(lsb), "--original-dir", "/etc/init.d", "--lsb-wrapper", *options,
                    *originals])
        functions = ["--functions", options[1]] if options[:1] == ["--functions"] else []
        before = cli_json(["verify", "--lsb", *TIMEOUT, *functions, *originals])
        copies = {}
        for name, original in zip(names, originals):
            self.before[name] = before[original]
            patched = dest / name.split("/")[1]
            if patched.exists():
                wrapper = patched.read_bytes().split(b"\n", 2)[1].startswith(b"# Heartbeat wrapper")
                copies[name], self.copy[name] = str(patched), "wrapped" if wrapper else "patched"
            else:
                copies[name], self.copy[name] = original, "original"
        default = cli_json(["verify", "--lsb", *TIMEOUT, *functions, *copies.values()])
        wrapped = {}
        for name in names:
            self.default[name] = self.after[name] = default[copies[name]]
            lsb_copy = lsb / name.split("/")[1]
            if lsb_copy.exists() and (needs_lsb_wrapper(verdicts(self.before[name])[0])
                                      or verdicts(self.default[name])[0]):
                wrapped[name] = str(lsb_copy)
        if wrapped:
            after = cli_json(["verify", "--lsb", *TIMEOUT, *functions, *wrapped.values()])
            for name, path in wrapped.items():  # the wrapper judges words as rm does: it may do worse
                if len(verdicts(after[path])[0]) < len(verdicts(self.default[name])[0]):
                    self.after[name], self.copy[name] = after[path], "lsb-wrapper"


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
            for label, record in (("before", runs.before[name]), ("patch", runs.default[name]),
                                  ("after", runs.after[name])):
                wrong, none = verdicts(record)
                print(f"    {label}: wrong {wrong}")
                print(f"    {label}: none  {none}")
