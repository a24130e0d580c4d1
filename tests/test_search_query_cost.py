"""What one search may cost is bounded (``search.limits``): fuzzy distance capped, the words a
wildcard or fuzzy term stands for counted, the spelling corrector limited in words, the query's
size limited, and a time budget whose overrun answers 400 "query too expensive: ..." saying what
to change, never a 5xx. (How long the worst queries take is measured by the bench's hostile
phase, not here.) Every test runs on each backend (postgres when DATABASE_URL is PostgreSQL)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from search import services
from search.backends import reset_search_backend

from .factories import DocumentFactory

BACKENDS = ["whoosh", "postgres"]


@pytest.fixture(params=BACKENDS)
def seeded(request, settings, seed_archive, search_index):
    if request.param == "postgres" and connection.vendor != "postgresql":
        pytest.skip("the postgres backend needs DATABASE_URL=postgres://...")
    settings.SEARCH_BACKEND = request.param
    reset_search_backend()
    call_command("rebuild_index", "--no-progress", stdout=open("/dev/null", "w"))
    yield request.param
    reset_search_backend()


def api(q: str, **params):
    return APIClient().get("/api/search/", {"q": q, **params})


def too_expensive(response) -> str:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    detail = response.json()["detail"]
    assert "query too expensive: " in detail, detail
    return detail


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["*a*", "?*?*?*", "*", "*ov", "?ezhov"])
def test_a_leading_wildcard_is_refused_with_what_to_change(seeded, q):
    detail = too_expensive(api(q))
    assert "begin it with at least 1 letter" in detail


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["a~99", "a~2", "ab~2"])
def test_a_fuzzy_term_standing_for_too_many_words_is_refused(seeded, q):
    detail = too_expensive(api(q))
    assert "stands for more than 128 indexed words" in detail and "smaller ~ distance" in detail


@pytest.mark.django_db
def test_wildcards_standing_for_too_many_words_in_all_are_refused(seeded, settings):
    for q in ("a* OR b* OR c* OR d* OR e* OR f* OR g*", "s* t*"):
        detail = too_expensive(api(q))
        assert "indexed words" in detail
    # Each narrow on its own, too many together: the per-query count.
    narrow = ["Zin*", "Kam*", "Buk*", "Tukh*", "Yezh*", "Sta*", "Trot*", "Ryk*", "Pyat*", "Rad*"]
    assert all(api(q).status_code == 200 for q in narrow)
    settings.SEARCH_LIMITS = {"max_expansions_per_query": 10}
    detail = too_expensive(api(" OR ".join(narrow)))
    assert "stand for more than 10 indexed words" in detail


@pytest.mark.django_db
def test_the_fuzzy_distance_is_capped(seeded):
    capped = api("Tukhachevsky~5").json()
    assert capped["count"] == api("Tukhachevsky~2").json()["count"] >= 3
    assert [r["id"] for r in capped["results"]] == [r["id"] for r in api("Tukhachevsky~2").json()["results"]]


@pytest.mark.django_db
def test_the_spelling_corrector_corrects_a_bounded_number_of_words(seeded):
    query = " OR ".join(["Bukarin"] * 30)
    suggestion = api(query).json()["suggestion"]
    assert suggestion and 1 <= suggestion.count("Bukharin") <= 8  # Limits.spelling_words
    assert suggestion.count("Bukarin") == 30 - suggestion.count("Bukharin")


@pytest.mark.django_db
def test_too_many_words_or_parentheses_are_refused(seeded):
    detail = too_expensive(api(" ".join(f"q{i}x" for i in range(80))))
    assert "it has 80 words and at most 64 are searched at once" in detail
    detail = too_expensive(api("(" * 20 + "Stalin" + ")" * 20))
    assert "parentheses inside each other" in detail
    assert api("((Stalin OR Trotsky) AND (Kamenev OR Zinoviev))").status_code == 200


@pytest.mark.django_db
def test_a_spent_time_budget_answers_400_never_5xx(seeded, settings):
    settings.SEARCH_LIMITS = {"time_budget": 0}
    for q in ("Stalin", "Tukhachevsky~", "Zinov*", "Stalin Zanzibarovich", "Bukarin trial"):
        detail = too_expensive(api(q))
        assert "server time" in detail and "fewer words" in detail
    page = APIClient().get("/search/", {"q": "Stalin"})
    assert page.status_code == 400 and b"query too expensive" in page.content


@pytest.mark.django_db
def test_spelling_out_of_time_still_answers_the_search(seeded, settings):
    settings.SEARCH_LIMITS = {"spelling_seconds": 0}
    body = api("Bukarin trial").json()
    assert body["count"] >= 1 and body["suggestion"] is None
    settings.SEARCH_LIMITS = {}
    assert api("Bukarin trial").json()["suggestion"] == "Bukharin trial"


# --- the backends look at the clock inside their long loops --------------------------------------


class ChecksThenExpires:
    """A budget that lets ``allowed`` checks pass, then is spent."""

    def __init__(self, allowed: int) -> None:
        from search.limits import Budget

        self._budget = Budget(3600.0, what="the search")
        self.allowed = allowed
        self.checks = 0

    def __getattr__(self, name):
        return getattr(self._budget, name)

    def check(self) -> None:
        self.checks += 1
        if self.checks > self.allowed:
            self._budget.deadline = 0.0
        self._budget.check()


@pytest.mark.django_db
def test_whoosh_checks_the_budget_while_expanding_a_wildcard(settings, search_index):
    from search.backends import get_search_backend
    from search.backends.base import SearchQuery
    from search.errors import QueryTooExpensive
    from search.limits import Limits
    from search.parser import parse

    settings.SEARCH_BACKEND = "whoosh"
    reset_search_backend()
    DocumentFactory(text=" ".join(f"w{i:05d}x" for i in range(6000)))
    backend = get_search_backend()
    roomy = Limits(max_expansions_per_term=10**6, max_expansions_per_query=10**6)
    found = backend.search(SearchQuery(tree=parse("w*x").tree, limits=roomy, budget=ChecksThenExpires(10**6)))
    assert found.total == 1
    budget = ChecksThenExpires(3)
    with pytest.raises(QueryTooExpensive):
        backend.search(SearchQuery(tree=parse("w*x").tree, limits=roomy, budget=budget))
    assert budget.checks == 4  # stopped inside the expansion, not after it


@pytest.mark.django_db
def test_whoosh_looks_at_the_clock_at_every_postings_block_it_reads(settings, search_index):
    from dataclasses import replace

    from search.backends import get_search_backend
    from search.backends.base import IndexEntry, SearchQuery
    from search.errors import QueryTooExpensive
    from search.parser import parse

    settings.SEARCH_BACKEND = "whoosh"
    reset_search_backend()
    backend = get_search_backend()
    backend.index([IndexEntry(type="document", pk=pk, stamp="", title=f"Entry {pk}", body="a common word")
                   for pk in range(1, 700)])
    sq = SearchQuery(tree=parse("common").tree, facets=False, highlight=False, budget=ChecksThenExpires(10**6))
    assert backend.search(sq).total == 699
    counting = ChecksThenExpires(10**6)
    assert backend.search(replace(sq, budget=counting)).total == 699
    # 699 postings are 6 blocks of 128, read once for the ranking and once for the count; the
    # loops over matches look only every 512 of them.
    assert counting.checks >= 12
    with pytest.raises(QueryTooExpensive):
        backend.search(replace(sq, budget=ChecksThenExpires(6)))


@pytest.mark.django_db
def test_postgres_statements_run_with_what_is_left_of_the_budget(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    from search.backends.postgres import bounded
    from search.errors import QueryTooExpensive
    from search.limits import Budget

    timeout = "SELECT EXTRACT(epoch FROM current_setting('statement_timeout')::interval)"
    with bounded(Budget(30.0)), connection.cursor() as cursor:
        cursor.execute(timeout)
        assert 29 <= float(cursor.fetchone()[0]) <= 30
    with pytest.raises(QueryTooExpensive), bounded(Budget(0.05)), connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(2)")
    with connection.cursor() as cursor:  # the timeout went with the search's savepoint
        cursor.execute(timeout)
        assert float(cursor.fetchone()[0]) == 0
    assert services.search(user=None, text="anything").count == 0
