"""Creating an annotation: the write transaction holds only the writes (checks and lookups come
before it), tags and records are linked once each, and the history row is the one
django-simple-history itself would write."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations import services
from annotations.models import ANNOTATION_HISTORY, Annotation, Tag
from annotations.schemas import AnnotationInput
from curation import restore
from tests.factories import DocumentFactory, RecordFactory

pytestmark = pytest.mark.django_db

TEXT = "Zinoviev and Kamenev were tried in August 1936 🙂, then shot."


def _input(document, **kw) -> AnnotationInput:
    return AnnotationInput(document=document, start=0, end=8, quote="Zinoviev", visibility="public", **kw)


def _writes_inside_transaction(queries) -> list[str]:
    """The statements between the service's savepoint (its transaction, inside the test's) and its release."""
    sqls = [q["sql"] for q in queries]
    start = next(i for i, s in enumerate(sqls) if s.startswith("SAVEPOINT"))
    end = next(i for i, s in enumerate(sqls) if s.startswith("RELEASE SAVEPOINT"))
    return sqls[start + 1 : end]


def test_tags_and_records_are_linked_once_each_whatever_the_spelling(user):
    document = DocumentFactory(text=TEXT)
    zinoviev = RecordFactory(label="Grigory Zinoviev")
    Tag.objects.create(name="Trial")
    annotation = services.create_annotation(
        user=user, data=_input(document, comment="c", tags=["trial", "TRIAL", "new tag", "New Tag"], records=[zinoviev, zinoviev]),
    )
    assert sorted(annotation.tags.values_list("name", flat=True)) == ["Trial", "new tag"]
    assert list(annotation.records.all()) == [zinoviev]
    assert Tag.objects.count() == 2


def test_the_write_transaction_only_writes_and_reads_back_the_links_for_the_history_row(user):
    document = DocumentFactory(text=TEXT)
    record = RecordFactory(label="Lev Kamenev")
    Tag.objects.create(name="trial")
    with CaptureQueriesContext(connection) as ctx:
        services.create_annotation(user=user, data=_input(document, tags=["trial"], records=[record]))
    inside = _writes_inside_transaction(ctx.captured_queries)
    reads = [sql for sql in inside if not sql.startswith("INSERT")]
    assert inside and len(reads) == 2, inside  # simple-history's snapshot of the tag and record links
    assert all(sql.startswith("SELECT") and ("annotation_tags" in sql or "annotation_records" in sql) for sql in reads)


def test_the_history_row_of_a_creation_is_the_one_simple_history_writes(user):
    document = DocumentFactory(text=TEXT)
    records = [RecordFactory(label="Lev Kamenev"), RecordFactory(label="Grigory Zinoviev")]
    annotation = services.create_annotation(user=user, data=_input(document, comment="c", tags=["a", "b"], records=records))
    ours = annotation.history.get()
    assert ours.history_type == "+" and ours.history_user == user
    annotation._history_user = user
    ANNOTATION_HISTORY.create_historical_record(annotation, "~")  # the library's own, for comparison
    theirs = annotation.history.order_by("-history_id").first()
    skip = {"history_id", "history_date", "history_type", "history_change_reason"}
    fields = [f.attname for f in type(ours)._meta.concrete_fields if f.attname not in skip]
    assert {f: getattr(ours, f) for f in fields} == {f: getattr(theirs, f) for f in fields}
    for m2m in ("tags", "records"):
        assert _snapshot(ours, m2m) == _snapshot(theirs, m2m) and _snapshot(ours, m2m)


def _snapshot(history_row, m2m: str) -> list[tuple]:
    """The history row's m2m snapshot, without the ids of the snapshot rows themselves."""
    manager = getattr(history_row, m2m)
    names = [f.attname for f in manager.model._meta.concrete_fields if f.attname not in ("m2m_history_id", "history_id")]
    return sorted(manager.values_list(*names))


def test_a_creation_restored_from_history_keeps_its_tags_and_records(user, curator):
    document = DocumentFactory(text=TEXT)
    record = RecordFactory(label="Lev Kamenev")
    annotation = services.create_annotation(user=user, data=_input(document, tags=["x"], records=[record]))
    history_id = annotation.history.get().history_id
    services.delete_annotation(user=user, annotation=annotation)
    restored = restore.restore_annotation(user=curator, history_id=history_id)
    assert list(restored.tags.values_list("name", flat=True)) == ["x"]
    assert list(restored.records.all()) == [record]
    assert Annotation.objects.filter(pk=restored.pk).exists()


def test_the_create_response_is_the_annotation_as_stored_without_reading_it_back(user_api, annotation_payload):
    document = DocumentFactory(text=TEXT)
    zinoviev = RecordFactory(label="Grigory Zinoviev")
    Tag.objects.create(name="Trial")
    payload = annotation_payload(document, 0, 8, comment="defendant", tags=["trial", "new tag"], entity_type="person",
                                 records=[zinoviev], visibility="public")
    with CaptureQueriesContext(connection) as queries:
        created = user_api.post("/api/annotations/", payload, format="json")
    assert created.status_code == 201, created.content
    pk = int(created.json()["id"].rstrip("/").rsplit("/", 1)[1])
    after_insert = [q["sql"] for q in queries][[q["sql"].startswith("INSERT") for q in queries].index(True):]
    assert not [s for s in after_insert if s.startswith("SELECT") and '"annotations_annotation"' in s.split("FROM", 1)[-1][:40]]

    fetched = user_api.get(f"/api/annotations/{pk}/")
    assert created.json() == fetched.json()
    assert created["ETag"] == fetched["ETag"]
    bodies = created.json()["body"]
    assert {b["value"] for b in bodies if b["purpose"] == "tagging"} == {"Trial", "new tag"}
    assert [b["source"] for b in bodies if b["purpose"] == "identifying"] == [f"http://testserver/records/{zinoviev.pk}/"]
