"""The W3C Web Annotation Protocol server at /api/annotations/: creation, headers, container
paging and Prefer, filters, ETag/If-Match, bad input, token and session authentication, round trip."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from annotations.models import Annotation
from tests.factories import AnnotationFactory, DocumentFactory, RecordFactory, UserFactory

pytestmark = pytest.mark.django_db

ANNO_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
TEXT = "Stalin's 🙂 purge: Zinoviev and Kamenev were tried in August 1936, then shot."


@pytest.fixture
def document():
    return DocumentFactory(slug="trial", text=TEXT)


@pytest.fixture
def record():
    return RecordFactory(label="Grigory Zinoviev", aliases=["Zinoviev"])


@pytest.fixture
def signed_in(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def _post(client, payload, **kw):
    return client.post("/api/annotations/", json.dumps(payload), content_type="application/ld+json", **kw)


def _span(word):
    start = TEXT.index(word)
    return start, start + len(word)


def test_post_creates_the_annotation_and_answers_201_with_location_and_protocol_headers(signed_in, document, record, annotation_payload):
    start, end = _span("Zinoviev")
    payload = annotation_payload(document, start, end, comment="Executed", tags=["trial"], entity_type="person",
                                 records=[record], visibility="public")
    response = _post(signed_in, payload)
    assert response.status_code == 201, response.content
    body = response.json()
    annotation = Annotation.objects.get()
    assert response["Location"] == body["id"] == f"http://testserver/api/annotations/{annotation.pk}/"
    assert response["Content-Type"] == ANNO_TYPE
    assert response["ETag"]
    assert '<http://www.w3.org/ns/ldp#Resource>; rel="type"' in response["Link"]
    assert (annotation.target_start, annotation.target_end, annotation.target_quote) == (start, end, "Zinoviev")
    assert annotation.comment == "Executed"
    assert [t.name for t in annotation.tags.all()] == ["trial"]
    assert annotation.entity_type.key == "person"
    assert list(annotation.records.all()) == [record]
    assert annotation.visibility == "public"
    assert body["@context"] == "http://www.w3.org/ns/anno.jsonld"
    assert body["type"] == "Annotation"
    assert body["target"]["source"] == "http://testserver/documents/trial/"
    selectors = {s["type"]: s for s in body["target"]["selector"]}
    assert selectors["TextPositionSelector"] == {"type": "TextPositionSelector", "start": start, "end": end}
    assert selectors["TextQuoteSelector"]["exact"] == "Zinoviev"
    assert selectors["TextQuoteSelector"]["prefix"] == TEXT[:start][-32:]
    purposes = {(b.get("purpose"), b.get("value") or b.get("source")) for b in body["body"]}
    assert ("commenting", "Executed") in purposes
    assert ("tagging", "trial") in purposes
    assert ("classifying", "person") in purposes
    assert ("identifying", f"http://testserver/records/{record.pk}/") in purposes
    assert body["creator"]["nickname"] == "alice"
    assert body["visibility"] == "public" and body["status"] == "pending"


def test_offsets_are_code_points_so_text_after_an_emoji_anchors(signed_in, document, annotation_payload):
    start, end = _span("purge")
    assert TEXT[start:end] == "purge" and len("🙂".encode("utf-16-le")) == 4  # a JS client would count one more
    response = _post(signed_in, annotation_payload(document, start, end))
    assert response.status_code == 201
    assert Annotation.objects.get().target_quote == "purge"


def test_get_annotation_has_etag_link_allow_vary_and_content_location(signed_in, document, annotation_payload):
    created = _post(signed_in, annotation_payload(document, 0, 6)).json()
    response = signed_in.get(created["id"])
    assert response.status_code == 200
    assert response["Content-Type"] == ANNO_TYPE
    assert response["Content-Location"] == created["id"]
    assert "PUT" in response["Allow"] and "DELETE" in response["Allow"]
    assert "Accept" in response["Vary"]
    assert response.json() == created
    again = signed_in.get(created["id"], HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_container_is_a_basic_container_and_annotation_collection_with_protocol_headers(signed_in, document):
    AnnotationFactory.create_batch(3, document=document, status="approved")  # published: visitors see them
    response = signed_in.get("/api/annotations/")
    assert response.status_code == 200
    assert response["Content-Type"] == ANNO_TYPE
    assert '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"' in response["Link"]
    assert 'rel="http://www.w3.org/ns/ldp#constrainedBy"' in response["Link"]
    assert response["Allow"] == "GET, POST, HEAD, OPTIONS"
    assert response["Accept-Post"] == ANNO_TYPE
    assert "Prefer" in response["Vary"] and "Accept" in response["Vary"]
    assert response["ETag"]
    body = response.json()
    assert body["id"].endswith("/api/annotations/")
    assert body["type"] == ["BasicContainer", "AnnotationCollection"]
    assert body["total"] == 3
    assert body["first"]["type"] == "AnnotationPage"
    assert len(body["first"]["items"]) == 3 and isinstance(body["first"]["items"][0], dict)
    assert body["last"].endswith("page=0")
    head = signed_in.head("/api/annotations/")
    assert head.status_code == 200


def test_container_honours_the_three_prefer_forms(api_client, document):
    AnnotationFactory.create_batch(2, document=document, status="approved")  # published: visitors see them
    minimal = api_client.get("/api/annotations/", HTTP_PREFER='return=representation;include="http://www.w3.org/ns/ldp#PreferMinimalContainer"').json()
    assert isinstance(minimal["first"], str) and minimal["total"] == 2
    iris = api_client.get("/api/annotations/", HTTP_PREFER='return=representation;include="http://www.w3.org/ns/oa#PreferContainedIRIs"')
    assert iris["Preference-Applied"] == "return=representation"
    items = iris.json()["first"]["items"]
    assert all(isinstance(i, str) and "/api/annotations/" in i for i in items)
    described = api_client.get("/api/annotations/", HTTP_PREFER='return=representation;include="http://www.w3.org/ns/oa#PreferContainedDescriptions"').json()
    assert all(isinstance(i, dict) for i in described["first"]["items"])


def test_pages_link_next_prev_part_of_and_start_index(api_client, document):
    AnnotationFactory.create_batch(5, document=document, status="approved")  # published: visitors see them
    container = api_client.get("/api/annotations/?page_size=2").json()
    assert container["total"] == 5 and container["last"].endswith("page=2")
    page1 = api_client.get(container["first"]["next"]).json()
    assert page1["type"] == "AnnotationPage"
    assert page1["startIndex"] == 2 and len(page1["items"]) == 2
    assert page1["partOf"]["id"] == container["id"] and page1["partOf"]["total"] == 5
    assert page1["prev"].endswith("page=0") and page1["next"].endswith("page=2")
    last = api_client.get(container["last"]).json()
    assert "next" not in last and len(last["items"]) == 1
    assert api_client.get("/api/annotations/?page=9").status_code == 404


def test_filters_select_by_document_tag_entity_type_record_creator_and_status(signed_in, user, curator, document, record, annotation_payload):
    other_doc = DocumentFactory()
    _post(signed_in, annotation_payload(document, *_span("Zinoviev"), tags=["trial"], entity_type="person", records=[record], visibility="public"))
    _post(signed_in, annotation_payload(other_doc, 0, 2, tags=["other"], visibility="public"))
    curator_client = APIClient()
    curator_client.force_authenticate(curator)
    _post(curator_client, annotation_payload(document, *_span("Kamenev"), entity_type="place", visibility="public"))

    def total(query):
        return signed_in.get(f"/api/annotations/?{query}").json()["total"]

    assert total("") == 3
    assert total("document=trial") == 2
    assert total("tag=trial") == 1
    assert total("entity_type=person") == 1
    assert total(f"record={record.pk}") == 1
    assert total("creator=alice") == 2
    assert total("creator=carol") == 1
    assert total("status=pending") == 2
    assert total("status=approved") == 1
    filtered = signed_in.get("/api/annotations/?document=trial").json()
    assert "document=trial" in filtered["id"] and "document=trial" in filtered["last"]
    assert signed_in.get("/api/annotations/?status=bogus").status_code == 400


def test_put_replaces_content_and_honours_if_match(signed_in, document, annotation_payload):
    created = _post(signed_in, annotation_payload(document, *_span("Zinoviev"), comment="first"))
    etag = created["ETag"]
    url = created.json()["id"]
    updated = signed_in.put(url, json.dumps(annotation_payload(document, *_span("Kamenev"), comment="second", tags=["x"])),
                            content_type="application/ld+json", HTTP_IF_MATCH=etag)
    assert updated.status_code == 200, updated.content
    assert updated["ETag"] != etag
    annotation = Annotation.objects.get()
    assert annotation.target_quote == "Kamenev" and annotation.comment == "second"
    stale = signed_in.put(url, json.dumps(annotation_payload(document, *_span("Zinoviev"), comment="third")),
                          content_type="application/ld+json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    annotation.refresh_from_db()
    assert annotation.comment == "second"
    without = signed_in.put(url, annotation_payload(document, *_span("Zinoviev"), comment="no precondition"), format="json")
    assert without.status_code == 200  # documented: If-Match is optional


def test_delete_answers_204_and_honours_if_match(signed_in, document, annotation_payload):
    created = _post(signed_in, annotation_payload(document, 0, 6))
    url = created.json()["id"]
    assert signed_in.delete(url, HTTP_IF_MATCH='"stale"').status_code == 412
    assert signed_in.delete(url, HTTP_IF_MATCH=created["ETag"]).status_code == 204
    assert not Annotation.objects.exists()
    assert signed_in.get(url).status_code == 404


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda p, d: p["target"]["selector"][1].update(exact="Kamenev"), "target"),  # quote does not match offsets
        (lambda p, d: p["target"]["selector"][0].update(start=5, end=len(TEXT) + 10), "target"),  # outside the text
        (lambda p, d: p["target"]["selector"][0].update(start=20, end=10), "target"),  # reversed
        (lambda p, d: p["target"]["selector"][0].update(start=-1), "target"),  # negative
        (lambda p, d: p["target"]["selector"][0].update(start="3"), "target.selector.start"),  # not an integer
        (lambda p, d: p["target"].update(source="http://testserver/documents/no-such-document/"), "target"),
        (lambda p, d: p["target"].update(source="http://example.org/elsewhere"), "target"),
        (lambda p, d: p.update(body=[{"type": "SpecificResource", "purpose": "identifying", "source": "http://testserver/records/99999/"}]), "body"),
        (lambda p, d: p.update(body=[{"type": "TextualBody", "purpose": "classifying", "value": "spaceship"}]), "body"),
        (lambda p, d: p.update(visibility="group:nobody"), "visibility"),
        (lambda p, d: p.update(visibility="friends"), "visibility"),
        (lambda p, d: p.pop("target"), "target"),
        (lambda p, d: p.update(body=[{"type": "TextualBody", "purpose": "commenting", "value": "x" * 10_001}]), "body.value"),
        (lambda p, d: p.update(body=[{"type": "TextualBody", "purpose": "tagging", "value": f"t{i}"} for i in range(51)]), "body"),
        (lambda p, d: p.update(motivation="flying"), "motivation"),
    ],
)
def test_bad_input_is_a_clear_400_and_stores_nothing(signed_in, document, annotation_payload, mutate, field):
    payload = annotation_payload(document, *_span("Zinoviev"))
    mutate(payload, document)
    response = _post(signed_in, payload)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["detail"]
    assert field in body.get("errors", {}), body
    assert not Annotation.objects.exists()


def test_malformed_json_is_400_and_oversized_body_413(signed_in, document, annotation_payload):
    response = signed_in.post("/api/annotations/", '{"type": "Annotation", "target": ', content_type="application/ld+json")
    assert response.status_code == 400
    payload = annotation_payload(document, 0, 6)
    payload["padding"] = "x" * (65 * 1024)
    assert _post(signed_in, payload).status_code == 413
    assert signed_in.post("/api/annotations/", "[1, 2]", content_type="application/json").status_code == 400
    assert not Annotation.objects.exists()


def test_a_stale_put_changes_nothing(signed_in, document, annotation_payload):
    url = _post(signed_in, annotation_payload(document, 0, 6, comment="kept")).json()["id"]
    response = signed_in.put(url, annotation_payload(document, 0, 6, comment="lost"), format="json", HTTP_IF_MATCH='"1-deadbeef"')
    assert response.status_code == 412
    assert Annotation.objects.get().comment == "kept"


def test_a_quote_selector_alone_is_located_in_the_text(signed_in, document):
    payload = {"type": "Annotation", "target": {"source": "/documents/trial/", "selector": {"type": "TextQuoteSelector", "exact": "Kamenev"}}}
    response = _post(signed_in, payload)
    assert response.status_code == 201, response.content
    assert Annotation.objects.get().target_start == TEXT.index("Kamenev")


def test_status_is_pending_for_users_and_approved_for_curators_and_only_curators_may_set_it(signed_in, curator, document, annotation_payload):
    mine = _post(signed_in, annotation_payload(document, 0, 6, status="approved", visibility="public")).json()
    assert mine["status"] == "pending"  # documented: a non-curator's status is ignored
    curator_client = APIClient()
    curator_client.force_authenticate(curator)
    theirs = _post(curator_client, annotation_payload(document, 0, 6)).json()
    assert theirs["status"] == "approved"
    review = curator_client.put(mine["id"], annotation_payload(document, 0, 6, status="rejected", visibility="public"),
                                format="json")
    assert review.json()["status"] == "rejected"


def test_anonymous_cannot_create(api_client, document, annotation_payload):
    response = _post(api_client, annotation_payload(document, 0, 6))
    assert response.status_code in (401, 403)
    assert not Annotation.objects.exists()


def test_token_authentication_works_for_scripts(document, annotation_payload, capsys):
    UserFactory(username="script")
    call_command("drf_create_token", "script")
    key = capsys.readouterr().out.split()[2]
    client = APIClient()
    response = _post(client, annotation_payload(document, 0, 6), HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 201, response.content
    assert Annotation.objects.get().creator.username == "script"


def test_session_writes_need_a_csrf_token(user, document, annotation_payload):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = _post(client, annotation_payload(document, 0, 6))
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]
    assert not Annotation.objects.exists()


def test_replies_are_annotations_targeting_the_parent(signed_in, document, annotation_payload):
    parent = _post(signed_in, annotation_payload(document, 0, 6, visibility="public")).json()
    reply = _post(signed_in, {"type": "Annotation", "target": parent["id"], "body": {"type": "TextualBody", "value": "Yes"}, "visibility": "public"})
    assert reply.status_code == 201, reply.content
    body = reply.json()
    assert body["motivation"] == "replying" and body["target"] == parent["id"]
    stored = Annotation.objects.get(pk=body["id"].rstrip("/").rsplit("/", 1)[1])
    assert stored.reply_to_id == int(parent["id"].rstrip("/").rsplit("/", 1)[1]) and stored.comment == "Yes"
    replies = signed_in.get(f"/api/annotations/?reply_to={stored.reply_to_id}").json()
    assert replies["total"] == 1


def test_round_trip_export_then_post_to_an_empty_archive_gives_the_same_annotation(signed_in, document, record, annotation_payload):
    start, end = _span("Zinoviev")
    exported = _post(signed_in, annotation_payload(
        document, start, end, comment="Executed", tags=["trial", "old bolshevik"], entity_type="person",
        records=[record], visibility="public",
    )).json()
    Annotation.objects.all().delete()  # the archive's annotations are gone; documents and records stay
    reimported = _post(signed_in, exported)
    assert reimported.status_code == 201, reimported.content
    again = reimported.json()

    def essence(a):
        return (a["target"], sorted(json.dumps(b, sort_keys=True) for b in a["body"]), a["motivation"], a["visibility"])

    assert essence(again) == essence(exported)
    assert again["id"] != exported["id"] or Annotation.objects.count() == 1


def test_annotation_changed_is_sent_inside_the_transaction_after_tags_and_records_are_set(signed_in, document, record, annotation_payload):
    from django.db import connection

    from annotations.signals import annotation_changed

    seen = []

    def receiver(sender, annotation, deleted, **kwargs):
        seen.append((annotation.pk, deleted, connection.in_atomic_block,
                     sorted(t.name for t in annotation.tags.all()) if not deleted else None,
                     list(annotation.records.values_list("pk", flat=True)) if not deleted else None))

    annotation_changed.connect(receiver, weak=False, dispatch_uid="test-receiver")
    try:
        url = _post(signed_in, annotation_payload(document, 0, 6, tags=["b", "a"], records=[record])).json()["id"]
        signed_in.put(url, annotation_payload(document, 0, 6, tags=["c"]), format="json")
        signed_in.delete(url)
    finally:
        annotation_changed.disconnect(dispatch_uid="test-receiver")
    pk = int(url.rstrip("/").rsplit("/", 1)[1])
    assert seen == [
        (pk, False, True, ["a", "b"], [record.pk]),
        (pk, False, True, ["c"], []),
        (pk, True, True, None, None),
    ]


def test_curators_extend_the_entity_type_list_and_annotations_may_use_it(signed_in, curator, document, annotation_payload):
    assert {e["key"] for e in signed_in.get("/api/entity-types/").json()} >= {"person", "place", "organisation", "event", "date", "other"}
    assert signed_in.post("/api/entity-types/", {"key": "ship", "label": "Ship"}, format="json").status_code == 403
    curator_client = APIClient()
    curator_client.force_authenticate(curator)
    assert curator_client.post("/api/entity-types/", {"key": "ship", "label": "Ship"}, format="json").status_code == 201
    assert curator_client.post("/api/entity-types/", {"key": "ship", "label": "Ship"}, format="json").status_code == 400
    response = _post(signed_in, annotation_payload(document, 0, 6, entity_type="ship"))
    assert response.status_code == 201 and Annotation.objects.get().entity_type.key == "ship"


def test_the_protocol_media_type_with_profile_is_accepted_and_any_accept_gets_json_ld(signed_in, document, annotation_payload):
    response = signed_in.post(
        "/api/annotations/", json.dumps(annotation_payload(document, 0, 6)),
        content_type='application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"',
        HTTP_ACCEPT='application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"',
    )
    assert response.status_code == 201, response.content
    plain = signed_in.get(response.json()["id"], HTTP_ACCEPT="application/json")
    assert plain.status_code == 200 and plain["Content-Type"] == ANNO_TYPE
    assert signed_in.post("/api/annotations/", "target=x", content_type="text/plain").status_code == 415


def test_deleting_an_annotation_enqueues_one_index_task_per_annotation_deleted(signed_in, document, annotation_payload):
    from django_tasks.signals import task_enqueued

    parent = _post(signed_in, annotation_payload(document, 0, 6, visibility="public")).json()["id"]
    _post(signed_in, {"type": "Annotation", "target": parent, "bodyValue": "a reply"})
    enqueued = []

    def count(sender, task_result, **kwargs):
        enqueued.append(tuple(task_result.args[:2]))

    task_enqueued.connect(count, weak=False, dispatch_uid="test-count-index-tasks")
    try:
        assert signed_in.delete(parent).status_code == 204
    finally:
        task_enqueued.disconnect(dispatch_uid="test-count-index-tasks")
    assert len(enqueued) == 2 and len(set(enqueued)) == 2, enqueued  # the annotation and its reply, once each
