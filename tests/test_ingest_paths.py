"""Sources as they come through every way a document enters: ``load_archive`` on a folder of mixed
files (with and without a manifest), the curators' upload page and the API (at once, or as a
background job for scans); then the words of each file are found by search and annotated, and
the original, its checksum and the provenance are shown."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from archive_site.models import Document, DocumentOrigin, DocumentPage, IngestJob, Record

from .ingest_samples import (
    SCAN_LINES,
    docx_file,
    html_page,
    image_bytes,
    needs_ocr,
    odt_file,
    scanned_pdf,
    tei_file,
    text_pdf,
)

pytestmark = pytest.mark.django_db

# One distinctive word per format, so that search finds each file by its own word.
SAMPLES = {
    "trials.pdf": (lambda: text_pdf([["Pyatakov confessed before the court."], ["Sokolnikov was sentenced to ten years."]],
                                    title="Second Moscow Trial", author="Court reporter"), "Sokolnikov", "Second Moscow Trial"),
    "notes.docx": (lambda: docx_file(["Krestinsky retracted his confession in court."], title="Third trial notes"),
                   "Krestinsky", "Third trial notes"),
    "essay.odt": (lambda: odt_file(["Tukhachevsky was tried in secret in June 1937."], title="The generals"),
                  "Tukhachevsky", "The generals"),
    "page.html": (lambda: html_page(title="Yezhov and the NKVD", author="J. H.", date="2018-05-01",
                                    paragraphs=["Nikolai Yezhov directed the mass operations of 1937 and 1938 across the country.",
                                                "His deputy Mikhail Frinovsky signed thousands of orders during those months."]),
                  "Frinovsky", "Yezhov and the NKVD"),
    "edition.xml": (lambda: tei_file(title="Rykov's last plea", author="A. Rykov", date="1938-03",
                                     body='<p>Alexei <persName key="rykov">Rykov</persName> spoke in <placeName>Moscow</placeName>.</p>'),
                    "Rykov", "Rykov's last plea"),
}


def _search_count(word: str) -> int:
    from search import services

    return services.search(user=None, text=word).count


def _annotate(api, document, word: str):
    start = document.text.index(word)
    payload = {
        "@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "bodyValue": "checked",
        "target": {"source": f"http://testserver/documents/{document.slug}/",
                   "selector": [{"type": "TextPositionSelector", "start": start, "end": start + len(word)},
                                {"type": "TextQuoteSelector", "exact": word}]},
    }
    response = api.post("/api/annotations/", json.dumps(payload), content_type="application/ld+json")
    assert response.status_code == 201, response.content
    return response


def test_load_archive_takes_a_folder_of_mixed_files_without_a_manifest(tmp_path, curator_api, search_index):
    for name, (build, _word, _title) in SAMPLES.items():
        (tmp_path / name).write_bytes(build())
    (tmp_path / "plain.txt").write_text("Bukharin wrote to Stalin from prison.", encoding="utf-8")
    call_command("load_archive", str(tmp_path), "--no-progress", stdout=open("/dev/null", "w"))
    assert Document.objects.count() == 6
    for name, (_build, word, title) in SAMPLES.items():
        document = Document.objects.get(title=title)
        origin = document.origin
        assert origin.file_name == name and word in document.text
        assert origin.checksum == "sha256:" + hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
        assert _search_count(word) >= 1, word
        _annotate(curator_api, document, word)
    plain = Document.objects.get(origin__file_name="plain.txt")
    assert plain.title == "plain" and plain.origin.extractor == "text"  # the file name, last resort
    assert Document.objects.get(title="Yezhov and the NKVD").date == "2018-05-01"
    assert Document.objects.get(title="Rykov's last plea").date == "1938-03"
    # Loading again changes nothing.
    from archive_site.loader import load_archive

    assert load_archive(tmp_path).counts("documents") == (0, 0, 6)


def test_a_manifest_gives_what_it_has_and_the_file_the_rest(tmp_path):
    (tmp_path / "a.pdf").write_bytes(SAMPLES["trials.pdf"][0]())
    (tmp_path / "b.docx").write_bytes(SAMPLES["notes.docx"][0]())
    (tmp_path / "stray.txt").write_text("not named in the manifest", encoding="utf-8")
    (tmp_path / "manifest.json").write_text(json.dumps({"documents": [
        {"file": "a.pdf", "slug": "second-trial", "date": "1937-01", "kind": "transcript"},
        {"file": "b.docx", "title": "Notes on the third trial", "language": "en"},
    ]}))
    from archive_site.loader import load_archive

    report = load_archive(tmp_path)
    assert sorted(report.created["documents"]) == ["notes-on-the-third-trial", "second-trial"]
    trial = Document.objects.get(slug="second-trial")
    assert (trial.title, trial.author, trial.date, trial.kind) == ("Second Moscow Trial", "Court reporter", "1937-01", "transcript")
    pages = list(DocumentPage.objects.filter(document=trial))
    assert [trial.text[p.start:p.end] for p in pages] == ["Pyatakov confessed before the court.", "Sokolnikov was sentenced to ten years."]


def test_tei_names_become_annotations_linked_to_records_or_proposed(tmp_path, curator):
    from annotations.models import Annotation

    Record.objects.create(key="rykov", kind="person", label="Alexei Rykov")
    (tmp_path / "edition.xml").write_bytes(SAMPLES["edition.xml"][0]())
    call_command("load_archive", str(tmp_path), "--no-progress", "--as", curator.username, stdout=open("/dev/null", "w"))
    document = Document.objects.get()
    notes = {a.target_quote: a for a in Annotation.objects.filter(document=document)}
    assert set(notes) == {"Rykov", "Moscow"}
    assert notes["Rykov"].status == "approved" and [r.key for r in notes["Rykov"].records.all()] == ["rykov"]
    assert notes["Rykov"].entity_type.key == "person"
    assert notes["Moscow"].status == "pending" and notes["Moscow"].entity_type.key == "place"  # for review


def test_without_a_curator_tei_names_are_reported_not_made(tmp_path):
    from annotations.models import Annotation
    from archive_site.loader import load_archive

    (tmp_path / "edition.xml").write_bytes(SAMPLES["edition.xml"][0]())
    report = load_archive(tmp_path)
    assert Annotation.objects.count() == 0
    assert any("2 marked name(s) not annotated" in w for w in report.warnings)


@pytest.mark.parametrize("name", list(SAMPLES))
def test_the_upload_page_takes_each_format(client, curator, curator_api, search_index, name):
    build, word, title = SAMPLES[name]
    client.force_login(curator)
    response = client.post("/curate/documents/new/", {"file": SimpleUploadedFile(name, build()), "kind": "source"})
    document = Document.objects.get()
    assert response.status_code == 302 and response.url == document.get_absolute_url()
    assert document.title == title and document.kind == "source" and word in document.text
    assert _search_count(word) >= 1
    _annotate(curator_api, document, word)
    page = client.get(document.get_absolute_url()).content.decode()
    assert name in page and document.origin.checksum in page and f"/documents/{document.slug}/original/" in page


@pytest.mark.parametrize("name", list(SAMPLES))
def test_the_api_takes_each_format(curator_api, search_index, name):
    build, word, title = SAMPLES[name]
    data = build()
    response = curator_api.post("/api/ingest/", {"file": SimpleUploadedFile(name, data), "slug": "from-api"}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["slug"] == "from-api" and response.json()["title"] == title
    detail = curator_api.get("/api/documents/from-api/").json()
    assert word in detail["text"]
    provenance = detail["provenance"]
    assert provenance["file_name"] == name and provenance["checksum"] == "sha256:" + hashlib.sha256(data).hexdigest()
    assert provenance["extractor"] == DocumentOrigin.objects.get().extractor and provenance["extractor_version"]
    original = curator_api.get(provenance["original_url"])
    assert original.status_code == 200 and b"".join(original.streaming_content) == data
    assert _search_count(word) >= 1
    _annotate(curator_api, Document.objects.get(), word)


def test_a_scanned_pdf_is_read_in_the_background_and_shown_with_its_page_images(client, curator, curator_api, search_index):
    needs_ocr()
    client.force_login(curator)
    response = client.post("/curate/documents/new/", {"file": SimpleUploadedFile("scan.pdf", scanned_pdf(SCAN_LINES))})
    job = IngestJob.objects.get()
    assert response.url == f"/curate/documents/jobs/{job.pk}/"
    assert job.status == IngestJob.Status.DONE and job.total == 2 and job.done == 2
    document = job.document
    assert client.get(response.url).url == document.get_absolute_url()  # done: the job page leads to it
    status = curator_api.get(f"/api/ingest/jobs/{job.pk}/").json()
    assert status["status"] == "done" and status["percent"] == 100 and status["document"]["slug"] == document.slug
    assert document.origin.ocr_confidence > 70 and "tesseract" in document.origin.extractor_version
    assert _search_count("Vyshinsky") >= 1
    _annotate(curator_api, document, "Bukharin")
    page = client.get(document.get_absolute_url()).content.decode()
    assert 'id="scans"' in page and f"/documents/{document.slug}/pages/2/image/" in page and "OCR mean confidence" in page
    image = client.get(f"/documents/{document.slug}/pages/1/image/")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    words = curator_api.get(f"/api/documents/{document.slug}/pages/2/").json()["words"]
    assert "Vyshinsky" in [document.text[w[0]:w[1]] for w in words]


def test_the_api_queues_a_page_image_and_reports_progress(curator_api, search_index):
    needs_ocr()
    response = curator_api.post("/api/ingest/", {"file": SimpleUploadedFile("page.png", image_bytes(SCAN_LINES[0]))},
                                format="multipart")
    assert response.status_code == 202
    body = response.json()
    assert body["file_name"] == "page.png" and body["url"].endswith(f"/api/ingest/jobs/{body['id']}/")
    status = curator_api.get(body["url"]).json()  # the immediate task backend has run it already
    assert status["status"] == "done" and status["error"] is None
    assert "Bukharin" in Document.objects.get(slug=status["document"]["slug"]).text


def test_a_curator_corrects_an_ocr_word_and_annotations_and_boxes_follow(client, curator, curator_api):
    needs_ocr()
    from annotations.models import Annotation

    client.force_login(curator)
    client.post("/curate/documents/new/", {"file": SimpleUploadedFile("page.png", image_bytes(SCAN_LINES[0]))})
    document = Document.objects.get()
    _annotate(curator_api, document, "Yagoda")
    start = document.text.index("Bukharin")
    response = client.post(f"/curate/documents/{document.slug}/correct/",
                           {"start": start, "end": start + len("Bukharin"), "text": "Bukharin (N. I.)"})
    assert response.status_code == 302
    document.refresh_from_db()
    assert "Bukharin (N. I.) was" in document.text.replace("\n", " ")
    note = Annotation.objects.get(document=document)
    assert document.text[note.target_start:note.target_end] == "Yagoda"  # re-anchored after the edit
    page = DocumentPage.objects.get(document=document)
    read = {document.text[w[0]:w[1]]: w for w in page.words}
    assert "Yagoda" in read and read["Bukharin (N. I.)"][6] == 100  # the corrected word counts as checked
