"""The reading room in a real browser: annotate a selection, edit and delete, accept a suggestion,
follow deep links, privacy between users, and comments that look like HTML."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command, get_commands
from django.urls import Resolver404, resolve

from annotations.models import Annotation, EntityType, Tag
from tests.factories import AnnotationFactory, DocumentFactory, RecordFactory, UserFactory

from .conftest import select_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# An emoji (outside the Basic Multilingual Plane: two UTF-16 units, one code point) before the
# passages checks that offsets sent by the browser are code points, as the server counts them.
TEXT = (
    "## The first trial\n\n"
    "On August 19, 1936 \U0001f4dc the first Moscow Show Trial opened in the October Hall.\n"
    "Grigory Zinoviev and Lev Kamenev stood accused.\n\n"
    "Both were shot on August 25, 1936, hours after the verdict."
)


@pytest.fixture
def document(seeded_types):
    return DocumentFactory(slug="first-trial", title="The first trial", text=TEXT)


@pytest.fixture
def alice(transactional_db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(transactional_db):
    return UserFactory(username="bob")


def span(needle: str, occurrence: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = TEXT.index(needle, start + 1)
    return start, start + len(needle)


def annotate(document, user, needle: str, **fields) -> Annotation:
    start, end = span(needle)
    tags = fields.pop("tags", [])
    records = fields.pop("records", [])
    entity = fields.pop("entity_type", None)
    annotation = AnnotationFactory(
        document=document, creator=user, target_start=start, target_end=end,
        entity_type=EntityType.objects.get(key=entity) if entity else None, **fields,
    )
    annotation.tags.set([Tag.objects.get_or_create(name=t)[0] for t in tags])
    annotation.records.set(records)
    return annotation


def test_select_a_passage_and_save_an_annotation_with_tag_entity_type_and_record(open_browser, document, alice):
    record = RecordFactory(label="Trial of the Sixteen", kind="event", aliases=["Zinoviev-Kamenev trial"])
    b = open_browser()
    b.sign_in_as(alice)
    page = b.page
    page.goto(document.get_absolute_url())

    select_text(page, "Moscow Show Trial")
    page.get_by_role("button", name=re.compile("Annotate the selected passage")).click()
    editor = page.locator("#ann-editor")
    editor.wait_for()  # the first time, after the document's text has been fetched
    assert page.locator("#ed-quote").inner_text() == "Moscow Show Trial"
    page.fill("#ed-comment", "Also called the Trial of the Sixteen.")
    page.fill("#ed-tags", "show trial, 1936")
    page.select_option("#ed-entity", "event")
    page.fill("#ed-record-q", "sixt")
    page.get_by_role("option", name=re.compile("Trial of the Sixteen")).click()
    assert page.locator("#ed-records .chip").inner_text().startswith("Trial of the Sixteen")
    page.select_option("#ed-visibility", "public")
    page.get_by_role("button", name="Save").click()

    # Drawn at once, without a reload.
    mark = page.locator("#doc-text mark.hl.et-event")
    mark.first.wait_for()
    assert mark.inner_text() == "Moscow Show Trial"
    editor.wait_for(state="hidden")

    annotation = Annotation.objects.get()
    assert (annotation.target_start, annotation.target_end) == span("Moscow Show Trial")
    assert annotation.target_quote == "Moscow Show Trial"
    assert sorted(t.name for t in annotation.tags.all()) == ["1936", "show trial"]
    assert annotation.entity_type.key == "event"
    assert list(annotation.records.all()) == [record]
    assert annotation.visibility == "public" and annotation.creator == alice

    page.reload()
    mark = page.locator("#doc-text mark.hl.et-event")
    assert mark.inner_text() == "Moscow Show Trial"
    mark.click()
    card = page.locator("#ann-popover .ann-card")
    assert card.is_visible()
    assert "Also called the Trial of the Sixteen." in card.inner_text()
    assert card.locator(".tag").all_inner_texts() == ["1936", "show trial"]
    link = card.get_by_role("link", name="Trial of the Sixteen")
    assert link.get_attribute("href") == record.get_absolute_url()
    assert "alice" in card.locator(".ann-creator").inner_text()
    assert b.errors == []


def test_keyboard_shortcut_opens_the_editor_for_the_selection(open_browser, document, alice):
    b = open_browser()
    b.sign_in_as(alice)
    b.page.goto(document.get_absolute_url())
    select_text(b.page, "October Hall")
    b.page.keyboard.press("a")
    b.page.locator("#ann-editor").wait_for()
    assert b.page.locator("#ed-quote").inner_text() == "October Hall"
    assert b.page.evaluate("document.activeElement.id") == "ed-comment"
    b.page.keyboard.press("Escape")
    b.page.locator("#ann-editor").wait_for(state="hidden")


def test_creator_edits_replies_to_and_deletes_an_annotation(open_browser, document, alice):
    annotate(document, alice, "Lev Kamenev", comment="First draft", entity_type="person", visibility="private")
    b = open_browser()
    b.sign_in_as(alice)
    page = b.page
    page.on("dialog", lambda dialog: b.dialogs.append(dialog.message) or dialog.accept())
    page.goto(document.get_absolute_url())

    page.locator("#doc-text mark.hl").click()
    page.locator("#ann-popover").get_by_role("button", name="Edit").click()
    page.locator("#ann-editor").wait_for()
    assert page.locator("#ed-comment").input_value() == "First draft"
    page.fill("#ed-comment", "Kamenev, shot 25 August 1936")
    page.fill("#ed-tags", "defendant")
    page.get_by_role("button", name="Save").click()
    page.locator("#ann-list .ann-comment", has_text="Kamenev, shot 25 August 1936").wait_for(state="attached")
    annotation = Annotation.objects.get()
    assert annotation.comment == "Kamenev, shot 25 August 1936"
    assert [t.name for t in annotation.tags.all()] == ["defendant"]
    assert annotation.entity_type.key == "person"

    page.locator("#doc-text mark.hl").click()
    page.locator("#ann-popover textarea").fill("See also the Dewey Commission.")
    page.locator("#ann-popover").get_by_role("button", name="Add reply").click()
    page.locator("#ann-popover .reply-text", has_text="See also the Dewey Commission.").wait_for()
    reply = Annotation.objects.get(reply_to=annotation)
    assert reply.comment == "See also the Dewey Commission." and reply.creator == alice

    # Delete offers Undo for a few seconds: undone, nothing is deleted ...
    page.locator("#ann-popover").get_by_role("button", name="Delete").click()
    toast = page.locator("#rr-toast")
    toast.get_by_text("Annotation deleted.").wait_for()
    assert page.locator("#doc-text mark.hl:not(.hl-gone)").count() == 0
    toast.get_by_role("button", name="Undo").click()
    page.locator("#doc-text mark.hl:not(.hl-gone)").wait_for()
    assert page.locator("#rr-toast").inner_text().startswith("Annotation kept")
    page.wait_for_timeout(500)
    assert Annotation.objects.filter(pk=annotation.pk).exists() and Annotation.objects.filter(pk=reply.pk).exists()

    # ... and when the time is up the deletion is sent: the note and its reply are gone.
    page.locator("#doc-text mark.hl").click()
    page.locator("#ann-popover").get_by_role("button", name="Delete").click()
    toast.get_by_text("Annotation deleted.").wait_for()
    page.locator("#doc-text mark.hl").wait_for(state="detached", timeout=20_000)
    assert not Annotation.objects.exists()
    page.reload()
    assert page.locator("#doc-text mark.hl").count() == 0
    assert b.errors == [] and b.dialogs == []  # no confirm() box: Undo instead


def test_accepting_a_suggestion_creates_the_annotation_with_type_and_record(open_browser, document, alice):
    zinoviev = RecordFactory(label="Grigory Zinoviev", kind="person", aliases=["Zinoviev"])
    b = open_browser()
    b.sign_in_as(alice)
    page = b.page
    page.goto(document.get_absolute_url())

    suggestion = page.locator("#doc-text .sugg", has_text="Grigory Zinoviev")
    suggestion.click()
    page.locator("#ann-popover").get_by_role("button", name="Accept").click()
    mark = page.locator("#doc-text mark.hl.et-person")
    mark.wait_for()
    assert mark.inner_text() == "Grigory Zinoviev"
    annotation = Annotation.objects.get()
    assert (annotation.target_start, annotation.target_end) == span("Grigory Zinoviev")
    assert annotation.entity_type.key == "person"
    assert list(annotation.records.all()) == [zinoviev]
    assert page.locator("#doc-text .sugg", has_text="Grigory Zinoviev").count() == 0


def test_dismissing_a_suggestion_hides_it(open_browser, document, alice):
    RecordFactory(label="Lev Kamenev", kind="person", aliases=["Kamenev"])
    b = open_browser()
    b.sign_in_as(alice)
    page = b.page
    page.goto(document.get_absolute_url())
    page.locator("#doc-text .sugg", has_text="Lev Kamenev").click()
    page.locator("#ann-popover").get_by_role("button", name="Dismiss").click()
    assert page.locator("#doc-text .sugg", has_text="Lev Kamenev").count() == 0
    assert not Annotation.objects.exists()
    page.reload()
    page.wait_for_timeout(300)
    assert page.locator("#doc-text .sugg", has_text="Lev Kamenev").count() == 0


def test_deep_link_scrolls_to_and_marks_the_passage(open_browser, document):
    start, end = span("Both were shot")
    b = open_browser(width=390)
    page = b.page
    page.goto(f"{document.get_absolute_url()}#pos={start}-{end}")
    target = page.locator("#doc-text .deep-target")
    target.first.wait_for()
    assert "".join(target.all_inner_texts()) == "Both were shot"
    assert target.first.is_visible()
    box = target.first.bounding_box()
    assert 0 <= box["y"] <= 900


def test_search_result_leads_to_its_marked_passage(open_browser, document):
    try:
        resolve("/search/")
    except Resolver404:
        pytest.skip("the search page (/search/) is not installed yet")
    if "rebuild_index" in get_commands():
        call_command("rebuild_index")

    b = open_browser()
    page = b.page
    page.goto("/search/?q=Kamenev")
    link = page.locator(f'a[href*="{document.get_absolute_url()}#pos="]').first
    href = link.get_attribute("href")
    start, end = (int(n) for n in re.search(r"#pos=(\d+)-(\d+)", href).groups())
    link.click()
    target = page.locator("#doc-text .deep-target")
    target.first.wait_for()
    # A snippet may cross a paragraph break: the marks sit in each paragraph, the break between them
    # is the paragraphs' boundary, not marked text.
    assert "".join(target.all_inner_texts()) == TEXT[start:end].replace("\n", "")
    assert "Kamenev" in TEXT[start:end]
    assert target.first.is_visible()


def test_a_second_user_does_not_see_the_first_users_private_annotation(open_browser, document, alice, bob):
    annotate(document, alice, "October Hall", comment="alice's private note", visibility="private", entity_type="place")
    first = open_browser()
    first.sign_in_as(alice)
    first.page.goto(document.get_absolute_url())
    assert first.page.locator("#doc-text mark.hl").inner_text() == "October Hall"

    second = open_browser()
    second.sign_in_as(bob)
    second.page.goto(document.get_absolute_url())
    assert second.page.locator("#doc-text mark.hl").count() == 0
    assert "alice's private note" not in second.page.content()
    second.page.locator("#ann-panel .more-filters summary").click()
    second.page.locator("#f-scope").select_option("mine")
    assert second.page.locator("#ann-empty").is_visible()

    anonymous = open_browser()
    anonymous.page.goto(document.get_absolute_url())
    assert anonymous.page.locator("#doc-text mark.hl").count() == 0
    assert "alice's private note" not in anonymous.page.content()


def test_a_comment_that_looks_like_html_shows_as_text_and_runs_nothing(open_browser, document, alice, bob):
    payload = "<img src=x onerror=alert(1)>"
    annotate(document, bob, "August 25, 1936", comment=payload, tags=["<b>bold</b>"], visibility="public")
    b = open_browser()
    b.sign_in_as(alice)
    page = b.page
    page.on("dialog", lambda dialog: b.dialogs.append(dialog.message) or dialog.dismiss())
    page.goto(document.get_absolute_url())
    page.locator("#doc-text mark.hl").click()
    card = page.locator("#ann-popover .ann-card")
    assert card.locator(".ann-comment").inner_text() == payload
    assert card.locator(".tag").inner_text() == "<b>bold</b>"
    assert page.locator("#reading-room img, #ann-popover img, #reading-room b").count() == 0
    page.locator("#ann-list summary").first.click()
    page.wait_for_timeout(300)
    assert b.dialogs == []


def test_the_text_and_highlights_are_readable_without_javascript(open_browser, document, alice):
    annotate(document, alice, "Moscow Show Trial", comment="Public note", entity_type="event", visibility="public",
             status="approved")
    annotate(document, alice, "Show Trial opened", entity_type="other", visibility="public", status="approved")
    b = open_browser(javascript=False)
    page = b.page
    page.goto(document.get_absolute_url())
    assert "Both were shot on August 25, 1936" in page.locator("#doc-text").inner_text()
    assert page.locator("#doc-text .doc-heading").inner_text().endswith("The first trial")
    overlap = page.locator("#doc-text mark.hl-overlap")
    assert overlap.inner_text() == "Show Trial"
    assert page.locator("#doc-text mark.hl").count() == 3
    page.locator("#ann-list summary").first.click()
    assert page.locator("#ann-list .ann-comment", has_text="Public note").is_visible()
