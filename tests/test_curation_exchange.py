"""Exchange: export annotations (W3C AnnotationCollection, CSV; public = approved public only) and
records (JSON, CSV); import W3C JSON-LD (ours, Hypothesis-like, Recogito-like) re-anchored by
quote; a file with an invalid annotation is rejected whole unless a partial import is asked for;
the management commands do the same."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db.models import Q
from rest_framework.test import APIClient

from annotations.models import Annotation
from archive_site.models import Document, Record
from tests.factories import AnnotationFactory, DocumentFactory, RecordFactory

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _span(document: Document, needle: str, occurrence: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = document.text.index(needle, start + 1)
    return start, start + len(needle)


@pytest.fixture
def annotated_archive(seed_archive, user, curator, annotation_payload):
    """A realistic set of annotations on the seed archive, made through the API by an annotator and
    a curator: comments, tags, entity types, record links, public and private, pending and
    approved, one rejected, one reply."""
    dewey = Document.objects.get(slug="moscow-trials-dewey-commission")
    purge = Document.objects.get(slug="great-purge")
    stalin, lenin = Record.objects.get(key="stalin-joseph"), Record.objects.get(key="lenin-vladimir")
    specs = [
        (user, dewey, "Stalin", 0, dict(comment="The accuser", tags=["trial"], entity_type="person", records=[stalin], visibility="public")),
        (user, dewey, "Stalin", 1, dict(tags=["trial", "purge"], visibility="private")),
        (user, purge, "Lenin", 0, dict(entity_type="person", records=[lenin], visibility="public")),
        (curator, purge, "Stalin", 0, dict(comment="Ordered it — with “quotes” and ünïcode", entity_type="person",
                                             records=[stalin, lenin], tags=["Great Terror"], visibility="public")),
        (curator, dewey, "Dewey", 0, dict(comment="Commission chair", visibility="public")),
        (curator, dewey, "Trotsky", 0, dict(entity_type="person", visibility="private")),
    ]
    ids = []
    for who, document, needle, occurrence, kwargs in specs:
        start, end = _span(document, needle, occurrence)
        response = _api(who).post("/api/annotations/", annotation_payload(document, start, end, **kwargs), format="json")
        assert response.status_code == 201, response.content
        ids.append(int(response.json()["id"].rstrip("/").rsplit("/", 1)[-1]))
    curator_api = _api(curator)
    curator_api.post(f"/api/annotations/{ids[2]}/review/", {"status": "rejected", "reason": "Wrong Lenin"}, format="json")
    reply = {"type": "Annotation", "target": f"http://testserver/api/annotations/{ids[0]}/", "bodyValue": "Agreed"}
    assert _api(curator).post("/api/annotations/", reply, format="json").status_code == 201
    return ids


def _snapshot(qs=None) -> set[tuple]:
    qs = Annotation.objects.filter(reply_to__isnull=True) if qs is None else qs
    return {
        (a.document.slug, a.target_start, a.target_end, a.target_quote, a.comment,
         frozenset(t.name for t in a.tags.all()), a.entity_type.key if a.entity_type_id else None,
         frozenset(r.key for r in a.records.all()), a.visibility, a.status, a.motivation)
        for a in qs.select_related("document", "entity_type").prefetch_related("tags", "records")
    }


def test_an_export_of_the_seed_archive_imported_into_an_empty_archive_reproduces_it(curator_api, curator, annotated_archive):
    # "All" is all the curator may see: never someone else's private note (only the backup has those).
    before = _snapshot(Annotation.objects.filter(reply_to__isnull=True).exclude(
        Q(visibility="private") & ~Q(creator=curator)))
    assert len(before) == 5
    export = curator_api.get("/api/annotations/export/", {"format": "jsonld", "scope": "all"})
    assert export.status_code == 200 and export["Content-Type"].startswith("application/ld+json")
    collection = export.json()
    assert collection["type"] == "AnnotationCollection" and collection["total"] == 5

    Annotation.objects.all().delete()
    assert not Annotation.objects.exists()
    response = curator_api.post("/api/annotations/import/", collection, format="json")
    assert response.status_code == 201, response.content
    report = response.json()
    assert report["stored"] and len(report["created"]) == 5 and report["errors"] == [] and report["skipped"] == []
    assert _snapshot() == before

    again = curator_api.post("/api/annotations/import/", collection, format="json").json()
    assert again["created"] == [] and len(again["skipped"]) == 5
    assert all(s["reason"].startswith("already in the archive") for s in again["skipped"])
    assert Annotation.objects.count() == 5


def test_the_public_export_holds_only_approved_public_annotations(curator_api, annotated_archive):
    items = curator_api.get("/api/annotations/export/").json()["first"]["items"]
    published = Annotation.objects.filter(visibility="public", status="approved", reply_to__isnull=True)
    assert sorted(i["id"] for i in items) == sorted(f"http://testserver/api/annotations/{a.pk}/" for a in published)
    assert {i["status"] for i in items} == {"approved"} and {i["visibility"] for i in items} == {"public"}
    one = curator_api.get("/api/annotations/export/", {"document": "great-purge"}).json()
    assert {i["target"]["source"] for i in one["first"]["items"]} == {"http://testserver/documents/great-purge/"}


def test_the_export_is_a_conformant_annotation_collection(curator_api, annotated_archive, shared_dir):
    from tests.test_annotations_w3c import _failures

    collection = curator_api.get("/api/annotations/export/", {"scope": "all"}).json()
    w3c = shared_dir / "w3c"
    assert _failures(w3c, "collections/collectionMusts.test", collection) == []
    item = {"@context": collection["@context"], **collection["first"]["items"][0]}
    assert _failures(w3c, "annotations/annotationMusts.test", item) == []


def test_csv_export_has_one_row_per_annotation_and_neutralises_formulas(curator_api, seed_archive, curator):
    document = DocumentFactory(text="=SUM(A1) is not a formula here")
    AnnotationFactory(document=document, target_start=0, target_end=8, comment="-1 and @x", visibility="public", status="approved")
    response = curator_api.get("/api/annotations/export/", {"format": "csv", "document": document.slug})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    assert (rows[0]["quote"], rows[0]["comment"], rows[0]["document"]) == ("'=SUM(A1)", "'-1 and @x", document.slug)


def test_records_export_as_json_and_csv(curator_api, curator):
    survivor, duplicate = RecordFactory(key="kamenev", label="Lev Kamenev", aliases=["Kamenev"]), RecordFactory(key="kamenev-2")
    from curation.records import merge_records

    merge_records(user=curator, record=duplicate, into=survivor)
    AnnotationFactory(status="approved").records.add(survivor)
    body = curator_api.get("/api/records/export/").json()
    by_key = {r["key"]: r for r in body["records"]}
    assert by_key["kamenev"]["published_mentions"] == 1 and by_key["kamenev-2"]["merged_into"] == "kamenev"
    rows = list(csv.DictReader(io.StringIO(curator_api.get("/api/records/export/", {"format": "csv"}).content.decode())))
    assert {r["key"]: r["merged_into"] for r in rows} == {"kamenev": "", "kamenev-2": "kamenev"}
    assert next(r for r in rows if r["key"] == "kamenev")["aliases"].startswith("Kamenev")


def test_a_file_with_one_bad_annotation_is_rejected_whole_unless_partial_is_asked_for(curator_api, seed_archive):
    document = Document.objects.get(slug="great-purge")
    good = [
        {"type": "Annotation", "target": {"source": f"https://elsewhere.example/documents/{document.slug}/",
                                           "selector": {"type": "TextQuoteSelector", "exact": w}}, "bodyValue": f"about {w}"}
        for w in ("Stalin", "Lenin")
    ]
    bad = {"id": "urn:bad", "type": "Annotation",
           "target": {"source": f"/documents/{document.slug}/", "selector": {"type": "TextQuoteSelector", "exact": "not in this text at all"}}}
    collection = {"@context": "http://www.w3.org/ns/anno.jsonld", "type": "AnnotationCollection",
                  "first": {"type": "AnnotationPage", "items": [good[0], bad, good[1]]}}

    rejected = curator_api.post("/api/annotations/import/", collection, format="json")
    assert rejected.status_code == 400
    report = rejected.json()
    assert report["stored"] is False and report["created"] == []
    assert report["errors"] == [{"index": 1, "id": "urn:bad", "reason": f"The quote 'not in this text at all' does not occur in {document.slug}."}]
    assert not Annotation.objects.exists()

    partial = curator_api.post("/api/annotations/import/?partial=1", collection, format="json")
    assert partial.status_code == 201
    report = partial.json()
    assert [c["index"] for c in report["created"]] == [0, 2] and [e["index"] for e in report["errors"]] == [1]
    assert sorted(Annotation.objects.values_list("target_quote", flat=True)) == ["Lenin", "Stalin"]


def test_hypothesis_and_recogito_style_annotations_are_reanchored_by_quote(curator_api, seed_archive):
    document = Document.objects.get(slug="moscow-trials-dewey-commission")
    stalin = Record.objects.get(key="stalin-joseph")
    start, end = _span(document, "Stalin", 2)
    hypothesis = {
        "@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "id": "https://hypothes.is/a/abc",
        "creator": "acct:someone@hypothes.is", "motivation": "commenting",
        "body": [{"type": "TextualBody", "value": "Third mention", "format": "text/markdown"},
                 {"type": "TextualBody", "purpose": "tagging", "value": "hypothesis"}],
        "target": [{"source": f"https://our-archive.example/documents/{document.slug}/", "selector": [
            {"type": "RangeSelector", "startSelector": {"type": "XPathSelector", "value": "/p[3]"}},
            {"type": "TextPositionSelector", "start": start + 7, "end": end + 7},  # stale positions: only a hint
            {"type": "TextQuoteSelector", "exact": "Stalin", "prefix": document.text[start - 32:start], "suffix": document.text[end:end + 32]},
        ]}],
    }
    recogito = {
        "@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "id": "#recogito-1",
        "body": [{"type": "SpecificResource", "purpose": "identifying", "source": "http://www.wikidata.org/entity/Q855"},
                 {"type": "TextualBody", "purpose": "classifying", "value": "Person"}],
        "target": {"source": document.slug, "selector": [{"type": "TextQuoteSelector", "exact": "Stalin"}]},
    }
    recogito["visibility"] = "private"
    bad = curator_api.post("/api/annotations/import/?visibility=secret", [hypothesis], format="json")
    assert bad.status_code == 400 and "Unknown visibility" in bad.json()["detail"]
    response = curator_api.post("/api/annotations/import/?visibility=public", [hypothesis, recogito], format="json")
    assert response.status_code == 201, response.content
    first, second = (Annotation.objects.get(pk=c["annotation"]) for c in response.json()["created"])
    assert (first.target_start, first.target_end, first.comment) == (start, end, "Third mention")
    assert (first.visibility, second.visibility) == ("public", "private")  # the file's own visibility wins
    assert [t.name for t in first.tags.all()] == ["hypothesis"]
    assert second.entity_type.key == "person" and list(second.records.all()) == [stalin]
    assert second.target_quote == "Stalin"


def test_replies_are_skipped_with_the_reason(curator_api, annotated_archive):
    reply = {"type": "Annotation", "target": f"http://testserver/api/annotations/{annotated_archive[0]}/", "bodyValue": "x"}
    report = curator_api.post("/api/annotations/import/", [reply], format="json").json()
    assert report["skipped"][0]["reason"].startswith("a reply")


@pytest.mark.parametrize("body, content_type, message", [
    (b"not json", "application/json", None),
    (b'{"type": "Something"}', "application/json", "Expected a W3C AnnotationCollection"),
    (b'{"type": "AnnotationCollection", "first": "http://x/page/0"}', "application/json", "must be embedded"),
    (b"<xml/>", "text/xml", None),
])
def test_unreadable_import_files_are_400(curator_api, body, content_type, message):
    response = curator_api.generic("POST", "/api/annotations/import/", body, content_type=content_type)
    assert response.status_code in (400, 415)
    if message:
        assert message in response.json()["detail"]


def test_import_page_uploads_a_file_and_shows_the_report(client, curator, seed_archive):
    items = [{"type": "Annotation", "target": {"source": "/documents/great-purge/", "selector": {"type": "TextQuoteSelector", "exact": "Stalin"}}},
             {"type": "Annotation", "target": {"source": "/documents/no-such-document/", "selector": {"type": "TextQuoteSelector", "exact": "x"}}}]
    client.force_login(curator)
    upload = SimpleUploadedFile("a.jsonld", json.dumps(items).encode(), content_type="application/ld+json")
    response = client.post("/curate/exchange/", {"file": upload})
    html = response.content.decode()
    assert response.status_code == 400 and "the file was rejected" in html and "no-such-document" in html
    assert not Annotation.objects.exists()
    upload = SimpleUploadedFile("a.jsonld", json.dumps(items).encode())
    response = client.post("/curate/exchange/", {"file": upload, "partial": "1"})
    assert response.status_code == 200 and "1 created, 0 skipped, 1 invalid of 2" in response.content.decode()
    garbage = client.post("/curate/exchange/", {"file": SimpleUploadedFile("x.json", b"\xff\xfe")})
    assert garbage.status_code == 400 and "not UTF-8" in garbage.content.decode()
    nested = client.post("/curate/exchange/", {"file": SimpleUploadedFile("x.json", b"[" * 100_000 + b"]" * 100_000)})
    assert nested.status_code == 400 and "nested too deeply" in nested.content.decode()


def test_non_curators_cannot_export_or_import(user, seed_archive):
    for client in (APIClient(), _api(user)):
        assert client.get("/api/annotations/export/").status_code == 403
        assert client.get("/api/records/export/").status_code == 403
        assert client.post("/api/annotations/import/", [], format="json").status_code == 403


def test_bad_export_parameters_are_4xx(curator_api):
    assert curator_api.get("/api/annotations/export/", {"format": "xml"}).status_code == 400
    assert curator_api.get("/api/annotations/export/", {"scope": "secret"}).status_code == 400
    assert curator_api.get("/api/annotations/export/", {"document": "nope"}).status_code == 404
    assert curator_api.get("/api/records/export/", {"format": "xml"}).status_code == 400


def test_commands_export_import_and_export_records(tmp_path, curator, annotated_archive):
    before = _snapshot(Annotation.objects.filter(reply_to__isnull=True).exclude(visibility="private"))
    out = tmp_path / "all.jsonld"
    call_command("export_annotations", "--scope", "all", "-o", str(out), stderr=io.StringIO())
    public = io.StringIO()
    call_command("export_annotations", "--format", "csv", stdout=public)
    assert len(list(csv.DictReader(io.StringIO(public.getvalue())))) == Annotation.objects.filter(
        visibility="public", status="approved", reply_to__isnull=True).count()
    Annotation.objects.all().delete()
    stdout = io.StringIO()
    call_command("import_annotations", str(out), "--as", curator.username, stdout=stdout)
    assert "4 created, 0 skipped, 0 invalid of 4" in stdout.getvalue()  # private notes stay out
    assert _snapshot() == before

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"type": "Annotation", "target": {"source": "/documents/great-purge/"}}]), encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was stored"):
        call_command("import_annotations", str(bad), "--as", curator.username, stdout=io.StringIO())
    with pytest.raises(CommandError, match="not a curator"):
        call_command("import_annotations", str(out), "--as", "alice", stdout=io.StringIO())

    records = io.StringIO()
    call_command("export_records", stdout=records)
    assert len(json.loads(records.getvalue())["records"]) == Record.objects.count()


def test_the_import_endpoint_takes_a_multipart_file_with_a_partial_flag(curator_api, seed_archive):
    items = [{"type": "Annotation", "target": {"source": "/documents/great-purge/", "selector": {"type": "TextQuoteSelector", "exact": "Stalin"}}},
             {"type": "Annotation", "target": "/documents/great-purge/"}]
    upload = SimpleUploadedFile("a.jsonld", json.dumps(items).encode(), content_type="application/ld+json")
    response = curator_api.post("/api/annotations/import/", {"file": upload, "partial": "1"}, format="multipart")
    assert response.status_code == 201, response.content
    report = response.json()
    assert len(report["created"]) == 1 and report["errors"][0]["index"] == 1
    assert "TextQuoteSelector" in report["errors"][0]["reason"]
    no_file = curator_api.post("/api/annotations/import/", {"partial": "1"}, format="multipart")
    assert no_file.status_code == 400 and "file" in no_file.json()["errors"]
