"""The search policy, written once: what is asked of the backend for one search, and in what
order. Backends implement only ``search.backends.base.SearchBackend``; this module decides

1. the query as typed (``backend.search``);
2. the any-word retry: a run of plain words that no entry has all of is run again with any of
   them (``Parsed.relaxable``; never once the user wrote logic), and ``any_word`` is set. Whether
   no entry has them all is decided without the facet filters, so that facet counts agree with
   filtered counts;
3. "did you mean" on the first page when fewer than 3 entries were found, only some words
   matched, or a word was found only by its sound (the phonetic last resort of
   ``search.ranking``) (``search.spelling``), offered only when the corrected query finds more
   (than nothing, after the any-word retry or the phonetic resort).

All of it within one time budget (``SearchQuery.budget``, ``search.limits``): running out raises
``QueryTooExpensive`` from wherever it happens, except in spelling, whose own part of the budget
running out only means no suggestion.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from . import spelling
from .backends.base import SearchBackend, SearchFilters, SearchQuery, SearchResults
from .errors import QueryError
from .parser import parse
from .tree import Node, Parsed

logger = logging.getLogger("search")
SUGGEST_BELOW = 3  # "did you mean" when fewer entries than this were found


Rewrite = Callable[[Node], Node]  # a parsed tree -> the tree for the backend (search.ranking)


def _as_is(tree: Node) -> Node:
    return tree


def run(backend: SearchBackend, parsed: Parsed, sq: SearchQuery, rewrite: Rewrite | None = None) -> SearchResults:
    """``sq.tree`` is ``rewrite(parsed.tree)``; the retries rewrite their own trees the same way."""
    rewrite = rewrite or _as_is
    results = backend.search(sq)
    any_word = False
    if results.total == 0 and parsed.relaxable and not _has_all_words_somewhere(backend, sq):
        relaxed = parse(parsed.text, sq.limits, any_word=True)
        results = backend.search(replace(sq, tree=rewrite(relaxed.tree)))
        any_word = results.total > 0
    suggestion = None
    if sq.page == 1 and (results.total < SUGGEST_BELOW or any_word or results.fell_back):
        # Entries found only by the sound of a word (the last resort) do not stand in for a correction.
        suggestion = did_you_mean(backend, parsed, sq, rewrite, 0 if any_word or results.fell_back else results.total)
    return replace(results, suggestion=suggestion, any_word=any_word)


def _has_all_words_somewhere(backend: SearchBackend, sq: SearchQuery) -> bool:
    """Whether some entry has every word once the facet filters are set aside."""
    if sq.filters == SearchFilters():
        return False  # the search just made was that one
    unfiltered = replace(sq, filters=SearchFilters(), page=1, page_size=1, highlight=False, facets=False)
    return backend.search(unfiltered).total > 0


def did_you_mean(backend: SearchBackend, parsed: Parsed, sq: SearchQuery, rewrite: Rewrite,
                 found: int) -> str | None:
    """A corrected query that finds more than ``found`` entries, as the texts write its words."""
    scoped = replace(sq, budget=sq.budget.part(sq.limits.spelling_seconds, "spelling"))
    try:
        corrections = spelling.corrections(backend, parsed, scoped)
        if not corrections:
            return None
        corrected = spelling.apply(parsed.text, corrections)
        tree = rewrite(parse(corrected, sq.limits).tree)
        probe = backend.search(spelling.probe_query(scoped, tree))
        if probe.total <= found:
            return None
        return spelling.as_written(corrected, parsed.text, probe)
    except QueryError:  # the spelling budget ran out, or the correction reads oddly: no suggestion
        return None
    except Exception:  # a suggestion is optional; never fail a search for it
        logger.exception("search: 'did you mean' failed for %r", parsed.text)
        return None
