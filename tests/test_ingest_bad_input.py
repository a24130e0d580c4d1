"""Bad input: a corrupt, encrypted or truncated PDF, a zip-bomb DOCX, an image with no text, TEI
that is not well-formed or attacks the parser, an unknown format, a file over the size limit.
Each is an error naming the file and the reason (a load error from the command, a 400 on the
page and the API), and nothing is stored: no document, no origin, no stray file."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from archive_site.ingest import IngestError, extract
from archive_site.models import Document, DocumentOrigin, DocumentPage, IngestJob

from .ingest_samples import encrypted_pdf, needs_ocr, text_pdf, zip_bomb_docx

pytestmark = pytest.mark.django_db

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE TEI [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>
<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>&c;</p></body></text></TEI>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE TEI [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>&secret;</p></body></text></TEI>"""


def _blank_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (900, 700), 255).save(buffer, format="PNG")
    return buffer.getvalue()


def _huge_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (12000, 12000), 1).save(buffer, format="PNG")  # 144 M pixels, a few KB packed
    return buffer.getvalue()


CASES = [
    ("corrupt.pdf", lambda: b"%PDF-1.4\n1 0 obj<</Type/Catalog>>garbage", "damaged or truncated"),
    ("truncated.pdf", lambda: text_pdf([["A page about the trials."]])[:500], "damaged or truncated"),
    ("locked.pdf", encrypted_pdf, "encrypted"),
    ("bomb.docx", zip_bomb_docx, "zip bomb"),
    ("broken.xml", lambda: b"<TEI xmlns='http://www.tei-c.org/ns/1.0'><text><p>open</text></TEI>", "not well-formed"),
    ("laughs.xml", lambda: BILLION_LAUGHS, "declares entities"),
    ("xxe.xml", lambda: XXE, "declares entities"),
    ("notes.xml", lambda: b"<?xml version='1.0'?><notes><p>not TEI</p></notes>", "not a TEI document"),
    ("archive.bin", lambda: bytes(range(256)) * 4, "unknown format"),
    ("old.doc", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old binary Word"),
    ("huge.png", _huge_png, "pixels"),
]


@pytest.mark.parametrize("name,build,reason", CASES, ids=[c[0] for c in CASES])
def test_bad_files_are_refused_naming_the_file_and_the_reason(name, build, reason):
    with pytest.raises(IngestError) as caught:
        extract(build(), name)
    assert str(caught.value).startswith(f"{name}: ") and reason in str(caught.value)


def test_an_image_with_no_text_is_refused():
    needs_ocr()
    with pytest.raises(IngestError, match="blank.png: OCR found no text"):
        extract(_blank_png(), "blank.png")


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.INGEST_MAX_BYTES = 1000
    with pytest.raises(IngestError, match=r"big.pdf: the file is [\d,]+ bytes, over the limit of 1,000"):
        extract(text_pdf([["x" * 50]] * 5), "big.pdf")


def _stored_files(settings) -> set:
    from pathlib import Path

    root = Path(settings.DATA_DIR)
    return {p for folder in ("originals", "pages", "staging") if (root / folder).is_dir() for p in (root / folder).rglob("*")
            if p.is_file()}


@pytest.mark.parametrize("name,build,reason", CASES[:6], ids=[c[0] for c in CASES[:6]])
def test_a_bad_file_in_a_folder_loads_nothing(tmp_path, settings, name, build, reason):
    (tmp_path / "good.txt").write_text("Zinoviev and Kamenev were tried in August 1936.", encoding="utf-8")
    (tmp_path / "good.pdf").write_bytes(text_pdf([["Radek was tried in January 1937."]]))
    (tmp_path / name).write_bytes(build())
    before = _stored_files(settings)
    with pytest.raises(CommandError) as caught:
        call_command("load_archive", str(tmp_path), "--no-progress")
    assert "Nothing was loaded" in str(caught.value) and name in str(caught.value) and reason in str(caught.value)
    assert Document.objects.count() == 0 and DocumentOrigin.objects.count() == 0 and DocumentPage.objects.count() == 0
    assert _stored_files(settings) == before  # the good files' originals were removed again


@pytest.mark.parametrize("name,build,reason", CASES, ids=[c[0] for c in CASES])
def test_the_upload_page_answers_400_naming_the_file(client, curator, settings, name, build, reason):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(curator)
    before = _stored_files(settings)
    response = client.post("/curate/documents/new/", {"file": SimpleUploadedFile(name, build()), "title": "", "slug": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert name in body and reason in body.replace("&#x27;", "'")
    assert Document.objects.count() == 0 and IngestJob.objects.count() == 0
    assert _stored_files(settings) == before


@pytest.mark.parametrize("name,build,reason", CASES, ids=[c[0] for c in CASES])
def test_the_api_answers_400_naming_the_file(curator_api, settings, name, build, reason):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = curator_api.post("/api/ingest/", {"file": SimpleUploadedFile(name, build())}, format="multipart")
    assert response.status_code == 400, response.content
    message = " ".join(response.json()["file"])
    assert message.startswith(f"{name}: ") and reason in message
    assert Document.objects.count() == 0


def test_the_upload_size_limit_is_a_400_naming_the_file(curator_api, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.INGEST_MAX_BYTES = 2000
    response = curator_api.post("/api/ingest/", {"file": SimpleUploadedFile("long.pdf", text_pdf([["x" * 60]] * 8))},
                                format="multipart")
    assert response.status_code == 400
    assert "long.pdf: the file is" in response.json()["file"][0] and "over the limit of 2,000 bytes" in response.json()["file"][0]


def test_a_scan_that_fails_in_the_background_says_why_and_stores_nothing(client, curator, settings):
    needs_ocr()
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(curator)
    response = client.post("/curate/documents/new/", {"file": SimpleUploadedFile("blank.png", _blank_png())})
    job = IngestJob.objects.get()
    assert response.status_code == 302 and response.url == f"/curate/documents/jobs/{job.pk}/"
    assert job.status == IngestJob.Status.FAILED and job.error == "blank.png: OCR found no text in the image"
    page = client.get(response.url)
    assert page.status_code == 400 and "blank.png: OCR found no text in the image" in page.content.decode()
    assert Document.objects.count() == 0 and not [p for p in _stored_files(settings) if "staging" in p.parts]


def test_ordinary_users_cannot_upload(user_api):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = user_api.post("/api/ingest/", {"file": SimpleUploadedFile("a.txt", b"text")}, format="multipart")
    assert response.status_code == 403 and Document.objects.count() == 0
