"""A curator adjudicates a disagreement in a real browser: the task's agreement table, the
document's disagreements side by side, one annotator's version accepted (it becomes the approved,
public annotation; the other is rejected with the reason), and the page then says none is open."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from annotations import assignments
from annotations.models import Annotation, EntityType
from tests.factories import AnnotationFactory, DocumentFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "Zinoviev and Kamenev met Smirnov in Moscow before the trial."


def test_curator_accepts_one_annotators_version_of_a_disagreement(open_browser, seeded_types):
    document = DocumentFactory(slug="meeting", title="The meeting", text=TEXT)
    curator = UserFactory(username="cora")
    curator.groups.add(Group.objects.get(name="curators"))
    anna, ben = UserFactory(username="anna"), UserFactory(username="ben")
    task = assignments.create_task(user=curator, title="People and places", documents=[document],
                                   entity_types=list(EntityType.objects.filter(key__in=["person", "place"])),
                                   assignees=[anna, ben])
    person, place = EntityType.objects.get(key="person"), EntityType.objects.get(key="place")
    shared = {"document": document, "task": task, "visibility": "group", "group": task.group, "status": "pending"}
    # They agree on Zinoviev; anna calls Smirnov a person, ben a place.
    for user in (anna, ben):
        AnnotationFactory(creator=user, target_start=0, target_end=8, entity_type=person, **shared)
    annas = AnnotationFactory(creator=anna, target_start=25, target_end=32, entity_type=person, **shared)
    bens = AnnotationFactory(creator=ben, target_start=25, target_end=32, entity_type=place, **shared)
    for user in (anna, ben):
        assignments.finish_task(user=user, task=task)

    cora = open_browser()
    cora.sign_in_as(curator)
    page = cora.page
    page.goto("/curate/")
    page.get_by_role("link", name="Tasks").click()
    page.get_by_role("link", name="People and places").click()
    row = page.locator('tr[data-document="meeting"]')
    assert row.locator('td[data-type="person"]').inner_text() not in ("", "1.000")
    row.get_by_role("link", name="The meeting").click()

    [disagreement] = page.locator("section.disagreement").all()
    assert "Smirnov" in disagreement.locator("mark").inner_text()
    versions = disagreement.locator(".version")
    assert versions.count() == 2
    assert "Person" in disagreement.locator('.version[data-annotator="anna"]').inner_text()
    assert "Place" in disagreement.locator('.version[data-annotator="ben"]').inner_text()
    # Side by side: the two versions sit on one row.
    boxes = [versions.nth(i).bounding_box() for i in range(2)]
    assert abs(boxes[0]["y"] - boxes[1]["y"]) < 2 and boxes[0]["x"] < boxes[1]["x"]
    assert "1 agreed passage waiting" in page.inner_text("main")

    disagreement.get_by_role("button", name="Accept ben's version").click()
    page.wait_for_selector(".messages")
    assert "ben's version accepted" in page.inner_text(".messages")
    assert page.locator("section.disagreement").count() == 0
    assert "No open disagreements." in page.inner_text("main")
    bens.refresh_from_db()
    annas.refresh_from_db()
    assert (bens.status, bens.visibility, bens.reviewed_by) == ("approved", "public", curator)
    assert (annas.status, annas.review_reason) == ("rejected", "Adjudicated: ben's version was accepted.")

    page.get_by_role("button", name="Accept the 1 agreed passage").click()
    page.wait_for_selector(".messages")
    assert sorted(Annotation.objects.filter(task=task, target_start=0).values_list("status", flat=True)) == [
        "approved", "rejected"]
    assert cora.errors == []
