"""The first hour in the browser (issue 16): what a new user tripped over, each checked in Chromium.
The side panel's entries and filters on a desktop and on a phone (390x844, as a sheet), toasts and
Undo, Enter in the tags field, the group-name pattern, the token, groups, the colour cues, the
record page's one-click "annotate", and no console error or failed request on any page."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token

from annotations.models import Annotation, AnnotationGroup, EntityType, Tag
from tests.factories import AnnotationFactory, DocumentFactory, RecordFactory, UserFactory

from .conftest import select_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
TEXT = (
    "## The first trial\n\n"
    "On August 19, 1936 the first Moscow Show Trial opened in the October Hall.\n"
    "Grigory Zinoviev and Lev Kamenev stood accused.\n\n"
    + "The prosecutor Vyshinsky demanded that the mad dogs be shot. " * 40
    + "\n\nBoth were shot on August 25, 1936, hours after the verdict. Zinoviev had led the Comintern."
)


def span(needle: str) -> tuple[int, int]:
    start = TEXT.index(needle)
    return start, start + len(needle)


@pytest.fixture
def document(seeded_types):
    return DocumentFactory(slug="first-trial", title="The first trial", text=TEXT)


@pytest.fixture
def alice(transactional_db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(transactional_db):
    return UserFactory(username="bob")


def annotate(document, user, needle: str, *, tags=(), records=(), entity_type=None, **fields) -> Annotation:
    start, end = span(needle)
    annotation = AnnotationFactory(
        document=document, creator=user, target_start=start, target_end=end,
        entity_type=EntityType.objects.get(key=entity_type) if entity_type else None, **fields,
    )
    annotation.tags.set([Tag.objects.get_or_create(name=t)[0] for t in tags])
    annotation.records.set(records)
    return annotation


def reply(parent, user, comment: str) -> Annotation:
    return AnnotationFactory(document=parent.document, creator=user, reply_to=parent, comment=comment,
                             visibility=parent.visibility, status="approved", target_start=None, target_end=None,
                             target_quote="", target_prefix="", target_suffix="")


def visible_items(page) -> list[int]:
    return [int(x) for x in page.eval_on_selector_all(
        "#ann-list .ann-item", "items => items.filter(li => !li.hidden).map(li => li.dataset.annId)")]


def shows(page, ids: list[int], timeout: float = 5) -> list[int]:
    """The side list's visible entries, once they are ``ids`` (the search box filters as one types)."""
    deadline = time.monotonic() + timeout
    while sorted(visible_items(page)) != sorted(ids) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    return sorted(visible_items(page))


@pytest.fixture
def three_notes(document, alice, bob):
    zinoviev = RecordFactory(label="Grigory Zinoviev", kind="person", aliases=["Zinoviev"])
    trial = RecordFactory(label="Trial of the Sixteen", kind="event")
    a = annotate(document, alice, "Grigory Zinoviev", comment="Chief defendant.\nShot 25 August 1936.",
                 tags=["defendant"], records=[zinoviev], entity_type="person", visibility="public")
    b = annotate(document, bob, "Moscow Show Trial", comment="The Trial of the Sixteen.", tags=["trial"],
                 records=[trial], entity_type="event", visibility="public", status="approved")
    c = annotate(document, alice, "Lev Kamenev", comment="Kamenev's wife was arrested too.", entity_type="person",
                 visibility="private")
    reply(b, alice, "And the October Hall was once the Nobles' ballroom.")
    return {"a": a, "b": b, "c": c, "zinoviev": zinoviev, "trial": trial}


# ---- the side panel on a desktop --------------------------------------------------------------------------


def test_side_list_entries_show_comment_tags_creator_and_replies_and_filter_as_you_type(
        open_browser, document, alice, three_notes):
    a, b, c = three_notes["a"], three_notes["b"], three_notes["c"]
    browser = open_browser()
    browser.sign_in_as(alice)
    page = browser.page
    page.goto(document.get_absolute_url())
    assert sorted(visible_items(page)) == sorted([a.pk, b.pk, c.pk])

    entry = page.locator(f'#ann-list .ann-item[data-ann-id="{b.pk}"] summary')
    assert entry.locator(".ann-excerpt").inner_text() == "The Trial of the Sixteen."
    assert entry.locator(".tag").all_inner_texts() == ["trial"]
    assert entry.locator(".by").inner_text() == "bob" and entry.locator(".replies").inner_text() == "1 reply"
    first_line = page.locator(f'#ann-list .ann-item[data-ann-id="{a.pk}"] .ann-excerpt').inner_text()
    assert first_line == "Chief defendant."

    page.fill("#f-q", "defendant")
    assert shows(page, [a.pk]) == [a.pk]
    assert page.locator("#ann-shown").inner_text() == "Showing 1 of 3."
    assert "q=defendant" in page.url
    page.fill("#f-q", "ballroom")  # a reply's words find its annotation
    assert shows(page, [b.pk]) == [b.pk]
    page.get_by_role("link", name="Clear filters").click()
    assert sorted(visible_items(page)) == sorted([a.pk, b.pk, c.pk]) and page.input_value("#f-q") == ""

    page.locator("#ann-panel .more-filters summary").click()
    page.select_option("#f-tag", "trial")
    assert visible_items(page) == [b.pk]
    page.select_option("#f-creator", "alice")
    assert visible_items(page) == [] and page.locator("#ann-empty").is_visible()
    page.select_option("#f-tag", "")
    assert sorted(visible_items(page)) == sorted([a.pk, c.pk])
    page.select_option("#f-creator", "")
    page.select_option("#f-record", str(three_notes["zinoviev"].pk))
    assert visible_items(page) == [a.pk]
    page.select_option("#f-type", "event")
    assert visible_items(page) == []

    # The filters are in the address: a reload (or the link, sent to someone) shows the same list.
    page.select_option("#f-type", "")
    page.reload()
    assert visible_items(page) == [a.pk]
    assert page.locator("#f-record").input_value() == str(three_notes["zinoviev"].pk)
    assert browser.errors == []


# ---- the side panel on a phone: a sheet, and back to the passage ------------------------------------------


def test_on_a_phone_the_annotations_open_as_a_sheet_and_lead_back_to_the_passage(
        open_browser, document, alice, three_notes):
    browser = open_browser(**PHONE)
    browser.sign_in_as(alice)
    page = browser.page
    page.goto(document.get_absolute_url())
    panel = page.locator("#ann-panel")
    assert page.get_by_role("button", name="Annotations (3)").is_visible()
    toggle = page.locator("#panel-toggle")
    assert not panel.is_visible()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    box = toggle.bounding_box()
    assert toggle.is_visible() and 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"]
    reading_at = page.evaluate("window.scrollY")

    toggle.click()
    assert panel.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    sheet = panel.bounding_box()
    assert sheet["x"] == 0 and sheet["y"] > 0 and sheet["y"] + sheet["height"] <= PHONE["height"] + 1
    # Back to the text: where the reader was, the button focused again.
    page.get_by_role("button", name="Back to the text").click()
    assert not panel.is_visible() and page.evaluate("window.scrollY") == reading_at
    assert page.evaluate("document.activeElement.id") == "panel-toggle"

    # Filter in the sheet, then go to a note's passage: the sheet gives way to the text and the card.
    toggle.click()
    page.fill("#f-q", "kamenev")
    assert shows(page, [three_notes["c"].pk]) == [three_notes["c"].pk]
    item = page.locator(f'#ann-list .ann-item[data-ann-id="{three_notes["c"].pk}"]')
    item.locator("summary").click()
    item.get_by_role("link", name="Show passage").click()
    assert not panel.is_visible()
    mark = page.locator(f'#doc-text mark.hl[data-ann-ids~="{three_notes["c"].pk}"]')
    mark_box = mark.bounding_box()
    assert 0 <= mark_box["y"] <= PHONE["height"]
    card = page.locator("#ann-popover .ann-card")
    assert card.is_visible() and "Kamenev's wife was arrested too." in card.inner_text()
    page.keyboard.press("Escape")
    assert not card.is_visible()

    # The sheet comes back as it was left (the filter still on); Escape closes it too.
    toggle.click()
    assert page.input_value("#f-q") == "kamenev" and visible_items(page) == [three_notes["c"].pk]
    page.keyboard.press("Escape")
    assert not panel.is_visible()
    assert browser.errors == []


def test_without_javascript_a_phone_reader_jumps_to_the_list(open_browser, document, three_notes):
    browser = open_browser(javascript=False, **PHONE)
    page = browser.page
    page.goto(document.get_absolute_url())
    page.get_by_role("link", name=re.compile(r"Annotations \(1\)")).click()  # a visitor sees the published one
    assert page.locator("#ann-panel").is_visible()
    assert page.locator("#ann-panel h2").bounding_box()["y"] < PHONE["height"]


# ---- feedback: toasts, and Undo for delete -----------------------------------------------------------------


def test_saving_shows_a_toast_and_a_deletion_is_sent_when_the_page_goes_away(open_browser, document, alice):
    browser = open_browser()
    browser.sign_in_as(alice)
    page = browser.page
    page.goto(document.get_absolute_url())
    select_text(page, "October Hall")
    page.keyboard.press("a")
    page.locator("#ann-editor").wait_for()
    page.fill("#ed-comment", "Once the Nobles' ballroom.")
    page.get_by_role("button", name="Save").click()
    toast = page.locator("#rr-toast")
    toast.get_by_text("Annotation saved.").wait_for()
    assert toast.is_visible()
    annotation = Annotation.objects.get()

    page.locator("#doc-text mark.hl").click()
    page.locator("#ann-popover").get_by_role("button", name="Delete").click()
    toast.get_by_role("button", name="Undo").wait_for()
    assert Annotation.objects.filter(pk=annotation.pk).exists()  # held back while Undo is offered
    page.goto("/")  # the reader leaves at once: the deletion still reaches the server
    deadline = time.monotonic() + 10
    while Annotation.objects.filter(pk=annotation.pk).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Annotation.objects.filter(pk=annotation.pk).exists()
    assert browser.errors == []


# ---- the editor: Enter in the tags field ----------------------------------------------------------------


def test_enter_in_the_tags_field_takes_the_suggested_tag_and_never_saves(open_browser, document, alice, bob):
    annotate(document, bob, "Lev Kamenev", tags=["defendant"], visibility="public", status="approved")
    browser = open_browser()
    browser.sign_in_as(alice)
    page = browser.page
    page.goto(document.get_absolute_url())
    select_text(page, "October Hall")
    page.keyboard.press("a")
    editor = page.locator("#ann-editor")
    editor.wait_for()
    tags = page.locator("#ed-tags")
    tags.click()
    tags.press_sequentially("DEF")
    option = page.locator("#ed-tag-options").get_by_role("option", name="defendant")
    option.wait_for()
    tags.press("ArrowDown")
    assert tags.get_attribute("aria-activedescendant") == option.get_attribute("id")
    tags.press("Enter")
    assert tags.input_value() == "defendant, "
    tags.press_sequentially("venue")
    tags.press("Enter")  # no suggestion chosen: Enter ends the tag being typed
    assert tags.input_value() == "defendant, venue, "
    tags.press("Enter")
    page.wait_for_timeout(300)
    assert editor.is_visible() and Annotation.objects.count() == 1  # nothing saved by any of those

    page.get_by_role("button", name="Save").click()
    editor.wait_for(state="hidden")
    saved = Annotation.objects.exclude(creator=bob).get()
    assert sorted(t.name for t in saved.tags.all()) == ["defendant", "venue"]
    assert browser.errors == []


# ---- colours: a second cue ---------------------------------------------------------------------------------


def test_a_highlight_names_its_type_on_hover_and_types_differ_by_underline(open_browser, document, bob):
    for needle, key in (("Grigory Zinoviev", "person"), ("October Hall", "place"), ("Moscow Show Trial", "event"),
                        ("August 25, 1936", "date"), ("Lev Kamenev", None)):
        annotate(document, bob, needle, entity_type=key, visibility="public", status="approved")
    browser = open_browser()
    page = browser.page
    page.goto(document.get_absolute_url())
    person = page.locator("#doc-text mark.hl.et-person")
    label = "el => getComputedStyle(el, '::after').content"
    assert page.evaluate(label, person.element_handle()) in ("none", "normal")
    person.hover()
    assert page.evaluate(label, person.element_handle()) == '"Person"'
    styles = {key: page.evaluate("el => getComputedStyle(el).textDecorationStyle + ' ' + getComputedStyle(el).textDecorationLine",
                                 page.locator(f"#doc-text mark.hl.et-{key}").element_handle())
              for key in ("person", "place", "event", "date")}
    assert len(set(styles.values())) == 4 and all("underline" in s for s in styles.values()), styles
    plain = page.locator("#doc-text mark.hl.et-none")
    plain.hover()
    assert page.evaluate(label, plain.element_handle()) == '"Note"'


def test_visitors_see_no_suggestion_key_and_signed_in_readers_do(open_browser, document, alice):
    visitor = open_browser()
    visitor.page.goto(document.get_absolute_url())
    assert visitor.page.get_by_text("Suggested entity").count() == 0
    reader = open_browser()
    reader.sign_in_as(alice)
    reader.page.goto(document.get_absolute_url())
    assert reader.page.get_by_text("Suggested entity (not yet annotated)").is_visible()


# ---- the profile ------------------------------------------------------------------------------------------


def test_the_group_name_field_is_validated_by_the_browser(open_browser, alice):
    browser = open_browser()
    browser.sign_in_as(alice)
    page = browser.page
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    page.goto("/accounts/profile/")
    field = page.locator("#group-name")
    field.fill("no spaces allowed")
    assert page.evaluate("document.getElementById('group-name').validity.patternMismatch") is True
    page.get_by_role("button", name="Create group").click()
    assert not AnnotationGroup.objects.exists()  # the browser stopped it
    field.fill("Trial-readers_1")
    assert page.evaluate("document.getElementById('group-name').validity.valid") is True
    page.get_by_role("button", name="Create group").click()
    page.wait_for_selector(".messages")
    assert AnnotationGroup.objects.get().name == "trial-readers_1"
    assert not [m for m in messages if "pattern" in m or "Invalid" in m], messages


def test_the_token_is_made_with_the_right_words_and_copied_in_one_click(open_browser, alice):
    browser = open_browser(permissions=["clipboard-read", "clipboard-write"])
    browser.sign_in_as(alice)
    page = browser.page
    page.goto("/accounts/profile/")
    page.get_by_role("button", name="Create a token").click()
    assert page.locator(".messages").inner_text() == "Your API token was made."
    page.get_by_role("button", name="Copy").click()
    page.get_by_text("Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == Token.objects.get(user=alice).key
    page.get_by_role("button", name="Make a new token").click()
    assert "the earlier one no longer works" in page.locator(".messages").inner_text()


def test_my_annotations_remove_a_member_and_leave_a_group_on_the_profile(open_browser, document, alice, bob):
    curator = UserFactory(username="cora")
    curator.groups.add(Group.objects.get(name="curators"))
    rejected = annotate(document, alice, "October Hall", comment="A guess", visibility="public", status="rejected",
                        review_reason="Not in the source", reviewed_by=curator)
    annotate(document, alice, "Lev Kamenev", comment="Pending", visibility="public")
    mine = AnnotationGroup.objects.create(name="seminar", created_by=alice)
    mine.members.add(alice, bob)
    theirs = AnnotationGroup.objects.create(name="bobs-readers", created_by=bob)
    theirs.members.add(alice, bob)
    browser = open_browser()
    browser.sign_in_as(alice)
    page = browser.page
    page.goto("/accounts/profile/")
    assert page.locator(".my-note").count() == 2
    page.get_by_role("link", name="Rejected (1)").click()
    note = page.locator(f'.my-note[data-annotation-id="{rejected.pk}"]')
    assert page.locator(".my-note").count() == 1 and "Not in the source" in note.inner_text()
    assert note.locator(".status-badge").inner_text() == "Rejected"

    # Remove from a group I made; no "Remove" in bob's group, only "Leave group".
    page.get_by_role("button", name="Remove bob from seminar").click()
    assert "bob is no longer a member of seminar." in page.locator(".messages").inner_text()
    assert list(mine.members.all()) == [alice]
    other = page.locator('.group[data-group="bobs-readers"]')
    assert other.get_by_role("button", name=re.compile("^Remove")).count() == 0
    other.get_by_role("button", name="Leave group").click()
    assert "You left bobs-readers" in page.locator(".messages").inner_text()
    assert list(theirs.members.all()) == [bob]
    assert browser.errors == []


# ---- the record page: one click from an unannotated passage to the editor ----------------------------------


def test_annotate_on_a_record_page_opens_the_editor_on_that_passage_with_the_record(open_browser, document, alice):
    zinoviev = RecordFactory(label="Grigory Zinoviev", kind="person", aliases=["Zinoviev"])
    browser = open_browser()
    browser.sign_in_as(alice)
    page = browser.page
    page.goto(zinoviev.get_absolute_url())
    assert page.locator("#passages-title .count").inner_text() == "(2)"
    passage = page.locator(".passage").nth(1)
    assert passage.locator("mark").inner_text() == "Zinoviev"
    passage.get_by_role("link", name=re.compile("^Annotate")).click()
    page.locator("#ann-editor").wait_for()
    start = TEXT.rindex("Zinoviev")
    assert page.locator("#ed-quote").inner_text() == "Zinoviev"
    assert page.locator("#ed-records .chip a").inner_text() == "Grigory Zinoviev"
    assert page.input_value("#ed-entity") == "person"
    assert "annotate" not in page.url  # a reload does not open the editor again
    page.get_by_role("button", name="Save").click()
    page.locator("#doc-text mark.hl.et-person").wait_for()
    saved = Annotation.objects.get()
    assert (saved.target_start, saved.target_end) == (start, start + len("Zinoviev"))
    assert list(saved.records.all()) == [zinoviev]

    page.goto(zinoviev.get_absolute_url())
    assert page.locator("#mentions-title .count").inner_text() == "(1)"
    assert page.locator("#passages-title .count").inner_text() == "(1)"
    assert browser.errors == []


# ---- no console error and no failed request, on every page -----------------------------------------------


def watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    return problems


def test_no_page_logs_a_console_error_or_fails_a_request(open_browser, document, alice, bob, three_notes):
    curator = UserFactory(username="cora")
    curator.groups.add(Group.objects.get(name="curators"))
    record = three_notes["zinoviev"]
    a = three_notes["a"]
    common = ["/", document.get_absolute_url(), "/records/", record.get_absolute_url(), "/search/?q=Zinoviev",
              "/search/?q=Zinoviev&type=annotation", f"/annotations/{three_notes['b'].pk}/history/"]
    pages = {
        None: [*common, "/accounts/login/", "/accounts/signup/"],
        alice: [*common, "/accounts/profile/", f"/annotations/{a.pk}/history/", f"{document.get_absolute_url()}?q=x"],
        curator: [*common, "/accounts/profile/", "/curate/", "/curate/review/", "/curate/records/",
                  f"/curate/records/{record.pk}/", "/curate/documents/",
                  "/curate/documents/new/", f"/curate/documents/{document.slug}/", "/curate/orphans/",
                  "/curate/exchange/", "/curate/deleted/", f"/curate/history/record/{record.pk}/",
                  f"/curate/history/annotation/{a.pk}/", "/curate/tasks/"],
    }
    phone = {"/", document.get_absolute_url(), record.get_absolute_url(), "/accounts/profile/", "/curate/review/",
             "/accounts/login/"}
    for who, urls in pages.items():
        for width, height in ((1280, 900), (PHONE["width"], PHONE["height"])):
            if width == PHONE["width"]:
                urls = [url for url in urls if url in phone]
            browser = open_browser(width=width, height=height)
            if who is not None:
                browser.sign_in_as(who)
            page = browser.page
            problems = watch(page)
            for url in urls:
                response = page.goto(url)
                assert response.status == 200, (who, url, response.status)
                page.wait_for_load_state("networkidle")
                assert problems == [], (str(who), width, url, problems)
            if who is not None:  # and signing out says so
                page.goto("/")
                page.get_by_role("button", name="Sign out").click()
                page.wait_for_load_state("networkidle")
                assert page.get_by_role("link", name="Sign in").is_visible()
                assert problems == [], (str(who), "sign out", problems)
            browser.close()
