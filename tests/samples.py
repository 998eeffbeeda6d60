"""Small scripts several test modules share."""
from __future__ import annotations

from pathlib import Path

COMPLIANT = b"""#!/bin/sh
case "$1" in
  status)
    if [ -f /run/x.pid ]; then echo "running"; exit 0; fi
    echo "stopped"; exit 3 ;;
esac
"""
SELF_MADE = b"""#!/bin/sh
NAME=app
case "$1" in
  status)
    if [ -f /run/app.pid ]; then echo "$NAME is running"; exit 0; fi
    echo "$NAME is not running"
    exit 3
    ;;
esac
"""


def write_script(path: Path, data: bytes, mode: int = 0o755) -> Path:
    path.write_bytes(data)
    path.chmod(mode)
    return path
