"""Review: the queue and its filters, approve / reject (with a reason the annotator sees) one at a
time and in bulk, and what approval publishes (record pages, search facets, the public export)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from annotations.models import Annotation, EntityType
from archive_site.models import Document, Record
from tests.factories import AnnotationFactory, DocumentFactory, RecordFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_approving_changes_what_anonymous_users_see_and_what_the_public_export_holds(
    seed_index, user_api, curator_api, annotation_payload
):
    document = Document.objects.get(slug="moscow-trials-dewey-commission")
    record = Record.objects.get(key="stalin-joseph")
    start = document.text.index("Stalin")
    created = user_api.post(
        "/api/annotations/", annotation_payload(document, start, start + 6, comment="The accuser", entity_type="person",
                                                records=[record], visibility="public"), format="json",
    ).json()
    pk = int(created["id"].rstrip("/").rsplit("/", 1)[-1])
    assert created["status"] == "pending"
    anonymous = APIClient()

    def published_view():
        page = anonymous.get(f"/records/{record.pk}/").content.decode()
        facets = anonymous.get("/api/search/", {"q": "Dewey"}).json()["facets"].get("record", [])
        export = curator_api.get("/api/annotations/export/", {"scope": "public"}).json()
        items = export.get("first", {}).get("items", [])
        return page, {f["value"] for f in facets}, [i["id"] for i in items]

    page, facet_records, exported = published_view()
    assert f'data-annotation-id="{pk}"' not in page  # a proposal: visitors see published material only
    assert str(record.pk) not in facet_records
    assert exported == []

    response = curator_api.post(f"/api/annotations/{pk}/review/", {"status": "approved"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "approved"

    page, facet_records, exported = published_view()
    assert "1 published" in page and f'data-annotation-id="{pk}"' in page
    assert str(record.pk) in facet_records
    assert exported == [created["id"]]


def test_rejected_annotations_creator_sees_the_reason_in_the_api_and_on_the_page(
    client, user, other_user, curator_api, user_api
):
    document = DocumentFactory()
    annotation = AnnotationFactory(document=document, creator=user, comment="A guess")
    response = curator_api.post(
        f"/api/annotations/{annotation.pk}/review/", {"status": "rejected", "reason": "Not <b>supported</b> by the text"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["reviewReason"] == "Not <b>supported</b> by the text"

    mine = user_api.get(f"/api/annotations/{annotation.pk}/").json()
    assert mine["status"] == "rejected" and mine["reviewReason"] == "Not <b>supported</b> by the text"
    client.force_login(user)
    html = client.get(document.get_absolute_url()).content.decode()
    assert "Reviewer's reason" in html and "Not &lt;b&gt;supported&lt;/b&gt; by the text" in html
    profile = client.get("/accounts/profile/").content.decode()
    assert "Your rejected annotations" in profile and "Not &lt;b&gt;supported&lt;/b&gt; by the text" in profile

    others = APIClient()
    others.force_authenticate(other_user)
    assert "reviewReason" not in others.get(f"/api/annotations/{annotation.pk}/").json()
    client.force_login(other_user)
    assert "supported" not in client.get(document.get_absolute_url()).content.decode()


def test_rejecting_without_a_reason_is_400_and_changes_nothing(curator_api):
    annotation = AnnotationFactory()
    for url, body in (
        (f"/api/annotations/{annotation.pk}/review/", {"status": "rejected"}),
        ("/api/annotations/review/", {"ids": [annotation.pk], "status": "rejected", "reason": "  "}),
    ):
        response = curator_api.post(url, body, format="json")
        assert response.status_code == 400 and "reason" in response.json()["errors"]
    annotation.refresh_from_db()
    assert annotation.status == "pending"


def test_bulk_review_approves_every_chosen_annotation_with_one_history_row_each(curator_api, curator):
    chosen = [AnnotationFactory() for _ in range(3)]
    left = AnnotationFactory()
    response = curator_api.post(
        "/api/annotations/review/", {"ids": [a.pk for a in chosen], "status": "approved"}, format="json",
    )
    assert response.status_code == 200
    assert sorted(response.json()["reviewed"]) == sorted(a.pk for a in chosen)
    for annotation in chosen:
        annotation.refresh_from_db()
        assert annotation.status == "approved" and annotation.reviewed_by == curator
        last = annotation.history.order_by("-history_id").first()
        assert last.history_user == curator and last.history_change_reason == "review: approved"
    left.refresh_from_db()
    assert left.status == "pending"


def test_bulk_review_with_an_unknown_id_changes_nothing(curator_api):
    annotation = AnnotationFactory()
    response = curator_api.post(
        "/api/annotations/review/", {"ids": [annotation.pk, 987654], "status": "approved"}, format="json",
    )
    assert response.status_code == 400 and "987654" in response.json()["errors"]["ids"]
    annotation.refresh_from_db()
    assert annotation.status == "pending"


@pytest.mark.parametrize("body", [{}, {"ids": "1", "status": "approved"}, {"ids": [], "status": "approved"},
                                  {"ids": ["x"], "status": "approved"}, {"ids": [1.5], "status": "approved"},
                                  {"ids": [True], "status": "approved"}, {"ids": [1], "status": "maybe"}, []])
def test_bulk_review_bad_input_is_400(curator_api, body):
    assert curator_api.post("/api/annotations/review/", body, format="json").status_code == 400


def test_review_queue_filters_by_document_creator_entity_type_record_and_age(curator_api):
    person = EntityType.objects.get(key="person")
    record = RecordFactory()
    first, second = DocumentFactory(), DocumentFactory()
    alice, bob = UserFactory(username="q-alice"), UserFactory(username="q-bob")
    a = AnnotationFactory(document=first, creator=alice, entity_type=person)
    a.records.add(record)
    b = AnnotationFactory(document=second, creator=bob)
    old = AnnotationFactory(document=second, creator=bob)
    Annotation.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=40))
    AnnotationFactory(document=first, creator=alice, status="approved")

    def ids(**params):
        response = curator_api.get("/api/annotations/review/", params)
        assert response.status_code == 200
        return {item["id"] for item in response.json()["items"]}

    assert ids() == {a.pk, b.pk, old.pk}
    assert ids(document=first.slug) == {a.pk}
    assert ids(creator="q-bob") == {b.pk, old.pk}
    assert ids(entity_type="person") == {a.pk}
    assert ids(entity_type="none") == {b.pk, old.pk}
    assert ids(record=record.pk) == {a.pk}
    assert ids(older_than=30) == {old.pk}
    assert ids(newer_than=30) == {a.pk, b.pk}
    assert len(ids(status="all")) == 4


@pytest.mark.parametrize("params", [{"record": "x"}, {"older_than": "-3"}, {"status": "bogus"}, {"newer_than": "1e9"}, {"page": "-1"}])
def test_bad_queue_filters_are_400_in_the_api_and_the_page(client, curator, curator_api, params):
    assert curator_api.get("/api/annotations/review/", params).status_code == 400
    if "page" in params:
        return  # the page's paginator shows the last page for a bad page number
    client.force_login(curator)
    response = client.get("/curate/review/", params)
    assert response.status_code == 400 and 'role="alert"' in response.content.decode()


def test_review_page_bulk_form_rejects_the_selected_with_a_reason(client, curator):
    chosen = [AnnotationFactory(), AnnotationFactory()]
    other = AnnotationFactory()
    client.force_login(curator)
    page = client.get("/curate/review/").content.decode()
    assert all(f'data-annotation-id="{a.pk}"' in page for a in [*chosen, other])
    response = client.post("/curate/review/", {
        "ids": [str(a.pk) for a in chosen], "action": "rejected", "reason": "Duplicates", "next": "/curate/review/?creator=",
    })
    assert response.status_code == 302 and response["Location"] == "/curate/review/?creator="
    assert set(Annotation.objects.filter(status="rejected").values_list("pk", flat=True)) == {a.pk for a in chosen}
    assert set(Annotation.objects.filter(status="rejected").values_list("review_reason", flat=True)) == {"Duplicates"}
    assert "2 annotations marked rejected." in client.get("/curate/review/?status=rejected").content.decode()


def test_review_page_row_button_approves_just_that_annotation(client, curator):
    one, other = AnnotationFactory(), AnnotationFactory()
    client.force_login(curator)
    client.post("/curate/review/", {"one": f"{one.pk}:approved", "ids": [str(other.pk)], "action": "rejected"})
    one.refresh_from_db()
    other.refresh_from_db()
    assert (one.status, other.status) == ("approved", "pending")


def test_review_page_without_a_reason_to_reject_says_so_and_changes_nothing(client, curator):
    annotation = AnnotationFactory()
    client.force_login(curator)
    response = client.post("/curate/review/", {"ids": [str(annotation.pk)], "action": "rejected"}, follow=True)
    assert "Say why the annotation is rejected" in response.content.decode()
    annotation.refresh_from_db()
    assert annotation.status == "pending"


def test_non_curators_cannot_review(user_api, client, user):
    annotation = AnnotationFactory()
    assert user_api.post(f"/api/annotations/{annotation.pk}/review/", {"status": "approved"}, format="json").status_code == 403
    assert user_api.post("/api/annotations/review/", {"ids": [annotation.pk], "status": "approved"}, format="json").status_code == 403
    assert APIClient().post("/api/annotations/review/", {"ids": [annotation.pk], "status": "approved"}, format="json").status_code == 403
    client.force_login(user)
    assert client.post("/curate/review/", {"ids": [str(annotation.pk)], "action": "approved"}).status_code == 403
    annotation.refresh_from_db()
    assert annotation.status == "pending"


def test_a_curator_edits_an_annotation_from_the_queue(client, curator):
    record = RecordFactory(label="Genrikh Yagoda")
    annotation = AnnotationFactory(comment="old", visibility="public")
    annotation.tags.create(name="draft")
    client.force_login(curator)
    form = client.get(f"/curate/annotations/{annotation.pk}/edit/").content.decode()
    assert 'value="draft"' in form and ">old</textarea>" in form
    response = client.post(f"/curate/annotations/{annotation.pk}/edit/", {
        "comment": "new <note>", "tags": "trial, NKVD ,trial", "entity_type": "person",
        "records": str(record.pk), "visibility": "public", "next": "/curate/review/",
    })
    assert response.status_code == 302 and response["Location"] == "/curate/review/"
    annotation.refresh_from_db()
    assert (annotation.comment, annotation.entity_type.key, annotation.visibility) == ("new <note>", "person", "public")
    assert sorted(t.name for t in annotation.tags.all()) == ["NKVD", "trial"]
    assert list(annotation.records.all()) == [record] and annotation.motivation == "identifying"
    assert annotation.status == "pending"  # editing is not reviewing
    row = annotation.history.order_by("-history_id").first()
    assert row.history_user == curator and row.history_type == "~"
    for bad in ({"records": "987654"}, {"records": "x"}, {"entity_type": "alien"}, {"visibility": "group:nope"}):
        response = client.post(f"/curate/annotations/{annotation.pk}/edit/", {
            "comment": "c", "tags": "", "entity_type": "", "records": "", "visibility": "public", **bad,
        })
        assert response.status_code == 400
    annotation.refresh_from_db()
    assert annotation.comment == "new <note>"


def test_bulk_edit_sets_the_entity_type_and_adds_a_tag_to_every_selected_annotation(client, curator):
    chosen = [AnnotationFactory(), AnnotationFactory(entity_type=EntityType.objects.get(key="place"))]
    other = AnnotationFactory()
    client.force_login(curator)
    response = client.post("/curate/review/", {
        "ids": [str(a.pk) for a in chosen], "action": "edit", "entity_type": "person", "add_tag": "Moscow trials",
    }, follow=True)
    assert "2 annotations edited." in response.content.decode()
    for annotation in chosen:
        annotation.refresh_from_db()
        assert annotation.entity_type.key == "person" and [t.name for t in annotation.tags.all()] == ["Moscow trials"]
    other.refresh_from_db()
    assert other.entity_type is None and not other.tags.exists()
    response = client.post("/curate/review/", {"ids": [str(chosen[0].pk)], "action": "edit"}, follow=True)
    assert "Choose an entity type to set or a tag to add." in response.content.decode()
