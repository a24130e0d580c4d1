"""The PostgreSQL backend (``SEARCH_BACKEND=postgres``): full-text search in the project's own
database, so that several application servers share one index with no shared files.

- ``storage``: IndexEntry -> one ``search_searchentry`` row with a weighted ``tsvector`` built from
  ``search.analysis`` tokens (title A, aliases/tags B, author C, text D) and the vocabulary table.
- ``query``: the neutral tree (``search.tree``) -> tsquery / SQL, filters, the visibility rule.
- ``results``: facets by GROUP BY.

Ranking is ``ts_rank_cd`` (cover density) with the field weights and length normalisation below;
fuzzy terms, wildcards and spelling candidates come from the vocabulary (levenshtein, pg_trgm),
spelling counting only entries the reader may see. Every search runs with a statement timeout
of what is left of its time budget (``search.limits``); a cancelled statement is
``QueryTooExpensive``. Writes are plain transactions, so there is no index lock:
``IndexLockedError`` is never raised, and a rebuild is one transaction (readers see the old
entries until it commits). Snippets re-analyse the text of the hits shown (``search.snippets``).
This backend imports nothing from the Whoosh backend."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connection, transaction

from search import snippets as core_snippets
from search.backends.base import (
    MAX_PAGE_SIZE,
    SUGGEST_COUNT_CAP,
    Candidate,
    EntryType,
    Hit,
    IndexEntry,
    Progress,
    SearchBackend,
    SearchQuery,
    SearchResults,
)
from search.errors import QueryTooExpensive
from search.limits import ADVICE, Budget

from . import query as q_mod
from . import results as r_mod
from . import storage

logger = logging.getLogger("search")
# ts_rank_cd weights for D (text), C (author), B (aliases, tags), A (title): PostgreSQL's defaults.
# Normalisation 2 divides by the entry's length (in words). Measured over 25 queries on the seed
# archive against the Whoosh backend (BM25F): this pair ranks the same first document for 22
# (the same top three for 21); Whoosh-like boosts {0.3, 0.45, 0.6, 0.9} with 2 gave 20, and no
# normalisation or log-length (0, 1) gave 17.
RANK_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"
RANK_NORMALIZATION = 2
# Words standing together (a phrase's part of the score) count the same in a long text as in a
# short one: rank / (rank + 1), not divided by the length (32).
PHRASE_NORMALIZATION = 32
BATCH = 500
SPELLING_CANDIDATES = 50  # vocabulary words looked at per misspelt word
QUERY_CANCELED = "57014"
# How many entries of the searched type the reader may see hold the vocabulary word c.term in a
# spelling field (title: weight A, text: D), counted up to SUGGEST_COUNT_CAP. Vocabulary words are
# analysis tokens (letters, digits, combining marks): no quote or backslash to escape.
VISIBLE_COUNT = ("(SELECT count(*) FROM (SELECT 1 FROM search_searchentry e WHERE {where} AND e.vector @@ "
                 "('''' || c.term || ''':AD')::tsquery LIMIT " + str(SUGGEST_COUNT_CAP) + ") v)")


@contextmanager
def bounded(budget: Budget) -> Iterator[None]:
    """Run the statements inside with a statement timeout of the time left in ``budget``, in a
    transaction (or savepoint) rolled back at the end: searching writes nothing, and the timeout
    goes with it. A cancelled statement becomes QueryTooExpensive."""
    budget.check()
    remaining = budget.remaining()
    with transaction.atomic():
        try:
            if not math.isinf(remaining):
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('statement_timeout', %s, true)",
                                   [f"{max(1, int(remaining * 1000))}ms"])
            yield
        except OperationalError as exc:
            if getattr(exc.__cause__, "sqlstate", None) == QUERY_CANCELED:
                raise QueryTooExpensive(f"{budget.what} needs more than {budget.seconds:g} s of server time; "
                                        f"{ADVICE}.") from exc
            raise
        finally:
            transaction.set_rollback(True)


class PostgresBackend(SearchBackend):
    name = "postgres"

    def __init__(self, index_dir=None, **options) -> None:
        if connection.vendor != "postgresql":
            raise ImproperlyConfigured(
                "SEARCH_BACKEND=postgres needs a PostgreSQL database (DATABASE_URL=postgres://...); "
                f"the database is {connection.vendor}."
            )

    # --- reading -------------------------------------------------------------------------------

    def search(self, sq: SearchQuery) -> SearchResults:
        page = max(1, sq.page)
        size = max(1, min(sq.page_size, MAX_PAGE_SIZE))
        with bounded(sq.budget):
            compiled = q_mod.compile_query(sq.tree, sq.limits)
            f_sql, f_params = q_mod.filter_sql(sq)
            where, params = f"{f_sql} AND ({compiled.where})", f_params + compiled.params
            hits, total = self._page(compiled, where, params, page, size)
            facets = r_mod.facet_counts(sq.type, where, params) if sq.facets else {}
        out = []
        phrases = tuple(compiled.phrases)
        for object_id, score, body in hits:
            snippets = (core_snippets.make(body, compiled.highlight, sq.max_snippets, phrases)
                        if sq.highlight else ())
            out.append(Hit(type=sq.type, pk=int(object_id), score=float(score), snippets=snippets))
        return SearchResults(total=total, hits=tuple(out), facets=facets, page=page, page_size=size,
                             highlight=frozenset(compiled.highlight), phrases=phrases, fell_back=compiled.fell_back)

    @staticmethod
    def _page(compiled, where, params, page, size):
        if compiled.rank:  # the weighted sum of each rank part's cover density
            score = " + ".join(f"{float(weight)!r} * ts_rank_cd('{RANK_WEIGHTS}', e.vector, %s::tsquery, "
                               f"{PHRASE_NORMALIZATION if phrase else RANK_NORMALIZATION})"
                               for weight, _, phrase in compiled.rank)
            score_params = [text for _, text, _ in compiled.rank]
        else:
            score, score_params = "0.0", []
        sql = (f"SELECT e.object_id, {score} AS score, e.body, count(*) OVER () FROM search_searchentry e "
               f"WHERE {where} ORDER BY score DESC, e.object_id LIMIT %s OFFSET %s")
        with connection.cursor() as cursor:
            cursor.execute(sql, score_params + params + [size, (page - 1) * size])
            rows = cursor.fetchall()
            if rows:
                total = rows[0][3]
            else:
                cursor.execute(f"SELECT count(*) FROM search_searchentry e WHERE {where}", params)
                total = cursor.fetchone()[0]
        return [r[:3] for r in rows], int(total)

    def suggest(self, words: Sequence[str], query: SearchQuery, max_distance: int) -> dict[str, tuple[Candidate, ...]]:
        """Candidates from the vocabulary (every word ever indexed: pg_trgm similarity and
        levenshtein, the first ``Limits.spelling_prefix`` letters kept), each counted among the
        entries of the searched type the reader may see; words no such entry holds are left out."""
        f_sql, f_params = q_mod.filter_sql(query, with_facets=False)
        visible = VISIBLE_COUNT.format(where=f_sql)
        prefix = query.limits.spelling_prefix
        found: dict[str, list] = {}
        with bounded(query.budget), connection.cursor() as cursor:
            if max_distance == 0:
                cursor.execute(f"SELECT c.term, 0, {visible} FROM unnest(%s::text[]) AS c(term)",
                               [*f_params, list(words)])
                found = {word: [(word, 0, n)] for word, _, n in cursor.fetchall()}
            else:
                for word in words:
                    cursor.execute(
                        f"SELECT c.term, c.d, {visible} FROM (SELECT term, levenshtein_less_equal(term, %s, %s) AS d "
                        "FROM search_searchterm WHERE term %% %s AND term LIKE %s AND length(term) BETWEEN %s AND %s "
                        "AND levenshtein_less_equal(term, %s, %s) <= %s ORDER BY 2, term LIMIT %s) c",
                        [*f_params, word, max_distance, word, q_mod.like_prefix(word[:prefix]),
                         len(word) - max_distance, len(word) + max_distance, word, max_distance, max_distance,
                         SPELLING_CANDIDATES],
                    )
                    found[word] = cursor.fetchall()
        out: dict[str, tuple[Candidate, ...]] = {}
        for word, rows in found.items():
            candidates = sorted((Candidate(term, int(d), int(n)) for term, d, n in rows if n),
                                key=lambda c: (c.distance, -c.entries, c.word))
            if candidates:
                out[word] = tuple(candidates)
        return out

    def count(self, type: EntryType | None = None) -> int:
        with connection.cursor() as cursor:
            if type is None:
                cursor.execute("SELECT count(*) FROM search_searchentry")
            else:
                cursor.execute("SELECT count(*) FROM search_searchentry WHERE entry_type = %s", [type])
            return int(cursor.fetchone()[0])

    def stamps(self, type: EntryType) -> dict[int, str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT object_id, stamp FROM search_searchentry WHERE entry_type = %s", [type])
            return {int(pk): stamp for pk, stamp in cursor.fetchall()}

    def stamp(self, type: EntryType, pk: int) -> str | None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT stamp FROM search_searchentry WHERE entry_type = %s AND object_id = %s",
                           [type, pk])
            row = cursor.fetchone()
        return row[0] if row else None

    # --- writing (background tasks and commands only) -------------------------------------------

    def index(self, entries: Iterable[IndexEntry]) -> int:
        return storage.write(entries)

    def remove(self, type: EntryType, pks: Iterable[int]) -> None:
        pks = list(pks)
        if pks:
            storage.delete(type, pks)

    def clear(self) -> None:
        storage.clear()

    def rebuild(self, entries: Iterable[IndexEntry], progress: Progress | None = None) -> int:
        """One transaction: other connections keep seeing the old entries until it commits."""
        written = 0
        with transaction.atomic():
            storage.clear()
            batch: list[IndexEntry] = []
            for entry in entries:
                batch.append(entry)
                if len(batch) >= BATCH:
                    written += storage.write(batch)
                    if progress:
                        progress(len(batch))
                    batch = []
            written += storage.write(batch)
            if progress and batch:
                progress(len(batch))
        with connection.cursor() as cursor:
            # Rows inserted into a GIN index wait in its pending list until a vacuum; while the
            # list is long the planner prices the index too high and scans the whole table (50 ms
            # instead of 2 ms for a rare word over 5,000 articles). Merge it now, then re-plan.
            cursor.execute("SELECT gin_clean_pending_list('search_entry_vector_gin'::regclass)")
            cursor.execute("SELECT gin_clean_pending_list('search_term_trgm'::regclass)")
            cursor.execute("ANALYZE search_searchentry")
            cursor.execute("ANALYZE search_searchterm")
        return written
