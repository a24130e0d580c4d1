"""The Whoosh backend (the default). Split into ``schema`` (fields and the analyzer that wraps
``search.analysis``), ``query`` (parsing, expansion, filters, visibility), ``results`` (snippets,
facets) and ``storage`` (the index directory, atomic swaps, the writer lock); this module ties
them together behind ``SearchBackend``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from django.conf import settings
from whoosh import query as wq
from whoosh import writing

from search import analysis
from search.backends.base import (
    MAX_PAGE_SIZE,
    EntryType,
    IndexEntry,
    Progress,
    SearchBackend,
    SearchQuery,
    SearchResults,
    may_relax_to_any_word,
)

from . import query as q_mod
from . import results as r_mod
from .docsets import DocSets
from .schema import to_fields
from .storage import IndexStorage

logger = logging.getLogger("search")
OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


class WhooshBackend(SearchBackend):
    name = "whoosh"

    def __init__(self, index_dir, writer_timeout: float | None = None, **options) -> None:
        timeout = writer_timeout if writer_timeout is not None else getattr(settings, "SEARCH_WRITER_TIMEOUT", 10.0)
        self.storage = IndexStorage(index_dir, writer_timeout=timeout)
        self._local = threading.local()
        self.docsets = DocSets()

    # --- reading -------------------------------------------------------------------------------

    def _searcher(self):
        """A searcher cached per thread, refreshed when the index changed or was swapped."""
        ix = self.storage.open()
        if ix is None:
            return None
        cached = getattr(self._local, "searcher", None)
        if cached is not None and getattr(self._local, "ix", None) is ix and cached.up_to_date():
            return cached
        # Not ``cached.refresh()``: Whoosh's refresh reuses segment readers by segment id and so
        # keeps their old deletion sets (an updated entry would be found twice).
        if cached is not None:
            cached.close()
        self._local.ix, self._local.searcher = ix, ix.searcher()
        return self._local.searcher

    def search(self, sq: SearchQuery) -> SearchResults:
        page = max(1, sq.page)
        size = max(1, min(sq.page_size, MAX_PAGE_SIZE))
        searcher = self._searcher()
        if searcher is None:  # no index yet: nothing found (never an error)
            q_mod.parse(_EMPTY_SCHEMA, sq.text)  # still report unreadable queries
            return SearchResults(total=0, hits=(), page=page, page_size=size)
        schema = searcher.schema
        parsed = q_mod.expand(q_mod.parse(schema, sq.text), sq.expansions)
        allowed = self.docsets.allowed(searcher, q_mod.combined_filter(sq))
        ranked = _ranked(searcher, parsed, allowed, page * size)
        matched = _matched(searcher, parsed, allowed)
        any_word = False
        if not matched and self._has_several_words(parsed) and may_relax_to_any_word(sq.text):
            # Decide on the query without facet filters, so facet counts agree with filtered counts.
            unfiltered = self.docsets.allowed(searcher, q_mod.combined_filter(_without_filters(sq)))
            if not any(d in unfiltered for d in searcher.docs_for_query(parsed)):
                parsed = q_mod.expand(q_mod.parse(schema, sq.text, any_word=True), sq.expansions)
                ranked = _ranked(searcher, parsed, allowed, page * size)
                matched = _matched(searcher, parsed, allowed)
                any_word = bool(matched)
        total = len(matched)
        terms = q_mod.body_terms(parsed, searcher.reader()) if sq.highlight else set()
        hits = []
        from search.backends.base import Hit

        shown = ranked[(page - 1) * size : page * size]
        marks = r_mod.marked_words(searcher.reader(), (hit.docnum for hit in shown), terms) if terms else {}
        for hit in shown:
            snippets = r_mod.snippets(hit.get("body", ""), terms, sq.max_snippets, marks[hit.docnum]) if terms else ()
            hits.append(Hit(type=hit["type"], pk=int(hit["pk"]), score=float(hit.score), snippets=snippets))
        facets = r_mod.facet_counts(self.docsets, searcher, matched, sq.type) if sq.facets else {}
        suggestion = None
        if page == 1 and (total < 3 or any_word):
            suggestion = self._suggestion(searcher, sq, allowed, 0 if any_word else total)
        return SearchResults(total=total, hits=tuple(hits), facets=facets, suggestion=suggestion,
                             page=page, page_size=size, any_word=any_word)

    @staticmethod
    def _has_several_words(parsed) -> bool:
        return isinstance(parsed, wq.And) and len(parsed.subqueries) > 1

    def _corrected(self, searcher, text: str) -> str | None:
        corrector = searcher.corrector("body")
        words = list(analysis.tokenize(text))
        out, cursor, changed = [], 0, False
        for word, start, end in words:
            after = text[end : end + 1]
            before = text[start - 1 : start] if start else ""
            if word in OPERATORS or word.isdigit() or after in (":", "*", "~") or before in (":",):
                continue
            folded = analysis.fold_word(word, stemming=False)
            stemmed = analysis.stem(folded)
            if searcher.doc_frequency("body", stemmed) or searcher.doc_frequency("title", stemmed):
                continue
            # Nearest first: whoosh ranks every word within maxdist by frequency alone, so a
            # frequent word two edits away would beat the one-edit correction (Yezov -> Sedov).
            found = corrector.suggest(folded, limit=1, maxdist=1) or corrector.suggest(folded, limit=1, maxdist=2)
            if found and found[0] != folded:
                out.append(text[cursor:start])
                out.append(found[0])
                cursor, changed = end, True
        out.append(text[cursor:])
        return "".join(out) if changed else None

    def _suggestion(self, searcher, sq: SearchQuery, allowed: set[int], total: int) -> str | None:
        try:
            corrected = self._corrected(searcher, sq.text)
            if not corrected:
                return None
            alt = q_mod.expand(q_mod.parse(searcher.schema, corrected), sq.expansions)
            return corrected if len(_matched(searcher, alt, allowed)) > total else None
        except Exception:  # a suggestion is optional; never fail a search for it
            logger.exception("search: 'did you mean' failed for %r", sq.text)
            return None

    def suggest(self, text: str, type: EntryType = "document") -> str | None:
        searcher = self._searcher()
        if searcher is None:
            return None
        sq = SearchQuery(text=text, type=type, highlight=False, facets=False)
        return self._suggestion(searcher, sq, self.docsets.allowed(searcher, q_mod.combined_filter(sq)), 0)

    def count(self, type: EntryType | None = None) -> int:
        searcher = self._searcher()
        if searcher is None:
            return 0
        if type is None:
            return searcher.doc_count()
        return len(searcher.search(q_mod.type_filter(type), limit=None, scored=False))

    def stamps(self, type: EntryType) -> dict[int, str]:
        searcher = self._searcher()
        if searcher is None:
            return {}
        return {int(f["pk"]): f.get("stamp", "") for f in searcher.documents(type=type)}

    def stamp(self, type: EntryType, pk: int) -> str | None:
        searcher = self._searcher()
        if searcher is None:
            return None
        fields = searcher.document(type=type, pk=str(pk))
        return fields.get("stamp", "") if fields else None

    # --- writing (background tasks and commands only) -------------------------------------------

    def index(self, entries: Iterable[IndexEntry]) -> int:
        entries = list(entries)
        if not entries:
            return 0
        with self.storage.writer() as writer:
            for entry in entries:
                writer.update_document(**to_fields(entry))
        return len(entries)

    def remove(self, type: EntryType, pks: Iterable[int]) -> None:
        pks = list(pks)
        if not pks:
            return
        with self.storage.writer() as writer:
            for pk in pks:
                writer.delete_by_term("uid", f"{type}:{pk}")

    def clear(self) -> None:
        with self.storage.writer(mergetype=writing.CLEAR):
            pass

    def rebuild(self, entries: Iterable[IndexEntry], progress: Progress | None = None) -> int:
        return self.storage.rebuild((to_fields(e) for e in entries), progress)

    def optimize(self) -> None:
        with self.storage.writer(optimize=True):
            pass

    def close(self) -> None:
        cached = getattr(self._local, "searcher", None)
        if cached is not None:
            cached.close()
        self._local = threading.local()
        self.docsets.clear()
        self.storage.close()


def _ranked(searcher, parsed, allowed: set[int], limit: int):
    """The top ``limit`` hits among ``allowed``, best first."""
    if not allowed:  # Whoosh reads an empty filter set as no filter at all
        return []
    return searcher.search(parsed, filter=allowed, limit=limit)


def _matched(searcher, parsed, allowed: set[int]) -> set[int]:
    """Every document the query matches among ``allowed``: one pass over the matches without
    scoring (the scored pass above keeps only the top of the ranking and skips the rest)."""
    matched = set(searcher.docs_for_query(parsed))
    matched &= allowed
    return matched


def _without_filters(sq: SearchQuery) -> SearchQuery:
    from dataclasses import replace

    from search.backends.base import SearchFilters

    return replace(sq, filters=SearchFilters())


from .schema import make_schema  # noqa: E402

_EMPTY_SCHEMA = make_schema()
