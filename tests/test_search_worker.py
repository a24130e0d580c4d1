"""The index worker (``manage.py db_worker``): index tasks run in batches, one write per batch, and
a batch that fails leaves every task to run and be recorded on its own."""

import pytest
from django.core.management import call_command
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from search import indexing, services
from search.backends import get_search_backend
from search.backends.base import IndexLockedError
from search.tasks import enqueue_update

from .factories import AnnotationFactory, DocumentFactory

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "index"]}}


@pytest.fixture
def db_tasks(settings):
    """Index tasks stored as rows (the outbox), as in production, for the worker to run."""
    settings.TASKS = DB_TASKS
    settings.SEARCH_WORKER_WINDOW = 0  # the tasks are all queued before the worker starts
    return settings


def annotate(document, n: int, **fields) -> list:
    """``n`` annotations, each with its index task queued as the annotation services queue it."""
    notes = [AnnotationFactory(document=document, **{k: (v.format(i=i) if isinstance(v, str) else v)
                                                     for k, v in fields.items()}) for i in range(n)]
    for note in notes:
        enqueue_update("annotations.annotation", note.pk, document_id=document.pk)
    return notes


def run_worker(*args: str) -> None:
    call_command("db_worker", "--queue-name", "index,default", "--batch", "--no-startup-delay", "--no-reload",
                 "--interval", "0", *args, verbosity=0)


def statuses() -> dict[str, int]:
    out: dict[str, int] = {}
    for status in DBTaskResult.objects.values_list("status", flat=True):
        out[status] = out.get(status, 0) + 1
    return out


def count_index_writes(monkeypatch) -> list[int]:
    backend = get_search_backend()
    writes: list[int] = []
    real = type(backend).index

    def index(self, entries):
        entries = list(entries)
        writes.append(len(entries))
        return real(self, entries)

    monkeypatch.setattr(type(backend), "index", index)
    return writes


@pytest.mark.django_db(transaction=True)
def test_the_worker_writes_a_batch_of_index_tasks_at_once_and_marks_each_done(db_tasks, monkeypatch):
    document = DocumentFactory(text="Bukharin and Rykov were tried in March 1938.")
    DBTaskResult.objects.all().delete()
    notes = annotate(document, 12, visibility="public", status="approved", comment="worker batch note {i} zebrafinch")
    assert statuses() == {TaskResultStatus.READY: 12}
    writes = count_index_writes(monkeypatch)

    run_worker()

    assert statuses() == {TaskResultStatus.SUCCESSFUL: 12}
    # One write for the twelve annotations, one for their document (its facets changed): not 12 + 12.
    assert len(writes) <= 2 and sum(writes) == 13
    backend = get_search_backend()
    for note in notes:
        assert backend.stamp("annotation", note.pk) == indexing.entry_for("annotation", note.pk).stamp
    assert services.search(user=None, text="zebrafinch", type="annotation").count == 12


@pytest.mark.django_db(transaction=True)
def test_index_batch_of_one_runs_tasks_singly_with_the_same_index(db_tasks, monkeypatch):
    document = DocumentFactory(text="Kamenev and Zinoviev were tried in August 1936.")
    DBTaskResult.objects.all().delete()
    notes = annotate(document, 4, visibility="private", comment="single {i}")
    writes = count_index_writes(monkeypatch)

    run_worker("--index-batch", "1")

    assert statuses() == {TaskResultStatus.SUCCESSFUL: 4}
    # One write per task, plus the document once (it was not in the index yet): private notes
    # leave its entry as it was after that.
    assert writes == [1] * 5
    for note in notes:
        assert get_search_backend().stamp("annotation", note.pk) is not None


@pytest.mark.django_db(transaction=True)
def test_a_failing_task_in_a_batch_fails_alone_and_the_rest_are_indexed(db_tasks, monkeypatch):
    document = DocumentFactory(text="Radek and Pyatakov were tried in January 1937.")
    DBTaskResult.objects.all().delete()
    good = annotate(document, 3, visibility="private", comment="good {i}")
    [bad] = annotate(document, 1, visibility="private", comment="bad")
    real_entries_for = indexing.entries_for

    def entries_for(entry_type, pks):
        pks = list(pks)
        if entry_type == "annotation" and bad.pk in pks:
            raise RuntimeError("this entry cannot be built")
        return real_entries_for(entry_type, pks)

    monkeypatch.setattr(indexing, "entries_for", entries_for)

    run_worker()

    assert statuses() == {TaskResultStatus.SUCCESSFUL: 3, TaskResultStatus.FAILED: 1}
    failed = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    assert failed.args_kwargs["args"][1] == bad.pk and "this entry cannot be built" in failed.traceback
    backend = get_search_backend()
    assert all(backend.stamp("annotation", a.pk) is not None for a in good)
    assert backend.stamp("annotation", bad.pk) is None


@pytest.mark.django_db(transaction=True)
def test_a_batch_whose_write_finds_the_index_locked_is_retried_not_lost(db_tasks, monkeypatch):
    document = DocumentFactory(text="Tukhachevsky was shot in June 1937.")
    DBTaskResult.objects.all().delete()
    notes = annotate(document, 3, visibility="private", comment="locked {i}")
    backend = get_search_backend()
    real = type(backend).index

    def locked(self, entries):
        raise IndexLockedError("the search index is locked by another writer")

    monkeypatch.setattr(type(backend), "index", locked)
    run_worker("--max-tasks", "3")
    # Nothing was written; each task, run again on its own, queued its retry (as a lone task does).
    assert statuses().get(TaskResultStatus.READY) == 3
    assert all(get_search_backend().stamp("annotation", a.pk) is None for a in notes)

    monkeypatch.setattr(type(backend), "index", real)
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=DBTaskResult.objects.first().enqueued_at)
    run_worker()
    assert all(get_search_backend().stamp("annotation", a.pk) is not None for a in notes)
