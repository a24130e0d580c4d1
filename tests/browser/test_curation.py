"""Curation in a real browser: a curator rejects an annotation from the review queue with a reason,
and its creator sees the reason on the annotation's card; the queue walked row by row and all at
once (with and without JavaScript); "new record from this passage" meeting a record of that name;
the pages run no inline script."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group

from annotations.models import Annotation
from archive_site.models import Record
from tests.factories import AnnotationFactory, DocumentFactory, RecordFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_curator_rejects_from_the_queue_and_the_annotator_reads_the_reason(open_browser, seeded_types):
    document = DocumentFactory(slug="trial", title="The trial", text="Zinoviev and Kamenev stood accused.")
    annotator = UserFactory(username="anna")
    curator = UserFactory(username="cora")
    curator.groups.add(Group.objects.get(name="curators"))
    annotation = AnnotationFactory(document=document, creator=annotator, target_start=0, target_end=8, comment="A guess")

    cora = open_browser()
    cora.sign_in_as(curator)
    page = cora.page
    page.goto("/")
    page.get_by_role("link", name="Curate").click()
    page.get_by_role("link", name="Review queue").click()
    page.check(f"#pick-{annotation.pk}")
    page.fill("#review-reason", "Not <b>supported</b> by the source")
    page.get_by_role("button", name="Reject selected").click()
    page.wait_for_selector(".messages")
    assert "1 annotation marked rejected." in page.inner_text(".messages")
    assert Annotation.objects.get(pk=annotation.pk).status == "rejected"
    assert cora.errors == []

    anna = open_browser()
    anna.sign_in_as(annotator)
    anna.page.goto("/accounts/profile/")
    assert anna.page.get_by_role("link", name="Curate").count() == 0
    assert "Not <b>supported</b> by the source" in anna.page.inner_text(".rejected-list")
    anna.page.goto(document.get_absolute_url())
    item = anna.page.locator(f'.ann-item[data-ann-id="{annotation.pk}"]')
    item.locator("summary").click()
    reason = item.locator(".ann-review-reason")
    assert reason.inner_text() == "Not <b>supported</b> by the source"
    assert anna.errors == []


def _curator(username: str = "cora"):
    curator = UserFactory(username=username)
    curator.groups.add(Group.objects.get(name="curators"))
    return curator


def test_curator_walks_the_queue_rejects_one_row_with_its_own_reason_then_selects_all_and_approves(open_browser, seeded_types):
    document = DocumentFactory(slug="trial", title="The trial", text="Zinoviev and Kamenev stood accused.")
    anna = UserFactory(username="anna")
    first, second, third = (
        AnnotationFactory(document=document, creator=anna, target_start=s, target_end=e, comment=c)
        for s, e, c in ((0, 8, "A guess"), (13, 20, "Kamenev"), (21, 26, "Stood"))
    )
    reply = AnnotationFactory(
        document=document, creator=UserFactory(username="ben"), reply_to=first, target_start=None, target_end=None,
        target_quote="", target_prefix="", target_suffix="", comment="I agree", motivation="replying",
    )
    cora = open_browser()
    cora.sign_in_as(_curator())
    page = cora.page
    page.goto("/curate/review/")

    # The reply is shown with the annotation it answers.
    reply_row = page.locator(f'tr[data-annotation-id="{reply.pk}"]')
    assert "Reply to anna's annotation (pending)" in reply_row.locator(".reply-parent").inner_text()
    assert "A guess" in reply_row.inner_text()

    # One row's own Reject, with the reason typed beside it (the shared box stays empty).
    row = page.locator(f'tr[data-annotation-id="{second.pk}"]')
    row.get_by_label("Reason to reject").fill("Not the name in the source")
    row.get_by_role("button", name=f"Reject annotation {second.pk}").click()
    page.wait_for_selector(".messages")
    assert "1 annotation marked rejected." in page.inner_text(".messages")
    second.refresh_from_db()
    assert (second.status, second.review_reason) == ("rejected", "Not the name in the source")

    # Select all (the header box), then approve the rest.
    pick_all = page.get_by_label("Select every annotation on this page")
    assert pick_all.is_visible() and not page.get_by_role("link", name="Select all on this page").is_visible()
    pick_all.check()
    boxes = page.locator('input[name="ids"]')
    assert boxes.count() == 3 and all(boxes.nth(i).is_checked() for i in range(3))
    assert page.inner_text("#picked-count") == "3 of 3 on this page selected."
    boxes.first.uncheck()
    assert page.evaluate("document.getElementById('pick-all').indeterminate") is True
    boxes.first.check()
    page.get_by_role("button", name="Approve selected").click()
    page.wait_for_selector(".messages")
    assert "3 annotations marked approved." in page.inner_text(".messages")
    statuses = dict(Annotation.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "approved", second.pk: "rejected", third.pk: "approved", reply.pk: "approved"}
    assert "Nothing to review" in page.inner_text("main")
    assert cora.errors == []


def test_without_javascript_select_all_is_a_link_and_a_row_reject_keeps_what_was_typed(open_browser, seeded_types):
    document = DocumentFactory(text="Zinoviev and Kamenev stood accused.")
    first, second = AnnotationFactory(document=document), AnnotationFactory(document=document, target_start=13, target_end=20)
    b = open_browser(javascript=False)
    b.sign_in_as(_curator())
    page = b.page
    page.goto("/curate/review/")
    assert not page.locator("#pick-all").is_visible()
    page.get_by_role("link", name="Select all on this page").click()
    assert page.locator(f"#pick-{first.pk}").is_checked() and page.locator(f"#pick-{second.pk}").is_checked()

    # Reject one row with no reason: refused, and what was typed elsewhere is still there.
    page.locator(f"#reason-{second.pk}").fill("Draft for the other one")
    page.get_by_role("button", name=f"Reject annotation {first.pk}").click()
    assert "Say why the annotation is rejected" in page.inner_text(".messages")
    assert page.locator(f"#reason-{second.pk}").input_value() == "Draft for the other one"
    assert page.locator(f"#pick-{second.pk}").is_checked()
    assert page.evaluate("document.activeElement.id") == f"reason-{first.pk}"
    page.locator(f"#reason-{first.pk}").fill("Wrong passage")
    page.get_by_role("button", name=f"Reject annotation {first.pk}").click()
    assert "1 annotation marked rejected." in page.inner_text(".messages")
    assert Annotation.objects.get(pk=first.pk).review_reason == "Wrong passage"
    assert Annotation.objects.get(pk=second.pk).status == "pending"


def test_enter_in_the_tag_field_applies_the_edit_and_approves_nothing(open_browser, seeded_types):
    first, second = AnnotationFactory(), AnnotationFactory()
    b = open_browser()
    b.sign_in_as(_curator())
    page = b.page
    page.goto("/curate/review/")
    page.check(f"#pick-{second.pk}")
    page.fill("#bulk-tag", "nkvd")
    page.press("#bulk-tag", "Enter")
    page.wait_for_selector(".messages")
    assert "1 annotation edited." in page.inner_text(".messages")
    assert set(Annotation.objects.values_list("status", flat=True)) == {"pending"}
    assert [t.name for t in Annotation.objects.get(pk=second.pk).tags.all()] == ["nkvd"]
    assert not Annotation.objects.get(pk=first.pk).tags.exists()


def test_new_record_from_a_passage_warns_of_a_record_with_that_name(open_browser, seeded_types):
    from .conftest import select_text

    document = DocumentFactory(slug="radek", title="Radek", text="Then Karl Radek spoke at length.")
    existing = RecordFactory(label="Karl Radek", kind="person")
    b = open_browser()
    b.sign_in_as(_curator())
    page = b.page
    page.goto(document.get_absolute_url())

    def open_editor():
        select_text(page, "Karl Radek")
        page.get_by_role("button", name=re.compile("Annotate the selected passage")).click()
        page.locator("#ann-editor").wait_for()

    open_editor()
    page.get_by_role("button", name="New record from this passage").click()
    warning = page.locator("#ed-duplicate")
    warning.wait_for()
    assert "exists already" in warning.inner_text()
    assert warning.get_by_role("link", name=f"record {existing.pk}").get_attribute("href") == f"/records/{existing.pk}/"
    warning.get_by_role("button", name="Link Karl Radek instead").click()
    assert page.locator("#ed-records .chip a").all_inner_texts() == ["Karl Radek"]
    assert page.locator("#ed-duplicate").count() == 0 and Record.objects.count() == 1

    page.get_by_role("button", name="Cancel").click()
    # Closing the editor unwraps the passage it marked (in the dialog's close event): select after that.
    page.wait_for_function("() => !document.querySelector('#ann-editor[open]') && !document.querySelector('.pending-target')")
    open_editor()
    page.get_by_role("button", name="New record from this passage").click()
    page.get_by_role("button", name="Create a new record anyway").click()
    page.locator("#ed-records .chip").wait_for()
    created = Record.objects.exclude(pk=existing.pk).get()
    assert created.label == "Karl Radek"
    assert page.locator("#ed-records .chip a").get_attribute("href") == f"/records/{created.pk}/"
    # The browser logs each 409 answer as a failed load; those are expected, nothing else is.
    assert [e for e in b.errors if "status of 409 (Conflict)" not in e] == []
