"""Annotation tasks, agreement and adjudication: assignees annotate the same documents and do not
see each other's task annotations until they finish (the read rule, search included); agreement
is Krippendorff's alpha (nominal, on tokens) per document and entity type; disagreements are
listed side by side and a curator's accepted version becomes the approved annotation."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest
from rest_framework.test import APIClient

from annotations import assignments
from annotations.models import Annotation, EntityType
from curation import agreement
from tests.factories import DocumentFactory, RecordFactory, UserFactory

pytestmark = pytest.mark.django_db

TEXT = "Zinoviev and Kamenev met Smirnov in Moscow before the trial."
#       0        9   13     21  25     33 36     43


def client(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


@pytest.fixture
def task(curator):
    document = DocumentFactory(slug="meeting", title="The meeting", text=TEXT)
    annotators = [UserFactory(username=n) for n in ("anna", "ben", "cleo")]
    made = assignments.create_task(
        user=curator, title="People and places", documents=[document],
        entity_types=list(EntityType.objects.filter(key__in=["person", "place"])), assignees=annotators,
    )
    return made, document, annotators


def annotate(user, document, task, start, end, entity_type="person", records=(), visibility="public"):
    body = [{"type": "TextualBody", "purpose": "classifying", "value": entity_type}]
    body += [{"type": "SpecificResource", "purpose": "identifying", "source": f"http://testserver/records/{r.pk}/"}
             for r in records]
    return client(user).post("/api/annotations/", {
        "type": "Annotation", "task": task.pk, "visibility": visibility, "body": body,
        "target": {"source": f"http://testserver/documents/{document.slug}/",
                   "selector": [{"type": "TextPositionSelector", "start": start, "end": end}]},
    }, format="json")


def test_a_task_annotation_is_shared_with_the_task_group_only_and_waits_for_adjudication(task, curator):
    made, document, (anna, ben, _) = task
    response = annotate(anna, document, made, 0, 8, visibility="public")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["visibility"] == f"group:{made.group.name}" and body["status"] == "pending"
    assert body["task"] == f"http://testserver/api/tasks/{made.pk}/"
    pk = int(body["id"].rstrip("/").rsplit("/", 1)[-1])
    # Ben (still working) cannot see it; nor can a visitor; the curator can, but not in the review queue.
    assert client(ben).get(f"/api/annotations/{pk}/").status_code == 404
    assert APIClient().get(f"/api/annotations/{pk}/").status_code == 404
    assert client(curator).get(f"/api/annotations/{pk}/").status_code == 200
    assert client(curator).get("/api/annotations/review/").json()["total"] == 0


def test_assignees_see_each_others_work_only_once_they_have_finished(task):
    made, document, (anna, ben, cleo) = task
    annotate(anna, document, made, 0, 8)
    annotate(ben, document, made, 13, 20)
    assert client(ben).get("/api/annotations/?document=meeting").json()["total"] == 1  # his own
    assert client(ben).post(f"/api/tasks/{made.pk}/finish/").status_code == 200
    assert client(ben).get("/api/annotations/?document=meeting").json()["total"] == 2
    assert client(cleo).get("/api/annotations/?document=meeting").json()["total"] == 0
    # Finishing is final, and an outsider cannot add a member to the task's group.
    late = annotate(ben, document, made, 25, 32)
    assert late.status_code == 403 and "finished" in late.json()["detail"]
    his = Annotation.objects.get(task=made, creator=ben)
    assert client(ben).delete(f"/api/annotations/{his.pk}/").status_code == 403
    assert Annotation.objects.filter(pk=his.pk).exists()
    from annotations.accounts import can_manage_group

    assert can_manage_group(ben, made.group) is False


def test_search_does_not_show_an_unfinished_assignee_the_others_work(task, settings):
    made, document, (anna, ben, _) = task
    annotate(anna, document, made, 0, 8)
    Annotation.objects.filter(task=made).update(comment="zinovievite")
    for a in Annotation.objects.filter(task=made):
        from annotations import services

        services.record_change(a, user=anna)
    found = client(ben).get("/api/search/?q=zinovievite&type=annotation").json()
    assert found["count"] == 0
    assert client(anna).get("/api/search/?q=zinovievite&type=annotation").json()["count"] == 1


def test_bad_task_annotations_are_refused_and_nothing_stored(task, other_user):
    made, document, (anna, *_) = task
    other = DocumentFactory(slug="other", text=TEXT)
    before = Annotation.objects.count()
    assert annotate(other_user, document, made, 0, 8).status_code == 403
    wrong_doc = annotate(anna, other, made, 0, 8)
    assert wrong_doc.status_code == 400 and "not one of the task's" in wrong_doc.json()["detail"]
    wrong_type = annotate(anna, document, made, 0, 8, entity_type="event")
    assert wrong_type.status_code == 400 and "person, place" in wrong_type.json()["detail"]
    unknown = client(anna).post("/api/annotations/", {"type": "Annotation", "task": 99999, "target": {
        "source": "http://testserver/documents/meeting/", "selector": [{"type": "TextPositionSelector", "start": 0, "end": 8}]}},
        format="json")
    assert unknown.status_code == 400 and "Unknown task" in unknown.json()["detail"]
    assert Annotation.objects.count() == before


def test_agreement_is_krippendorffs_alpha_on_tokens_per_entity_type(task):
    made, document, (anna, ben, cleo) = task
    # Persons: all three mark Zinoviev; anna and ben mark Kamenev; cleo marks Smirnov.
    # Places: anna and cleo mark Moscow.
    for user, spans in ((anna, [(0, 8, "person"), (13, 20, "person"), (36, 42, "place")]),
                        (ben, [(0, 8, "person"), (13, 20, "person")]),
                        (cleo, [(0, 8, "person"), (25, 32, "person"), (36, 42, "place")])):
        for start, end, kind in spans:
            assert annotate(user, document, made, start, end, kind).status_code == 201
    for user in (anna, ben, cleo):
        assignments.finish_task(user=user, task=made)
    result = agreement.document_agreement(made, document)
    words = ["Zinoviev", "and", "Kamenev", "met", "Smirnov", "in", "Moscow", "before", "the", "trial"]
    assert result.units == len(words)
    persons = np.array([[1, 0, 1, 0, 0, 0, 0, 0, 0, 0], [1, 0, 1, 0, 0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 1, 0, 0, 0, 0, 0]])
    places = np.array([[0, 0, 0, 0, 0, 0, 1, 0, 0, 0], [0] * 10, [0, 0, 0, 0, 0, 0, 1, 0, 0, 0]])
    expected = krippendorff.alpha(reliability_data=persons, level_of_measurement="nominal")
    assert result.by_type["person"].value == pytest.approx(expected, abs=1e-4)
    assert result.by_type["place"].value == pytest.approx(
        krippendorff.alpha(reliability_data=places, level_of_measurement="nominal"), abs=1e-4)
    overall = persons * 1 + places * 2
    assert result.overall.value == pytest.approx(
        krippendorff.alpha(reliability_data=overall, level_of_measurement="nominal"), abs=1e-4)
    assert 0 < result.by_type["person"].value < 1


def test_agreement_needs_two_finished_annotators_and_some_variation(task):
    made, document, (anna, ben, _) = task
    annotate(anna, document, made, 0, 8)
    assignments.finish_task(user=anna, task=made)
    result = agreement.document_agreement(made, document)
    assert result.overall.value is None and "two finished annotators" in result.overall.note
    assignments.finish_task(user=ben, task=made)
    result = agreement.document_agreement(made, document)
    assert result.by_type["place"].value is None and result.by_type["place"].note == "nobody marked anything"


def test_a_curator_adjudicates_a_disagreement_through_the_api(task, curator_api, curator):
    made, document, (anna, ben, cleo) = task
    smirnov = RecordFactory(label="Ivan Smirnov")
    annotate(anna, document, made, 25, 32, "person", records=[smirnov])
    annotate(ben, document, made, 25, 32, "place")
    for user in (anna, ben, cleo):
        assignments.finish_task(user=user, task=made)
    listed = curator_api.get(f"/api/tasks/{made.pk}/agreement/").json()
    [disagreement] = listed["documents"][0]["disagreements"]
    assert [v["annotator"] for v in disagreement["versions"]] == ["anna", "ben", "cleo"]
    assert disagreement["versions"][2]["annotations"] == []
    assert disagreement["versions"][1]["annotations"][0]["entity_type"] == "place"
    denied = client(anna).post(f"/api/tasks/{made.pk}/adjudicate/", {
        "document": "meeting", "ids": disagreement["ids"], "accept": "anna"}, format="json")
    assert denied.status_code == 403
    stale = curator_api.post(f"/api/tasks/{made.pk}/adjudicate/", {
        "document": "meeting", "ids": disagreement["ids"][:1], "accept": "anna"}, format="json")
    assert stale.status_code == 400 and "out of date" in stale.json()["detail"]
    done = curator_api.post(f"/api/tasks/{made.pk}/adjudicate/", {
        "document": "meeting", "ids": disagreement["ids"], "accept": "anna"}, format="json")
    assert done.status_code == 200
    accepted = Annotation.objects.get(task=made, creator=anna)
    assert (accepted.status, accepted.visibility, accepted.group_id, accepted.reviewed_by) == ("approved", "public", None, curator)
    assert [r.pk for r in accepted.records.all()] == [smirnov.pk]
    assert accepted.history.first().history_change_reason == f"adjudicated in task {made.pk}: accepted"
    rejected = Annotation.objects.get(task=made, creator=ben)
    assert (rejected.status, rejected.review_reason) == ("rejected", "Adjudicated: anna's version was accepted.")
    # The accepted version is the archive's now: a visitor sees it.
    assert APIClient().get(f"/api/annotations/{accepted.pk}/").status_code == 200
    again = curator_api.post(f"/api/tasks/{made.pk}/adjudicate/", {
        "document": "meeting", "ids": disagreement["ids"], "accept": "ben"}, format="json")
    assert again.status_code == 400 and "adjudicated already" in again.json()["detail"]
    assert curator_api.get(f"/api/tasks/{made.pk}/agreement/").json()["documents"][0]["disagreements"] == []


def test_agreed_passages_are_accepted_at_once_with_one_approved_annotation(task, client_as_curator):
    made, document, (anna, ben, cleo) = task
    for user in (anna, ben, cleo):
        annotate(user, document, made, 0, 8)
        assignments.finish_task(user=user, task=made)
    page = client_as_curator.get(f"/curate/tasks/{made.pk}/documents/meeting/")
    assert page.status_code == 200 and "Accept the 1 agreed passage" in page.content.decode()
    response = client_as_curator.post(f"/curate/tasks/{made.pk}/documents/meeting/", {"action": "agreed"})
    assert response.status_code == 302
    statuses = sorted(Annotation.objects.filter(task=made).values_list("creator__username", "status"))
    assert statuses == [("anna", "approved"), ("ben", "rejected"), ("cleo", "rejected")]


@pytest.fixture
def client_as_curator(curator):
    from django.test import Client

    c = Client()
    c.force_login(curator)
    return c


def test_curators_set_a_task_from_the_page_and_see_its_agreement(client_as_curator, curator):
    DocumentFactory(slug="meeting", title="The meeting", text=TEXT)
    for name in ("anna", "ben"):
        UserFactory(username=name)
    bad = client_as_curator.post("/curate/tasks/", {"title": "People", "documents": ["meeting"],
                                                    "entity_types": ["person"], "assignees": "anna, nobody"})
    assert bad.status_code == 400 and "No user called &#x27;nobody&#x27;" in bad.content.decode()
    made = client_as_curator.post("/curate/tasks/", {"title": "People", "documents": ["meeting"],
                                                     "entity_types": ["person"], "assignees": "anna, ben"})
    assert made.status_code == 302
    page = client_as_curator.get(made["Location"])
    assert page.status_code == 200
    assert "needs two finished annotators (0 so far)" in page.content.decode()
    assert client(UserFactory(username="eve")).get("/api/tasks/").json()["tasks"] == []
    anna_tasks = client(UserFactory(username="anna")).get("/api/tasks/").json()["tasks"]
    assert [t["title"] for t in anna_tasks] == ["People"] and anna_tasks[0]["mine"] == {"finished": None}
