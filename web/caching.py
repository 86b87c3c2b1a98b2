"""Answers that follow the store's changes instead of being rebuilt per request.

- :func:`conditional`: a GET view whose answer depends only on some tables and the URL gets an
  ``ETag`` made of the tables' change stamp (:meth:`geociv.store.Store.last_change`); a client
  that sends it back in ``If-None-Match`` gets ``304 Not Modified`` before any work is done.
- :func:`cached`: a value (a rendered map) kept by the app until one of its tables changes, in
  this process or another one writing the same store.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, make_response, request

from web._helpers import store

T = TypeVar("T")

logger = logging.getLogger(__name__)

#: Browsers and proxies keep the answer but ask again each time (cheap: a 304).
CACHE_CONTROL = "private, no-cache"

_LOCK = threading.Lock()


def etag_of(entities: tuple[str, ...]) -> str:
    """The ETag of this request's answer: the tables' change stamp and the URL with its query."""
    url = hashlib.sha1(request.full_path.encode()).hexdigest()[:12]
    return f"{store().last_change(entities)}-{url}"


def conditional(*entities: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Make a GET view conditional on the tables ``entities`` (see the module's note)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            tag = etag_of(entities)
            if request.if_none_match.contains(tag):
                answer = Response(status=304)
            else:
                answer = make_response(view(*args, **kwargs))
                if answer.status_code != 200:
                    return answer
            answer.set_etag(tag)
            answer.headers["Cache-Control"] = CACHE_CONTROL
            return answer

        return wrapped

    return decorator


def cached(key: str, entities: tuple[str, ...], build: Callable[[], T]) -> T:
    """The value ``build()`` made for ``key`` while the tables ``entities`` have not changed
    since; built again after a change."""
    stamp = store().last_change(entities)
    kept: dict[str, tuple[int, Any]] = current_app.extensions.setdefault("geociv_cached", {})
    found = kept.get(key)
    if found is not None and found[0] == stamp:
        return found[1]
    value = build()
    with _LOCK:
        kept[key] = (stamp, value)
    return value


def warm_up(app: Flask) -> None:
    """Build the app's long-lived caches (the name search index, the name validator) now, then
    move everything built so far out of the garbage collector's sight (``gc.freeze``): the
    indexes of a province-sized gazetteer are millions of objects that would otherwise be
    walked by every full collection, during requests. ``geociv serve`` runs this in a thread
    at start-up, so the first search does not pay for the build."""
    from web._helpers import gazetteer, name_search

    started = time.perf_counter()
    with app.app_context():
        name_search().index()
        gazetteer().validator()
    gc.collect()
    gc.freeze()
    logger.info("caches built in %.1f s", time.perf_counter() - started)
