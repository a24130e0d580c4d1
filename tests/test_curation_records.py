"""Records: merge duplicates (links moved, aliases combined, old URLs redirect, one transaction,
history), refuse impossible merges with a clear 400, edit names and dates, and the gaps lists
(records nobody links to, person annotations that link to no record)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from annotations.models import Annotation, EntityType
from archive_site.models import Record
from curation.records import MergeError, merge_records
from tests.factories import AnnotationFactory, DocumentFactory, RecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def duplicates():
    survivor = RecordFactory(label="Grigory Zinoviev", aliases=["Zinoviev"], start_date="1883")
    duplicate = RecordFactory(label="G. Zinovyev", aliases=["Zinovyev", "Radomyslsky"], end_date="1936-08-25",
                              description="Old Bolshevik", external_ids={"wikidata": "Q189249"})
    both = AnnotationFactory()
    both.records.add(survivor, duplicate)
    links = [AnnotationFactory(), AnnotationFactory(document=both.document), both]
    for annotation in links[:2]:
        annotation.records.add(duplicate)
    untouched = AnnotationFactory()
    untouched.records.add(survivor)
    return {"survivor": survivor, "duplicate": duplicate, "links": links, "untouched": untouched}


def test_merge_moves_every_link_combines_aliases_and_the_old_urls_redirect(curator_api, client, curator, duplicates):
    survivor, duplicate = duplicates["survivor"], duplicates["duplicate"]
    response = curator_api.post(f"/api/records/{duplicate.pk}/merge/", {"into": survivor.pk}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["moved_links"] == 3 and body["survivor"]["id"] == survivor.pk

    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor
    assert survivor.aliases == ["Zinoviev", "G. Zinovyev", "Zinovyev", "Radomyslsky"]
    assert (survivor.start_date, survivor.end_date, survivor.description) == ("1883", "1936-08-25", "Old Bolshevik")
    assert survivor.external_ids == {"wikidata": "Q189249"}
    assert not Annotation.objects.filter(records=duplicate).exists()
    linked = set(Annotation.objects.filter(records=survivor).values_list("pk", flat=True))
    assert linked == {a.pk for a in duplicates["links"]} | {duplicates["untouched"].pk}
    assert duplicates["links"][2].records.count() == 1  # linked to both before: once now

    page = client.get(f"/records/{duplicate.pk}/")
    assert page.status_code == 301 and page["Location"] == f"/records/{survivor.pk}/"
    api = APIClient().get(f"/api/records/{duplicate.pk}/")
    assert api.status_code == 301 and api["Location"] == f"/api/records/{survivor.pk}/"
    assert APIClient().get(f"/api/records/{survivor.pk}/").json()["aliases"][1] == "G. Zinovyev"


def test_merge_is_recorded_in_the_history_of_both_records_and_each_moved_annotation(curator_api, curator, duplicates):
    survivor, duplicate = duplicates["survivor"], duplicates["duplicate"]
    curator_api.post(f"/api/records/{duplicate.pk}/merge/", {"into": survivor.pk}, format="json")
    merged_row = duplicate.history.order_by("-history_id").first()
    survivor_row = survivor.history.order_by("-history_id").first()
    assert merged_row.history_user == curator and f"merged into record {survivor.pk}" in merged_row.history_change_reason
    assert survivor_row.history_user == curator and f"merged record {duplicate.pk}" in survivor_row.history_change_reason
    for annotation in duplicates["links"]:
        row = annotation.history.order_by("-history_id").first()
        assert row.history_user == curator and "merged into record" in row.history_change_reason
        assert {r.record_id for r in row.records.all()} == {survivor.pk}
    history = curator_api.get(f"/api/records/{duplicate.pk}/history/").json()["history"]
    assert history[0]["user"] == "carol" and "merged_into" in {c["field"] for c in history[0]["changes"]}


def test_merge_is_all_or_nothing(curator, duplicates, monkeypatch):
    from annotations import services

    def fail(*args, **kwargs):
        raise RuntimeError("index down")

    monkeypatch.setattr(services, "_changed", fail)
    with pytest.raises(RuntimeError):
        merge_records(user=curator, record=duplicates["duplicate"], into=duplicates["survivor"])
    duplicates["duplicate"].refresh_from_db()
    duplicates["survivor"].refresh_from_db()
    assert duplicates["duplicate"].merged_into is None and duplicates["survivor"].aliases == ["Zinoviev"]
    assert Annotation.objects.filter(records=duplicates["duplicate"]).count() == 3


def test_earlier_merges_into_the_merged_record_point_at_the_survivor(curator):
    a, b, c = RecordFactory(), RecordFactory(), RecordFactory()
    merge_records(user=curator, record=a, into=b)
    merge_records(user=curator, record=b, into=c)
    a.refresh_from_db()
    assert a.merged_into == c


def test_merging_into_itself_or_into_a_merged_record_is_a_clear_400(curator_api, curator):
    a, b, c = RecordFactory(), RecordFactory(), RecordFactory()
    merge_records(user=curator, record=b, into=c)
    itself = curator_api.post(f"/api/records/{a.pk}/merge/", {"into": a.pk}, format="json")
    assert itself.status_code == 400 and itself.json()["detail"] == "A record cannot be merged into itself."
    into_merged = curator_api.post(f"/api/records/{a.pk}/merge/", {"into": b.pk}, format="json")
    assert into_merged.status_code == 400
    assert f"was itself merged into record {c.pk}: merge into that one" in into_merged.json()["detail"]
    again = curator_api.post(f"/api/records/{b.pk}/merge/", {"into": a.pk}, format="json")
    assert again.status_code == 400 and "already merged" in again.json()["detail"]
    with pytest.raises(MergeError):
        merge_records(user=curator, record=a, into=a)
    a.refresh_from_db()
    assert a.merged_into is None


@pytest.mark.parametrize("body", [{}, {"into": "abc"}, {"into": None}, {"into": True}, {"into": 987654}, ["x"]])
def test_merge_bad_input_is_400(curator_api, body):
    record = RecordFactory()
    response = curator_api.post(f"/api/records/{record.pk}/merge/", body, format="json")
    assert response.status_code == 400 and "into" in response.json()["errors"]


def test_merge_of_an_unknown_record_is_404(curator_api):
    assert curator_api.post("/api/records/987654/merge/", {"into": RecordFactory().pk}, format="json").status_code == 404


def test_non_curators_cannot_merge(user, duplicates):
    client = APIClient()
    url = f"/api/records/{duplicates['duplicate'].pk}/merge/"
    assert client.post(url, {"into": duplicates["survivor"].pk}, format="json").status_code == 403
    client.force_authenticate(user)
    assert client.post(url, {"into": duplicates["survivor"].pk}, format="json").status_code == 403
    assert Record.objects.get(pk=duplicates["duplicate"].pk).merged_into is None


def test_merge_page_form_merges_and_shows_the_survivor(client, curator, duplicates):
    client.force_login(curator)
    response = client.post("/curate/records/merge/", {"record": duplicates["duplicate"].pk, "into": duplicates["survivor"].pk}, follow=True)
    assert response.redirect_chain[-1][0] == f"/curate/records/{duplicates['survivor'].pk}/"
    assert "3 annotation link(s) moved" in response.content.decode()
    response = client.post("/curate/records/merge/", {"record": duplicates["survivor"].pk, "into": duplicates["survivor"].pk}, follow=True)
    assert "A record cannot be merged into itself." in response.content.decode()


def test_editing_a_record_changes_aliases_and_dates_and_rejects_bad_dates(client, curator):
    record = RecordFactory(label="Lev Kamenev")
    client.force_login(curator)
    response = client.post(f"/curate/records/{record.pk}/", {
        "label": "Lev Kamenev", "kind": "person", "aliases": "Kamenev\nL. B. Kamenev\n\nRozenfeld",
        "start_date": "1883-07", "end_date": "1936-08-25", "description": "Old Bolshevik",
    })
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.aliases == ["Kamenev", "L. B. Kamenev", "Rozenfeld"]
    assert (record.start_date, record.end_date) == ("1883-07", "1936-08-25")
    assert record.history.order_by("-history_id").first().history_user == curator
    bad = client.post(f"/curate/records/{record.pk}/", {"label": "Lev Kamenev", "kind": "person", "start_date": "July 1883"})
    assert bad.status_code == 400 and "YYYY" in bad.content.decode()
    record.refresh_from_db()
    assert record.start_date == "1883-07"


def test_gaps_page_lists_unlinked_records_and_person_annotations_without_a_record(client, curator):
    person = EntityType.objects.get(key="person")
    RecordFactory(label="Nobody Mentions Me")
    linked = RecordFactory(label="Often Mentioned")
    AnnotationFactory().records.add(linked)
    unlinked_person = AnnotationFactory(entity_type=person)
    place = AnnotationFactory(entity_type=EntityType.objects.get(key="place"))
    client.force_login(curator)
    html = client.get("/curate/records/").content.decode()
    assert "Nobody Mentions Me" in html and "Often Mentioned" not in html
    assert f'data-annotation-id="{unlinked_person.pk}"' in html and f'data-annotation-id="{place.pk}"' not in html


def test_a_record_is_made_from_an_annotations_passage_and_linked(client, curator):
    document = DocumentFactory(text="Then Genrikh Yagoda was arrested.")
    start = document.text.index("Genrikh Yagoda")
    annotation = AnnotationFactory(document=document, target_start=start, target_end=start + 14,
                                   entity_type=EntityType.objects.get(key="person"))
    client.force_login(curator)
    client.post(f"/curate/annotations/{annotation.pk}/record/", {"label": "Genrikh Yagoda", "kind": "person"})
    record = annotation.records.get()
    assert (record.label, record.kind) == ("Genrikh Yagoda", "person")
    assert "linked to record" in annotation.history.order_by("-history_id").first().history_change_reason
    other = AnnotationFactory(document=document, target_start=start, target_end=start + 14)
    client.post(f"/curate/annotations/{other.pk}/record/", {"record": str(record.pk)})
    assert list(other.records.all()) == [record]
    response = client.post(f"/curate/annotations/{other.pk}/record/", {"record": "987654"}, follow=True)
    assert "No record with id 987654." in response.content.decode()


def test_a_merged_record_leaves_search_and_its_names_find_the_survivor(curator, duplicates):
    from search import services

    survivor, duplicate = duplicates["survivor"], duplicates["duplicate"]
    assert duplicate.pk in [i.id for i in services.search(user=None, text="Radomyslsky", type="record").items]
    merge_records(user=curator, record=duplicate, into=survivor)
    found = [i.id for i in services.search(user=None, text="Radomyslsky", type="record").items]
    assert found == [survivor.pk]
