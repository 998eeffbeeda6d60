"""Expand command-line inputs (files, directories, `-`) into an ordered, de-duplicated list of files.

Nothing is read here: files are only classified by name (editor backups, package-manager
leftovers). What their bytes say is decided later by `rewrite.source.not_a_script_reason`, in the
pipeline. Each file is listed once, under the first name that reaches it (as the CLI always did:
the real path decides). Directories are walked recursively in sorted order; a symbolic link to a directory is
followed unless it leads back into a directory being walked (a loop, reported as an error item)
or into one walked already (listed once). Version-control metadata directories are not walked.
"""
from __future__ import annotations

import errno
import fnmatch
import os
import stat
from collections.abc import Iterator, Sequence
from typing import NamedTuple, TextIO

from rewrite.manifest import MANIFEST
from rewrite.pipeline import ERROR, NOT_A_SCRIPT

STDIN = "-"

# Names that are never init scripts, whatever their content: (pattern, reason).
NOT_SCRIPT_NAMES: tuple[tuple[str, str], ...] = (
    ("*~", "editor backup"),
    (".#*", "editor lock file"),
    ("*.swp", "editor swap file"),
    ("*.bak", "backup copy"),
    ("*.orig", "backup copy"),
    ("*.rpmnew", "package manager leftover"),
    ("*.rpmsave", "package manager leftover"),
    ("*.rpmorig", "package manager leftover"),
    ("*.dpkg-old", "package manager leftover"),
    ("*.dpkg-new", "package manager leftover"),
    ("*.dpkg-dist", "package manager leftover"),
    ("*.diff", "a diff"),  # `patch` writes one beside each copy: a destination re-scans clean
    ("*.patch", "a diff"),
    ("*.rej", "a diff's rejected hunks"),
    (MANIFEST, "ha-rewrite's manifest"),
    # what else lies beside scripts in a repository or a fleet's collection: documents, data, units,
    # other languages' modules (which have no `#!` line to say so), Heartbeat's own configuration
    ("README*", "documentation"),
    ("LICENSE*", "licence text"),
    ("COPYING*", "licence text"),
    ("*.md", "documentation"),
    ("*.rst", "documentation"),
    ("*.txt", "text"),
    ("*.html", "web page"),
    ("*.json", "data file"),
    ("*.yaml", "data file"),
    ("*.yml", "data file"),
    ("*.xml", "data file"),
    ("*.conf", "configuration file"),
    ("*.service", "systemd unit"),
    ("*.socket", "systemd unit"),
    ("*.timer", "systemd unit"),
    ("*.target", "systemd unit"),
    ("*.py", "Python source"),
    ("*.pl", "Perl source"),
    ("*.pm", "Perl module"),
    ("*.rb", "Ruby source"),
    ("ha.cf", "Heartbeat configuration"),
    ("haresources", "Heartbeat configuration"),
    ("authkeys", "Heartbeat configuration"),
)
# A file whose name starts with a dot, found by walking a directory: no init system runs one
# (run-parts, insserv and chkconfig pass over them), as ripgrep and ast-grep pass over them too.
HIDDEN = "hidden file, found in a directory"

# Directories a walk does not enter: version-control metadata holds no init scripts.
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", ".bzr", "CVS", "_darcs"})


class Input(NamedTuple):
    """One file to process, or one decided by its name or its path alone."""

    path: str
    state: str | None = None  # None: run the pipeline; NOT_A_SCRIPT or ERROR: decided here, unread
    reason: str = ""


class _Seen(NamedTuple):
    files: set[str]  # real paths (symbolic links resolved) of the files already listed
    dirs: set[tuple[int, int]]  # (st_dev, st_ino) of directories already walked


def expand(args: Sequence[str], stdin: TextIO | None = None) -> list[Input]:
    """ARGS as a list of inputs in order, each file once; `-` reads paths from STDIN (one a line, or NUL-separated).

    A `-` given with no STDIN stream, or a second time, adds nothing.
    """
    seen = _Seen(set(), set())
    items: list[Input] = []
    for arg in _arguments(args, stdin):
        items.extend(item for item, real in _expand_one(arg, seen) if _first(item, real, seen))
    return items


def name_reason(path: str) -> str | None:
    """Why PATH's file name alone says it is not a script, or None."""
    name = os.path.basename(path)
    for pattern, reason in NOT_SCRIPT_NAMES:
        if fnmatch.fnmatchcase(name, pattern):
            return f"{reason} ({pattern})"
    return None


def _arguments(args: Sequence[str], stdin: TextIO | None) -> Iterator[str]:
    for arg in args:
        if arg != STDIN:
            yield arg
        elif stdin is not None:
            yield from _listed(stdin.read())
            stdin = None


def _listed(text: str) -> Iterator[str]:
    """The paths in TEXT: NUL-separated (`find -print0`: no path holds a NUL) if it has one, else one a line."""
    names = text.split("\0") if "\0" in text else [line.rstrip("\r") for line in text.split("\n")]
    return (name for name in names if name.strip())


def _first(item: Input, real: str | None, seen: _Seen) -> bool:
    """Is ITEM's file not listed yet? REAL: its real path when the walk knows it (else resolved here)."""
    # an error item (a loop, a dangling link) is reported under each of its own names
    key = os.path.abspath(item.path) if item.state == ERROR else real or os.path.realpath(item.path)
    if key in seen.files:
        return False
    seen.files.add(key)
    return True


# A walk's frame: a directory, its names still to list, its real path, the (st_dev, st_ino) of it and
# of the directories it lies in.
_Frame = tuple[str, Iterator[str], str, tuple[tuple[int, int], ...]]


def _expand_one(path: str, seen: _Seen) -> Iterator[tuple[Input, str | None]]:
    """PATH's inputs, each with its real path when known without resolving it."""
    try:
        st = os.stat(path)
    except OSError as exc:
        yield Input(path, ERROR, _stat_reason(exc)), None
        return
    if stat.S_ISDIR(st.st_mode):
        yield from _walk(path, st, seen)
    else:
        yield _classify(path), None


def _walk(top: str, st: os.stat_result, seen: _Seen) -> Iterator[tuple[Input, str | None]]:
    """TOP's files, depth first in sorted order; iterative: a tree thousands of directories deep is fine.

    A file that is not a symbolic link, in a directory whose real path is known, has that path and
    its name as its own: only links are resolved (os.path.realpath climbs the whole path)."""
    stack: list[_Frame] = []
    failed = _enter(top, os.path.realpath(top), st, seen, (), stack)
    if failed is not None:
        yield failed, None
    while stack:
        directory, names, real, inside = stack[-1]
        name = next(names, None)
        if name is None:
            stack.pop()
            continue
        path = os.path.join(directory, name)
        try:
            st = os.lstat(path)
            link = stat.S_ISLNK(st.st_mode)
            if link:
                st = os.stat(path)  # followed
        except OSError as exc:
            yield Input(path, ERROR, _stat_reason(exc)), None
            continue
        if not stat.S_ISDIR(st.st_mode):
            yield _classify(path, walked=True), None if link else os.path.join(real, name)
        elif name not in SKIPPED_DIRS:
            failed = _enter(path, os.path.realpath(path) if link else os.path.join(real, name), st, seen, inside,
                            stack)
            if failed is not None:
                yield failed, None


def _enter(directory: str, real: str, st: os.stat_result, seen: _Seen, ancestors: tuple[tuple[int, int], ...],
           stack: list[_Frame]) -> Input | None:
    """Put DIRECTORY (whose real path is REAL) on STACK to be walked; the error item when it cannot
    be, None when it is walked already (reached through another name)."""
    identity = (st.st_dev, st.st_ino)
    if identity in ancestors:
        return Input(directory, ERROR, "symbolic link loop: leads back into a directory being walked")
    if identity in seen.dirs:
        return None
    seen.dirs.add(identity)
    try:
        names = sorted(os.listdir(directory))  # names only: a directory of 100,000 files costs a few MB
    except OSError as exc:
        return Input(directory, ERROR, f"cannot list directory: {exc.strerror or exc}")
    stack.append((directory, iter(names), real, (*ancestors, identity)))
    return None


def _classify(path: str, walked: bool = False) -> Input:
    """PATH to be read, or not-a-script by its name; WALKED: found in a directory, not named by the user."""
    reason = name_reason(path)
    if reason is None and walked and os.path.basename(path).startswith("."):
        reason = HIDDEN
    return Input(path) if reason is None else Input(path, NOT_A_SCRIPT, reason)


def _stat_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    return exc.strerror or str(exc)


__all__ = ["Input", "NOT_SCRIPT_NAMES", "STDIN", "expand", "name_reason"]
