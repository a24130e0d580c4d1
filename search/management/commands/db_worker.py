"""``manage.py db_worker``: django-tasks-db's worker command, running ``search.worker``'s worker
(index tasks in batches). Options as the stock command's, plus ``--index-batch N`` (1: one at a
time). This app comes before django_tasks_db in INSTALLED_APPS, so this command is the one run."""

from __future__ import annotations

import logging
import os

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.compat import TASKS_LOGGER
from django_tasks_db.management.commands import db_worker as stock

from search.worker import BatchingWorker


class Command(stock.Command):
    help = stock.Command.help + " (index tasks in batches: see search/worker.py)"

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--index-batch", type=int, default=None,
                            help="At most this many index tasks per index write (default: SEARCH_WORKER_BATCH, 200)")

    def configure_logging(self, verbosity: int) -> None:
        """As the stock command's, but a line per task (started, finished) only from -v 2 on: at
        the default verbosity `make run` replayed hundreds of them. Failures are still logged."""
        super().configure_logging(verbosity)
        if verbosity == 1:
            logging.getLogger(TASKS_LOGGER).setLevel(logging.WARNING)

    def handle(self, *, verbosity, queue_name, interval, batch, backend_name, startup_delay, reload, max_tasks,
               worker_id, exclude_queues, index_batch=None, **options) -> None:
        # As the stock command's handle(), with our worker class.
        self.configure_logging(verbosity)
        if reload and batch:
            stock.logger.warning("Warning: --reload and --batch cannot be specified together. Disabling autoreload.")
            reload = False
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        if index_batch is not None and index_batch < 1:
            raise CommandError("--index-batch must be at least 1.")
        worker = BatchingWorker(
            queue_names=queue_names, interval=interval, batch=batch, backend_name=backend_name,
            startup_delay=startup_delay, max_tasks=max_tasks, worker_id=worker_id,
            excluded_queue_names=excluded, index_batch=index_batch,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
