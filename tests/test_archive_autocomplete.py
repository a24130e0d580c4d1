"""Record autocomplete (/api/records/?q=) through the indexed name-tail table: the same records,
count and order as matching every name's word starts, kept in step with record changes."""

import pytest

from archive_site.models import Record, RecordNameTail

from .factories import RecordFactory

pytestmark = pytest.mark.django_db


def found(api_client, q, **params):
    body = api_client.get("/api/records/", {"q": q, **params}).json()
    return body["count"], [r["label"] for r in body["results"]]


def test_autocomplete_finds_labels_and_aliases_by_any_word_start_in_any_case(api_client):
    RecordFactory(label="Georgy Pyatakov", aliases=["Piatakov", "Yuri Piatakoff"])
    RecordFactory(label="Gebhard Leberecht von Blücher", aliases=["Blucher"])
    assert found(api_client, "pyat") == (1, ["Georgy Pyatakov"])
    assert found(api_client, "PIATAK") == (1, ["Georgy Pyatakov"])  # an alias, upper case
    assert found(api_client, "yuri  pia") == (1, ["Georgy Pyatakov"])  # several words, spaces folded
    assert found(api_client, "blü") == (1, ["Gebhard Leberecht von Blücher"])
    assert found(api_client, "BLUC") == (1, ["Gebhard Leberecht von Blücher"])  # its alias
    assert found(api_client, "von b") == (1, ["Gebhard Leberecht von Blücher"])
    assert found(api_client, "takov") == (0, [])  # not a word start
    assert api_client.get("/api/records/", {"q": "   "}).json()["count"] == 0


def test_autocomplete_pages_and_counts_exactly_as_the_names_scan(api_client):
    for i in range(130):
        RecordFactory(label=f"Ivan Petrov-{i % 7}", aliases=[f"I. Petrov-{i}"],
                      kind=Record.Kind.PERSON if i % 3 else Record.Kind.PLACE)
    RecordFactory(label="Petrovsky Island", kind=Record.Kind.PLACE)
    merged_into = RecordFactory(label="Pavel Petrov")
    RecordFactory(label="Pavel Petrov (duplicate)", merged_into=merged_into)
    for params in ({}, {"kind": "place"}, {"kind": "person"}):
        expected = Record.objects.filter(merged_into__isnull=True).matching("petr")
        if params:
            expected = expected.filter(kind=params["kind"])
        expected_ids = list(expected.order_by("label", "id").values_list("id", flat=True))
        got = []
        page = 1
        while True:
            body = api_client.get("/api/records/", {"q": "petr", "page": page, **params}).json()
            assert body["count"] == len(expected_ids)
            got += [r["id"] for r in body["results"]]
            if not body["next"]:
                break
            page += 1
        assert got == expected_ids
    assert "Pavel Petrov (duplicate)" not in found(api_client, "pavel")[1]


def test_autocomplete_follows_renames_alias_changes_merges_and_deletions(api_client):
    record = RecordFactory(label="Nikolai Yezhov", aliases=["Ezhov"])
    assert found(api_client, "ezh")[0] == 1
    record.aliases = ["Jezhov"]
    record.label = "N. I. Yezhov"
    record.save()
    assert found(api_client, "ezh")[0] == 0
    assert found(api_client, "jezh") == (1, ["N. I. Yezhov"])
    assert found(api_client, "nikolai")[0] == 0

    survivor = RecordFactory(label="Nikolai Ivanovich Yezhov")
    record.merged_into = survivor
    record.save()
    assert found(api_client, "jezh")[0] == 0  # merged records are not offered
    survivor.delete()  # merged_into is set to NULL: the record is live again
    assert found(api_client, "jezh") == (1, ["N. I. Yezhov"])
    record.delete()
    assert found(api_client, "jezh")[0] == 0
    assert not RecordNameTail.objects.exists()


def test_a_raw_save_as_a_restore_does_also_writes_the_lookup_rows(api_client):
    from django.utils import timezone

    now = timezone.now()
    Record(key="restored", kind="person", label="Karl Radek", aliases=["Sobelsohn"], created=now, modified=now,
           search_names="karl radek|sobelsohn").save_base(raw=True, force_insert=True)
    assert found(api_client, "sobel") == (1, ["Karl Radek"])
    assert list(Record.objects.matching("rad").values_list("key", flat=True)) == ["restored"]
