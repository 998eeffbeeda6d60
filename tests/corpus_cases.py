"""The corpus families and how each is run; shared by the golden tests and tests/regen_expected.py."""
from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
INPUT = Path("corpus/input")
EXPECTED = Path("corpus/expected")

# Hand-written scripts have no library beside them: they are judged against the 2010 library.
OPTIONS: dict[str, list[str]] = {
    "handmade": ["--functions", "corpus/input/redhat-2010/functions"],
    # rc.status needs no patch, so no copy lands beside the patched scripts: name the original
    "suse": ["--rc-status", "corpus/input/suse/rc.status"],
}
# patch only: start and stop fail in ways no edit of the status path can fix, so LSB-mode wrappers
PATCH_OPTIONS: dict[str, list[str]] = {"lsb-wrapper": ["--lsb-wrapper"]}


def families() -> list[str]:
    return sorted(p.name for p in (REPO / INPUT).iterdir() if p.is_dir())


def inputs(family: str) -> list[str]:
    """Input paths, relative to the repository, as the goldens name them."""
    return sorted(str(INPUT / family / p.name) for p in (REPO / INPUT / family).iterdir())


def scan_args(family: str) -> list[str]:
    return ["scan", *OPTIONS.get(family, []), *inputs(family)]


def patch_args(family: str, dest: Path) -> list[str]:
    """Wrappers run their original where it will be deployed: /etc/init.d, not this checkout."""
    return ["patch", "--dest", str(dest), "--original-dir", "/etc/init.d", *OPTIONS.get(family, []),
            *PATCH_OPTIONS.get(family, []), *inputs(family)]
