"""Index tasks: take (model label, pk), read the current database state, and bring the index in
line with it, so running a task twice, late, or out of order is harmless.

A writer that cannot get the index lock in time raises IndexLockedError; the task re-enqueues
itself (with a delay where the task backend supports it) up to MAX_ATTEMPTS, then fails loudly.
Every other error is logged with its traceback and re-raised, so the task is marked failed.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from django_tasks import default_task_backend, task
from django_tasks.backends.immediate import ImmediateBackend

from . import indexing
from .backends import get_search_backend
from .backends.base import IndexLockedError

logger = logging.getLogger("search")
MAX_ATTEMPTS = 30
RETRY_DELAY = timedelta(seconds=5)


# With the immediate backend (tests, scripts) a task runs inline, inside the caller's transaction.
# Hundreds of one-entry Whoosh commits (a whole archive load) took ~30x longer than the load itself,
# so there the (type, pk) pairs wait until the transaction commits or until the next read of the
# index in this process (``flush_pending``, called by get_search_backend), whichever comes first;
# then each is read from the database as it is then. Tasks run by a worker write at once.
_pending: dict[tuple[str, int], None] = {}
_flushing = False


def flush_pending() -> None:
    global _flushing
    if not _pending or _flushing:
        return
    _flushing = True
    try:
        while _pending:
            batch = list(_pending)
            _write(batch)
            for key in batch:
                _pending.pop(key, None)
    finally:
        _flushing = False


def discard_pending() -> None:
    _pending.clear()


def _write(keys: list[tuple[str, int]]) -> None:
    backend = get_search_backend(flush=False)
    by_type: dict[str, list[int]] = {}
    for entry_type, pk in keys:
        by_type.setdefault(entry_type, []).append(pk)
    for entry_type, pks in by_type.items():
        entries, gone = [], []
        for pk in pks:
            entry = indexing.entry_for(entry_type, pk)
            (gone.append(pk) if entry is None else entries.append(entry))
        backend.remove(entry_type, gone)
        backend.index(entries)


def _sync(entry_type: str, pk: int) -> None:
    if isinstance(update_index.get_backend(), ImmediateBackend) and connection.in_atomic_block:
        if not _pending:
            transaction.on_commit(flush_pending)
        _pending[(entry_type, pk)] = None
        return
    backend = get_search_backend(flush=False)
    entry = indexing.entry_for(entry_type, pk)
    if entry is None:
        backend.remove(entry_type, [pk])
    else:
        backend.index([entry])


@task(queue_name="index")
def update_index(model_label: str, pk: int, document_id: int | None = None, attempt: int = 0) -> None:
    """Re-index (or remove) one object; for an annotation, also its document (whose facets
    include approved public annotations' records and entity types)."""
    try:
        entry_type = indexing.entry_type_of(model_label)
        _sync(entry_type, pk)
        if entry_type == "annotation" and document_id is not None:
            _sync("document", document_id)
        if entry_type == "record":
            for doc_id in indexing.documents_linking_record(pk):
                _sync("document", doc_id)
    except IndexLockedError:
        if attempt + 1 >= MAX_ATTEMPTS or not default_task_backend.supports_defer:
            logger.exception("search: index still locked for %s %s after %d attempts", model_label, pk, attempt + 1)
            raise
        logger.warning("search: index locked; %s %s re-enqueued (attempt %d)", model_label, pk, attempt + 1)
        update_index.using(run_after=timezone.now() + RETRY_DELAY).enqueue(
            model_label, pk, document_id=document_id, attempt=attempt + 1
        )
    except Exception:
        logger.exception("search: indexing %s %s failed", model_label, pk)
        raise


def enqueue_update(model_label: str, pk: int, document_id: int | None = None) -> None:
    """Enqueue inside the caller's transaction (outbox). Never lets an enqueue error pass silently."""
    update_index.enqueue(model_label, pk, document_id=document_id)
