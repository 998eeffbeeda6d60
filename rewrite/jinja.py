"""The Jinja2 environment over templates/: installed as rewrite/templates, or the checkout's own."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2


def template_dir() -> Path:
    """Installed: rewrite/templates in the wheel; from a checkout: the top-level templates/."""
    installed = Path(__file__).with_name("templates")
    return installed if installed.is_dir() else Path(__file__).parent.parent / "templates"


@lru_cache(maxsize=2)
def environment(autoescape: bool = False) -> jinja2.Environment:
    """StrictUndefined: a missing value is an error, never an empty string in a script or XML."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(template_dir()), autoescape=autoescape,
                              keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
