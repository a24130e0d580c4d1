import sys

from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from . import names, signal_handlers

        signal_handlers.connect()
        names.connect()  # the records' names as the search reads them, kept in step with the records
        if sys.argv[1:2] == ["db_worker"]:
            _requeue_interrupted_at_start()


def _requeue_interrupted_at_start() -> None:
    """A task worker starting up puts back index tasks that a killed worker left RUNNING (those
    started before this process), on its first database connection (not during app loading)."""
    from django.db.backends.signals import connection_created
    from django.utils import timezone

    started = timezone.now()

    def requeue(sender, connection, **kwargs):
        connection_created.disconnect(requeue, dispatch_uid="search-requeue-interrupted")
        from .tasks import requeue_interrupted

        requeue_interrupted(started_before=started)

    connection_created.connect(requeue, weak=False, dispatch_uid="search-requeue-interrupted")
