"""Link all occurrences: every passage naming a record (its label, aliases, the spellings search
folds together) found in a document or across the archive; the chosen ones annotated as one
batch (entity type, record, tags, visibility), passages already annotated not duplicated; the
batch undone as a whole, keeping what someone else changed and saying so; reviewed as one item."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from annotations.models import Annotation, AnnotationBatch
from tests.factories import AnnotationFactory, DocumentFactory, RecordFactory, UserFactory

pytestmark = pytest.mark.django_db

FIRST = ("Genrikh Yagoda ran the NKVD. Jagoda's deputy was Yezhov.\n\n"
         "In 1938 Iagoda stood trial; the Yagodas of this world.")
SECOND = "Yezhov replaced YAGODA in 1936."


@pytest.fixture
def archive():
    record = RecordFactory(label="Genrikh Yagoda", aliases=["Jagoda", "Iagoda"])
    first = DocumentFactory(slug="first", title="A first", text=FIRST)
    second = DocumentFactory(slug="second", title="B second", text=SECOND)
    return record, first, second


def spans(body) -> list[tuple[str, int, int, str]]:
    return [(o["document"]["slug"], o["start"], o["end"], o["quote"]) for o in body["occurrences"]]


def test_occurrences_are_found_by_label_aliases_and_folded_spellings_across_the_archive(api_client, archive):
    record, first, second = archive
    body = api_client.get(f"/api/records/{record.pk}/occurrences/").json()
    assert spans(body) == [
        ("first", 0, 14, "Genrikh Yagoda"), ("first", 29, 35, "Jagoda"), ("first", 66, 72, "Iagoda"),
        ("second", 16, 22, "YAGODA"),
    ]  # "Yagodas" is another word: no stemming
    assert body["occurrences"][1]["prefix"].endswith("ran the NKVD. ")
    assert body["occurrences"][0]["link"] == "http://testserver/documents/first/#pos=0-14"
    one = api_client.get(f"/api/records/{record.pk}/occurrences/?document=second").json()
    assert spans(one) == [("second", 16, 22, "YAGODA")]
    bad = api_client.get(f"/api/records/{record.pk}/occurrences/?document=nope")
    assert bad.status_code == 400 and "Unknown document" in bad.json()["detail"]


def test_linking_all_occurrences_makes_one_batch_with_type_record_tags_and_visibility(user_api, user, archive):
    record, first, second = archive
    response = user_api.post(f"/api/records/{record.pk}/occurrences/", {
        "all": True, "entity_type": "person", "tags": ["NKVD chiefs"], "visibility": "public",
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] == 4 and body["skipped"] == []
    batch = AnnotationBatch.objects.get(pk=body["batch"]["id"])
    made = list(Annotation.objects.filter(batch=batch).order_by("document__slug", "target_start"))
    assert [(a.document.slug, a.target_quote) for a in made] == [
        ("first", "Genrikh Yagoda"), ("first", "Jagoda"), ("first", "Iagoda"), ("second", "YAGODA")]
    for a in made:
        assert (a.entity_type.key, a.visibility, a.status, a.creator, a.motivation) == (
            "person", "public", "pending", user, "identifying")
        assert [r.pk for r in a.records.all()] == [record.pk]
        assert [t.name for t in a.tags.all()] == ["NKVD chiefs"]
        history = a.history.get()
        assert history.history_type == "+" and history.history_user == user
        assert [r.record_id for r in history.records.all()] == [record.pk]
        assert [t.tag.name for t in history.tags.all()] == ["NKVD chiefs"]
    # The JSON-LD names the batch.
    assert user_api.get(f"/api/annotations/{made[0].pk}/").json()["batch"] == body["batch"]["url"]


def test_passages_already_annotated_with_the_record_are_not_duplicated(user_api, user, archive):
    record, first, second = archive
    existing = AnnotationFactory(document=second, creator=user, target_start=16, target_end=22)
    existing.records.add(record)
    listed = user_api.get(f"/api/records/{record.pk}/occurrences/").json()
    assert [o["annotated"] for o in listed["occurrences"]][-1] == f"http://testserver/api/annotations/{existing.pk}/"
    assert listed["not_annotated"] == 3
    chosen = [{"document": o["document"]["slug"], "start": o["start"], "end": o["end"]} for o in listed["occurrences"]]
    body = user_api.post(f"/api/records/{record.pk}/occurrences/", {"passages": chosen}, format="json").json()
    assert body["created"] == 3
    assert body["skipped"] == [{"document": "second", "start": 16, "end": 22, "annotation": existing.pk,
                                "reason": f"already annotated with this record (annotation {existing.pk})"}]
    again = user_api.post(f"/api/records/{record.pk}/occurrences/", {"all": True}, format="json")
    assert again.status_code == 400 and "all annotated" in again.json()["detail"]


def test_someone_elses_private_annotation_does_not_count_as_annotated(user_api, other_user, archive):
    record, first, second = archive
    private = AnnotationFactory(document=second, creator=other_user, target_start=16, target_end=22, visibility="private")
    private.records.add(record)
    listed = user_api.get(f"/api/records/{record.pk}/occurrences/").json()
    assert all(o["annotated"] is None for o in listed["occurrences"])


def test_unticked_passages_are_left_and_a_passage_that_is_no_occurrence_is_refused(user_api, archive):
    record, first, second = archive
    ok = user_api.post(f"/api/records/{record.pk}/occurrences/", {
        "document": "first", "passages": [{"document": "first", "start": 29, "end": 35}]}, format="json")
    assert ok.status_code == 201 and ok.json()["created"] == 1
    before = Annotation.objects.count()
    wrong = user_api.post(f"/api/records/{record.pk}/occurrences/", {
        "passages": [{"document": "first", "start": 66, "end": 72}, {"document": "first", "start": 15, "end": 18}]},
        format="json")
    assert wrong.status_code == 400
    assert "1 chosen passage is not an occurrence of 'Genrikh Yagoda': first [15, 18)" in wrong.json()["detail"]
    for bad, field in (({"passages": "all"}, "passages"), ({"all": True, "entity_type": "nope"}, "entity_type"),
                       ({"all": True, "visibility": "everyone"}, "visibility"), ({}, "passages"),
                       ({"all": True, "tags": [""]}, "tags")):
        response = user_api.post(f"/api/records/{record.pk}/occurrences/", bad, format="json")
        assert response.status_code == 400 and field in response.json()["errors"], (bad, response.content)
    assert Annotation.objects.count() == before == 1
    assert api_anonymous_post(record).status_code in (401, 403)


def api_anonymous_post(record):
    return APIClient().post(f"/api/records/{record.pk}/occurrences/", {"all": True}, format="json")


def _batch(user_api, record) -> AnnotationBatch:
    body = user_api.post(f"/api/records/{record.pk}/occurrences/", {"all": True, "visibility": "public"}, format="json").json()
    return AnnotationBatch.objects.get(pk=body["batch"]["id"])


def test_undoing_a_batch_deletes_its_annotations_with_history(user_api, user, archive):
    record, *_ = archive
    batch = _batch(user_api, record)
    ids = set(Annotation.objects.filter(batch=batch).values_list("pk", flat=True))
    assert user_api.get("/api/search/?q=Iagoda&type=annotation").json()["count"] == 4  # every spelling folds alike
    response = user_api.post(f"/api/batches/{batch.pk}/undo/")
    assert response.status_code == 200
    assert set(response.json()["deleted"]) == ids and response.json()["kept"] == []
    assert not Annotation.objects.filter(pk__in=ids).exists()
    assert set(Annotation.history.filter(history_type="-", history_change_reason=f"undone with batch {batch.pk}")
               .values_list("id", flat=True)) == ids
    deletion = Annotation.history.filter(id=min(ids), history_type="-").get()
    assert deletion.history_user == user
    assert user_api.get("/api/search/?q=Iagoda&type=annotation").json()["count"] == 0  # gone from the index too
    assert not Annotation.tags.through.objects.filter(annotation_id__in=ids).exists()
    assert not Annotation.records.through.objects.filter(annotation_id__in=ids).exists()
    batch.refresh_from_db()
    assert batch.undone is not None and batch.undone_by == user
    again = user_api.post(f"/api/batches/{batch.pk}/undo/")
    assert again.status_code == 400 and "undone already" in again.json()["detail"]


def test_undoing_a_batch_someone_else_partly_edited_keeps_their_edits_and_says_so(user_api, archive, curator_api):
    record, *_ = archive
    batch = _batch(user_api, record)
    edited, replied, reviewed, untouched = Annotation.objects.filter(batch=batch).order_by("pk")
    # A curator corrects one annotation's comment, another person replies to a second, a curator approves a third.
    payload = user_api.get(f"/api/annotations/{edited.pk}/").json()
    payload["body"] = [*payload.get("body", []), {"type": "TextualBody", "purpose": "commenting", "value": "The NKVD chief"}]
    assert curator_api.put(f"/api/annotations/{edited.pk}/", payload, format="json").status_code == 200
    dora = APIClient()
    dora.force_authenticate(UserFactory(username="dora"))
    assert dora.post("/api/annotations/", {"type": "Annotation", "target": f"http://testserver/api/annotations/{replied.pk}/",
                                           "bodyValue": "Which trial?"}, format="json").status_code == 201
    assert curator_api.post(f"/api/annotations/{reviewed.pk}/review/", {"status": "approved"}, format="json").status_code == 200
    response = user_api.post(f"/api/batches/{batch.pk}/undo/")
    assert response.status_code == 200
    body = response.json()
    assert sorted(body["deleted"]) == sorted([reviewed.pk, untouched.pk])
    assert body["kept"] == [{"id": edited.pk, "reason": "edited by carol"}, {"id": replied.pk, "reason": "replied to by dora"}]
    assert f"2 kept because others changed them: {edited.pk} (edited by carol); {replied.pk} (replied to by dora)" in body["detail"]
    assert set(Annotation.objects.filter(batch=batch).values_list("pk", flat=True)) == {edited.pk, replied.pk}
    assert Annotation.objects.get(pk=edited.pk).comment == "The NKVD chief"


def test_undoing_deletes_the_creators_own_replies_and_relations_with_the_batch(user_api, user, archive, curator_api):
    record, *_ = archive
    batch = _batch(user_api, record)
    first, second, *_ = Annotation.objects.filter(batch=batch).order_by("pk")
    reply = user_api.post("/api/annotations/", {"type": "Annotation", "target": f"http://testserver/api/annotations/{first.pk}/",
                                                "bodyValue": "mine"}, format="json")
    relation = user_api.post("/api/annotations/", {
        "type": "Annotation", "motivation": "linking", "target": f"http://testserver/api/annotations/{first.pk}/",
        "body": [{"type": "SpecificResource", "source": f"http://testserver/api/annotations/{second.pk}/"},
                 {"type": "TextualBody", "purpose": "classifying", "value": "same-person-as"}]}, format="json")
    assert reply.status_code == relation.status_code == 201
    body = user_api.post(f"/api/batches/{batch.pk}/undo/").json()
    assert len(body["deleted"]) == 4 and body["kept"] == []
    assert not Annotation.objects.filter(creator=user).exists()
    # A curator restores one of them from its deletion row: it comes back with its record link.
    row = Annotation.history.filter(id=second.pk, history_type="-").get()
    assert curator_api.post(f"/api/annotations/history/{row.history_id}/restore/").status_code == 200
    assert [r.pk for r in Annotation.objects.get(pk=second.pk).records.all()] == [record.pk]


def test_only_the_creator_or_a_curator_may_undo_a_batch(user_api, archive, other_user):
    record, *_ = archive
    batch = _batch(user_api, record)
    bob = APIClient()
    bob.force_authenticate(other_user)
    assert bob.post(f"/api/batches/{batch.pk}/undo/").status_code == 404
    assert bob.get(f"/api/batches/{batch.pk}/").status_code == 404
    assert Annotation.objects.filter(batch=batch).count() == 4


def test_the_review_queue_shows_a_batch_as_one_item_approved_all_at_once(user_api, archive, curator_api, user):
    record, first, _ = archive
    batch = _batch(user_api, record)
    single = AnnotationFactory(document=first, creator=user, target_start=44, target_end=50)
    queue = curator_api.get("/api/annotations/review/").json()
    assert [i["id"] for i in queue["items"]] == [single.pk]
    assert [(b["id"], b["waiting"], b["documents"]) for b in queue["batches"]] == [(batch.pk, 4, 2)]
    assert queue["batches"][0]["record"]["label"] == "Genrikh Yagoda"
    opened = curator_api.get(f"/api/annotations/review/?batch={batch.pk}").json()
    assert opened["total"] == 4 and opened["batches"] == []
    refused = curator_api.post(f"/api/batches/{batch.pk}/review/", {"status": "rejected"}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()["errors"]
    done = curator_api.post(f"/api/batches/{batch.pk}/review/", {"status": "approved"}, format="json")
    assert done.status_code == 200 and len(done.json()["reviewed"]) == 4
    assert set(Annotation.objects.filter(batch=batch).values_list("status", flat=True)) == {"approved"}
    assert curator_api.get("/api/annotations/review/").json()["batches"] == []
    assert user_api.post(f"/api/batches/{batch.pk}/review/", {"status": "approved"}, format="json").status_code == 403


def test_the_review_page_shows_a_batch_as_one_row_approved_or_rejected_whole(user_api, archive, curator):
    from django.test import Client

    record, *_ = archive
    batch = _batch(user_api, record)
    page = Client()
    page.force_login(curator)
    html = page.get("/curate/review/").content.decode()
    assert f'data-batch-id="{batch.pk}"' in html and "4 annotations waiting in 2 documents" in html
    assert "Nothing to review with these filters." in html  # no single annotation waits beside the batch
    opened = page.get(f"/curate/review/?batch={batch.pk}").content.decode()
    assert opened.count('name="ids"') == 4 and "Back to the whole queue" in opened
    refused = page.post(f"/curate/review/batches/{batch.pk}/", {"action": "rejected", "next": "/curate/review/"},
                        follow=True)
    assert "Say why the annotation is rejected" in refused.content.decode()
    assert set(Annotation.objects.filter(batch=batch).values_list("status", flat=True)) == {"pending"}
    done = page.post(f"/curate/review/batches/{batch.pk}/", {"action": "rejected", f"reason-batch-{batch.pk}": "Another Yagoda",
                                                             "next": "/curate/review/"}, follow=True)
    assert f"Batch {batch.pk}: 4 annotations marked rejected." in done.content.decode()
    assert set(Annotation.objects.filter(batch=batch).values_list("review_reason", flat=True)) == {"Another Yagoda"}
