"""Each extractor on files built here: the text, the metadata the file gives, page breaks as
positions, OCR word boxes whose offsets point at the words they box, TEI names as entity spans."""

from __future__ import annotations

import pytest

from archive_site.ingest import detect_format, extract

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
    tiff_pages,
)


def test_pdf_text_layer_keeps_each_page_and_its_position():
    data = text_pdf([["Zinoviev and Kamenev were tried in August 1936."], ["Radek and Pyatakov followed in 1937."]],
                    title="The Moscow Trials", author="A. Historian")
    result = extract(data, "trials.pdf")
    assert result.format == "pdf" and result.extractor == "pdf" and result.extractor_version.startswith("pypdf ")
    assert result.metadata["title"] == "The Moscow Trials" and result.metadata["author"] == "A. Historian"
    assert [p.number for p in result.pages] == [1, 2]
    first, second = result.pages
    assert result.text[first.start:first.end] == "Zinoviev and Kamenev were tried in August 1936."
    assert result.text[second.start:second.end] == "Radek and Pyatakov followed in 1937."
    assert result.ocr_confidence is None and not result.has_page_images


def _check_words(result, expected_words: list[str]):
    boxes = [w for p in result.pages for w in p.words]
    read = [result.text[w.start:w.end] for w in boxes]
    assert read == result.text.split()  # every word of the text is boxed, in order, at its offsets
    for word in expected_words:
        assert word in read
    for page in result.pages:
        assert page.method == "ocr" and page.image is not None
        for w in page.words:
            assert 0 <= w.x < page.image.width and 0 <= w.y < page.image.height and w.w > 0 and w.h > 0
            assert 0 <= w.conf <= 100


def test_a_page_image_is_read_by_ocr_with_word_boxes_and_confidence():
    needs_ocr()
    result = extract(image_bytes(SCAN_LINES[0]), "page.png")
    try:
        assert result.format == "image" and "tesseract" in result.extractor_version.lower()
        assert "Bukharin" in result.text and "Yagoda" in result.text
        _check_words(result, ["Bukharin", "Moscow."])
        assert result.ocr_confidence is not None and result.ocr_confidence > 70
        assert result.pages[0].image.path.is_file()
    finally:
        result.close()


@pytest.mark.parametrize("fmt", ["JPEG", "TIFF"])
def test_jpeg_and_tiff_pages_are_read_too(fmt):
    needs_ocr()
    data = tiff_pages(SCAN_LINES) if fmt == "TIFF" else image_bytes(SCAN_LINES[1], "JPEG")
    with extract(data, f"scan.{fmt.lower()}") as result:
        assert "Vyshinsky" in result.text
        if fmt == "TIFF":
            assert [p.number for p in result.pages] == [1, 2]
            assert "Bukharin" in result.text[result.pages[0].start:result.pages[0].end]
            assert "Vyshinsky" in result.text[result.pages[1].start:result.pages[1].end]


def test_a_scanned_pdf_is_rendered_and_read_page_by_page():
    needs_ocr()
    with extract(scanned_pdf(SCAN_LINES), "scan.pdf") as result:
        assert result.format == "pdf" and "tesseract" in result.extractor_version
        assert [p.method for p in result.pages] == ["ocr", "ocr"]
        _check_words(result, ["Bukharin", "Vyshinsky"])
        assert "Collegium" in result.text[result.pages[1].start:result.pages[1].end]


def test_docx_paragraphs_headings_and_properties():
    data = docx_file(["Zinoviev spoke first.", "Kamenev spoke second."], title="Trial notes", author="N. N.",
                     heading="The first trial")
    result = extract(data, "notes.docx")
    assert result.text == "# The first trial\n\nZinoviev spoke first.\n\nKamenev spoke second."
    assert result.metadata == {"title": "Trial notes", "author": "N. N."}


def test_odt_paragraphs_headings_and_metadata():
    data = odt_file(["Bukharin was arrested in 1937.", "He was shot in 1938."], title="Bukharin", author="R. M.",
                    heading="Arrest")
    result = extract(data, "bukharin.odt")
    assert result.text == "# Arrest\n\nBukharin was arrested in 1937.\n\nHe was shot in 1938."
    assert result.metadata["title"] == "Bukharin" and result.metadata["author"] == "R. M."


def test_a_web_page_keeps_its_main_content_without_navigation_cookie_banner_or_top_of_page():
    data = html_page(title="The Trial of the Sixteen", author="Jane Historian", date="2019-03-04", heading="The accused",
                     paragraphs=["In August 1936 Grigory Zinoviev and Lev Kamenev were tried in Moscow before the Military Collegium.",
                                 "The prosecutor Andrey Vyshinsky demanded that every one of the accused be shot, without exception."])
    result = extract(data, "trial.html")
    assert result.metadata["title"] == "The Trial of the Sixteen"
    assert result.metadata["author"] == "Jane Historian" and result.metadata["date"] == "2019-03-04"
    assert "Zinoviev and Lev Kamenev" in result.text and "## The accused" in result.text
    for residue in ("Top of page", "cookies", "Archive index", "Contact us", "All rights reserved"):
        assert residue not in result.text


def test_tei_text_metadata_and_marked_names():
    body = ('<div><head>Session one</head><p>The court heard <persName ref="#p1">Zinoviev</persName> in\n'
            '   <placeName key="moscow">Moscow</placeName> on <date when="1936-08-19">19 August</date>.<lb/>'
            'Then <rs type="person" ref="http://www.wikidata.org/entity/Q1">Kamenev</rs>.</p><pb n="2"/>'
            '<p>The <orgName>NKVD</orgName> watched.</p></div>')
    header = '<listPerson><person xml:id="p1"><persName>Grigory Zinoviev</persName><idno type="URI">http://example.org/z</idno></person></listPerson>'
    result = extract(tei_file(title="Session", author="Court", date="1936-08-19", body=body, header_extra=header), "s.xml")
    assert result.text == ("# Session one\n\nThe court heard Zinoviev in Moscow on 19 August.\nThen Kamenev."
                           "\n\nThe NKVD watched.")
    assert result.metadata == {"title": "Session", "author": "Court", "date": "1936-08-19", "source": "Session 1936-08-19",
                               "language": "en"}
    spans = {(result.text[e.start:e.end], e.kind) for e in result.entities}
    assert spans == {("Zinoviev", "person"), ("Moscow", "place"), ("19 August", "date"), ("Kamenev", "person"),
                     ("NKVD", "organisation")}
    zinoviev = next(e for e in result.entities if e.element == "persName")
    assert "http://example.org/z" in zinoviev.identifiers and zinoviev.names == ["Grigory Zinoviev"]
    assert [(p.number, result.text[p.start:p.end].strip()) for p in result.pages][1] == (2, "The NKVD watched.")


@pytest.mark.parametrize("data,name,kind", [
    (b"%PDF-1.7\n", "x.bin", "pdf"),
    (b"\x89PNG\r\n\x1a\n....", "photo", "image"),
    (b"<?xml version='1.0'?><!-- c --><TEI xmlns='http://www.tei-c.org/ns/1.0'/>", "edition.txt", "tei"),
    (b"<!DOCTYPE html><html><body><p>x</p></body></html>", "page.dat", "html"),
    ("Plain text, Blücher.".encode(), "notes.md", "text"),
])
def test_the_format_comes_from_the_bytes_not_the_name(data, name, kind):
    assert detect_format(data, name) == kind
