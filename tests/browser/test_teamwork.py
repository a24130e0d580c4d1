"""Annotating as a team in a real browser: linking every occurrence of a record as one batch and
undoing it (from a suggestion, on a desktop and a phone, and from a record page after someone else
replied to one of them), making relations by picking a highlight and by finding an annotation in
another document, seeing them on both cards and on the record's network, and annotating a passage
with the keyboard alone. No page logs a console error."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps as global_apps
from playwright.sync_api import expect
from rest_framework.test import APIClient

from annotations.models import Annotation, AnnotationBatch, EntityType
from tests.factories import AnnotationFactory, DocumentFactory, RecordFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = (
    "## The first trial\n\n"
    "Andrey Vyshinsky accused Grigory Zinoviev and Lev Kamenev in the October Hall \U0001f4dc.\n"
    "Zinoviev pleaded guilty; Kamenev did too.\n\n"
    "Both were shot on August 25, 1936. Zinoviev begged for his life."
)
OTHER = "Genrikh Yagoda prepared the case against Zinoviev."

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844, "is_mobile": True, "has_touch": True}


@pytest.fixture
def relation_types(seeded_types):
    """The relation types migration 0005 seeds (a transactional test's flush removes them)."""
    importlib.import_module("annotations.migrations.0005_seed_relation_types").seed(global_apps, None)


@pytest.fixture
def archive(relation_types):
    trial = DocumentFactory(slug="first-trial", title="The first trial", text=TEXT)
    other = DocumentFactory(slug="yagoda", title="Yagoda's case", text=OTHER)
    return trial, other


@pytest.fixture
def alice(transactional_db):
    return UserFactory(username="alice")


def span(text: str, needle: str, occurrence: int = 0) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(needle, start + 1)
    return start, start + len(needle)


def note(document, user, needle: str, *, record=None, entity="person", occurrence=0, **fields) -> Annotation:
    start, end = span(document.text, needle, occurrence)
    fields.setdefault("status", "approved")
    fields.setdefault("visibility", "public")
    made = AnnotationFactory(document=document, creator=user, target_start=start, target_end=end,
                             target_quote=needle, entity_type=EntityType.objects.get(key=entity), **fields)
    if record is not None:
        made.records.add(record)
    return made


def marks_of(page, annotation_id: int):
    return page.locator(f'#doc-text mark.hl[data-ann-ids~="{annotation_id}"]')


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_link_all_occurrences_from_a_suggestion_then_undo_the_batch(open_browser, archive, alice, size):
    trial, other = archive
    zinoviev = RecordFactory(label="Grigory Zinoviev", kind="person", aliases=["Zinoviev"])
    b = open_browser(**size)
    b.sign_in_as(alice)
    page = b.page
    page.goto(trial.get_absolute_url())

    page.locator("#doc-text .sugg", has_text="Grigory Zinoviev").click()
    page.locator("#ann-popover").get_by_role("button", name="Link all occurrences…").click()
    dialog = page.get_by_role("dialog", name=re.compile("Link all occurrences of"))
    items = dialog.locator(".la-item")
    # This document first: its three passages (the label once, the alias twice), with their context.
    expect(page.locator("#la-list .la-item")).to_have_count(3)
    assert items.locator("mark").all_inner_texts() == ["Grigory Zinoviev", "Zinoviev", "Zinoviev"]
    assert "accused" in items.first.inner_text()
    assert all(box.is_checked() for box in dialog.get_by_role("checkbox").all())
    # Across the archive: the other document's passage too, named.
    dialog.get_by_label("Across the archive").check()
    expect(page.locator("#la-list .la-item")).to_have_count(4)
    assert "Yagoda's case" in items.nth(3).inner_text()
    dialog.get_by_label("In this document").check()
    expect(page.locator("#la-list .la-item")).to_have_count(3)
    items.nth(2).get_by_role("checkbox").uncheck()  # "Zinoviev begged..." left for later
    assert page.input_value("#la-type") == "person"
    dialog.get_by_label("Tags").fill("defendants, 1936")
    dialog.get_by_label("Visible to").select_option("public")
    dialog.get_by_role("button", name="Link 2 passages").click()

    toast = page.locator("#rr-toast")
    toast.get_by_role("button", name="Undo batch").wait_for()
    assert "2 annotations made as batch" in toast.inner_text()
    assert not dialog.is_visible()
    batch = AnnotationBatch.objects.get()
    made = list(Annotation.objects.filter(batch=batch).order_by("target_start"))
    assert [(a.target_start, a.target_end) for a in made] == [
        span(TEXT, "Grigory Zinoviev"), span(TEXT, "Zinoviev", 1)]
    assert {a.visibility for a in made} == {"public"} and {a.entity_type.key for a in made} == {"person"}
    assert sorted(t.name for t in made[0].tags.all()) == ["1936", "defendants"]
    assert [r.pk for r in made[0].records.all()] == [zinoviev.pk]
    # Drawn without a reload: the highlights are there, the suggestion on the last one still offered.
    for a in made:
        assert marks_of(page, a.pk).count() >= 1
    assert page.locator("#doc-text .sugg", has_text="Zinoviev").count() == 1

    toast.get_by_role("button", name="Undo batch").click()
    expect(page.locator("#doc-text mark.hl")).to_have_count(0)
    assert "Batch undone" in toast.inner_text()
    assert not Annotation.objects.filter(batch=batch).exists()
    batch.refresh_from_db()
    assert batch.undone is not None
    assert b.errors == []


def test_link_all_from_a_record_page_and_undo_keeps_what_someone_else_replied_to(open_browser, archive, alice):
    trial, other = archive
    zinoviev = RecordFactory(label="Grigory Zinoviev", kind="person", aliases=["Zinoviev"])
    b = open_browser()
    b.sign_in_as(alice)
    page = b.page
    page.goto(zinoviev.get_absolute_url())
    assert page.locator("#network .empty").inner_text().startswith("No relations link Grigory Zinoviev")
    page.get_by_role("button", name="Link all occurrences of Grigory Zinoviev…").click()
    expect(page.locator("#la-list .la-item")).to_have_count(4)
    assert page.locator("#la-list .la-doc").all_inner_texts().count("The first trial") == 3
    page.get_by_label("Visible to").select_option("public")
    page.get_by_role("button", name="Link 4 passages").click()
    page.locator("#rt-toast").get_by_role("button", name="Undo batch").wait_for()
    # The record page's own list marks the passages done.
    assert page.locator(".passage.done").count() == page.locator(".passage").count() == 4
    batch = AnnotationBatch.objects.get()
    assert batch.size == 4 and batch.document is None

    # Meanwhile bob replies to one of them.
    replied = Annotation.objects.filter(batch=batch).order_by("target_start").first()
    bob = APIClient()
    bob.force_authenticate(UserFactory(username="bob"))
    assert bob.post("/api/annotations/", {"type": "Annotation", "target": f"http://testserver/api/annotations/{replied.pk}/",
                                          "bodyValue": "Which Zinoviev?"}, format="json").status_code == 201

    page.locator("#rt-toast").get_by_role("button", name="Undo batch").click()
    page.locator(".kept-note").wait_for()
    assert f"{replied.pk} (replied to by bob)" in page.locator(".kept-note").inner_text()
    assert list(Annotation.objects.filter(batch=batch).values_list("pk", flat=True)) == [replied.pk]
    assert b.errors == []


def test_a_relation_made_by_picking_a_highlight_shows_on_both_cards_and_on_the_record_network(open_browser, archive, alice):
    trial, other = archive
    vyshinsky_record = RecordFactory(label="Andrey Vyshinsky", kind="person")
    zinoviev_record = RecordFactory(label="Grigory Zinoviev", kind="person")
    yagoda_record = RecordFactory(label="Genrikh Yagoda", kind="person")
    vyshinsky = note(trial, alice, "Andrey Vyshinsky", record=vyshinsky_record)
    zinoviev = note(trial, alice, "Grigory Zinoviev", record=zinoviev_record)
    secret = note(trial, alice, "Lev Kamenev", visibility="private")
    yagoda = note(other, alice, "Genrikh Yagoda", record=yagoda_record)
    b = open_browser()
    b.sign_in_as(alice)
    page = b.page
    page.goto(trial.get_absolute_url())

    marks_of(page, vyshinsky.pk).first.click()
    card = page.locator("#ann-popover .ann-card")
    expect(card.locator(".rel-list")).to_have_text("No relations yet.")
    card.get_by_role("button", name="Add relation").click()
    editor = page.get_by_role("dialog", name="Add a relation")
    assert editor.locator("#rel-from").inner_text() == "Andrey Vyshinsky"
    editor.get_by_label("Relation").select_option("accused")
    editor.get_by_role("button", name="Pick a highlight in the text").click()
    assert page.locator("#pick-banner").is_visible() and not editor.is_visible()
    marks_of(page, zinoviev.pk).first.click()
    editor.wait_for()
    assert "Grigory Zinoviev" in editor.locator("#rel-to").inner_text()
    editor.get_by_label("Comment").fill("In his closing speech")
    editor.get_by_label("Visible to").select_option("public")
    editor.get_by_role("button", name="Save relation").click()

    # The source's card shows it, outgoing, with a link to the other end.
    out = page.locator("#ann-popover .rel-out")
    out.wait_for()
    assert re.sub(r"\s+", " ", out.inner_text()).startswith("this → accused → “Grigory Zinoviev” (Grigory Zinoviev)")
    relation = Annotation.objects.get(relation_source=vyshinsky)
    assert (relation.relation_target, relation.relation_type.key, relation.comment, relation.visibility) == (
        zinoviev, "accused", "In his closing speech", "public")
    # The other end's card shows it, incoming.
    page.keyboard.press("Escape")
    marks_of(page, zinoviev.pk).first.click()
    incoming = page.locator("#ann-popover .rel-in")
    incoming.wait_for()
    assert re.sub(r"\s+", " ", incoming.inner_text()).startswith("“Andrey Vyshinsky” (Andrey Vyshinsky) → accused → this")
    incoming.get_by_role("link", name=re.compile("Andrey Vyshinsky")).click()
    assert page.locator("#ann-popover .ann-card").get_attribute("data-ann-id") == str(vyshinsky.pk)

    # Across documents, found by a record's name; and an end too private for the chosen visibility is refused, said plainly.
    page.keyboard.press("Escape")
    marks_of(page, zinoviev.pk).first.click()
    page.locator("#ann-popover").get_by_role("button", name="Add relation").click()
    editor.get_by_label("Relation").select_option("related-to")
    editor.get_by_label("or find an annotation you can see").fill("Yagoda")
    option = page.locator("#rel-options").get_by_role("option", name=re.compile("Genrikh Yagoda"))
    option.wait_for()
    assert "Yagoda's case" in option.inner_text()
    option.click()
    editor.get_by_role("button", name="Save relation").click()
    page.locator("#ann-popover .rel-out").wait_for()
    assert "in Yagoda's case" in page.locator("#ann-popover .rel-out").inner_text()
    assert Annotation.objects.filter(relation_source=zinoviev, relation_target=yagoda).exists()

    page.locator("#ann-popover").get_by_role("button", name="Add relation").click()
    editor.get_by_label("or find an annotation you can see").fill("kamenev")
    page.locator("#rel-options").get_by_role("option", name=re.compile("Lev Kamenev")).click()
    editor.get_by_label("Visible to").select_option("public")
    before = Annotation.objects.count()
    editor.get_by_role("button", name="Save relation").click()
    error = editor.locator("#rel-error")
    error.wait_for()
    assert f"annotation {secret.pk} is private" in error.inner_text() and "at most private" in error.inner_text()
    assert Annotation.objects.count() == before and editor.is_visible()
    editor.get_by_role("button", name="Cancel").click()

    # The record page draws the network: the records as linked nodes, the relation types on the lines.
    page.goto(zinoviev_record.get_absolute_url())
    svg = page.locator("#network-graph svg")
    svg.wait_for()
    labels = svg.locator(".nw-node-label").all_text_contents()
    assert sorted(labels) == ["Andrey Vyshinsky", "Genrikh Yagoda", "Grigory Zinoviev"]
    assert sorted(svg.locator(".nw-edge-label").all_text_contents()) == ["accused", "related to"]
    assert svg.locator("a.nw-link").nth(0).get_attribute("href").startswith("/records/")
    rows = page.locator("#network-list .network-edge")
    texts = sorted(re.sub(r"\s+", " ", t) for t in rows.all_inner_texts())
    assert texts[0].startswith("Andrey Vyshinsky accused → Grigory Zinoviev (1 relation)")
    assert texts[1].startswith("Grigory Zinoviev related to → Genrikh Yagoda (1 relation)")
    evidence = rows.filter(has_text="accused").locator(".evidence a").first.get_attribute("href")
    assert evidence == f"/documents/first-trial/#pos={vyshinsky.target_start}-{vyshinsky.target_end}"
    # The one refusal the test asked for is the only thing the console reports.
    assert b.errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]

    # On a phone the graph scales down and the list is still there.
    phone = open_browser(**PHONE)
    phone.sign_in_as(alice)
    phone.page.goto(zinoviev_record.get_absolute_url())
    phone.page.locator("#network-graph svg").wait_for()
    box = phone.page.locator("#network-graph svg").bounding_box()
    assert box["width"] <= PHONE["width"]
    assert phone.page.locator("#network-list .network-edge").count() == 2
    assert phone.errors == []


def focused(page) -> dict:
    return page.evaluate("""() => { const e = document.activeElement;
      return {id: e.id, tag: e.tagName, ids: e.dataset ? (e.dataset.annIds || '') : '', text: e.textContent}; }""")


def test_annotating_a_passage_with_the_keyboard_alone(open_browser, archive, alice):
    trial, other = archive
    existing = note(trial, alice, "Andrey Vyshinsky", comment="The prosecutor")
    b = open_browser()
    b.sign_in_as(alice)
    page = b.page
    page.goto(trial.get_absolute_url())
    expect(page.locator("#doc-text")).to_have_attribute("tabindex", "0")

    # One tab stop reaches the text.
    for _ in range(40):
        page.keyboard.press("Tab")
        if focused(page)["id"] == "doc-text":
            break
    assert focused(page)["id"] == "doc-text"
    # The arrows move to the highlight; Enter opens its card; Escape brings focus back to it.
    page.keyboard.press("ArrowRight")
    assert focused(page)["ids"] == str(existing.pk)
    page.keyboard.press("Enter")
    card = page.locator("#ann-popover .ann-card")
    assert card.is_visible() and "The prosecutor" in card.inner_text()
    page.keyboard.press("Escape")
    assert not card.is_visible() and focused(page)["ids"] == str(existing.pk)

    # "?" lists the shortcuts.
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    assert help_dialog.is_visible() and "word cursor" in help_dialog.inner_text()
    page.keyboard.press("Escape")
    assert not help_dialog.is_visible()

    # A word cursor from the highlight: move by words, extend with Shift, Enter opens the editor.
    page.keyboard.press("w")
    cursor = page.locator("#doc-text .word-cursor")
    cursor.first.wait_for()
    assert cursor.inner_text() == "Andrey"
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert cursor.inner_text() == "Grigory"
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowLeft")
    assert "".join(cursor.all_inner_texts()) == "Grigory Zinoviev"
    page.keyboard.press("Enter")
    page.locator("#ann-editor").wait_for()
    assert page.locator("#ed-quote").inner_text() == "Grigory Zinoviev"
    assert focused(page)["id"] == "ed-comment"

    # Escape asks before throwing typed text away; "Keep editing" goes back to it.
    page.keyboard.type("Defendant")
    page.keyboard.press("Escape")
    assert page.locator("#ed-discard").is_visible() and page.locator("#ann-editor").is_visible()
    assert focused(page)["id"] == "ed-discard-no"
    page.keyboard.press("Enter")
    assert page.locator("#ed-discard").is_hidden() and focused(page)["id"] == "ed-comment"

    # Out of the text fields, a digit chooses the entity type (as the editor's hint numbers them).
    page.keyboard.press("Tab")  # tags
    page.keyboard.press("Tab")  # entity type
    assert focused(page)["id"] == "ed-entity"
    keys = page.locator("#ed-entity-keys").inner_text()
    digit = re.search(r"(\d) Person", keys).group(1)
    page.keyboard.press(digit)
    assert page.input_value("#ed-entity") == "person"
    page.keyboard.press("Control+Enter")

    page.locator("#ann-editor").wait_for(state="hidden")
    made = Annotation.objects.exclude(pk=existing.pk).get()
    assert (made.target_start, made.target_end) == span(TEXT, "Grigory Zinoviev")
    assert (made.comment, made.entity_type.key, made.creator) == ("Defendant", "person", alice)
    # Focus is back in the text, on the new highlight.
    expect(marks_of(page, made.pk).first).to_be_focused()
    page.keyboard.press("ArrowLeft")
    assert focused(page)["ids"] == str(existing.pk)

    # Escape twice throws typed text away.
    page.keyboard.press("w")
    cursor.first.wait_for()
    page.keyboard.press("Enter")
    page.locator("#ann-editor").wait_for()
    page.keyboard.type("Never mind")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.locator("#ann-editor").wait_for(state="hidden")
    assert Annotation.objects.count() == 2
    assert b.errors == []


def test_from_a_card_link_all_then_reach_suggestions_and_pick_a_relation_end_with_the_keyboard(open_browser, archive, alice):
    trial, other = archive
    zinoviev = RecordFactory(label="Grigory Zinoviev", kind="person", aliases=["Zinoviev"])
    RecordFactory(label="Lev Kamenev", kind="person")
    first = note(trial, alice, "Grigory Zinoviev", record=zinoviev)
    b = open_browser()
    b.sign_in_as(alice)
    page = b.page
    page.goto(trial.get_absolute_url())
    page.locator("#doc-text .sugg", has_text="Lev Kamenev").wait_for()

    # The arrows reach suggestions too; Enter opens one, Escape comes back to it.
    page.locator("#doc-text").focus()
    page.keyboard.press("ArrowRight")
    assert focused(page)["ids"] == str(first.pk)
    page.keyboard.press("ArrowRight")
    assert focused(page)["text"] == "Lev Kamenev"
    page.keyboard.press("Enter")
    assert page.locator("#ann-popover").get_by_role("button", name="Accept").is_visible()
    page.keyboard.press("Escape")
    assert focused(page)["text"] == "Lev Kamenev"

    # From the card: the passage already annotated with the record is shown done, not offered.
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Enter")
    page.locator("#ann-popover").get_by_role("button", name="Link all occurrences of Grigory Zinoviev").click()
    expect(page.locator("#la-list .la-item")).to_have_count(3)
    done = page.locator("#la-list .la-item.done")
    assert done.count() == 1 and "already annotated" in done.inner_text() and done.get_by_role("checkbox").is_disabled()
    assert "1 already annotated with this record" in page.locator("#la-summary").inner_text()
    page.get_by_role("button", name="Link 2 passages").click()
    page.locator("#rr-toast").get_by_role("button", name="Undo batch").wait_for()
    made = list(Annotation.objects.filter(batch__isnull=False).order_by("target_start"))
    assert [a.target_quote for a in made] == ["Zinoviev", "Zinoviev"]
    expect(marks_of(page, made[0].pk).first).to_be_focused()  # on the first new highlight

    # A relation whose other end is picked with the arrows and Enter; then deleted from the card.
    marks_of(page, first.pk).first.click()
    page.locator("#ann-popover").get_by_role("button", name="Add relation").click()
    page.locator("#rel-type").select_option("same-person-as")
    page.locator("#rel-pick").focus()
    page.keyboard.press("Enter")
    assert page.locator("#pick-banner").is_visible()
    for _ in range(6):
        if focused(page)["ids"] == str(made[0].pk):
            break
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    editor = page.get_by_role("dialog", name="Add a relation")
    editor.wait_for()
    assert "Zinoviev" in editor.locator("#rel-to").inner_text()
    assert focused(page)["id"] == "rel-comment"
    editor.get_by_role("button", name="Save relation").click()
    out = page.locator("#ann-popover .rel-out")
    out.wait_for()
    assert "same person as" in out.inner_text()
    relation = Annotation.objects.get(relation_source=first)
    assert relation.relation_target == made[0]
    out.get_by_role("button", name=re.compile("Delete the relation")).click()
    expect(page.locator("#ann-popover .rel-list")).to_have_text("No relations yet.")
    assert not Annotation.objects.filter(pk=relation.pk).exists()
    assert b.errors == []
