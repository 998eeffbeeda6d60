"""Agreement with the real Heartbeat: Debian's ResourceManager judges the same runs as verify's `rm`.

`ResourceManager status NAME` (heartbeat 3.0.6, /usr/share/heartbeat/ResourceManager) runs
`we_own_resource`: it finds NAME in /etc/ha.d/resource.d (else /etc/init.d), runs `NAME status`
and globs its stdout; exit 0 means running, 3 stopped. Here it runs in the same sandbox and state
as verify's run, with the host's /etc/ha.d bound read-only and the `patch --dest` directory bound
over /etc/ha.d/resource.d, under dash, Debian's /bin/sh.
"""
from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from corpus_cases import INPUT, REPO
from rewrite import sandbox
from rewrite.cli import main
from rewrite.verify import Plan, ScriptReport, make_plan, run_state, verify_many

RESOURCE_MANAGER = "/usr/share/heartbeat/ResourceManager"

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None or not os.path.isfile(RESOURCE_MANAGER),
                                reason="needs bubblewrap and Debian's heartbeat package")


def _resource_manager(plan: Plan, name: str) -> Plan:
    layout = sandbox.Layout((("/etc/ha.d", "/etc/ha.d"),) + plan.layout.binds, plan.layout.writable)
    return replace(plan, command=("/bin/dash", RESOURCE_MANAGER, "status", name), trace="none", layout=layout)


def _verdicts(reports: list[ScriptReport], stage: Path) -> list[tuple[str, str, str | None, int | None]]:
    """(name, state, verify's rm verdict or None, ResourceManager's exit code) for every run."""
    jobs = []
    for report in reports:
        if report.error:  # not run at all
            continue
        staged = str(stage) if report.path.startswith(str(stage)) else None
        plan = _resource_manager(make_plan(report.path, staged_dir=staged), os.path.basename(report.path))
        for state in report.states:
            jobs.append((os.path.basename(report.path), state, plan))
    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(lambda job: run_state(job[2], job[1].state, 10.0).exit, jobs))
    return [(name, state.state, state.verdicts.rm if state.verdicts else None, code)
            for (name, state, _), code in zip(jobs, codes)]


def test_resource_manager_agrees_with_verify(tmp_path):
    stage = tmp_path / "stage"
    inputs = sorted(str(p) for p in (REPO / INPUT / "redhat-2010").iterdir())
    assert main(["patch", "--dest", str(stage), *inputs]) == 1
    patched = sorted(str(p) for p in stage.iterdir()
                     if p.is_file() and not p.name.startswith(".") and "." not in p.name and p.name != "functions")
    assert {"haproxy", "httpd", "ntpd", "redis", "tomcat"} <= {os.path.basename(p) for p in patched}
    originals = [str(REPO / INPUT / "redhat-2010" / name) for name in ("httpd", "tomcat")]
    reports = verify_many(patched + originals, staged_dir=str(stage))
    rows = _verdicts(reports, stage)
    judged = [(name, state, rm, code) for name, state, rm, code in rows if rm is not None]
    assert [row for row in judged if {"running": 0, "stopped": 3}[row[2]] != row[3]] == []
    assert [r.path for r in reports if r.error] == []
    assert len(judged) == len(rows) >= 35
    expected = {"running-1": 0, "running-9": 0, "stopped": 3, "dead-pidfile": 3, "dead-lock": 3}
    for name in ("haproxy", "httpd", "ntpd", "redis", "tomcat"):  # patched copies, and the originals of two
        assert {(state, code) for n, state, _, code in judged if n == name} == set(expected.items())
