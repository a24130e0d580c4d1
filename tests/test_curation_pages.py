"""Curation pages: only curators get them (visitors are sent to sign in, other users get 403, on
every page and endpoint), the nav link shows only for curators, the dashboard counts, history and
restoring deleted annotations, the role command and the admin actions."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from annotations import services
from annotations.models import Annotation, EntityType
from annotations.permissions import is_curator
from tests.factories import AnnotationFactory, DocumentFactory, RecordFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects():
    document = DocumentFactory(slug="doc")
    annotation = AnnotationFactory(document=document)
    record = RecordFactory()
    return {"document": document, "annotation": annotation, "record": record}


def _pages(o) -> list[str]:
    return [
        "/curate/", "/curate/review/", "/curate/records/", f"/curate/records/{o['record'].pk}/", "/curate/documents/",
        "/curate/documents/new/", "/curate/documents/doc/", "/curate/orphans/", "/curate/exchange/",
        f"/curate/history/annotation/{o['annotation'].pk}/", f"/curate/history/record/{o['record'].pk}/",
        f"/curate/history/document/{o['document'].pk}/", "/curate/deleted/", f"/curate/annotations/{o['annotation'].pk}/edit/",
    ]


def _posts(o) -> list[str]:
    return [
        "/curate/review/", "/curate/records/merge/", f"/curate/records/{o['record'].pk}/",
        f"/curate/annotations/{o['annotation'].pk}/record/", "/curate/documents/new/", "/curate/documents/doc/",
        f"/curate/orphans/{o['annotation'].pk}/", "/curate/exchange/", "/curate/deleted/1/restore/",
        f"/curate/annotations/{o['annotation'].pk}/edit/",
    ]


API = [
    ("get", "/api/annotations/review/"), ("post", "/api/annotations/review/"), ("get", "/api/annotations/export/"),
    ("post", "/api/annotations/import/"), ("get", "/api/records/export/"), ("get", "/api/documents/doc/history/"),
]


def test_visitors_are_sent_to_sign_in_from_every_curation_page(client, objects):
    for url in _pages(objects) + _posts(objects):
        method = client.post if url in _posts(objects) and url not in _pages(objects) else client.get
        response = method(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next="), url


def test_other_users_get_403_on_every_curation_page_and_endpoint(client, user, objects):
    client.force_login(user)
    for url in _pages(objects):
        assert client.get(url).status_code == 403, url
    for url in _posts(objects):
        assert client.post(url, {}).status_code == 403, url
    api = APIClient()
    api.force_authenticate(user)
    calls = [*API, ("post", f"/api/records/{objects['record'].pk}/merge/"),
             ("post", f"/api/annotations/{objects['annotation'].pk}/review/")]
    for method, url in calls:
        assert getattr(api, method)(url, {}, format="json").status_code == 403, url
        assert getattr(APIClient(), method)(url, {}, format="json").status_code == 403, url


def test_curators_get_every_page(client, curator, objects):
    client.force_login(curator)
    for url in _pages(objects):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'aria-label="Curation"' in response.content.decode()


def test_unknown_history_objects_are_404(client, curator):
    client.force_login(curator)
    assert client.get("/curate/history/annotation/987654/").status_code == 404
    assert client.get("/curate/history/user/1/").status_code == 404


def test_the_nav_and_the_record_and_document_pages_link_to_curation_only_for_curators(client, user, curator, objects):
    record_page, document_page = f"/records/{objects['record'].pk}/", "/documents/doc/"
    edit_record, edit_document = f"/curate/records/{objects['record'].pk}/", "/curate/documents/doc/"
    for who in (None, user):
        if who:
            client.force_login(who)
        assert 'href="/curate/"' not in client.get("/").content.decode()
        assert edit_record not in client.get(record_page).content.decode()
        assert edit_document not in client.get(document_page).content.decode()
    client.force_login(curator)
    assert 'href="/curate/"' in client.get("/").content.decode()
    assert edit_record in client.get(record_page).content.decode()
    assert edit_document in client.get(document_page).content.decode()


def test_dashboard_counts_by_status_annotator_and_type_and_shows_pending_work_and_top_records(client, curator):
    person = EntityType.objects.get(key="person")
    busy, quiet = DocumentFactory(title="Busy <document>"), DocumentFactory(title="Quiet document")
    dora = UserFactory(username="dora")
    record = RecordFactory(label="Nikolai Yezhov")
    for _ in range(3):
        AnnotationFactory(document=busy, creator=dora, entity_type=person)
    approved = AnnotationFactory(document=quiet, creator=dora, status="approved")
    approved.records.add(record)
    AnnotationFactory(document=quiet, status="rejected")
    client.force_login(curator)
    response = client.get("/curate/")
    stats = response.context["stats"]
    assert {row["status"]: row["count"] for row in stats.by_status} == {"pending": 3, "approved": 1, "rejected": 1}
    dora_row = next(r for r in stats.by_annotator if r["creator__username"] == "dora")
    assert (dora_row["total"], dora_row["pending"], dora_row["approved"]) == (4, 3, 1)
    assert {r["entity_type__key"]: r["count"] for r in stats.by_entity_type} == {"person": 3, None: 2}
    assert [d["slug"] for d in stats.pending_documents] == [busy.slug]
    assert stats.top_records[0]["label"] == "Nikolai Yezhov" and stats.top_records[0]["mentions"] == 1
    html = response.content.decode()
    assert "Busy &lt;document&gt;" in html and "Nikolai Yezhov" in html


def test_history_page_and_restoring_a_deleted_annotation(client, curator, user):
    annotation = AnnotationFactory(creator=user, comment="Worth keeping")
    services.delete_annotation(user=user, annotation=annotation)
    client.force_login(curator)
    deleted = client.get("/curate/deleted/").content.decode()
    assert f'data-annotation-id="{annotation.pk}"' in deleted and "Worth keeping" in deleted
    row = Annotation.history.filter(id=annotation.pk, history_type="-").get()
    response = client.post(f"/curate/deleted/{row.history_id}/restore/", follow=True)
    assert response.redirect_chain[-1][0] == f"/curate/history/annotation/{annotation.pk}/"
    assert Annotation.objects.get(pk=annotation.pk).comment == "Worth keeping"
    html = response.content.decode()
    assert "restored from history entry" in html and "by carol" in html
    missing = client.post("/curate/deleted/987654/restore/", follow=True)
    assert "No history entry 987654." in missing.content.decode()


def test_grant_curator_command_grants_and_revokes_the_role(user):
    call_command("grant_curator", "alice", "--staff", stdout=io.StringIO())
    user.refresh_from_db()
    assert is_curator(user) and user.is_staff
    assert Group.objects.get(name="curators").permissions.filter(codename="change_record").exists()
    call_command("grant_curator", "alice", "--revoke", stdout=io.StringIO())
    user = type(user).objects.get(pk=user.pk)
    assert not is_curator(user)
    with pytest.raises(CommandError, match="No user"):
        call_command("grant_curator", "nobody", stdout=io.StringIO())


def test_admin_merge_action_merges_into_the_lowest_id(client, curator):
    curator.is_staff = True
    curator.save()
    survivor, duplicate = RecordFactory(label="Survivor"), RecordFactory(label="Duplicate")
    AnnotationFactory().records.add(duplicate)
    client.force_login(curator)
    response = client.post("/admin/archive_site/record/", {
        "action": "merge_records_action", "_selected_action": [survivor.pk, duplicate.pk],
    }, follow=True)
    assert response.status_code == 200
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == survivor.pk and survivor.annotations.count() == 1


HUGE = "9" * 30


def test_hostile_input_to_curation_pages_and_endpoints_is_a_4xx_never_a_500(client, curator):
    client.raise_request_exception = False
    api = APIClient()
    api.force_authenticate(curator)
    api.raise_request_exception = False
    record, annotation = RecordFactory(), AnnotationFactory()
    answers = {
        "queue record": api.get("/api/annotations/review/", {"record": HUGE}),
        "queue page": api.get("/api/annotations/review/", {"page": HUGE}),
        "queue nul": api.get("/api/annotations/review/", {"creator": "a\x00b"}),
        "bulk huge": api.post("/api/annotations/review/", {"ids": [int(HUGE)], "status": "approved"}, format="json"),
        "bulk nul": api.post("/api/annotations/review/", {"ids": [annotation.pk], "status": "rejected", "reason": "\x00"}, format="json"),
        "merge huge": api.post(f"/api/records/{record.pk}/merge/", {"into": int(HUGE)}, format="json"),
        "merge path": api.post(f"/api/records/{HUGE}/merge/", {"into": record.pk}, format="json"),
        "export nul": api.get("/api/annotations/export/", {"document": "a\x00b"}),
        "import nul": api.post("/api/annotations/import/", [{"type": "Annotation", "target": "/documents/x\x00/"}], format="json"),
        "import scalar": api.post("/api/annotations/import/", 5, format="json"),
    }
    client.force_login(curator)
    answers.update({
        "page merge": client.post("/curate/records/merge/", {"record": HUGE, "into": HUGE}),
        "page link": client.post(f"/curate/annotations/{annotation.pk}/record/", {"record": HUGE}),
        "page new record nul": client.post(f"/curate/annotations/{annotation.pk}/record/", {"label": "a\x00"}),
        "page edit": client.post(f"/curate/annotations/{annotation.pk}/edit/", {"records": HUGE, "comment": "\x00"}),
        "page record nul": client.post(f"/curate/records/{record.pk}/", {"label": "x\x00", "kind": "person"}),
        "page orphan": client.post(f"/curate/orphans/{annotation.pk}/", {"start": HUGE, "end": HUGE}),
        "page review": client.post("/curate/review/", {"ids": [HUGE], "action": "approved"}),
        "page queue": client.get("/curate/review/", {"record": HUGE, "document": "\x00"}),
        "page document nul": client.post("/curate/documents/new/", {"title": "t\x00", "text": "x"}),
        "page history": client.get(f"/curate/history/annotation/{HUGE}/"),
    })
    server_errors = {name: r.status_code for name, r in answers.items() if r.status_code >= 500}
    assert server_errors == {}
    assert answers["bulk huge"].status_code == 400 and answers["queue nul"].status_code == 400
    assert answers["page document nul"].status_code == 400 and answers["page record nul"].status_code == 400
    assert Annotation.objects.get(pk=annotation.pk).status == "pending"
