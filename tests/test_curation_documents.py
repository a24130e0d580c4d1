"""Documents: add one (paste or UTF-8 upload, with metadata), edit metadata, edit the text with a
preview of what re-anchoring would do, and re-attach orphaned annotations by hand (the quote must
match)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotations.models import Annotation
from archive_site.models import Document
from tests.factories import AnnotationFactory, DocumentFactory

pytestmark = pytest.mark.django_db

TEXT = "Zinoviev and Kamenev were tried in August 1936.\n\nBoth were shot the next day."


@pytest.fixture
def signed_in(client, curator):
    client.force_login(curator)
    return client


def _meta(**extra):
    return {"title": "A new source", "author": "A. Writer", "date": "1937-02", "kind": "memoir", "source": "typescript",
            "language": "en", **extra}


def test_a_pasted_document_is_added_with_its_metadata_and_can_be_read(signed_in, curator):
    response = signed_in.post("/curate/documents/new/", _meta(text="Line one\r\nLine two"))
    assert response.status_code == 302 and response["Location"] == "/documents/a-new-source/"
    document = Document.objects.get(slug="a-new-source")
    assert document.text == "Line one\nLine two" and document.checksum.startswith("sha256:")
    assert (document.author, document.date, document.kind) == ("A. Writer", "1937-02", "memoir")
    assert document.history.get().history_user == curator
    assert "Line two" in signed_in.get("/documents/a-new-source/").content.decode()


def test_an_uploaded_utf8_file_is_added_and_a_non_utf8_one_is_refused(signed_in):
    upload = SimpleUploadedFile("memoir.txt", "\ufeffЗиновьев — Zinoviev 🙂".encode())
    assert signed_in.post("/curate/documents/new/", _meta(slug="memoir", file=upload)).status_code == 302
    assert Document.objects.get(slug="memoir").text == "Зиновьев — Zinoviev 🙂"
    latin1 = SimpleUploadedFile("old.txt", "Zinóviev".encode("latin-1"))
    response = signed_in.post("/curate/documents/new/", _meta(slug="old", file=latin1))
    assert response.status_code == 400 and "not UTF-8" in response.content.decode()
    assert not Document.objects.filter(slug="old").exists()


@pytest.mark.parametrize("fields, message", [
    ({"text": ""}, "The text is empty."),
    ({"text": "x", "slug": "Not A Slug"}, "lower-case letters"),
    ({"text": "x", "date": "Feb 1937"}, "YYYY"),
    ({"text": "x", "title": ""}, "title"),
    ({"text": "a\x00b"}, "NUL"),
])
def test_bad_document_input_is_400_with_the_reason(signed_in, fields, message):
    response = signed_in.post("/curate/documents/new/", _meta(**fields))
    assert response.status_code == 400 and message in response.content.decode()
    assert not Document.objects.exists()


def test_a_duplicate_slug_is_refused(signed_in):
    DocumentFactory(slug="taken")
    response = signed_in.post("/curate/documents/new/", _meta(slug="taken", text="x"))
    assert response.status_code == 400 and "exists already" in response.content.decode()


def test_editing_metadata_keeps_the_text_and_the_annotations(signed_in):
    document = DocumentFactory(text=TEXT)
    annotation = AnnotationFactory(document=document, target_start=0, target_end=8)
    response = signed_in.post(f"/curate/documents/{document.slug}/", {**_meta(title="Renamed"), "text": TEXT, "action": "save"})
    assert response.status_code == 302
    document.refresh_from_db()
    annotation.refresh_from_db()
    assert document.title == "Renamed" and document.text == TEXT
    assert (annotation.target_start, annotation.anchor_state) == (0, "anchored")


def test_preview_counts_what_would_reanchor_without_writing(signed_in):
    document = DocumentFactory(text=TEXT)
    kept = AnnotationFactory(document=document, target_start=0, target_end=8)  # Zinoviev
    start = TEXT.index("Both")
    moved = AnnotationFactory(document=document, target_start=start, target_end=start + 4)
    gone = AnnotationFactory(document=document, target_start=TEXT.index("August"), target_end=TEXT.index("August") + 11)
    new_text = "Zinoviev and Kamenev were tried.\n\nThen: Both were shot the next day."
    response = signed_in.post(f"/curate/documents/{document.slug}/", {**_meta(), "text": new_text, "action": "preview"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>1</strong> annotation stay" in html and "<strong>1</strong> re-anchor" in html
    assert "<strong>1</strong> would be orphaned" in html
    document.refresh_from_db()
    assert document.text == TEXT and Document.objects.get(pk=document.pk).title != "A new source"
    assert set(Annotation.objects.filter(document=document).values_list("anchor_state", flat=True)) == {"anchored"}

    response = signed_in.post(f"/curate/documents/{document.slug}/", {**_meta(), "text": new_text, "action": "save"}, follow=True)
    assert "1 annotation(s) on it are orphaned" in response.content.decode()
    for a in (kept, moved, gone):
        a.refresh_from_db()
    assert kept.target_start == 0 and moved.target_start == new_text.index("Both")
    assert gone.anchor_state == "orphaned"
    row = moved.history.order_by("-history_id").first()
    assert row.history_user.username == "carol" and "re-anchored" in row.history_change_reason


def test_orphans_page_reattaches_by_hand_only_where_the_quote_matches(signed_in):
    document = DocumentFactory(text=TEXT)
    orphan = AnnotationFactory(document=document, target_start=0, target_end=8)
    Annotation.objects.filter(pk=orphan.pk).update(anchor_state="orphaned", target_start=None, target_end=None)
    html = signed_in.get("/curate/orphans/").content.decode()
    assert f'data-annotation-id="{orphan.pk}"' in html and 'value="0"' in html  # the quote's place is suggested

    wrong = signed_in.post(f"/curate/orphans/{orphan.pk}/", {"start": "13", "end": "21"}, follow=True)
    assert "The quote does not match the text" in wrong.content.decode()
    orphan.refresh_from_db()
    assert orphan.anchor_state == "orphaned"
    for bad in ({"start": "x", "end": "8"}, {"start": "0", "end": "99999"}, {}):
        response = signed_in.post(f"/curate/orphans/{orphan.pk}/", bad, follow=True)
        assert response.status_code == 200
        orphan.refresh_from_db()
        assert orphan.anchor_state == "orphaned"

    signed_in.post(f"/curate/orphans/{orphan.pk}/", {"start": "0", "end": "8"})
    orphan.refresh_from_db()
    assert (orphan.anchor_state, orphan.target_start, orphan.target_end) == ("anchored", 0, 8)
    assert orphan.target_suffix == TEXT[8:40]
    assert f'data-annotation-id="{orphan.pk}"' not in signed_in.get("/curate/orphans/").content.decode()


def test_document_history_page_and_api_show_who_changed_what(signed_in, curator, user):
    from rest_framework.test import APIClient

    document = DocumentFactory(text=TEXT)
    signed_in.post(f"/curate/documents/{document.slug}/", {**_meta(title="Renamed"), "text": TEXT + " More.", "action": "save"})
    html = signed_in.get(f"/curate/history/document/{document.pk}/").content.decode()
    assert "by carol" in html and "text edited" in html and "Renamed" in html
    api = APIClient()
    api.force_authenticate(curator)
    latest = api.get(f"/api/documents/{document.slug}/history/").json()["history"][0]
    assert latest["user"] == "carol" and latest["reason"] == "text edited" and "title" in {c["field"] for c in latest["changes"]}
    api.force_authenticate(user)
    assert api.get(f"/api/documents/{document.slug}/history/").status_code == 403
