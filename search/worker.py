"""The task worker (``manage.py db_worker``): django-tasks-db's, with index tasks run in batches.

One index task re-reads one object and rewrites its index entry; run one at a time, each costs a
Whoosh commit (a new segment, a merge, every segment's term tables opened again to find the entry
it replaces): about 35 ms of CPU, so 8 annotators kept the worker busy and it took a third of the
web server's throughput on 2 cores. When the worker picks an index task, it waits until the task
is ``SEARCH_WORKER_WINDOW`` seconds old (so that a stream of edits makes few batches), claims up
to ``SEARCH_WORKER_BATCH`` - 1 more that are ready, runs them all with their writes deferred
(``search.tasks.deferred_writes``), makes the writes in one writer, and only then marks them done.

Index tasks are idempotent and read the database as it is when they run, so running them
together, in any order, gives the index each would have given. A batch is only an optimisation:
if anything in it fails (the index locked, an error), no task of it is marked done and each is
run again on its own, as the stock worker would, recording its own outcome and retries.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db.utils import OperationalError
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.compat import task_finished, task_started
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from . import tasks

logger = logging.getLogger("search")
INDEX_QUEUE = "index"


class BatchingWorker(Worker):
    def __init__(self, *, index_batch: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.index_batch = index_batch if index_batch is not None else getattr(settings, "SEARCH_WORKER_BATCH", 200)
        self.index_window = getattr(settings, "SEARCH_WORKER_WINDOW", 0.5)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        if not self._batchable(db_task_result) or self.index_batch <= 1:
            return super().run_task(db_task_result)
        self.running_task = True  # a SIGTERM now lets the batch finish, as the stock worker does a task
        try:
            return self._run_batch(db_task_result)
        finally:
            self.running_task = False

    def _run_batch(self, db_task_result: DBTaskResult) -> None:
        self._gather(db_task_result)
        batch = [db_task_result, *self._claim_more(self.index_batch - 1)]
        if len(batch) == 1:
            return super().run_task(db_task_result)
        try:
            with tasks.deferred_writes():
                for row in batch:
                    task_started.send(sender=type(row.task.get_backend()), task_result=row.task_result)
                    row.task.call(*row.task_result.args, **row.task_result.kwargs)
        except Exception:
            logger.warning("search: a batch of %d index tasks failed; running them one by one", len(batch),
                           exc_info=True)
            tasks.discard_pending()
            for row in batch:
                super().run_task(row)
                self.running_task = True  # (the stock run_task clears it)
            return None
        # What DBTaskResult.set_successful sets, for the whole batch in one UPDATE (a row at a
        # time, 200 saves held the database's write lock away from the web server).
        DBTaskResult.objects.filter(pk__in=[row.pk for row in batch]).update(
            status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now(), return_value=None,
            exception_class_path="", traceback="",
        )
        for row in batch:
            task_finished.send(sender=type(row.task.get_backend()), task_result=row.task_result)
        self._run_tasks += len(batch)
        return None

    def _gather(self, first: DBTaskResult) -> None:
        """Let a fresh task's neighbours arrive: wait until it is ``index_window`` seconds old.
        Under a steady stream of edits a worker that took each task as it came ran a commit for
        every two or three of them and kept a core busy; waiting half a second makes one commit
        of them all. A backlog (tasks older than that) is taken at once."""
        age = (timezone.now() - first.enqueued_at).total_seconds()
        if 0 <= age < self.index_window:
            time.sleep(self.index_window - age)

    @staticmethod
    def _batchable(row: DBTaskResult) -> bool:
        return row.queue_name == INDEX_QUEUE and row.task_path == tasks.update_index.module_path

    def _claim_more(self, limit: int) -> list[DBTaskResult]:
        ready = DBTaskResult.objects.ready().filter(
            backend_name=self.backend_name, queue_name=INDEX_QUEUE, task_path=tasks.update_index.module_path,
        )
        try:
            with exclusive_transaction(ready.db):
                rows = list(ready.select_for_update(skip_locked=True)[:limit])
                # What DBTaskResult.claim sets, in one UPDATE for the rows no worker has run yet
                # (nearly all); a row with earlier workers' ids keeps them, appended to one by one.
                fresh = [row.pk for row in rows if not row.worker_ids]
                ready.model.objects.filter(pk__in=fresh).update(
                    status=TaskResultStatus.RUNNING, started_at=timezone.now(), worker_ids=[self.worker_id])
                for row in rows:
                    if row.worker_ids:
                        row.claim(self.worker_id)
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return []  # the database is busy: this batch is just the one task
            raise
        return rows
