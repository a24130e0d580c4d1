"""Scans in the reading room, in a real browser: a page read by OCR is shown beside its text; a
passage annotated in the text is drawn on the image, and dragging over words on the image selects
them in the text (which the reading room then annotates)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from annotations.models import Annotation
from archive_site.models import Document, DocumentPage
from tests.factories import UserFactory
from tests.ingest_samples import SCAN_LINES, image_bytes, needs_ocr

from .conftest import select_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def curator(seeded_types):
    from django.contrib.auth.models import Group

    user = UserFactory(username="carol")
    user.groups.add(Group.objects.get_or_create(name="curators")[0])
    return user


@pytest.fixture
def scanned(curator):
    needs_ocr()
    client = Client()
    client.force_login(curator)
    client.post("/curate/documents/new/", {"file": SimpleUploadedFile("page.png", image_bytes(SCAN_LINES[0])),
                                           "slug": "scanned-page"})
    return Document.objects.get(slug="scanned-page")


def _word_box(document, word: str) -> list[int]:
    page = DocumentPage.objects.get(document=document, number=1)
    return next(w for w in page.words if document.text[w[0]:w[1]] == word)


def test_annotating_a_scanned_page_draws_the_highlight_on_its_image(open_browser, scanned, curator):
    b = open_browser()
    b.sign_in_as(curator)
    page = b.page
    page.goto(scanned.get_absolute_url())
    page.locator("#scans .scan-page img").wait_for()

    select_text(page, "Bukharin")
    page.get_by_role("button", name=re.compile("Annotate the selected passage")).click()
    page.locator("#ann-editor").wait_for()
    page.select_option("#ed-entity", "person")
    page.get_by_role("button", name="Save").click()
    page.locator("#doc-text mark.hl.et-person").first.wait_for()

    highlight = page.locator("#scans .scan-overlay rect.scan-hl.et-person")
    highlight.first.wait_for()
    x, y, w, h = _word_box(scanned, "Bukharin")[2:6]
    assert highlight.count() == 1
    assert [float(highlight.get_attribute(a)) for a in ("x", "y", "width", "height")] == [x, y, w, h]
    annotation = Annotation.objects.get()
    assert annotation.target_quote == "Bukharin" and str(annotation.pk) in highlight.get_attribute("data-ann-ids")
    assert not b.errors, b.errors


def test_dragging_over_words_on_the_image_selects_them_in_the_text(open_browser, scanned, curator):
    b = open_browser()
    b.sign_in_as(curator)
    page = b.page
    page.goto(scanned.get_absolute_url())
    svg = page.locator("#scans .scan-overlay")
    page.locator("#scans .scan-page img").wait_for()
    first, last = _word_box(scanned, "March"), _word_box(scanned, "1938")
    box = svg.bounding_box()
    scale = box["width"] / scanned.pages.get(number=1).width

    def at(x, y):
        return box["x"] + x * scale, box["y"] + y * scale

    page.wait_for_timeout(300)  # the page's words are fetched
    page.mouse.move(*at(first[2] + 2, first[3] + 2))
    page.mouse.down()
    page.mouse.move(*at(last[2] + last[4] - 2, last[3] + last[5] - 2), steps=5)
    page.mouse.up()
    assert page.evaluate("window.getSelection().toString()") == "March 1938"
    page.get_by_role("button", name=re.compile("Annotate the selected passage")).click()
    page.locator("#ann-editor").wait_for()
    assert page.locator("#ed-quote").inner_text() == "March 1938"
    page.get_by_role("button", name="Save").click()
    page.locator("#scans .scan-overlay rect.scan-hl").nth(1).wait_for()
    assert Annotation.objects.get().target_quote == "March 1938"
    assert not b.errors, b.errors
