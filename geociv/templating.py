"""Jinja templates of the printable documents the domains write (reports, notices).

Each domain keeps its templates in a ``templates`` folder beside its modules; :func:`templates`
gives the one environment of such a folder, HTML-escaped, so that no document is assembled
from strings in Python.
"""

from __future__ import annotations

import functools
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

__all__ = ["templates"]


@functools.cache
def templates(folder: Path) -> Environment:
    """The template environment of ``folder`` (``.html`` templates are HTML-escaped).

    Parameters
    ----------
    folder : Path
        A domain's template folder, e.g. ``Path(__file__).parent / "templates"``.

    Returns
    -------
    jinja2.Environment
        Cached per folder; blocks trimmed, so that a template's layout is the output's.

    Examples
    --------
    >>> env = templates(Path(__file__).parent / "gazetteer" / "templates")
    >>> env.from_string("{{ x }}").render(x="<b>")
    '&lt;b&gt;'
    """
    return Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
