"""Facet counts and filters stay true while the index changes under searches that keep derived
sets of documents between them (per segment, in the Whoosh backend)."""

import pytest
from django.conf import settings

from search import services
from search.backends import get_search_backend
from search.backends.base import SearchFilters, SearchQuery
from search.parser import parse

from .factories import DocumentFactory

whoosh_only = pytest.mark.skipif(getattr(settings, "SEARCH_BACKEND", "whoosh") != "whoosh",
                                 reason="the per-segment sets are the Whoosh backend's")

TEXT = "The Okhrana archive was opened in {year}."


def facets(text="Okhrana", **filters):
    page = services.search(user=None, text=text, filters=SearchFilters(**filters))
    return page.count, {name: {v.value: v.count for v in values} for name, values in page.facets.items()}


@pytest.mark.django_db
def test_facet_counts_follow_updates_and_deletions():
    docs = [DocumentFactory(kind="letter" if i % 2 else "report", date=str(1936 + i % 3),
                            text=TEXT.format(year=1936 + i)) for i in range(6)]
    count, before = facets()
    assert count == 6
    assert before["kind"] == {"letter": 3, "report": 3}
    assert before["year"] == {"1936": 2, "1937": 2, "1938": 2}

    docs[0].kind, docs[0].date = "letter", "1940"
    docs[0].save()
    docs[1].delete()
    count, after = facets()
    assert count == 5
    assert after["kind"] == {"letter": 3, "report": 2}
    assert after["year"] == {"1937": 1, "1938": 2, "1940": 1, "1936": 1}
    assert after["decade"] == {"1930": 4, "1940": 1}

    # The filters agree with the counts, and a filtered search counts only what it shows.
    count, filtered = facets(kind="letter")
    assert count == 3 and filtered["kind"] == {"letter": 3}
    assert sorted(i.id for i in services.search(user=None, text="Okhrana",
                                                filters=SearchFilters(kind="letter")).items) == sorted(
        d.pk for d in docs if d.kind == "letter" and d.pk != docs[1].pk)


@pytest.mark.django_db
def test_a_filter_that_allows_nothing_finds_nothing():
    DocumentFactory(kind="letter", text=TEXT.format(year=1937))
    page = services.search(user=None, text="Okhrana", filters=SearchFilters(kind="decree"))
    assert page.count == 0 and page.items == []
    assert all(values == [] for values in page.facets.values())


@whoosh_only
@pytest.mark.django_db
def test_sets_of_an_unchanged_segment_are_reused_after_an_index_change(monkeypatch, seed_index):
    from search.backends.whoosh import docsets

    built = []
    real = docsets._value_sets
    monkeypatch.setattr(docsets, "_value_sets", lambda reader, field, offset: built.append(
        (reader.segment().segment_id(), field)) or real(reader, field, offset))
    facets("trial")
    first = {segment for segment, _ in built}
    assert len(first) == 1  # one merged segment after the rebuild
    built.clear()
    facets("trial")
    assert built == []  # nothing rebuilt for a second search
    DocumentFactory(kind="letter", text="A trial in a new segment.")
    count, counted = facets("trial")
    assert built and {segment for segment, _ in built}.isdisjoint(first)  # only the new segment's sets
    assert counted["kind"]["letter"] >= 1
    assert count == get_search_backend().search(
        SearchQuery(tree=parse("trial").tree, facets=False, highlight=False)).total


@whoosh_only
@pytest.mark.django_db
def test_the_kept_sets_stay_within_their_bounds_and_answer_the_same(seed_index):
    from search.backends.whoosh import docsets, query

    searcher = get_search_backend()._searcher()
    trial = SearchQuery(tree=parse("trial").tree)
    matched = set(searcher.docs_for_query(query.compile_tree(searcher.reader(), trial).query))
    roomy, tight = docsets.DocSets(), docsets.DocSets(max_entries=2, max_docnums=3)
    for field in ("kind_f", "year_f", "decade_f", "author_f", "kind_f"):
        assert tight.count(searcher, field, matched) == roomy.count(searcher, field, matched)
        assert len(tight._entries) <= 2 and (tight._docnums <= 3 or len(tight._entries) == 1)
    flt = query.combined_filter(trial)
    assert tight.allowed(searcher, flt) == roomy.allowed(searcher, flt) == set(searcher.docs_for_query(flt))
