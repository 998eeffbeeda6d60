"""deploy: many outputs into one destination cost work in proportion to their number."""
from __future__ import annotations

import fcntl
import json
import os
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from rewrite import deploy
from rewrite.deploy import WRITTEN, Planned
from rewrite.cli import main
from rewrite.manifest import MANIFEST
from samples import SELF_MADE


def _planned(count: int) -> list[Planned]:
    return [Planned(f"s{i:05d}", f"/etc/init.d/s{i:05d}", b"echo is running\n", b"echo running\n",
                    b"--- a/s\n+++ b/s\n", 0o755) for i in range(count)]


def _entries_saved(dest: Path, count: int, monkeypatch: pytest.MonkeyPatch) -> int:
    """Manifest entries serialized, over every save, to deploy COUNT outputs into DEST."""
    saved = 0
    dump = deploy.dump

    def counting(entries: dict[str, deploy.Entry]) -> bytes:
        nonlocal saved
        saved += len(entries)
        return dump(entries)

    monkeypatch.setattr(deploy, "dump", counting)
    assert {o.action for o in deploy.deploy(dest, _planned(count))} == {WRITTEN}
    assert len(json.loads((dest / MANIFEST).read_bytes())["files"]) == count
    return saved


def test_manifest_saves_grow_linearly_with_the_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each save writes the whole manifest, twice a batch: with batches of a fixed size, 100,000
    outputs saved it 2,000 times (hours). Batches now grow with the run, so 4 times the outputs
    cost about 4 times the saving (a save per fixed batch: 16 times). MANIFEST_EVERY is lowered
    here so that a few hundred files show it."""
    monkeypatch.setattr(deploy, "MANIFEST_EVERY", 5)
    small = _entries_saved(tmp_path / "small", 80, monkeypatch)
    large = _entries_saved(tmp_path / "large", 320, monkeypatch)
    assert large / small < 6


def test_batches_keep_their_floor_and_their_count() -> None:
    assert deploy.batch_size(1) == deploy.MANIFEST_EVERY
    assert deploy.batch_size(100_000) * deploy.MANIFEST_SAVES >= 100_000
    assert deploy.batch_size(100_000) < 100_000 / 8  # still a journal in steps, not one batch


def test_only_stale_temps_of_the_outputs_written_are_removed(tmp_path: Path) -> None:
    """A killed run leaves `.NAME.XXXXXXXX.tmp` beside NAME; the next run writing NAME removes it,
    and leaves those of other names (another run's, in a destination shared by hand) alone."""
    dest = tmp_path / "dest"
    dest.mkdir()
    stale = [".s00000.abcd1234.tmp", ".s00001.diff.x_y9z8w7.tmp", ".s00001.orig-20261206.abcdefgh.tmp",
             f".{MANIFEST}.qwertyui.tmp", ".s00000..tmp"]
    others = [".s.abcd1234.tmp", ".s00002.abcd1234.tmp", ".s00000.abcd1234.tmp.keep", "s00000.abcd1234.tmp"]
    for name in stale + others:
        (dest / name).write_text("partial")
    (dest / ".s00001.linked.tmp").symlink_to(dest / others[0])
    list(deploy.deploy(dest, _planned(2)))
    left = {p.name for p in dest.iterdir()}
    assert not left & set(stale)
    assert set(others) | {".s00001.linked.tmp"} <= left


def test_a_destination_takes_one_run_at_a_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """While a run writes a destination (holding a lock on it), another refuses it whole, exit 2,
    rather than save a manifest without the first run's entries. The lock leaves no file behind."""
    script = tmp_path / "app"
    script.write_bytes(SELF_MADE)
    dest = tmp_path / "D"
    dest.mkdir()
    holder = os.open(dest, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        assert main(["patch", "--dest", str(dest), str(script)]) == 2
        assert capsys.readouterr().err == f"ha-rewrite: {dest}: another ha-rewrite run is writing there: run again " \
                                          "when it is done\n"
        assert list(dest.iterdir()) == []
    finally:
        os.close(holder)
    assert main(["patch", "--dest", str(dest), str(script)]) == 1
    assert sorted(p.name for p in dest.iterdir()) == [MANIFEST, "app", "app.diff"]
    capsys.readouterr()


def test_a_batch_syncs_its_directory_once_before_the_manifest_drops_the_old_hashes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each output used to sync the destination twice (its file, its diff): on ext4 about 3 ms a
    file. A batch's new names are now synced together, still before the manifest save that drops
    their previous hashes, so that a power loss cannot leave the manifest trusting a file whose
    new name was lost."""
    monkeypatch.setattr(deploy, "MANIFEST_EVERY", 40)
    events: list[str] = []
    replace, fsync = os.replace, os.fsync

    def replacing(src: str, dst: os.PathLike[str] | str) -> None:
        replace(src, dst)
        events.append("manifest" if os.path.basename(dst) == MANIFEST else "output")

    def syncing(fd: int) -> None:
        fsync(fd)
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            events.append("sync")

    monkeypatch.setattr(os, "replace", replacing)
    monkeypatch.setattr(os, "fsync", syncing)
    assert {o.action for o in deploy.deploy(tmp_path / "dest", _planned(100))} == {WRITTEN}
    assert events.count("output") == 200 and events.count("manifest") == 6  # 3 batches: pending, then done
    assert events.count("sync") == 9  # each manifest save, and each batch of outputs
    for at, event in enumerate(events):
        if event == "output":  # a sync comes before the next manifest save
            assert events.index("sync", at) < events.index("manifest", at)
        if event == "manifest":
            assert events[at + 1] == "sync"


class _Made(Sequence[Planned]):
    """COUNT outputs of SIZE bytes each, made when read (as outputs.Staged reads them back from its spill)."""

    def __init__(self, count: int, size: int) -> None:
        self.count, self.size = count, size

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: Any) -> Any:  # an int or a slice, as a Sequence takes them
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.count))]
        if not 0 <= index < self.count:
            raise IndexError(index)
        body = b"#%05d" % index + b"x" * self.size + b"\n"
        return Planned(f"s{index:05d}", f"/etc/init.d/s{index:05d}", body, body.replace(b"x", b"y"),
                       b"--- a/s\n+++ b/s\n", 0o755)


def test_deploy_holds_one_output_at_a_time_not_a_batch(tmp_path: Path) -> None:
    """A batch of a large run is thousands of files: deploy reads each output when it needs it."""
    tracemalloc.start()
    try:
        outcomes = list(deploy.deploy(tmp_path / "dest", _Made(150, 100_000)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [o.action for o in outcomes] == [WRITTEN] * 150
    assert (tmp_path / "dest" / "s00149").read_bytes().startswith(b"#00149yyy")
    assert peak < 20 * 200_000, peak  # a batch of 100 held at once would be 100 * 200 KB
