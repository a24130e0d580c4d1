"""Keeping the index true: tasks on change, check_index, rebuild_index, the writer lock."""

import pytest
from django.conf import settings
from django.core.management import call_command

from archive_site.models import Document
from search import services
from search.backends import get_search_backend
from search.backends.base import IndexEntry, IndexLockedError

from .factories import DocumentFactory

# The index directory, its lock and its swap exist only in the Whoosh backend.
whoosh_only = pytest.mark.skipif(getattr(settings, "SEARCH_BACKEND", "whoosh") != "whoosh",
                                 reason="Whoosh index files (SEARCH_BACKEND is not whoosh)")


@pytest.mark.django_db
def test_saving_and_deleting_a_document_updates_the_index():
    doc = DocumentFactory(text="The Okhrana files were opened.")
    assert [i.id for i in services.search(user=None, text="Okhrana").items] == [doc.pk]
    doc.text = "Nothing here."
    doc.save()
    assert services.search(user=None, text="Okhrana").count == 0
    doc.delete()
    assert get_search_backend().count("document") == 0


@pytest.mark.django_db
def test_check_index_is_clean_after_rebuild_reports_a_deleted_document_and_rebuild_mends_it(seed_index):
    call_command("check_index")
    doc = Document.objects.get(slug="great-purge")
    from django.db.models.signals import post_delete

    from search import signal_handlers

    post_delete.disconnect(signal_handlers._on_delete, sender=Document, dispatch_uid="search-delete-archive_site.document")
    try:
        doc.delete()  # behind the index's back
    finally:
        signal_handlers.connect()
    with pytest.raises(SystemExit) as exc:
        call_command("check_index")
    assert exc.value.code == 1
    call_command("rebuild_index", "--no-progress")
    call_command("check_index")


@whoosh_only
@pytest.mark.django_db
def test_a_writer_waiting_on_the_lock_gives_up_with_a_clear_error(settings):
    backend = get_search_backend()
    backend.storage.writer_timeout = 0.2
    backend.index([IndexEntry(type="record", pk=1, stamp="a", title="one")])
    ix = backend.storage.open()
    lock = ix.lock("WRITELOCK")
    assert lock.acquire()
    try:
        with pytest.raises(IndexLockedError, match="locked"):
            backend.index([IndexEntry(type="record", pk=2, stamp="b", title="two")])
    finally:
        lock.release()
    backend.index([IndexEntry(type="record", pk=2, stamp="b", title="two")])
    assert backend.count("record") == 2


@whoosh_only
@pytest.mark.django_db
def test_rebuild_swaps_the_index_directory(seed_index, search_index):
    before = search_index.resolve()
    call_command("rebuild_index", "--no-progress")
    assert search_index.is_symlink() and search_index.resolve() != before
    assert services.search(user=None, text="Bristol").count == 1


@pytest.mark.django_db(transaction=True)
def test_an_annotation_task_rewrites_its_document_only_when_the_document_entry_changes(monkeypatch):
    from search import indexing
    from search.tasks import update_index

    from .factories import AnnotationFactory, RecordFactory

    document = DocumentFactory(text="Yezhov signed Order No. 00447 in July 1937.")
    record = RecordFactory(label="Nikolai Yezhov")
    backend = get_search_backend()
    written: list[tuple[str, int]] = []
    real_index = type(backend).index
    monkeypatch.setattr(type(backend), "index",
                        lambda self, entries: written.extend((e.type, e.pk) for e in entries) or real_index(self, entries))

    private = AnnotationFactory(document=document, visibility="private", comment="my own note")
    private.records.add(record)
    written.clear()
    update_index.call("annotations.annotation", private.pk, document_id=document.pk)
    assert written == [("annotation", private.pk)], "a private note leaves the document's entry as it is"

    published = AnnotationFactory(document=document, visibility="public", status="approved")
    published.records.add(record)
    written.clear()
    update_index.call("annotations.annotation", published.pk, document_id=document.pk)
    assert ("document", document.pk) in written, "an approved public link changes the document's facets"
    assert [i.id for i in services.search(user=None, text="Yezhov", filters=None).items] == [document.pk]
    assert backend.stamp("document", document.pk) == indexing.entry_for("document", document.pk).stamp


@whoosh_only
def test_memory_cursor_reads_like_a_file_without_copying_the_map():
    import io
    import pickle
    import random

    from search.backends.whoosh.mapped import MemoryCursor

    data = pickle.dumps({"ids": list(range(300)), "text": "line one\nline two\n" * 50}) + b"tail\nend"
    mine, real = MemoryCursor(memoryview(data)), io.BytesIO(data)
    rng = random.Random(7)
    for _ in range(300):
        op = rng.choice(["read", "readline", "seek", "peek"])
        if op == "read":
            n = rng.choice([-1, 0, 1, 5, 64, 5000])
            assert mine.read(n) == real.read(n)
        elif op == "readline":
            assert mine.readline() == real.readline()
        elif op == "seek":
            pos, whence = rng.randrange(0, len(data) + 10), rng.choice([0, 1, 2])
            offset = pos if whence == 0 else rng.randrange(-20, 20)
            if whence == 1 and real.tell() + offset < 0 or whence == 2 and len(data) + offset < 0:
                continue
            assert mine.seek(offset, whence) == real.seek(offset, whence)
        else:
            assert real.getvalue()[real.tell():].startswith(mine.peek(100))
        assert mine.tell() == real.tell()
    mine.seek(0)
    assert pickle.load(mine) == pickle.loads(data)  # pickle reads ahead through peek
    assert mine.read() == b"tail\nend"


@whoosh_only
@pytest.mark.django_db
def test_a_searcher_on_a_merged_segment_reads_it_through_the_map(seed_index):
    from whoosh.filedb import compound

    from search.backends.whoosh.mapped import MappedBufferFile

    assert compound.BufferFile is MappedBufferFile
    reader = get_search_backend()._searcher().reader()
    storage = reader._storage.a  # the merged segment's compound file (over the directory), mapped
    assert isinstance(storage, compound.CompoundStorage) and storage._source is not None
    part = storage.open_file(storage.list()[0])
    assert isinstance(part, MappedBufferFile) and part.file.read(4) == bytes(part.get(0, 4))
    assert services.search(user=None, text="Zinoviev").count >= 1
