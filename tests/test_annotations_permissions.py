"""Who may read, edit and delete an annotation: anonymous / creator / other user / group member /
curator × private / group / public proposal (pending) / published (approved public), through the API
(detail, container, record listing) and pages (the record page). Invisible annotations answer 404,
visible-but-not-yours 403. Visitors see published material only; "only me" means only me (curators
included)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from annotations import permissions
from annotations.models import Annotation
from tests.factories import AnnotationFactory, AnnotationGroupFactory, DocumentFactory, RecordFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "creator", "other", "member", "curator"]
KINDS = ["private", "group", "public", "published"]
CAN_READ = {
    "private": {"creator"},
    "group": {"creator", "member", "curator"},
    "public": {"creator", "other", "member", "curator"},
    "published": {"anonymous", "creator", "other", "member", "curator"},
}


def can_write(role: str, kind: str) -> bool:
    return role == "creator" or (role == "curator" and role in CAN_READ[kind])


@pytest.fixture
def world(user, other_user, curator):
    member = UserFactory(username="dora")
    group = AnnotationGroupFactory(name="historians")
    group.members.add(user, member)
    record = RecordFactory(label="Grigory Zinoviev")
    document = DocumentFactory()
    annotations = {}
    for kind in KINDS:
        visibility = "public" if kind == "published" else kind
        a = AnnotationFactory(document=document, creator=user, visibility=visibility,
                              group=group if visibility == "group" else None,
                              status="approved" if kind == "published" else "pending")
        a.records.add(record)
        annotations[kind] = a
    users = {"anonymous": None, "creator": user, "other": other_user, "member": member, "curator": curator}
    return {"users": users, "annotations": annotations, "record": record, "document": document, "group": group}


def _client(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _payload(annotation, comment):
    doc = annotation.document
    return {
        "type": "Annotation",
        "target": {"source": f"/documents/{doc.slug}/", "selector": [
            {"type": "TextPositionSelector", "start": annotation.target_start, "end": annotation.target_end}]},
        "bodyValue": comment,
        "visibility": annotation.visibility_label,
    }


@pytest.mark.parametrize("visibility", KINDS)
@pytest.mark.parametrize("role", ROLES)
def test_read_matrix_through_the_api(world, role, visibility):
    annotation = world["annotations"][visibility]
    client = _client(world["users"][role])
    expected = role in CAN_READ[visibility]
    detail = client.get(f"/api/annotations/{annotation.pk}/")
    assert detail.status_code == (200 if expected else 404)
    listed = [i["id"] for i in client.get("/api/annotations/").json().get("first", {}).get("items", [])]
    assert any(i.endswith(f"/api/annotations/{annotation.pk}/") for i in listed) == expected
    mentions = client.get(f"/api/records/{world['record'].pk}/annotations/").json()["mentions"]
    assert any(m["annotation"]["id"].endswith(f"/{annotation.pk}/") for m in mentions) == expected
    assert permissions.can_view(world["users"][role], annotation) == expected


@pytest.mark.parametrize("visibility", KINDS)
@pytest.mark.parametrize("role", ROLES)
def test_edit_matrix_through_the_api(world, role, visibility):
    annotation = world["annotations"][visibility]
    user = world["users"][role]
    response = _client(user).put(f"/api/annotations/{annotation.pk}/", _payload(annotation, "changed"), format="json")
    if can_write(role, visibility):
        assert response.status_code == 200, response.content
    elif role not in CAN_READ[visibility]:
        assert response.status_code in (401, 403, 404) and response.status_code != 200
        if user is not None:
            assert response.status_code == 404
    else:
        assert response.status_code in (401, 403)
    annotation.refresh_from_db()
    assert (annotation.comment == "changed") == can_write(role, visibility)


@pytest.mark.parametrize("visibility", KINDS)
@pytest.mark.parametrize("role", ROLES)
def test_delete_matrix_through_the_api(world, role, visibility):
    annotation = world["annotations"][visibility]
    user = world["users"][role]
    response = _client(user).delete(f"/api/annotations/{annotation.pk}/")
    if can_write(role, visibility):
        assert response.status_code == 204
    elif user is not None and role not in CAN_READ[visibility]:
        assert response.status_code == 404
    else:
        assert response.status_code in (401, 403)
    assert Annotation.objects.filter(pk=annotation.pk).exists() == (not can_write(role, visibility))


@pytest.mark.parametrize("role", ROLES)
def test_record_page_shows_only_visible_mentions(world, client, role):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    html = client.get(f"/records/{world['record'].pk}/").content.decode()
    for visibility, annotation in world["annotations"].items():
        shown = f'data-annotation-id="{annotation.pk}"' in html
        assert shown == (role in CAN_READ[visibility]), (role, visibility)


def test_only_group_members_may_share_with_a_group(world):
    other = world["users"]["other"]
    doc = world["document"]
    payload = {"type": "Annotation", "visibility": "group:historians",
               "target": {"source": f"/documents/{doc.slug}/", "selector": {"type": "TextPositionSelector", "start": 0, "end": 4}}}
    assert _client(other).post("/api/annotations/", payload, format="json").status_code == 403
    assert _client(world["users"]["member"]).post("/api/annotations/", payload, format="json").status_code == 201


def test_replies_to_invisible_annotations_are_refused_as_unknown(world):
    private = world["annotations"]["private"]
    payload = {"type": "Annotation", "target": f"/api/annotations/{private.pk}/", "bodyValue": "peek"}
    response = _client(world["users"]["other"]).post("/api/annotations/", payload, format="json")
    assert response.status_code == 400 and "Unknown annotation" in response.json()["detail"]


def test_filters_cannot_reveal_invisible_annotations(world):
    response = _client(world["users"]["other"]).get("/api/annotations/?creator=alice")
    assert response.json()["total"] == 2  # only the public ones (the proposal and the published one)
    assert _client(None).get("/api/annotations/?creator=alice").json()["total"] == 1  # visitors: published only


@pytest.mark.parametrize("visibility", ["group", "public", "published"])
@pytest.mark.parametrize("role", ROLES)
def test_a_rejected_annotation_is_left_to_its_creator_and_the_curators(world, client, role, visibility):
    from curation.review import review_annotation

    annotation = review_annotation(user=world["users"]["curator"], annotation=world["annotations"][visibility],
                                   status="rejected", reason="Wrong person: this is Zinoviev's brother.")
    user = world["users"][role]
    expected = role in {"creator", "curator"}
    assert permissions.can_view(user, annotation) == expected
    api = _client(user)
    assert api.get(f"/api/annotations/{annotation.pk}/").status_code == (200 if expected else 404)
    listed = [i["id"] for i in api.get("/api/annotations/").json().get("first", {}).get("items", [])]
    assert any(i.endswith(f"/api/annotations/{annotation.pk}/") for i in listed) == expected
    if user is not None:
        client.force_login(user)
    page = client.get(annotation.document.get_absolute_url()).content.decode()
    assert (f'data-ann-id="{annotation.pk}"' in page) == expected


def test_the_creator_edits_a_rejected_annotation_and_it_goes_back_for_review(world):
    from curation.review import review_annotation

    annotation = review_annotation(user=world["users"]["curator"], annotation=world["annotations"]["public"],
                                   status="rejected", reason="Cite the passage you mean.")
    response = _client(world["users"]["creator"]).put(
        f"/api/annotations/{annotation.pk}/", _payload(annotation, "Now with the passage"), format="json")
    assert response.status_code == 200, response.content
    annotation.refresh_from_db()
    assert annotation.status == "pending" and annotation.comment == "Now with the passage"
    assert _client(world["users"]["other"]).get(f"/api/annotations/{annotation.pk}/").status_code == 200
    assert _client(None).get(f"/api/annotations/{annotation.pk}/").status_code == 404  # a proposal again
