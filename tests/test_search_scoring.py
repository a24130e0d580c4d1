"""The Whoosh backend finds and scores matches without stepping Whoosh's whole matcher tree
(``search.backends.whoosh.matchset`` and ``scorer``): the set of matches must be the one Whoosh's
matchers give, and the ranking and scores those of Whoosh's own scoring, on an index of several
segments with a deleted copy, for words, phrases, names, exclusions, alternatives, prefixes, fuzzy
terms and the any-word retry. Then, through the service, a five-word passage of common words finds
its own text first among many that share its words, and fast enough."""

from __future__ import annotations

import random
import time

import pytest
from whoosh import query as wq

from search import ranking
from search.backends import get_search_backend, reset_search_backend
from search.backends.base import IndexEntry, SearchQuery
from search.backends.whoosh import matchset, scorer
from search.backends.whoosh import query as q_mod
from search.limits import Budget
from search.parser import parse

COMMON = ("the of and to in a was that he for on as with by at from his is it an which were had this "
          "after but they their not one be all there been who more other into two first also when").split()
RARE = ("Yezhov Pyatakov Zinoviev Kamenev trial trials tribunal archive archives Lubyanka verdict "
        "sentence sentenced director school Kremlin commissar purge purges").split()


def _texts(n: int) -> list[str]:
    rng = random.Random(1937)
    out = []
    for i in range(n):
        words = [rng.choice(COMMON) if rng.random() < 0.7 else rng.choice(RARE) for _ in range(rng.randint(40, 400))]
        if i % 7 == 0:
            words[10:15] = "the director of the school".split()
        if i % 11 == 0:
            words[20:25] = "the founding director of the".split()
        out.append(" ".join(words) + ".")
    return out


@pytest.fixture
def segments(search_index, settings):
    """Three segments of generated texts, and one entry written twice (an older segment holds a
    deleted copy). Always the Whoosh backend, also in the PostgreSQL run: no database needed."""
    settings.SEARCH_BACKEND = "whoosh"
    reset_search_backend()
    backend = get_search_backend()
    texts = _texts(240)
    for chunk in (range(0, 100), range(100, 200), range(200, 240)):
        backend.index([IndexEntry(type="document", pk=i + 1, stamp="", title=f"Document {i + 1}", body=texts[i])
                       for i in chunk])
    backend.index([IndexEntry(type="document", pk=5, stamp="", title="Document 5", body=texts[4] + " Yezhov again.")])
    yield backend
    reset_search_backend()


QUERIES = [
    "the director of the school", "director school", "Yezhov", "Yezhov Pyatakov", "trials",
    '"the director of"', "Kremlin -purge", "Kremlin OR Lubyanka", "archiv*", "Zinovev~", "of the",
    "the founding director", "title:Document", "verdict sentenced the", "(trial OR tribunal) Kamenev",
]


class NoRecords:
    """A lexicon of no records (``search.names.Lexicon`` reads the database)."""

    longest = 1
    surnames: dict = {}
    capitalised: frozenset = frozenset()

    def naming(self, words):
        return []

    def other_names(self, record_ids):
        return iter(())


def _compiled(backend, text: str, any_word: bool = False):
    tree = ranking.rewrite(parse(text, any_word=any_word).tree, NoRecords()).tree
    sq = SearchQuery(tree=tree)
    searcher = backend._searcher()
    compiled = q_mod.compile_tree(searcher.reader(), sq, backend.docsets)
    allowed = backend.docsets.allowed(searcher, q_mod.combined_filter(sq))
    return searcher, compiled.query, allowed


def _required(q):
    while isinstance(q, wq.AndMaybe):
        q = q.a
    return q


@pytest.mark.parametrize("any_word", [False, True])
@pytest.mark.parametrize("text", QUERIES)
def test_matches_and_scores_are_whoosh_s_own(segments, text, any_word, monkeypatch):
    monkeypatch.setattr(scorer, "FREQUENT_MIN", 10)  # "the" is frequent in these small segments
    if any_word and "-" in text:
        pytest.skip("a query with an exclusion is never retried with any word (search.policy)")
    searcher, q, allowed = _compiled(segments, text, any_word)
    budget = Budget(60.0)
    found = matchset.match_set(searcher, q, budget, scorer.Keep(segments.docsets)) & allowed
    assert found == set(searcher.docs_for_query(_required(q))) & allowed
    assert found, text
    plan = scorer.plan(q)
    assert plan is not None
    ours = scorer.rank(searcher, plan, found, budget, scorer.Keep(segments.docsets))
    whoosh = matchset.score(searcher, q, found, budget)  # Whoosh's matchers, skipped to each match
    assert [d for _, d in ours] == [d for _, d in whoosh]
    assert [round(s, 6) for s, _ in ours] == [round(s, 6) for s, _ in whoosh]


def test_the_backend_ranks_as_whoosh_s_matchers_score(segments):
    """The backend's page is the best of every match as Whoosh's matchers score them (its
    collector may skip a block whose best score it underestimates: a phrase's boost)."""
    for text in QUERIES:
        searcher, q, allowed = _compiled(segments, text)
        results = segments.search(SearchQuery(tree=ranking.rewrite(parse(text).tree, NoRecords()).tree, page_size=20))
        everything = set(searcher.docs_for_query(_required(q))) & allowed
        scored = matchset.score(searcher, q, everything, Budget(60.0))[:20]
        assert [h.pk for h in results.hits] == [int(searcher.stored_fields(d)["pk"]) for _, d in scored], text
        assert [round(h.score, 6) for h in results.hits] == [round(s, 6) for s, _ in scored]
        assert results.total == len(everything)


def test_a_frequent_word_s_weights_are_kept_per_segment(segments, monkeypatch):
    monkeypatch.setattr(scorer, "FREQUENT_MIN", 10)
    searcher, q, allowed = _compiled(segments, "the director of the school")
    leaf = searcher.reader().leaf_readers()[0][0]
    assert scorer.frequent(leaf, "body", "the") and not scorer.frequent(leaf, "body", "founding")
    first = segments.docsets.weights(leaf, "body", "the")
    assert segments.docsets.weights(leaf, "body", "the") is first  # built once
    m = leaf.postings("body", "the")
    while m.is_active():
        assert first[m.id()] == pytest.approx(m.weight())
        m.next()


# --- through the service, on both backends ------------------------------------------------------


@pytest.fixture(params=["whoosh", "postgres"])
def backend(request, settings, search_index, db):
    from django.db import connection

    if request.param == "postgres" and connection.vendor != "postgresql":
        pytest.skip("the postgres backend needs DATABASE_URL=postgres://...")
    settings.SEARCH_BACKEND = request.param
    reset_search_backend()
    yield request.param
    reset_search_backend()


@pytest.mark.django_db
def test_a_passage_of_common_words_finds_its_own_text_first(backend):
    from django.core.management import call_command

    from search import services

    from .factories import DocumentFactory

    texts = _texts(120)
    for i, text in enumerate(texts):
        DocumentFactory(slug=f"text-{i}", title=f"Text {i}", text=text)
    # the passage as typed, side by side, in one text only; others have its words near or scattered
    DocumentFactory(slug="own", title="Own", text="Some words first. It was to each of the five that he wrote. " + texts[3])
    DocumentFactory(slug="near", title="Near", text="He wrote to each one of the five of them, and to the others.")
    DocumentFactory(slug="stems", title="Stems", text="To each of the fives he wrote.")
    call_command("rebuild_index", "--no-progress", stdout=open("/dev/null", "w"))
    services.search(user=None, text="Yezhov")  # the first search loads the URL patterns
    started = time.perf_counter()
    page = services.search(user=None, text="to each of the five")
    assert time.perf_counter() - started < 1.0
    assert page.items[0].slug == "own"
    exact = {f"text-{i}" for i in range(0, 120, 7)}  # those with "the director of the school"
    assert services.search(user=None, text="the director of the school").items[0].slug in exact
