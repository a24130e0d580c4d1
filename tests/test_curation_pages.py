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
from archive_site.models import Record
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


# --- the review queue: a reason beside each row's Reject, select all, replies with their parent ------


def _row(html: str, pk: int) -> str:
    """The review table's row of annotation ``pk``."""
    start = html.index(f'<tr data-annotation-id="{pk}"')
    return html[start:html.index("</tr>", start)]


def test_each_queue_row_has_its_own_reason_box_for_its_reject_saying_the_annotator_sees_it(client, curator):
    annotation = AnnotationFactory()
    client.force_login(curator)
    html = client.get("/curate/review/").content.decode()
    row = _row(html, annotation.pk)
    assert f'<textarea id="reason-{annotation.pk}" name="reason-{annotation.pk}"' in row
    assert f'<label for="reason-{annotation.pk}"' in row and "the annotator sees it" in row
    assert f'name="one" value="{annotation.pk}:approved"' in row and f'name="one" value="{annotation.pk}:rejected"' in row
    # Enter in a text field submits through the form's first submit button: never a row's Approve.
    form = html[html.index('id="bulk-review"'):]
    first_button = form[form.index("<button"):form.index("</button>")]
    assert 'name="action" value="edit"' in first_button


def test_a_rows_own_reject_rejects_just_that_row_with_its_own_reason(client, curator):
    chosen, ticked, untouched = AnnotationFactory(), AnnotationFactory(), AnnotationFactory()
    client.force_login(curator)
    response = client.post("/curate/review/", {
        "one": f"{chosen.pk}:rejected", f"reason-{chosen.pk}": "Not in the source",
        f"reason-{ticked.pk}": "Something else", "ids": [str(ticked.pk)], "reason": "Shared reason",
        "next": "/curate/review/?creator=",
    })
    assert response.status_code == 302 and response["Location"] == "/curate/review/?creator="
    statuses = dict(Annotation.objects.values_list("pk", "status"))
    assert statuses == {chosen.pk: "rejected", ticked.pk: "pending", untouched.pk: "pending"}
    assert Annotation.objects.get(pk=chosen.pk).review_reason == "Not in the source"
    assert "1 annotation marked rejected." in client.get("/curate/review/").content.decode()


def test_a_failed_reject_shows_the_queue_again_as_the_curator_left_it(client, curator):
    dora = UserFactory(username="dora")
    failing, other = AnnotationFactory(creator=dora), AnnotationFactory(creator=dora)
    client.force_login(curator)
    # A row's Reject uses the row's own box only: the shared box does not stand in for it.
    response = client.post("/curate/review/", {
        "one": f"{failing.pk}:rejected", f"reason-{failing.pk}": "  ", f"reason-{other.pk}": "Half-typed <reason>",
        "ids": [str(other.pk)], "reason": "Shared draft", "add_tag": "later", "next": "/curate/review/?creator=dora",
    })
    assert response.status_code == 400
    html = response.content.decode()
    assert f"Annotation {failing.pk}: Say why the annotation is rejected" in html
    failed_row = _row(html, failing.pk)
    assert 'class="failed"' in failed_row and 'aria-invalid="true"' in failed_row and "autofocus" in failed_row
    other_row = _row(html, other.pk)
    assert ">Half-typed &lt;reason&gt;</textarea>" in other_row
    assert f'value="{other.pk}" id="pick-{other.pk}" aria-label="Select annotation {other.pk}" checked' in other_row
    assert ">Shared draft</textarea>" in html and 'name="add_tag" maxlength="100" value="later"' in html
    assert 'name="creator" value="dora"' in html  # the filters it was posted from
    assert 'name="next" value="/curate/review/?creator=dora"' in html
    assert set(Annotation.objects.values_list("status", flat=True)) == {"pending"}
    # A reason too long is refused the same way, and what was typed is kept.
    long_reason = "x" * 2001
    response = client.post("/curate/review/", {"one": f"{failing.pk}:rejected", f"reason-{failing.pk}": long_reason})
    assert response.status_code == 400 and f">{long_reason}</textarea>" in response.content.decode()


def test_select_all_without_javascript_ticks_every_row_of_the_page_and_approving_them_approves_all(client, curator):
    annotations = [AnnotationFactory() for _ in range(52)]  # two pages of 50
    client.force_login(curator)

    def ticked(html: str) -> set[int]:
        return {a.pk for a in annotations if f'id="pick-{a.pk}" aria-label="Select annotation {a.pk}" checked' in html}

    plain = client.get("/curate/review/").content.decode()
    assert ticked(plain) == set() and 'href="?page=1&amp;select=all">Select all on this page</a>' in plain
    assert '<span class="js-only" hidden><input type="checkbox" id="pick-all" aria-label="Select every annotation on this page">' in plain
    all_first = client.get("/curate/review/", {"select": "all"}).content.decode()
    assert ticked(all_first) == {a.pk for a in annotations[:50]}
    assert "Every annotation on this page is selected." in all_first and 'href="?page=1">Clear the selection</a>' in all_first
    all_second = client.get("/curate/review/", {"page": "2", "select": "all"}).content.decode()
    assert ticked(all_second) == {a.pk for a in annotations[50:]}
    response = client.post("/curate/review/", {
        "ids": [str(a.pk) for a in annotations[:50]], "action": "approved", "next": "/curate/review/?page=1&select=all",
    })
    assert response.status_code == 302
    assert Annotation.objects.filter(status="approved").count() == 50
    assert set(Annotation.objects.filter(status="pending").values_list("pk", flat=True)) == {a.pk for a in annotations[50:]}


def test_select_all_keeps_the_filters(client, curator):
    dora = UserFactory(username="dora")
    hers, theirs = AnnotationFactory(creator=dora), AnnotationFactory()
    client.force_login(curator)
    html = client.get("/curate/review/", {"creator": "dora"}).content.decode()
    assert 'href="?creator=dora&amp;page=1&amp;select=all"' in html
    html = client.get("/curate/review/", {"creator": "dora", "select": "all"}).content.decode()
    assert f'id="pick-{hers.pk}" aria-label="Select annotation {hers.pk}" checked' in html
    assert f'data-annotation-id="{theirs.pk}"' not in html


def test_a_reply_row_shows_the_annotation_it_answers(client, curator):
    dora = UserFactory(username="dora")
    parent = AnnotationFactory(creator=dora, comment="Zinoviev <was> the first defendant.", status="approved")
    reply = AnnotationFactory(
        document=parent.document, reply_to=parent, target_start=None, target_end=None, target_quote="",
        target_prefix="", target_suffix="", comment="Kamenev too.", motivation="replying",
    )
    client.force_login(curator)
    html = client.get("/curate/review/").content.decode()
    row = _row(html, reply.pk)
    assert f'data-parent-id="{parent.pk}"' in row
    assert "Reply to</strong> dora" in row and "(approved)" in row
    assert f"<q>{parent.target_quote}</q>" in row and "Zinoviev &lt;was&gt; the first defendant." in row
    assert "Kamenev too." in row and f"#hl-{parent.pk}" in row
    assert f'data-annotation-id="{parent.pk}"' not in html  # approved: not in the pending queue
    assert "data-parent-id" not in client.get("/curate/review/?status=approved").content.decode()


# --- records: merge by searching names, duplicates when making a record from a passage -------------------


def test_records_page_finds_records_by_name_and_merges_the_chosen_duplicate_into_the_chosen_survivor(client, curator, user):
    keep = RecordFactory(label="Nikolai Yezhov", aliases=["N. I. Yezhov"], start_date="1895", end_date="1940")
    duplicate = RecordFactory(label="Nikolay Yezhov", kind="person")
    unrelated = RecordFactory(label="Genrikh Yagoda")
    AnnotationFactory(visibility="public").records.add(keep)
    AnnotationFactory(visibility="private", creator=user).records.add(keep)  # someone's private note: not counted
    client.force_login(curator)
    html = client.get("/curate/records/", {"name": "yezh"}).content.decode()
    assert 'name="name" value="yezh"' in html and "2 records with a name starting “yezh”" in html
    for record in (keep, duplicate):
        assert f'name="record" value="{record.pk}"' in html and f'name="into" value="{record.pk}"' in html
    assert f'value="{unrelated.pk}"' not in html
    keep_row = html[html.index(f'<tr data-record-id="{keep.pk}"'):]
    keep_row = keep_row[:keep_row.index("</tr>")]
    assert "Nikolai Yezhov" in keep_row and "Person" in keep_row and "1895–1940" in keep_row and "N. I. Yezhov" in keep_row
    assert '<td class="num">1<span class="narrow-only"> annotation link</span>' in keep_row
    assert "No record has a name" in client.get("/curate/records/", {"name": "zzzz"}).content.decode()

    response = client.post("/curate/records/merge/", {
        "record": duplicate.pk, "into": keep.pk, "next": "/curate/records/?name=yezh#merge",
    })
    assert response.status_code == 302 and response["Location"] == f"/curate/records/{keep.pk}/"
    duplicate.refresh_from_db()
    keep.refresh_from_db()
    assert duplicate.merged_into_id == keep.pk and "Nikolay Yezhov" in keep.aliases
    # Merged records are no longer candidates; a record into itself says why and goes back to the search.
    assert f'name="record" value="{duplicate.pk}"' not in client.get("/curate/records/", {"name": "yezh"}).content.decode()
    response = client.post("/curate/records/merge/", {"record": keep.pk, "into": keep.pk, "next": "/curate/records/?name=yezh#merge"})
    assert response["Location"] == "/curate/records/?name=yezh#merge"
    assert "cannot be merged into itself" in client.get(response["Location"]).content.decode()


def test_a_records_edit_page_shows_same_name_records_and_merges_by_search_either_way(client, curator):
    record = RecordFactory(label="Lev Kamenev")
    twin = RecordFactory(label="lev  KAMENEV", kind="person")
    other = RecordFactory(label="Lev Trotsky")
    client.force_login(curator)
    html = client.get(f"/curate/records/{record.pk}/").content.decode()
    assert "Likely duplicates: other records named “Lev Kamenev”" in html
    assert f'name="into" value="{twin.pk}" id="same-{twin.pk}"' in html
    assert f'name="into" value="{record.pk}"' not in html and f'value="{other.pk}"' not in html
    html = client.get(f"/curate/records/{record.pk}/", {"name": "lev"}).content.decode()
    assert f'id="match-{other.pk}"' in html and f'id="match-{twin.pk}"' in html and f'id="match-{record.pk}"' not in html

    # "Merge the chosen one into this record": the chosen record is the duplicate.
    response = client.post("/curate/records/merge/", {"record": record.pk, "into": other.pk, "direction": "reverse"})
    assert response["Location"] == f"/curate/records/{record.pk}/"
    other.refresh_from_db()
    assert other.merged_into_id == record.pk
    # "Merge this record into the chosen one".
    response = client.post("/curate/records/merge/", {"record": record.pk, "into": twin.pk})
    assert response["Location"] == f"/curate/records/{twin.pk}/"
    record.refresh_from_db()
    assert record.merged_into_id == twin.pk


def test_new_record_from_a_passage_with_a_known_name_answers_409_with_those_records_until_confirmed(client, curator):
    existing = RecordFactory(label="Karl Radek", kind="person")
    client.force_login(curator)
    response = client.post("/records/new-from-passage/", {"label": " karl  RADEK ", "kind": "person"})
    assert response.status_code == 409
    body = response.json()
    assert "exists already" in body["detail"]
    assert body["existing"] == [{"id": existing.pk, "label": "Karl Radek", "kind": "person", "url": f"/records/{existing.pk}/"}]
    assert Record.objects.count() == 1
    response = client.post("/records/new-from-passage/", {"label": "Karl Radek", "kind": "person", "allow_duplicate": "1"})
    assert response.status_code == 201 and response.json()["label"] == "Karl Radek"
    assert Record.objects.filter(label="Karl Radek").count() == 2


def test_records_page_warns_beside_the_passage_when_its_name_is_taken_and_creates_it_when_ticked(client, curator):
    document = DocumentFactory(text="Karl Radek spoke at length.")
    person = EntityType.objects.get(key="person")
    annotation = AnnotationFactory(document=document, entity_type=person, target_start=0, target_end=10)
    existing = RecordFactory(label="Karl Radek", kind="person", start_date="1885")
    client.force_login(curator)
    html = client.get("/curate/records/").content.decode()
    gap = html[html.index(f'id="gap-{annotation.pk}"'):]
    assert 'type="checkbox" name="allow_duplicate" value="1"> a different person with the same name' in gap

    response = client.post(f"/curate/annotations/{annotation.pk}/record/", {"label": "Karl Radek", "kind": "person"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Tick “a different person with the same name” to create it anyway." in html  # the view's message
    gap = html[html.index(f'id="gap-{annotation.pk}"'):]
    gap = gap[:gap.index('class="gap-item"') if 'class="gap-item"' in gap else len(gap)]
    assert "already named “Karl Radek”" in gap and f'href="/records/{existing.pk}/">Karl Radek</a>' in gap
    assert f'name="record" value="{existing.pk}"><button type="submit">Link to this record</button>' in gap
    assert 'name="allow_duplicate" value="1" autofocus>' in gap
    assert Record.objects.count() == 1 and not annotation.records.exists()

    response = client.post(f"/curate/annotations/{annotation.pk}/record/", {"label": "Karl Radek", "kind": "person", "allow_duplicate": "1"})
    assert response.status_code == 302
    assert Record.objects.filter(label="Karl Radek").count() == 2
    created = annotation.records.get()
    assert created.pk != existing.pk and created.label == "Karl Radek"


def test_linking_a_passage_to_the_existing_record_from_the_warning(client, curator):
    document = DocumentFactory(text="Karl Radek spoke at length.")
    annotation = AnnotationFactory(document=document, entity_type=EntityType.objects.get(key="person"), target_start=0, target_end=10)
    existing = RecordFactory(label="Karl Radek")
    client.force_login(curator)
    response = client.post(f"/curate/annotations/{annotation.pk}/record/", {"record": existing.pk})
    assert response.status_code == 302
    assert list(annotation.records.all()) == [existing] and Record.objects.count() == 1


# --- history by name ------------------------------------------------------------------------------------------


def test_history_pages_show_people_and_records_by_name(client, curator, user):
    from curation.records import merge_records, record_for_annotation
    from curation.review import review_annotation

    first, survivor = RecordFactory(label="Genrikh Yagoda"), RecordFactory(label="G. G. Yagoda")
    annotation = AnnotationFactory(creator=user, visibility="public")
    record_for_annotation(user=curator, annotation=annotation, record=first)
    review_annotation(user=curator, annotation=annotation, status="rejected", reason="Wrong person")
    merge_records(user=curator, record=first, into=survivor)
    client.force_login(curator)

    html = client.get(f"/curate/history/annotation/{annotation.pk}/").content.decode()
    assert "<code>reviewed_by</code>: — → carol" in html
    assert "<code>records</code>: — → Genrikh Yagoda" in html
    assert "<code>records</code>: Genrikh Yagoda → G. G. Yagoda" in html
    assert "['" not in html and "None" not in html

    html = client.get(f"/curate/history/record/{first.pk}/").content.decode()
    assert "History of Genrikh Yagoda" in html
    assert f"<code>merged_into</code>: — → G. G. Yagoda (record {survivor.pk})" in html and "by carol" in html

    client.force_login(user)  # the reader's own history page: the same names, lists as text
    html = client.get(f"/annotations/{annotation.pk}/history/").content.decode()
    assert "<code>reviewed_by</code>: — → carol" in html and "<code>records</code>: Genrikh Yagoda → G. G. Yagoda" in html
    assert "['" not in html
