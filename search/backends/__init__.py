"""Search backends: ``get_search_backend()`` returns the one chosen by ``settings.SEARCH_BACKEND``
("whoosh" by default, "postgres", or a dotted path to a SearchBackend subclass), cached per process."""

from __future__ import annotations

import threading

from django.conf import settings
from django.utils.module_loading import import_string

from .base import SearchBackend

BACKENDS = {
    "whoosh": "search.backends.whoosh.WhooshBackend",
    "postgres": "search.backends.postgres.PostgresBackend",
}

_lock = threading.Lock()
_backend: SearchBackend | None = None


def get_search_backend(flush: bool = True) -> SearchBackend:
    """The configured backend. Index changes still waiting in this process (see search.tasks)
    are written first, so every read sees every change made before it."""
    if flush:
        from search.tasks import flush_pending

        flush_pending()
    global _backend
    with _lock:
        if _backend is None:
            name = getattr(settings, "SEARCH_BACKEND", "whoosh") or "whoosh"
            cls = import_string(BACKENDS.get(name, name))
            _backend = cls(index_dir=settings.SEARCH_INDEX_DIR)
        return _backend


def reset_search_backend() -> None:
    """Forget the cached backend (tests that switch index dirs; after a rebuild swap)."""
    global _backend
    from search.tasks import discard_pending

    discard_pending()
    with _lock:
        if _backend is not None:
            _backend.close()
        _backend = None
