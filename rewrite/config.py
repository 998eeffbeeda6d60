"""Heartbeat configuration for patched resources: a haresources line and the CRM's CIB XML."""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from rewrite.jinja import environment

DURATION = re.compile(r"^[0-9]+(ms|s|m|min|h)?$")
NAME = re.compile(r"^[A-Za-z0-9_.+-]+$")


class Resource(NamedTuple):
    name: str  # the script's name in /etc/ha.d/resource.d
    id: str  # an XML id derived from it


class ConfigError(ValueError):
    """A name or duration Heartbeat would not accept; the message is one line."""


def resources(names: Sequence[str]) -> list[Resource]:
    found = []
    for name in names:
        if not NAME.match(name) or name in (".", ".."):
            raise ConfigError(f"{name!r} is not a resource script name (letters, digits, . _ + -)")
        found.append(Resource(name, "rsc_" + re.sub(r"[^A-Za-z0-9_.-]", "_", name)))
    return found


def check_duration(value: str) -> str:
    if not DURATION.match(value):
        raise ConfigError(f"{value!r} is not a duration such as 10s, 500ms or 1min")
    return value


def haresources(node: str, found: Sequence[Resource]) -> str:
    """One haresources line: the preferred node, then its resources in start order."""
    return environment().get_template("haresources.j2").render(node=node, resources=found)


def cib(found: Sequence[Resource], interval: str, timeout: str, group: str | None) -> str:
    """One XML element for `cibadmin -C -o resources -X`: a primitive, or a group of several."""
    if len(found) > 1 and group is None:
        group = "grp_" + found[0].id.removeprefix("rsc_")
    template = environment(autoescape=True).get_template("cib.xml.j2")
    xml = template.render(resources=found, interval=check_duration(interval), timeout=check_duration(timeout),
                          group=group if len(found) > 1 else None)
    return xml.rstrip("\n") + "\n"
