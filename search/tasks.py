"""Index tasks: take (model label, pk), read the current database state, and bring the index in
line with it, so running a task twice, late, or out of order is harmless.

A writer that cannot get the index lock in time raises IndexLockedError; the task re-enqueues
itself (with a delay where the task backend supports it) up to MAX_ATTEMPTS, then fails loudly.
Every other error is logged with its traceback and re-raised, so the task is marked failed.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from django_tasks import default_task_backend, task
from django_tasks.backends.immediate import ImmediateBackend

from . import indexing, pending
from .backends import get_search_backend
from .backends.base import IndexLockedError

logger = logging.getLogger("search")
MAX_ATTEMPTS = 30
RETRY_DELAY = timedelta(seconds=5)
THREAD = pending.THREAD


def deferred_writes():
    """The index writes of the tasks run inside, made at the end in one writer (search.pending)."""
    return pending.deferred_writes(lambda: get_search_backend(flush=False))


def flush_pending() -> None:
    pending.flush(get_search_backend(flush=False))


def discard_pending() -> None:
    pending.discard()


def _sync(entry_type: str, pk: int, *, only_if_changed: bool = False) -> None:
    """``only_if_changed``: skip the write when the index already holds this very entry (same
    stamp). An annotation's task re-checks its document this way: the document's entry changes
    only when an approved public annotation comes or goes, and re-indexing a whole text for every
    pending or private note made the index worker the bottleneck under many writers.

    With the immediate task backend inside a transaction, or while the worker runs a batch, the
    write waits in ``search.pending`` (see there); otherwise it is made at once."""
    if pending.deferring():
        pending.defer(entry_type, pk, only_if_changed)
        return
    if isinstance(update_index.get_backend(), ImmediateBackend) and connection.in_atomic_block:
        if not pending.has_pending():
            transaction.on_commit(flush_pending)
        pending.defer(entry_type, pk, only_if_changed)
        return
    if entry_type == THREAD:
        for reply_id in indexing.replies_of(pk):
            _sync("annotation", reply_id, only_if_changed=True)
        return
    backend = get_search_backend(flush=False)
    pending.write(backend, [(entry_type, pk)], skip_unchanged={(entry_type, pk)} if only_if_changed else set())


@task(queue_name="index")
def update_index(model_label: str, pk: int, document_id: int | None = None, attempt: int = 0) -> None:
    """Re-index (or remove) one object; for an annotation, also its document (whose facets
    include approved public annotations' records and entity types)."""
    try:
        if not isinstance(update_index.get_backend(), ImmediateBackend):
            _sweep_interrupted()
        entry_type = indexing.entry_type_of(model_label)
        _sync(entry_type, pk)
        if entry_type == "annotation":
            if document_id is not None:
                _sync("document", document_id, only_if_changed=True)
            _sync(THREAD, pk)  # the replies' entries carry their thread's status
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


# --- recovery after a crash ----------------------------------------------------------------------
#
# A worker killed in the middle of a task (SIGKILL, power loss) leaves the task's row RUNNING for
# ever; the database backend never looks at it again. Index tasks are idempotent (they read the
# current state), so putting such a row back to READY is always safe: at worst a task runs twice.


def requeue_interrupted(*, started_before=None) -> int:
    """Put index tasks left RUNNING by a dead worker back in the queue; returns how many.

    A task counts as interrupted when it started before ``started_before`` (default: now minus
    ``SEARCH_TASK_STALE_AFTER`` seconds, far longer than any index task runs: its writer gives up
    after ``SEARCH_WRITER_TIMEOUT``)."""
    from django.conf import settings

    if isinstance(update_index.get_backend(), ImmediateBackend):
        return 0
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if started_before is None:
        started_before = timezone.now() - timedelta(seconds=getattr(settings, "SEARCH_TASK_STALE_AFTER", 300))
    stuck = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, queue_name="index",
                                        started_at__lt=started_before)
    if not stuck.exists():  # no write (no SQLite write lock) in the common case
        return 0
    count = stuck.update(status=TaskResultStatus.READY)
    if count:
        logger.warning("search: %d interrupted index task(s) put back in the queue", count)
    return count


_last_sweep = 0.0


def _sweep_interrupted() -> None:
    """Called by each index task a worker runs; looks at most once a minute per process."""
    global _last_sweep
    now = time.monotonic()
    if now - _last_sweep >= 60:
        _last_sweep = now
        requeue_interrupted()


# --- a rebuild covers what was queued before it -----------------------------------------------------
#
# ``load_archive`` queues a task per document and record; ``rebuild_index`` then indexes them all,
# and the worker would replay every one of those tasks. A task whose row is committed before the
# rebuild reads the database describes a change the rebuild reads too, so the rebuild takes their
# ids first and, once its index is in place, marks those still waiting as done. A worker may run
# meanwhile: it claims a row by setting it RUNNING, and the update below changes only rows still
# READY (one statement per chunk), so a task is either run by the worker or covered, never both
# half-way. Tasks queued after the snapshot run as usual.


def waiting_index_tasks() -> list:
    """Ids of the index tasks waiting in the queue now (none with the immediate backend)."""
    if isinstance(update_index.get_backend(), ImmediateBackend):
        return []
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.filter(status=TaskResultStatus.READY, queue_name="index",
                                            task_path=update_index.module_path).values_list("pk", flat=True))


def mark_covered(ids: list, *, chunk: int = 500) -> int:
    """Mark the index tasks ``ids`` (from ``waiting_index_tasks`` before a rebuild) done, those a
    worker has not taken meanwhile; returns how many."""
    if not ids:
        return 0
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    covered = 0
    for i in range(0, len(ids), chunk):
        covered += DBTaskResult.objects.filter(pk__in=ids[i : i + chunk], status=TaskResultStatus.READY).update(
            status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now(), return_value=None,
            exception_class_path="", traceback="",
        )
    return covered


def enqueue_update(model_label: str, pk: int, document_id: int | None = None) -> None:
    """Enqueue inside the caller's transaction (outbox). Never lets an enqueue error pass silently."""
    update_index.enqueue(model_label, pk, document_id=document_id)
