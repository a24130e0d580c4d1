"""Search backends: ``get_search_backend()`` returns the one chosen by ``settings.SEARCH_BACKEND``
("whoosh" by default, "postgres", or a dotted path to a SearchBackend subclass), cached per process.

A backend implements only ``base.SearchBackend`` (index, remove, search, suggest, clear, count,
stamps, stamp, rebuild, close); the query language, record-name expansion, snippets, limits and
the search policy (any-word retry, "did you mean") are the core's, in ``search/``. A third backend
is a package beside ``whoosh/`` and ``postgres/``, added to ``BACKENDS``."""

from __future__ import annotations

import threading

from django.conf import settings
from django.utils.module_loading import import_string

from search import pending

from .base import SearchBackend

BACKENDS = {
    "whoosh": "search.backends.whoosh.WhooshBackend",
    "postgres": "search.backends.postgres.PostgresBackend",
}

_lock = threading.Lock()
_backend: SearchBackend | None = None


def get_search_backend(flush: bool = True) -> SearchBackend:
    """The configured backend. Index changes still waiting in this process (``search.pending``)
    are written first, so every read sees every change made before it."""
    global _backend
    with _lock:
        if _backend is None:
            name = getattr(settings, "SEARCH_BACKEND", "whoosh") or "whoosh"
            cls = import_string(BACKENDS.get(name, name))
            _backend = cls(index_dir=settings.SEARCH_INDEX_DIR)
        backend = _backend
    if flush:
        pending.flush(backend)
    return backend


def reset_search_backend() -> None:
    """Forget the cached backend (tests that switch index dirs; after a rebuild swap)."""
    global _backend
    pending.discard()
    with _lock:
        if _backend is not None:
            _backend.close()
        _backend = None
