"""Index writes waiting in this process, and bringing index entries in line with the database.

With the immediate task backend (tests, scripts) an index task runs inline, inside the caller's
transaction. Hundreds of one-entry Whoosh commits (a whole archive load) took ~30x longer than
the load itself, so there the (type, pk) pairs wait here until the transaction commits or until
the next read of the index in this process, whichever comes first (``get_search_backend`` calls
``flush``); then each is read from the database as it is then. The index worker defers the same
way while it runs a batch of index tasks (``deferred_writes``, search.worker). The value kept per
pair: write only if the index's entry is not already this one.

This module knows no backend registry: whoever flushes passes the backend in, so that both
``search.backends`` (flush before a read) and ``search.tasks`` (defer, write) use it without
importing each other. It reads rows (``search.indexing``) only when it writes: ``search.backends``
must stay importable without Django's apps, since opening a Whoosh index unpickles its schema,
whose analyzer lives in ``search.backends.whoosh.schema`` (a plain Python process holding the
index, a script reading it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .backends.base import SearchBackend

THREAD = "thread"  # not an entry type: "the replies under annotation pk", looked up when written

Key = tuple[str, int]
_pending: dict[Key, bool] = {}  # (type, pk) -> only if changed
_flushing = False
_deferring = 0


def defer(entry_type: str, pk: int, only_if_changed: bool) -> None:
    """Remember a write for the next flush. One unconditional request for an entry outweighs any
    number of "only if changed" ones."""
    _pending[(entry_type, pk)] = _pending.get((entry_type, pk), True) and only_if_changed


def has_pending() -> bool:
    return bool(_pending)


def deferring() -> bool:
    return _deferring > 0


@contextmanager
def deferred_writes(backend: Callable[[], SearchBackend]) -> Iterator[None]:
    """Collect the index writes made inside, and make them at the end in one writer (one commit):
    a batch of N tasks costs one Whoosh commit instead of N. Raises what the write raises
    (IndexLockedError included); the caller then decides what the tasks' outcome is."""
    global _deferring
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
    if not _deferring:
        flush(backend())


def flush(backend: SearchBackend) -> None:
    """Write every pending entry (re-entrant calls, from inside a flush, do nothing)."""
    global _flushing
    if not _pending or _flushing:
        return
    _flushing = True
    try:
        while _pending:
            batch = list(_pending)
            write(backend, batch, skip_unchanged={k for k in batch if _pending.get(k)})
            for key in batch:
                _pending.pop(key, None)
    finally:
        _flushing = False


def discard() -> None:
    _pending.clear()


def write(backend: SearchBackend, keys: list[Key], skip_unchanged: set[Key] | frozenset = frozenset()) -> None:
    """Bring the index entries of ``keys`` in line with the database: entries of rows that exist
    are (re)written, the others removed. For keys in ``skip_unchanged``, an entry the index
    already holds with the same stamp is left alone."""
    from . import indexing  # (see the module's docstring)

    by_type: dict[str, list[int]] = {}
    for entry_type, pk in keys:
        if entry_type == THREAD:
            by_type.setdefault("annotation", []).extend(indexing.replies_of(pk))
        else:
            by_type.setdefault(entry_type, []).append(pk)
    for entry_type, pks in by_type.items():
        entries, gone = [], []
        found = indexing.entries_for(entry_type, pks)
        for pk in pks:
            entry = found.get(pk)
            if entry is None:
                gone.append(pk)
            elif not ((entry_type, pk) in skip_unchanged and backend.stamp(entry_type, pk) == entry.stamp):
                entries.append(entry)
        if gone:
            backend.remove(entry_type, gone)
        if entries:
            backend.index(entries)
