"""The Whoosh backend (the default). Split into ``schema`` (fields and the analyzer that wraps
``search.analysis``), ``query`` (the neutral tree compiled into Whoosh queries, with prefix,
wildcard and fuzzy terms expanded within ``search.limits``; filters and visibility),
``results`` (facets, snippet marks read from the postings), ``docsets`` (filter and facet sets
kept per segment) and ``storage`` (the index directory, atomic swaps, the writer lock); this
module ties them together behind ``SearchBackend``. The query language, the any-word retry and
"did you mean" are the core's (``search.policy``); this backend answers ``search`` and
``suggest``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence

from django.conf import settings
from whoosh import collectors, writing
from whoosh.reading import TermNotFound

from search import snippets as core_snippets
from search import spelling
from search.backends.base import (
    MAX_PAGE_SIZE,
    SUGGEST_COUNT_CAP,
    SUGGEST_FIELDS,
    Candidate,
    EntryType,
    Hit,
    IndexEntry,
    Progress,
    SearchBackend,
    SearchQuery,
    SearchResults,
)
from search.limits import Budget

from . import deadline, matchset, scorer
from . import query as q_mod
from . import results as r_mod
from .docsets import DocSets
from .schema import to_fields
from .storage import IndexStorage

deadline.install()

logger = logging.getLogger("search")
CHECK_EVERY = 512  # matches collected between two looks at the clock (a look costs about 0.1 µs)


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
            return SearchResults(total=0, hits=(), page=page, page_size=size)
        budget = sq.budget
        with deadline.watching(budget):
            compiled = q_mod.compile_tree(searcher.reader(), sq, self.docsets)
            allowed = self.docsets.allowed(searcher, q_mod.combined_filter(sq))
            keep = scorer.Keep(self.docsets)
            matched = matchset.match_set(searcher, compiled.query, budget, keep) & allowed if allowed else set()
            plan = scorer.plan(compiled.query) if len(matched) <= scorer.MAX_DOCS else None
            if len(matched) <= matchset.DIRECT and (plan is None or not scorer.has_phrases(plan)):
                ranked = matchset.score(searcher, compiled.query, matched, budget)[: page * size]
            elif plan is not None:  # each match scored from its words' postings, read once
                ranked = scorer.rank(searcher, plan, matched, budget, keep)[: page * size]
            else:
                ranked = [(hit.score, hit.docnum) for hit in
                          _ranked(searcher, compiled.query, matched, page * size, budget)]
            shown = ranked[(page - 1) * size : page * size]
            stored = {docnum: searcher.stored_fields(docnum) for _, docnum in shown}
            terms, phrases = compiled.highlight, tuple(compiled.phrases)
            marks = (r_mod.marked_words(searcher.reader(), stored, terms, phrases=phrases, stored=stored)
                     if sq.highlight and (terms or phrases) else {})
        hits = []
        for score, docnum in shown:
            fields = stored[docnum]
            snippets = (core_snippets.snippets(fields.get("body", ""), marks[docnum], sq.max_snippets)
                        if marks else ())
            hits.append(Hit(type=fields["type"], pk=int(fields["pk"]), score=float(score), snippets=snippets))
        facets = r_mod.facet_counts(self.docsets, searcher, matched, sq.type) if sq.facets else {}
        return SearchResults(total=len(matched), hits=tuple(hits), facets=facets, page=page, page_size=size,
                             highlight=frozenset(terms), phrases=phrases, fell_back=compiled.fell_back)

    def suggest(self, words: Sequence[str], query: SearchQuery, max_distance: int) -> dict[str, tuple[Candidate, ...]]:
        searcher = self._searcher()
        if searcher is None:
            return {}
        reader, budget = searcher.reader(), query.budget
        with deadline.watching(budget):
            return self._suggest(searcher, reader, words, query, max_distance)

    def _suggest(self, searcher, reader, words, query, max_distance) -> dict[str, tuple[Candidate, ...]]:
        budget = query.budget
        # Entries of the searched type the reader may see (facet filters aside); deleted ones are
        # never in a postings list, so their words are never counted.
        allowed = self.docsets.allowed(searcher, q_mod.combined_filter(query, with_facets=False))
        ordered: list[int] | None = None
        out: dict[str, tuple[Candidate, ...]] = {}
        for word in words:
            budget.check()
            if max_distance == 0:
                found = {word} if any((fieldname, word) in reader for fieldname in SUGGEST_FIELDS) else set()
            else:
                prefix = min(query.limits.spelling_prefix, len(word))
                found = set(q_mod.fuzzy_words(reader, SUGGEST_FIELDS, word, max_distance, prefix, budget,
                                              self.docsets))
            candidates = []
            for candidate in sorted(found):
                if ordered is None and len(allowed) < 4096:
                    ordered = sorted(allowed)
                entries = _visible_count(reader, candidate, allowed, ordered, budget)
                if entries:
                    candidates.append(Candidate(candidate, spelling.edit_distance(word, candidate), entries))
            if candidates:
                candidates.sort(key=lambda c: (c.distance, -c.entries, c.word))
                out[word] = tuple(candidates)
        return out

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


class _Deadline(collectors.WrappingCollector):
    """Passes the matches through, looking at the clock every CHECK_EVERY of them (Whoosh's own
    TimeLimitCollector starts a timer thread and signals per search)."""

    def __init__(self, child, budget: Budget) -> None:
        super().__init__(child)
        self.budget = budget

    def matches(self):
        check = self.budget.check
        for n, docnum in enumerate(self.child.matches()):
            if not n % CHECK_EVERY:
                check()
            yield docnum


def _ranked(searcher, q, allowed: set[int], limit: int, budget: Budget):
    """The top ``limit`` hits among ``allowed`` (here: the matches), best first, through Whoosh's
    collector (a scored walk of the whole matcher, skipping blocks that cannot reach the top)."""
    if not allowed:  # Whoosh reads an empty filter set as no filter at all
        return []
    collector = collectors.FilterCollector(_Deadline(searcher.collector(limit=limit), budget), allow=allowed)
    searcher.search_with_collector(q, collector)
    return collector.results()


def _visible_count(reader, word: str, allowed: set[int], ordered: list[int] | None, budget: Budget) -> int:
    """How many of ``allowed`` hold ``word`` in a spelling field (up to SUGGEST_COUNT_CAP): the
    postings walked, or, when the allowed entries are few, skipped to each of them."""
    seen: set[int] = set()
    for fieldname in SUGGEST_FIELDS:
        try:
            postings = reader.postings(fieldname, word)
        except (KeyError, TermNotFound):
            continue
        if ordered is not None and len(ordered) < reader.doc_frequency(fieldname, word):
            for docnum in ordered:
                if not postings.is_active():
                    break
                if postings.id() < docnum:
                    postings.skip_to(docnum)
                    if not postings.is_active():
                        break
                if postings.id() == docnum:
                    seen.add(docnum)
        else:
            for n, docnum in enumerate(postings.all_ids()):
                if not n % CHECK_EVERY:
                    budget.check()
                if docnum in allowed:
                    seen.add(docnum)
                    if len(seen) >= SUGGEST_COUNT_CAP:
                        break
        if len(seen) >= SUGGEST_COUNT_CAP:
            break
    return min(len(seen), SUGGEST_COUNT_CAP)
