"""The init-script families: which library a script sources, what implements status, what prints.

Red Hat's `functions` defines `status()`; Debian's `/lib/lsb/init-functions` defines
`status_of_proc()` and prints through `log_*_msg`; SUSE's `/etc/rc.status` prints the state with
`rc_status -v` after `checkproc`. The patched copy of a library keeps the library's file name.
"""
from __future__ import annotations

from typing import NamedTuple


class Printer(NamedTuple):
    text: bytes | None  # what it prints; None: its arguments are the message
    outcome: str | None  # what printing it means; None: its text decides


class Family(NamedTuple):
    name: str
    library: str  # the file name scripts source, and the patched copy's name in the destination
    status_functions: tuple[bytes, ...]  # library functions that implement status
    defaults: tuple[str, ...]  # where the system keeps the library
    printers: dict[bytes, Printer]
    option: str  # the command-line option naming the library


_MESSAGE = Printer(None, None)

REDHAT = Family("redhat", "functions", (b"status",), ("/etc/rc.d/init.d/functions", "/etc/init.d/functions"), {
    b"echo_success": Printer(b"[  OK  ]", "running"),
    b"success": Printer(b"[  OK  ]", "running"),
    b"echo_passed": Printer(b"[PASSED]", "running"),
    b"passed": Printer(b"[PASSED]", "running"),
    b"echo_failure": Printer(b"[FAILED]", "stopped"),
    b"failure": Printer(b"[FAILED]", "stopped"),
    b"echo_warning": Printer(b"[WARNING]", None),
    b"warning": Printer(b"[WARNING]", None),
    b"action": Printer(b"[  OK  ]", None),
}, "--functions")

DEBIAN = Family("debian", "init-functions", (b"status_of_proc",), ("/lib/lsb/init-functions",), {
    **{name: _MESSAGE for name in (b"log_success_msg", b"log_warning_msg", b"log_daemon_msg", b"log_progress_msg",
                                   b"log_action_msg", b"log_begin_msg", b"log_action_begin_msg")},
    b"log_failure_msg": Printer(None, "stopped"),  # `could not access PID file for $name`: not running
}, "--lsb-functions")

SUSE = Family("suse", "rc.status", (), ("/etc/rc.status",), {}, "--rc-status")

FAMILIES = (REDHAT, DEBIAN, SUSE)
BY_LIBRARY = {family.library.encode(): family for family in FAMILIES}
BY_NAME = {family.name: family for family in FAMILIES}

# SUSE: `rc_status -v` prints the state of the last command (running / dead / unused): compliant
# by construction when stdout is not a terminal, which is how Heartbeat runs it.
STATE_PRINTER = b"rc_status"


def library_family(functions: set[bytes]) -> Family | None:
    """The family of a file that defines these functions and has no status arm: a library."""
    for family in FAMILIES:
        if any(name in functions for name in family.status_functions):
            return family
    return SUSE if STATE_PRINTER in functions else None
