"""Backup and restore: `export_archive` / `import_archive` carry documents, records, annotations,
groups (with members), tags, entity types, relations, batches, annotation tasks, history and the
users they name; a round trip
reproduces the archive exactly; a non-empty archive is not overwritten unless asked; a damaged
file is refused with nothing written; the index follows through the task outbox."""

from __future__ import annotations

import gzip
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from annotations import assignments, batches
from annotations.models import Annotation, AnnotationGroup, EntityType
from archive_site.models import Document, DocumentOrigin, DocumentPage, Record
from curation import backup
from search.management.commands.check_index import compare

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich_archive(seed_archive, user, other_user, curator, annotation_payload):
    """The seed archive plus every kind of row a backup must carry."""
    group = AnnotationGroup.objects.create(name="readers", created_by=user)
    group.members.add(user, other_user)
    document = Document.objects.order_by("pk").first()
    record = Record.objects.order_by("pk").first()
    client, curator_client = APIClient(), APIClient()
    client.force_authenticate(user)
    curator_client.force_authenticate(curator)
    made = [
        client.post("/api/annotations/", annotation_payload(
            document, 0, 10, comment="Zinov\u2019ev \u00e9t\u00e9 \U0001F4DC", tags=["trial", "\u05e9\u05dc\u05d5\u05dd"],
            records=[record], visibility="public"), format="json").json()["id"],
        client.post("/api/annotations/", annotation_payload(document, 20, 30, comment="private note"),
                    format="json").json()["id"],
        client.post("/api/annotations/", annotation_payload(document, 40, 50, tags=["x"], visibility="group:readers"),
                    format="json").json()["id"],
    ]
    assert all(isinstance(url, str) for url in made), made
    client.put(made[0], annotation_payload(document, 0, 12, comment="edited", tags=["trial"], records=[record],
                                           visibility="public"), format="json")
    curator_client.post(made[0] + "review/", {"status": "approved", "reason": "sound"}, format="json")
    reply = client.post("/api/annotations/", {"type": "Annotation", "target": made[0], "bodyValue": "a reply",
                                              "visibility": "public"}, format="json")
    assert reply.status_code == 201, reply.content
    client.delete(made[1])  # leaves history rows only
    record.label += " (revised)"
    record.save()
    assert Annotation.objects.count() == 3
    # Teamwork: a relation, a "link all occurrences" batch, an annotation task with a task annotation.
    relation = client.post("/api/annotations/", {
        "type": "Annotation", "motivation": "linking", "target": made[0], "visibility": "group:readers",
        "body": [{"type": "SpecificResource", "purpose": "linking", "source": made[2]},
                 {"type": "TextualBody", "purpose": "classifying", "value": "same-person-as"}]}, format="json")
    assert relation.status_code == 201, relation.content
    batches.create_batch(user=user, record=record, passages=[batches.Passage(document, 60, 70)], visibility="public")
    task = assignments.create_task(user=curator, title="Names", documents=[document], assignees=[user, other_user],
                                   entity_types=[EntityType.objects.get(key="person")])
    in_task = client.post("/api/annotations/", {**annotation_payload(document, 80, 90, entity_type="person"),
                                                "task": task.pk}, format="json")
    assert in_task.status_code == 201, in_task.content
    assert Annotation.objects.count() == 6
    # Sources as they came: the document's provenance and a scanned page with its word boxes.
    DocumentOrigin.objects.update_or_create(document=document, defaults=dict(file_name="page.png", format="image", media_type="image/png",
                                  size=1234, checksum="ab" * 32, path="originals/ab/page.png",
                                  extractor="tesseract", extractor_version="5.3.0", ocr_confidence=91.5))
    DocumentPage.objects.create(document=document, number=1, start=0, end=40, method="ocr", image="originals/ab/p1.png",
                                media_type="image/png", width=800, height=1000, confidence=91.5,
                                words=[{"start": 0, "end": 4, "box": [10, 10, 60, 30], "confidence": 96}])
    return {"document": document, "record": record, "urls": made}


def _export(tmp_path, name="archive.json") -> dict:
    path = tmp_path / name
    call_command("export_archive", str(path), stdout=io.StringIO())
    return json.loads(path.read_bytes() if not name.endswith(".gz") else gzip.decompress(path.read_bytes()))


def test_round_trip_reproduces_the_archive_exactly(rich_archive, tmp_path):
    first = _export(tmp_path, "first.json.gz")
    data = first["data"]
    for label in backup.TABLES:  # every table is exercised, so the comparison means something
        assert data[label], f"{label} is empty in the export"
    assert {u["username"] for u in data["users"]} == {"alice", "bob", "carol"}
    assert "curators" in next(u for u in data["users"] if u["username"] == "carol")["groups"]

    # Into an empty archive with no accounts at all (a new machine).
    backup._clear()
    get_user_model().objects.all().delete()
    assert backup.archive_is_empty()
    out = io.StringIO()
    call_command("import_archive", str(tmp_path / "first.json.gz"), stdout=out)
    assert "Imported" in out.getvalue()
    second = _export(tmp_path, "second.json")
    assert second["data"] == first["data"]
    assert second["sha256"] == first["sha256"]
    # Ids (in public URLs) and timestamps are kept; the index follows (outbox tasks ran on commit).
    annotation = Annotation.objects.get(comment="edited")
    assert rich_archive["urls"][0].endswith(f"/api/annotations/{annotation.pk}/")
    assert annotation.history.count() == 3
    report = compare()
    assert all(not found[k] for found in report.values() for k in ("missing", "stale", "extra")), report
    # A restored user signs in with their old password.
    assert APIClient().login(username="alice", password="correct horse battery staple")


def test_import_into_a_non_empty_archive_refuses_unless_asked(rich_archive, tmp_path):
    _export(tmp_path)
    before = (Document.objects.count(), Annotation.objects.count(), Annotation.history.count())
    with pytest.raises(CommandError, match="not empty.*--replace"):
        call_command("import_archive", str(tmp_path / "archive.json"), stdout=io.StringIO())
    assert (Document.objects.count(), Annotation.objects.count(), Annotation.history.count()) == before

    Document.objects.create(slug="extra", title="Added after the backup", text="New text.")
    call_command("import_archive", str(tmp_path / "archive.json"), "--replace", stdout=io.StringIO())
    assert not Document.objects.filter(slug="extra").exists()
    assert _export(tmp_path, "again.json")["data"] == json.loads((tmp_path / "archive.json").read_text())["data"]
    report = compare()
    assert all(not found[k] for found in report.values() for k in ("missing", "stale", "extra")), report


@pytest.mark.parametrize("damage", ["truncated", "altered", "not-json", "empty", "wrong-format"])
def test_a_damaged_file_is_refused_and_nothing_is_written(rich_archive, tmp_path, damage):
    good = (tmp_path / "archive.json")
    _export(tmp_path)
    backup._clear()
    assert backup.archive_is_empty()
    raw = good.read_bytes()
    bad = tmp_path / "bad.json"
    if damage == "truncated":
        bad.write_bytes(raw[: len(raw) * 2 // 3])
    elif damage == "altered":  # valid JSON whose content was changed after export
        document = json.loads(raw)
        document["data"]["archive_site.Document"][0]["title"] = "<script>alert(1)</script>"
        bad.write_text(json.dumps(document))
    elif damage == "not-json":
        bad.write_bytes(b"\x00\xff garbage")
    elif damage == "empty":
        bad.write_bytes(b"")
    else:
        bad.write_text(json.dumps({"format": "something-else", "data": {}}))
    with pytest.raises(CommandError):
        call_command("import_archive", str(bad), stdout=io.StringIO())
    assert backup.archive_is_empty()
    assert not Document.objects.exists() and not Annotation.history.exists()


def test_a_row_the_database_refuses_rolls_back_the_whole_import(rich_archive, tmp_path):
    """A file with a valid checksum whose rows break a constraint (two documents, one slug) is
    refused by the database half-way through: the transaction leaves nothing behind."""
    document = json.loads(json.dumps(backup.export_data()))
    docs = document["archive_site.Document"]
    docs[-1]["slug"] = docs[0]["slug"]
    path = tmp_path / "clash.json"
    path.write_text(json.dumps({"format": backup.FORMAT, "version": backup.VERSION, "data": document,
                                "sha256": backup.hashlib.sha256(backup._canonical(document)).hexdigest()}))
    backup._clear()
    with pytest.raises(backup.BackupError, match="nothing was written"):
        backup.import_archive(path)
    assert backup.archive_is_empty()
