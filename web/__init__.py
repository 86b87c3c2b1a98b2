"""geociv's web application: ``create_app()`` (in :mod:`web.app`) plus one blueprint per domain.

Importing the package is light — Flask and the domain services load when ``create_app`` is
first asked for — so that ``geociv --help``, which finds ``geociv serve`` in :mod:`web.cli`,
stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from web.app import create_app, csrf

__all__ = ["create_app", "csrf"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from web import app

        return getattr(app, name)
    raise AttributeError(f"module 'web' has no attribute {name!r}")
