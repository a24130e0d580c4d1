import pytest

from archive_site.models import Document, Record

pytestmark = pytest.mark.django_db


def test_document_list_is_paginated_and_omits_text(api_client, seed_archive):
    body = api_client.get("/api/documents/").json()
    assert body["count"] == 5
    slugs = [d["slug"] for d in body["results"]]
    assert "great-purge" in slugs
    assert "text" not in body["results"][0]
    assert body["results"][0]["length"] == len(Document.objects.get(slug=slugs[0]).text)


def test_document_detail_has_the_stored_text(api_client, seed_archive):
    body = api_client.get("/api/documents/stalins-great-purge/").json()
    document = Document.objects.get(slug="stalins-great-purge")
    assert body["text"] == document.text
    assert body["title"] == "June 11, 1937 - Stalin's Great Purge"
    assert body["year"] == 2021
    assert body["checksum"] == document.checksum


def test_unknown_document_is_404(api_client, db):
    assert api_client.get("/api/documents/nope/").status_code == 404


def labels(response):
    return [r["label"] for r in response.json()["results"]]


def test_record_autocomplete_matches_aliases(api_client, seed_archive):
    assert any("Pyatakov" in label or "Piatakov" in label for label in labels(api_client.get("/api/records/?q=pyat")))
    assert any("Piatakov" in label or "Pyatakov" in label for label in labels(api_client.get("/api/records/?q=piat")))
    assert any("Holtzman" in label or "Goltsman" in label for label in labels(api_client.get("/api/records/?q=goltsman")))


def test_record_filter_by_kind(api_client, seed_archive):
    body = api_client.get("/api/records/?kind=place&page_size=500").json()
    assert body["count"] == Record.objects.filter(kind="place").count() > 0
    assert api_client.get("/api/records/?kind=planet").status_code == 400


def test_record_detail(api_client, seed_archive):
    record = Record.objects.get(label__icontains="Zinoviev")
    body = api_client.get(f"/api/records/{record.pk}/").json()
    assert body["label"] == record.label
    assert body["kind"] == "person"
    assert body["url"].endswith(f"/records/{record.pk}/")
    assert api_client.get("/api/records/999999/").status_code == 404


def test_openapi_schema_describes_the_archive_endpoints(api_client, db):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/documents/" in paths and "/api/records/" in paths
