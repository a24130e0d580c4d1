"""The PostgreSQL backend (``SEARCH_BACKEND=postgres``): full-text search in the project's own
database, so that several application servers share one index with no shared files.

- ``storage``: IndexEntry -> one ``search_searchentry`` row with a weighted ``tsvector`` built from
  ``search.analysis`` tokens (title A, aliases/tags B, author C, text D) and the vocabulary table.
- ``query``: the query language (same parser as the Whoosh backend) -> tsquery / SQL, filters,
  the visibility rule.
- ``results``: facets by GROUP BY, snippets with str offsets.

Ranking is ``ts_rank_cd`` (cover density) with the field weights and length normalisation below;
"did you mean" and fuzzy terms use pg_trgm and levenshtein over the vocabulary. Writes are plain
transactions, so there is no index lock: ``IndexLockedError`` is never raised, and a rebuild is one
transaction (readers see the old entries until it commits)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from whoosh import query as wq

from search import analysis
from search.backends.base import (
    MAX_PAGE_SIZE,
    EntryType,
    Hit,
    IndexEntry,
    Progress,
    SearchBackend,
    SearchQuery,
    SearchResults,
    may_relax_to_any_word,
)

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
OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}
BATCH = 500


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
        parsed = q_mod.expand(q_mod.parse(q_mod.SCHEMA, sq.text), sq.expansions)
        compiled = q_mod.compile_query(parsed)
        where, params = self._where(compiled, sq)
        hits, total = self._page(compiled, where, params, page, size)
        any_word = False
        if total == 0 and isinstance(parsed, wq.And) and len(parsed.subqueries) > 1 and may_relax_to_any_word(sq.text):
            # As the Whoosh backend: decide without facet filters, so facet counts agree.
            base_where, base_params = self._where(compiled, sq, with_facets=False)
            if not self._exists(base_where, base_params):
                parsed = q_mod.expand(q_mod.parse(q_mod.SCHEMA, sq.text, any_word=True), sq.expansions)
                compiled = q_mod.compile_query(parsed)
                where, params = self._where(compiled, sq)
                hits, total = self._page(compiled, where, params, page, size)
                any_word = total > 0
        out = []
        for object_id, score, body in hits:
            snippets = (r_mod.snippets(body, compiled.body_words, compiled.body_prefixes, sq.max_snippets)
                        if sq.highlight else ())
            out.append(Hit(type=sq.type, pk=int(object_id), score=float(score), snippets=snippets))
        facets = r_mod.facet_counts(sq.type, where, params) if sq.facets else {}
        suggestion = None
        if page == 1 and (total < 3 or any_word):
            suggestion = self._suggestion(sq, 0 if any_word else total)
        return SearchResults(total=total, hits=tuple(out), facets=facets, suggestion=suggestion,
                             page=page, page_size=size, any_word=any_word)

    @staticmethod
    def _where(compiled: q_mod.Compiled, sq: SearchQuery, with_facets: bool = True) -> tuple[str, list]:
        f_sql, f_params = q_mod.filter_sql(sq, with_facets=with_facets)
        return f"{f_sql} AND ({compiled.where})", f_params + compiled.params

    @staticmethod
    def _page(compiled, where, params, page, size):
        if compiled.rank:
            score = f"ts_rank_cd('{RANK_WEIGHTS}', e.vector, %s::tsquery, {RANK_NORMALIZATION})"
            score_params = [compiled.rank]
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

    @staticmethod
    def _exists(where, params) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM search_searchentry e WHERE {where})", params)
            return bool(cursor.fetchone()[0])

    def _corrected(self, text: str) -> str | None:
        """Each query word that is not in the vocabulary, replaced by the nearest one (within two
        edits, pg_trgm similarity first); None if nothing changed."""
        out, cursor_pos, changed = [], 0, False
        with connection.cursor() as cursor:
            for word, start, end in analysis.tokenize(text):
                after = text[end : end + 1]
                before = text[start - 1 : start] if start else ""
                if word in OPERATORS or word.isdigit() or after in (":", "*", "~") or before == ":":
                    continue
                folded = analysis.fold_word(word, stemming=False)
                stemmed = analysis.stem(folded)
                cursor.execute("SELECT 1 FROM search_searchterm WHERE term = %s", [stemmed])
                if cursor.fetchone():
                    continue
                cursor.execute(
                    "SELECT term FROM search_searchterm WHERE term %% %s AND levenshtein(term, %s) <= 2 "
                    "ORDER BY levenshtein(term, %s), similarity(term, %s) DESC, term LIMIT 1",
                    [folded, folded, folded, folded],
                )
                found = cursor.fetchone()
                if found and found[0] != folded:
                    out.append(text[cursor_pos:start])
                    out.append(found[0])
                    cursor_pos, changed = end, True
        out.append(text[cursor_pos:])
        return "".join(out) if changed else None

    def _suggestion(self, sq: SearchQuery, total: int) -> str | None:
        try:
            corrected = self._corrected(sq.text)
            if not corrected:
                return None
            compiled = q_mod.compile_query(q_mod.expand(q_mod.parse(q_mod.SCHEMA, corrected), sq.expansions))
            where, params = self._where(compiled, sq)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM search_searchentry e WHERE {where} "
                               f"LIMIT %s) found", params + [total + 1])
                found = cursor.fetchone()[0]
            return corrected if found > total else None
        except Exception:  # a suggestion is optional; never fail a search for it
            logger.exception("search: 'did you mean' failed for %r", sq.text)
            return None

    def suggest(self, text: str, type: EntryType = "document") -> str | None:
        return self._suggestion(SearchQuery(text=text, type=type, highlight=False, facets=False), 0)

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
