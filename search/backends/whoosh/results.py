"""Turning Whoosh results into SearchResults: facet counts, and the marks snippets are cut around.

Snippets mark the words the query matched where the index says they are: the ``body`` field
stores each word's position (written by the same analysis that the query's words went through,
so highlighting and matching agree), and a position is turned into the word's str offsets by
counting the words of the hit's stored text (``analysis.WORD_PATTERN``, the tokenizer the index
used), which needs no folding or stemming. Only the page of hits shown is read
(``marked_words``); ``search.snippets`` then cuts passages around the marks (the same passages its
``marks_in`` would give for the text).

Positions only, not character offsets too (``chars=True``): a postings block is one compressed
pickle of its documents, weights and values, so the offsets tripled what every search reading a
frequent word ("the", "of") decoded."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

from search import analysis, snippets
from search.backends.base import FacetValue

TEXT_FIELD = "body"

FACETS = {
    "document": {"kind": "kind_f", "author": "author_f", "decade": "decade_f", "year": "year_f",
                 "entity_type": "entity_f", "record": "records_f"},
    "record": {"kind": "kind_f"},
    "annotation": {"entity_type": "entity_f", "record": "records_f"},
}


def facet_counts(docsets, searcher, matched: set[int], entry_type: str) -> dict[str, tuple[FacetValue, ...]]:
    """For each facet of ``entry_type``, its values among the ``matched`` documents with their
    counts: most frequent first (years and decades in order)."""
    out: dict[str, tuple[FacetValue, ...]] = {}
    for name, fieldname in FACETS.get(entry_type, {}).items():
        values = []
        for value, count in docsets.count(searcher, fieldname, matched).items():
            text = value.decode("utf-8") if isinstance(value, bytes) else str(value)
            if text:
                values.append(FacetValue(value=text, count=count, label=text))
        if name in ("decade", "year"):
            values.sort(key=lambda v: v.value)
        else:
            values.sort(key=lambda v: (-v.count, v.value))
        out[name] = tuple(values)
    return out


def occurrences(reader, docnums: Iterable[int], terms: set[str], fieldname: str = TEXT_FIELD,
                texts: dict[int, str] | None = None) -> dict[int, dict[str, list[tuple[int, int, int]]]]:
    """For each of ``docnums`` (top-level document numbers of ``reader``), each of ``terms`` it
    holds with its [(position, start, end)] (str offsets): the positions read from the postings
    (one cursor per term and segment, moved forward through the page's documents in order), the
    offsets from the words of the document's stored text (``texts``, or read from the index)."""
    wanted = sorted(set(docnums))
    found: dict[int, dict[str, list[int]]] = {d: {} for d in wanted}
    if not wanted or not terms:
        return {d: {} for d in wanted}
    for leaf, base in reader.leaf_readers():
        local = [d - base for d in wanted if base <= d < base + leaf.doc_count_all()]
        if not local:
            continue
        for term in terms:
            if (fieldname, term) not in leaf:
                continue
            postings = leaf.postings(fieldname, term)
            for docnum in local:
                if not postings.is_active():
                    break
                if postings.id() < docnum:
                    postings.skip_to(docnum)
                    if not postings.is_active():
                        break
                if postings.id() == docnum:
                    found[docnum + base].setdefault(term, []).extend(postings.value_as("positions"))
    out: dict[int, dict[str, list[tuple[int, int, int]]]] = {}
    for d, by_term in found.items():
        if not by_term:
            out[d] = {}
            continue
        text = texts[d] if texts is not None and d in texts else reader.stored_fields(d).get(fieldname, "")
        spans = word_spans(text, max(p for positions in by_term.values() for p in positions))
        out[d] = {term: [(p, *spans[p]) for p in positions if p < len(spans)] for term, positions in by_term.items()}
    return out


def word_spans(text: str, last: int) -> list[tuple[int, int]]:
    """The [start, end) str offsets of the words of ``text`` (as the index counted them), up to
    position ``last``."""
    return [match.span() for match in islice(analysis.WORD_PATTERN.finditer(text), last + 1)]


def marked_words(reader, docnums: Iterable[int], terms: set[str], fieldname: str = TEXT_FIELD,
                 phrases=(), texts: dict[int, str] | None = None) -> dict[int, list[tuple[int, int]]]:
    """For each of ``docnums``, the sorted [start, end) str offsets of its words to mark: those
    whose indexed form is in ``terms``, and the words of ``phrases`` where the phrase stands
    (``search.snippets.select``). ``texts``: the documents' stored text, when already read."""
    wanted = set(terms) | {w for phrase, _ in phrases for w in phrase}
    return {d: snippets.select(occ, terms, phrases)
            for d, occ in occurrences(reader, docnums, wanted, fieldname, texts).items()}
