"""Records at a million: record-name expansion and entity suggestions read the records' names
from indexed tables derived from the records (``RecordName``, ``RecordNameWord``,
``RecordMatchKey``), kept in step by every save, merge and deletion, a query's or a text's own
words at a time: a bounded number of statements, each an index lookup, whatever the number of
records (bench/run.py's records phase times them at 1,000,000)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations import suggestions
from archive_site.models import Record, RecordMatchKey, RecordName, RecordNameWord
from search import names, ranking
from search.analysis import fold_unstemmed
from search.parser import parse
from tests.factories import DocumentFactory, RecordFactory

pytestmark = pytest.mark.django_db


def _rewrite(text: str):
    return ranking.rewrite(parse(text).tree, names.lexicon())


def _record_names(text: str) -> set[str]:
    return {n for w in _rewrite(text).words for n in w.record_names}


def _person(label: str, *aliases: str) -> Record:
    return RecordFactory(kind=Record.Kind.PERSON, label=label, aliases=list(aliases))


def test_the_name_rows_follow_the_record_through_edits_merges_and_deletions():
    yezhov = _person("Nikolai Yezhov", "Ежов", "Nicolas Iejov")
    rows = list(RecordName.objects.filter(record=yezhov).order_by("position").values_list("text", "words", "surname"))
    iejov = fold_unstemmed("Iejov")  # the French spelling, as search folds it
    assert rows == [("Nikolai Yezhov", "nikolai ezhov", "ezhov"), ("Ежов", "ezhov", None),
                    ("Nicolas Iejov", f"nicolas {iejov}", iejov)]
    assert set(RecordNameWord.objects.filter(record=yezhov).values_list("word", flat=True)) == {
        "nikolai", "ezhov", "nicolas", iejov}
    assert _record_names("Yezhov") == {"Nicolas Iejov"}  # Ежов reads "ezhov": nothing to add

    yezhov.aliases = ["Jeschow"]
    yezhov.save()
    assert _record_names("Yezhov") == {"Jeschow"}
    assert not _record_names("Iejov")

    into = _person("N. I. Ezhov")
    yezhov.merged_into = into
    yezhov.save()
    assert not RecordName.objects.filter(record=yezhov, live=True).exists()
    assert _record_names("Jeschow") == set()

    into.delete()  # the records merged into it come back (merged_into is SET_NULL, no signal)
    assert _record_names("Jeschow") == {"Nikolai Yezhov"}
    assert RecordMatchKey.objects.filter(record=yezhov, live=True).exists()

    record_id = yezhov.pk
    yezhov.delete()
    assert not RecordName.objects.filter(record_id=record_id).exists()
    assert not RecordMatchKey.objects.filter(record_id=record_id).exists()


def test_a_raw_save_as_a_restore_does_also_writes_the_rows():
    from django.utils import timezone

    now = timezone.now()
    record = Record(key="radek", kind=Record.Kind.PERSON, label="Karl Radek", aliases=["Sobelsohn"], created=now,
                    modified=now)
    record.save_base(raw=True, force_insert=True)
    assert set(RecordName.objects.filter(record=record).values_list("words", flat=True)) == {"karl radek", "sobelsohn"}
    assert set(RecordMatchKey.objects.filter(record=record).values_list("first", flat=True)) == {"karl", "sobelsohn"}


def test_rebuild_writes_what_the_receivers_wrote():
    _person("Georgy Pyatakov", "Piatakoff", "Пятаков")
    RecordFactory(kind=Record.Kind.PLACE, label="Kommunarka shooting ground", aliases=["Kommunarka"])
    fields = names.NAME_FIELDS
    before = sorted(RecordName.objects.values_list(*fields))
    words = sorted(RecordNameWord.objects.values_list("record_id", "word", "live"))
    assert names.rebuild() == len(before)
    assert sorted(RecordName.objects.values_list(*fields)) == before
    assert sorted(RecordNameWord.objects.values_list("record_id", "word", "live")) == words


def test_expansion_asks_the_database_a_bounded_number_of_statements():
    _person("Nikolai Yezhov", "Ежов", "Nicolas Iejov")
    _person("Eduard Holtzman", "Goltsman")
    for text, most in (("Yezhov", 1), ("Nikolai Yezhov and Holtzman at the trial of the sixteen", 1),
                       ("purge", 1)):
        with CaptureQueriesContext(connection) as ctx:
            _rewrite(text)
        assert len(ctx.captured_queries) <= most, (text, [q["sql"] for q in ctx.captured_queries])


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plans")
def test_the_lookups_search_indexes_and_scan_no_name_table():
    _person("Nikolai Yezhov", "Ежов")
    with CaptureQueriesContext(connection) as ctx:
        _rewrite("Nikolai Yezhov trial")
        suggestions.match("The trial of Nikolai Yezhov began. Ежов was shot.")
    assert ctx.captured_queries
    tables = ("archive_site_recordname", "archive_site_recordnameword", "archive_site_recordmatchkey")
    with connection.cursor() as cursor:
        for q in ctx.captured_queries:
            cursor.execute("EXPLAIN QUERY PLAN " + q["sql"])
            details = [row[-1] for row in cursor.fetchall()]
            scans = [d for d in details if d.startswith("SCAN") and any(f" {t}" in d or d.endswith(t) for t in tables)]
            scans += [d for d in details if d.startswith("SCAN ") and d.split()[1] in ("t", "n")]
            assert not scans, (q["sql"], details)


def test_a_surname_shared_by_more_records_than_are_read_still_expands():
    Record.objects.bulk_create([
        Record(key=f"ivanov-{i}", kind=Record.Kind.PERSON, label=f"Ivan {i} Ivanov", aliases=[f"Iwanow {i}"])
        for i in range(names.MAX_RECORDS + 10)
    ])
    names.rebuild()
    found = _record_names("Ivanov")
    assert found and len(found) <= 16  # expansion.MAX_ALTERNATIVES
    assert all(n.startswith("Iwanow") for n in found)


def test_suggestions_read_only_the_text_s_words(api_client):
    stalin = _person("Joseph Stalin", "J. V. Stalin", "Сталин")
    RecordFactory(kind=Record.Kind.PLACE, label="Moscow")
    for i in range(50):
        _person(f"Person {i} Somebody")
    text = "Moscow, 1937. J. V. Stalin signed it; Stalin's list. Сталин."
    with CaptureQueriesContext(connection) as ctx:
        spans, records = suggestions.match(text)
    assert len(ctx.captured_queries) == 2
    assert [text[s:e] for s, e, _ in spans] == ["Moscow", "J. V. Stalin", "Сталин"]
    assert records[stalin.pk]["label"] == "Joseph Stalin"
    document = DocumentFactory(text=text)
    found = api_client.get(f"/api/documents/{document.slug}/suggestions/").json()["suggestions"]
    assert [s["quote"] for s in found] == ["Moscow", "J. V. Stalin", "Сталин"]
