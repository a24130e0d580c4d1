"""Relations between annotations: made and seen through the W3C protocol (motivation linking,
target = the annotation it starts from, body = the annotation it points to + a classifying
TextualBody for its type), the read rule (both ends), bad input (an end the sender cannot see,
itself, an unknown type, wider than an end: 400 and nothing stored), history and review, deletion
with an end, the card's relation list and a record's network."""

from __future__ import annotations

import pytest

from annotations.models import Annotation, AnnotationGroup, RelationType
from tests.factories import AnnotationFactory, DocumentFactory, RecordFactory, UserFactory

pytestmark = pytest.mark.django_db

TEXT = "Zinoviev and Kamenev stood accused by Vyshinsky.\n\nYagoda was shot."


def url(a) -> str:
    return f"http://testserver/api/annotations/{a.pk}/"


def relation_payload(source, target, relation_type="accused", *, comment=None, visibility=None, **extra):
    body = [{"type": "SpecificResource", "purpose": "linking", "source": url(target)},
            {"type": "TextualBody", "purpose": "classifying", "value": relation_type}]
    if comment is not None:
        body.append({"type": "TextualBody", "purpose": "commenting", "value": comment})
    payload = {"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "motivation": "linking",
               "target": url(source), "body": body}
    if visibility:
        payload["visibility"] = visibility
    payload.update(extra)
    return payload


@pytest.fixture
def ends(user):
    document = DocumentFactory(slug="trial", text=TEXT)
    vyshinsky = AnnotationFactory(document=document, creator=user, target_start=38, target_end=47, status="approved")
    zinoviev = AnnotationFactory(document=document, creator=user, target_start=0, target_end=8, status="approved")
    return vyshinsky, zinoviev


def test_a_relation_is_made_through_the_protocol_and_answers_w3c_linking_json_ld(user_api, ends):
    vyshinsky, zinoviev = ends
    response = user_api.post("/api/annotations/", relation_payload(vyshinsky, zinoviev, comment="In his speech",
                                                                  visibility="public"), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["motivation"] == "linking"
    assert body["target"] == url(vyshinsky)
    assert {"type": "SpecificResource", "purpose": "linking", "source": url(zinoviev)} in body["body"]
    classifying = [b for b in body["body"] if b.get("purpose") == "classifying"]
    assert classifying == [{"type": "TextualBody", "purpose": "classifying", "value": "accused", "label": "accused"}]
    assert any(b.get("purpose") == "commenting" and b["value"] == "In his speech" for b in body["body"])
    assert "anchorState" not in body
    stored = Annotation.objects.get(pk=body["id"].rstrip("/").rsplit("/", 1)[-1])
    assert (stored.relation_source, stored.relation_target, stored.relation_type.key) == (vyshinsky, zinoviev, "accused")
    assert stored.status == "pending" and stored.history.count() == 1
    # The same protocol serves it back, and it is in the container.
    assert user_api.get(f"/api/annotations/{stored.pk}/").json()["target"] == url(vyshinsky)
    listed = user_api.get("/api/annotations/?motivation=linking").json()["first"]["items"]
    assert [item["id"] for item in listed] == [url(stored)]


def test_a_relation_is_listed_on_both_ends_with_the_other_end(user_api, ends):
    vyshinsky, zinoviev = ends
    made = user_api.post("/api/annotations/", relation_payload(vyshinsky, zinoviev), format="json").json()
    out = user_api.get(f"/api/annotations/{vyshinsky.pk}/relations/").json()
    assert [r["url"] for r in out["outgoing"]] == [made["id"]] and out["incoming"] == []
    assert out["outgoing"][0]["target"]["quote"] == "Zinoviev"
    assert out["outgoing"][0]["type"] == {"key": "accused", "label": "accused"}
    back = user_api.get(f"/api/annotations/{zinoviev.pk}/relations/").json()
    assert [r["url"] for r in back["incoming"]] == [made["id"]]
    assert back["incoming"][0]["source"]["quote"] == "Vyshinsky"


def test_relation_to_an_annotation_the_sender_cannot_see_is_refused_and_nothing_stored(user_api, ends, other_user):
    vyshinsky, _ = ends
    secret = AnnotationFactory(document=vyshinsky.document, creator=other_user, target_start=53, target_end=59,
                               visibility="private")
    before = Annotation.objects.count()
    response = user_api.post("/api/annotations/", relation_payload(vyshinsky, secret), format="json")
    assert response.status_code == 400
    assert "Unknown annotation" in response.json()["detail"]
    never_used = user_api.post("/api/annotations/", relation_payload(vyshinsky, Annotation(pk=999_999)), format="json")
    assert never_used.json()["detail"] == response.json()["detail"].replace(str(secret.pk), "999999")
    assert Annotation.objects.count() == before


def test_relation_to_itself_or_of_an_unknown_type_is_refused(user_api, ends):
    vyshinsky, zinoviev = ends
    before = Annotation.objects.count()
    itself = user_api.post("/api/annotations/", relation_payload(vyshinsky, vyshinsky), format="json")
    assert itself.status_code == 400 and "itself" in itself.json()["detail"]
    unknown = user_api.post("/api/annotations/", relation_payload(vyshinsky, zinoviev, "befriended"), format="json")
    assert unknown.status_code == 400 and "Unknown relation type 'befriended'" in unknown.json()["detail"]
    assert "accused" in unknown.json()["detail"]
    untyped = relation_payload(vyshinsky, zinoviev)
    untyped["body"] = untyped["body"][:1]
    assert user_api.post("/api/annotations/", untyped, format="json").status_code == 400
    assert Annotation.objects.count() == before


def test_relation_wider_than_either_end_is_refused(user_api, user, ends):
    vyshinsky, zinoviev = ends
    zinoviev.visibility = "private"
    zinoviev.save()
    before = Annotation.objects.count()
    response = user_api.post("/api/annotations/", relation_payload(vyshinsky, zinoviev, visibility="public"), format="json")
    assert response.status_code == 400
    assert "at most private" in response.json()["errors"]["visibility"]
    group = AnnotationGroup.objects.create(name="team")
    group.members.add(user)
    zinoviev.visibility, zinoviev.group = "group", group
    zinoviev.save()
    wider = user_api.post("/api/annotations/", relation_payload(vyshinsky, zinoviev, visibility="public"), format="json")
    assert "at most group:team" in wider.json()["errors"]["visibility"]
    assert Annotation.objects.count() == before
    fits = user_api.post("/api/annotations/", relation_payload(vyshinsky, zinoviev, visibility="group:team"), format="json")
    assert fits.status_code == 201


def test_a_relation_is_seen_only_by_readers_of_both_ends(api_client, user_api, ends):
    vyshinsky, zinoviev = ends
    made = user_api.post("/api/annotations/", relation_payload(vyshinsky, zinoviev, visibility="public"), format="json")
    relation = Annotation.objects.get(pk=made.json()["id"].rstrip("/").rsplit("/", 1)[-1])
    Annotation.objects.filter(pk=relation.pk).update(status="approved")
    assert api_client.get(f"/api/annotations/{relation.pk}/").status_code == 200
    # An end rejected: visitors no longer see the relation (nor its place in the lists).
    Annotation.objects.filter(pk=zinoviev.pk).update(status="rejected")
    assert api_client.get(f"/api/annotations/{relation.pk}/").status_code == 404
    assert api_client.get("/api/annotations/?motivation=linking").json()["total"] == 0
    assert api_client.get(f"/api/annotations/{vyshinsky.pk}/relations/").json()["outgoing"] == []
    # Its creator still sees it (they see their own rejected end).
    assert user_api.get(f"/api/annotations/{relation.pk}/").status_code == 200


def test_narrowing_an_end_narrows_its_relations_with_a_history_row(user_api, user, ends):
    vyshinsky, zinoviev = ends
    made = user_api.post("/api/annotations/", relation_payload(vyshinsky, zinoviev, visibility="public"), format="json")
    relation = Annotation.objects.get(pk=made.json()["id"].rstrip("/").rsplit("/", 1)[-1])
    payload = {"type": "Annotation", "visibility": "private", "target": {
        "source": f"http://testserver/documents/{zinoviev.document.slug}/",
        "selector": [{"type": "TextPositionSelector", "start": 0, "end": 8}]}}
    assert user_api.put(f"/api/annotations/{zinoviev.pk}/", payload, format="json").status_code == 200
    relation.refresh_from_db()
    assert relation.visibility == "private"
    assert relation.history.first().history_change_reason == f"visibility narrowed to follow annotation {zinoviev.pk}"


def test_deleting_an_end_deletes_its_relations_and_restoring_it_brings_them_back(user_api, ends, curator_api):
    vyshinsky, zinoviev = ends
    made = user_api.post("/api/annotations/", relation_payload(vyshinsky, zinoviev, visibility="public"), format="json")
    relation_id = int(made.json()["id"].rstrip("/").rsplit("/", 1)[-1])
    assert user_api.delete(f"/api/annotations/{zinoviev.pk}/").status_code == 204
    assert not Annotation.objects.filter(pk=relation_id).exists()
    row = Annotation.history.filter(id=zinoviev.pk, history_type="-").get()
    assert curator_api.post(f"/api/annotations/history/{row.history_id}/restore/").status_code == 200
    assert Annotation.objects.filter(pk=relation_id, relation_target_id=zinoviev.pk).exists()


def test_a_relation_takes_no_replies_and_cannot_link_a_reply(user_api, user, ends):
    vyshinsky, zinoviev = ends
    made = user_api.post("/api/annotations/", relation_payload(vyshinsky, zinoviev), format="json").json()
    reply = user_api.post("/api/annotations/", {"type": "Annotation", "target": made["id"], "bodyValue": "Yes"}, format="json")
    assert reply.status_code == 400 and "relation takes no replies" in reply.json()["detail"]
    answer = AnnotationFactory(document=vyshinsky.document, creator=user, reply_to=vyshinsky, target_start=None,
                               target_end=None, target_quote="", target_prefix="", target_suffix="", motivation="replying")
    to_reply = user_api.post("/api/annotations/", relation_payload(vyshinsky, answer), format="json")
    assert to_reply.status_code == 400 and "is a reply" in to_reply.json()["detail"]


def test_the_ends_of_a_relation_cannot_be_changed_but_its_type_can(user_api, ends):
    vyshinsky, zinoviev = ends
    made = user_api.post("/api/annotations/", relation_payload(vyshinsky, zinoviev), format="json").json()
    pk = int(made["id"].rstrip("/").rsplit("/", 1)[-1])
    retyped = user_api.put(f"/api/annotations/{pk}/", relation_payload(vyshinsky, zinoviev, "testified-against"), format="json")
    assert retyped.status_code == 200
    assert Annotation.objects.get(pk=pk).relation_type.key == "testified-against"
    moved = user_api.put(f"/api/annotations/{pk}/", relation_payload(zinoviev, vyshinsky), format="json")
    assert moved.status_code == 400 and "ends cannot be changed" in moved.json()["detail"]


def test_across_documents_a_record_network_shows_records_and_evidence(user_api, user, api_client):
    vyshinsky_record = RecordFactory(label="Andrey Vyshinsky")
    zinoviev_record = RecordFactory(label="Grigory Zinoviev")
    first = DocumentFactory(slug="speech", text=TEXT)
    second = DocumentFactory(slug="verdict", text="Zinoviev was sentenced to death.")
    source = AnnotationFactory(document=first, creator=user, target_start=38, target_end=47, status="approved")
    source.records.add(vyshinsky_record)
    target = AnnotationFactory(document=second, creator=user, target_start=0, target_end=8, status="approved")
    target.records.add(zinoviev_record)
    passage = AnnotationFactory(document=first, creator=user, target_start=53, target_end=59, status="approved")
    user_api.post("/api/annotations/", relation_payload(source, target, visibility="public"), format="json")
    user_api.post("/api/annotations/", relation_payload(source, passage, "related-to", visibility="public"), format="json")
    network = user_api.get(f"/api/records/{vyshinsky_record.pk}/network/").json()
    assert network["relations"] == 2
    nodes = {n["id"]: n for n in network["nodes"]}
    assert nodes[f"record:{vyshinsky_record.pk}"]["center"] is True
    assert nodes[f"record:{zinoviev_record.pk}"]["label"] == "Grigory Zinoviev"
    assert nodes[f"annotation:{passage.pk}"]["kind"] == "passage"
    accused = next(e for e in network["edges"] if e["type"]["key"] == "accused")
    assert (accused["source"], accused["target"], accused["count"]) == (
        f"record:{vyshinsky_record.pk}", f"record:{zinoviev_record.pk}", 1)
    assert accused["evidence"][0]["target_passage"] == "http://testserver/documents/verdict/#pos=0-8"
    evidence = accused["evidence"][0]
    assert (evidence["source_quote"], evidence["source_document"]) == ("Vyshinsky", "speech")
    assert (evidence["target_quote"], evidence["target_document"]) == ("Zinoviev", "verdict")
    # Pending relations are not a visitor's: the network is drawn from what the reader may see.
    assert api_client.get(f"/api/records/{vyshinsky_record.pk}/network/").json()["relations"] == 0


def test_curators_keep_the_relation_types(curator_api, user_api):
    assert "accused" in [t["key"] for t in user_api.get("/api/relation-types/").json()]
    assert user_api.post("/api/relation-types/", {"key": "denounced", "label": "denounced"}, format="json").status_code == 403
    made = curator_api.post("/api/relation-types/", {"key": "denounced", "label": "denounced"}, format="json")
    assert made.status_code == 201 and RelationType.objects.filter(key="denounced").exists()
    again = curator_api.post("/api/relation-types/", {"key": "denounced", "label": "x"}, format="json")
    assert again.status_code == 400 and "exists already" in again.json()["errors"]["key"]


def test_a_relation_is_reviewed_like_any_annotation(user_api, curator_api, ends):
    vyshinsky, zinoviev = ends
    made = user_api.post("/api/annotations/", relation_payload(vyshinsky, zinoviev, visibility="public"), format="json").json()
    pk = int(made["id"].rstrip("/").rsplit("/", 1)[-1])
    queue = curator_api.get("/api/annotations/review/").json()
    item = next(i for i in queue["items"] if i["id"] == pk)
    assert item["relation"]["type"] == "accused"
    assert item["relation"]["source"]["quote"] == "Vyshinsky" and item["relation"]["target"]["quote"] == "Zinoviev"
    assert curator_api.post(f"/api/annotations/{pk}/review/", {"status": "approved"}, format="json").status_code == 200
    assert Annotation.objects.get(pk=pk).status == "approved"


def test_a_reader_who_cannot_see_both_ends_does_not_see_a_relation_in_history(user_api, ends):
    vyshinsky, zinoviev = ends
    made = user_api.post("/api/annotations/", relation_payload(vyshinsky, zinoviev, visibility="public"), format="json").json()
    pk = int(made["id"].rstrip("/").rsplit("/", 1)[-1])
    from rest_framework.test import APIClient

    bob = APIClient()
    bob.force_authenticate(UserFactory(username="dora"))
    assert bob.get(f"/api/annotations/{pk}/history/").status_code == 200
    Annotation.objects.filter(pk=zinoviev.pk).update(visibility="private")
    assert bob.get(f"/api/annotations/{pk}/history/").status_code == 404


def test_search_finds_a_relation_only_where_the_read_rule_shows_it(user_api, curator_api, api_client, ends):
    vyshinsky, zinoviev = ends
    Annotation.objects.filter(pk__in=[vyshinsky.pk, zinoviev.pk]).update(visibility="public")
    made = user_api.post("/api/annotations/", relation_payload(vyshinsky, zinoviev, comment="prosecutorial zeal",
                                                              visibility="public"), format="json").json()
    pk = int(made["id"].rstrip("/").rsplit("/", 1)[-1])
    assert curator_api.post(f"/api/annotations/{pk}/review/", {"status": "approved"}, format="json").status_code == 200
    for end in (vyshinsky, zinoviev):
        assert curator_api.post(f"/api/annotations/{end.pk}/review/", {"status": "approved"}, format="json").status_code == 200
    found = api_client.get("/api/search/?q=prosecutorial&type=annotation").json()
    assert found["count"] == 1
    # An end rejected: the relation's index entry follows, and a visitor no longer finds it.
    assert curator_api.post(f"/api/annotations/{zinoviev.pk}/review/", {"status": "rejected", "reason": "no"},
                            format="json").status_code == 200
    assert api_client.get("/api/search/?q=prosecutorial&type=annotation").json()["count"] == 0
    from search.backends import get_search_backend
    from search.backends.base import ANONYMOUS, SearchQuery
    from search.parser import parse

    raw = get_search_backend().search(SearchQuery(tree=parse("prosecutorial").tree, type="annotation", access=ANONYMOUS))
    assert raw.total == 0  # the index itself, not only the rows loaded after it
