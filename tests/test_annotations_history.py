"""History: every change to an annotation (and record) is kept — who, when, what — one entry per
logical change, shown through the API; a deleted annotation can be restored by a curator."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from annotations.models import Annotation
from tests.factories import DocumentFactory, RecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(api_client, user, curator, annotation_payload):
    document = DocumentFactory()
    record = RecordFactory(label="Lev Kamenev")
    api_client.force_authenticate(user)
    url = api_client.post(
        "/api/annotations/", annotation_payload(document, 0, 6, comment="one", tags=["a"], records=[record], visibility="public"),
        format="json",
    ).json()["id"]
    curator_client = APIClient()
    curator_client.force_authenticate(curator)
    return {"client": api_client, "curator": curator_client, "url": url, "document": document, "record": record,
            "payload": annotation_payload}


def test_create_and_update_each_leave_one_entry_with_who_and_what(setting):
    client, url, payload = setting["client"], setting["url"], setting["payload"]
    client.put(url, payload(setting["document"], 0, 6, comment="two", tags=["a", "b"], records=[setting["record"]], visibility="public"), format="json")
    entries = client.get(url + "history/").json()["history"]
    assert [e["type"] for e in entries] == ["changed", "created"]
    assert all(e["user"] == "alice" and e["date"] for e in entries)
    changed = {c["field"]: c for c in entries[0]["changes"]}
    assert changed["comment"]["old"] == "one" and changed["comment"]["new"] == "two"
    assert "tags" in changed


def test_history_is_hidden_from_those_who_cannot_see_the_annotation(setting, other_user, annotation_payload):
    client = setting["client"]
    private = client.post("/api/annotations/", annotation_payload(setting["document"], 0, 6), format="json").json()["id"]
    outsider = APIClient()
    outsider.force_authenticate(other_user)
    assert outsider.get(private + "history/").status_code == 404
    assert outsider.get(setting["url"] + "history/").status_code == 200


def test_a_curator_restores_a_deleted_annotation_with_its_tags_and_links(setting):
    client, curator, url = setting["client"], setting["curator"], setting["url"]
    pk = int(url.rstrip("/").rsplit("/", 1)[1])
    assert client.delete(url).status_code == 204
    assert not Annotation.objects.filter(pk=pk).exists()
    assert client.get("/api/annotations/deleted/").status_code == 403
    deleted = curator.get("/api/annotations/deleted/").json()["deleted"]
    assert [d["id"] for d in deleted] == [pk] and deleted[0]["deleted_by"] == "alice"
    assert client.post(f"/api/annotations/history/{deleted[0]['history_id']}/restore/").status_code == 403
    restored = curator.post(f"/api/annotations/history/{deleted[0]['history_id']}/restore/")
    assert restored.status_code == 200, restored.content
    annotation = Annotation.objects.get(pk=pk)
    assert annotation.comment == "one" and annotation.creator.username == "alice"
    assert [t.name for t in annotation.tags.all()] == ["a"]
    assert list(annotation.records.all()) == [setting["record"]]
    types = [e["type"] for e in client.get(url + "history/").json()["history"]]
    assert types == ["created", "deleted", "created"]  # newest first: restored, deleted, created
    assert curator.get("/api/annotations/deleted/").json()["deleted"] == []


def test_a_curator_can_revert_to_an_earlier_version(setting):
    client, curator, url, payload = setting["client"], setting["curator"], setting["url"], setting["payload"]
    client.put(url, payload(setting["document"], 0, 6, comment="vandalised", visibility="public"), format="json")
    first = client.get(url + "history/").json()["history"][-1]
    assert curator.post(f"/api/annotations/history/{first['history_id']}/restore/").status_code == 200
    assert client.get(url).json()["body"][0]["value"] == "one"


def test_record_changes_are_kept_and_shown(setting):
    record = setting["record"]
    record.description = "Old Bolshevik"
    record.save()
    entries = setting["client"].get(f"/api/records/{record.pk}/history/").json()["history"]
    assert [e["type"] for e in entries] == ["changed", "created"]
    assert {"field": "description", "old": "", "new": "Old Bolshevik"} in entries[0]["changes"]


def test_restoring_a_deleted_annotation_brings_back_the_replies_deleted_with_it(setting, other_user):
    client, curator, url = setting["client"], setting["curator"], setting["url"]
    parent = Annotation.objects.get(pk=int(url.rstrip("/").rsplit("/", 1)[1]))
    reply = Annotation.objects.create(document=parent.document, reply_to=parent, creator=other_user,
                                      comment="a reply", visibility="public", status="approved")
    answer = Annotation.objects.create(document=parent.document, reply_to=reply, creator=parent.creator,
                                       comment="an answer", visibility="public", status="approved")
    unrelated = Annotation.objects.create(document=parent.document, reply_to=parent, creator=other_user,
                                          comment="deleted on its own earlier", visibility="public")
    curator.delete(f"/api/annotations/{unrelated.pk}/")
    assert client.delete(url).status_code == 204
    assert not Annotation.objects.filter(pk__in=[parent.pk, reply.pk, answer.pk]).exists()

    deleted = {d["id"]: d for d in curator.get("/api/annotations/deleted/").json()["deleted"]}
    assert curator.post(f"/api/annotations/history/{deleted[parent.pk]['history_id']}/restore/").status_code == 200

    assert Annotation.objects.get(pk=reply.pk).reply_to_id == parent.pk
    assert Annotation.objects.get(pk=answer.pk).comment == "an answer"
    assert not Annotation.objects.filter(pk=unrelated.pk).exists(), "only what the deletion took comes back"
    assert set(d["id"] for d in curator.get("/api/annotations/deleted/").json()["deleted"]) == {unrelated.pk}
