"""Curation in a real browser: a curator rejects an annotation from the review queue with a reason,
and its creator sees the reason on the annotation's card; the pages run no inline script."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from annotations.models import Annotation
from tests.factories import AnnotationFactory, DocumentFactory, UserFactory

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
