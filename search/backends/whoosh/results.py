"""Turning Whoosh results into SearchResults: facet counts, and the marks snippets are cut around.

Snippets mark the words the query matched where the index says they are: the ``body`` field
stores each word's position (written by the same analysis that the query's words went through,
so highlighting and matching agree), and a position becomes the word's str offsets through the
entry's stored word starts (``schema.word_starts``; the word ends where the tokenizer's pattern
ends it). Only the page of hits shown is read (``marked_words``); ``search.snippets`` then cuts
passages around the marks (the same passages its ``marks_in`` would give for the text).

Positions only, not character offsets too (``chars=True``): a postings block is one compressed
pickle of its documents, weights and values, and the offsets made every search that reads a
frequent word ("the", "of") decode far more; two bytes a word of stored starts cost less."""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from itertools import accumulate, islice

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
                stored: dict[int, dict] | None = None) -> dict[int, dict[str, list[tuple[int, int, int]]]]:
    """For each of ``docnums`` (top-level document numbers of ``reader``), each of ``terms`` it
    holds with its [(position, start, end)] (str offsets): the positions read from the postings
    (one cursor per term and segment, moved forward through the page's documents in order), the
    offsets from the document's stored word starts (``stored``: its stored fields, or read from
    the index)."""
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
        fields = stored[d] if stored is not None and d in stored else reader.stored_fields(d)
        spans = word_spans(fields.get(fieldname, ""), {p for positions in by_term.values() for p in positions},
                           fields.get("starts") if fieldname == TEXT_FIELD else None)
        out[d] = {term: [(p, *spans[p]) for p in positions if p in spans] for term, positions in by_term.items()}
    return out


def word_spans(text: str, positions: set[int], starts: bytes | None = None) -> dict[int, tuple[int, int]]:
    """position -> the [start, end) str offsets of that word of ``text`` (as the index counted
    the words), for ``positions``: from the stored word starts (``schema.word_starts``) when there
    are, else by reading the text's words again (an index written before they were stored)."""
    if not positions:
        return {}
    pattern, last = analysis.WORD_PATTERN, max(positions)
    if starts:
        gaps = array(starts[:1].decode())
        gaps.frombytes(starts[1:])
        at = list(islice(accumulate(gaps), last + 1))
        return {p: (at[p], pattern.match(text, at[p]).end()) for p in positions if p < len(at)}
    return {p: match.span() for p, match in enumerate(islice(pattern.finditer(text), last + 1)) if p in positions}


def marked_words(reader, docnums: Iterable[int], terms: set[str], fieldname: str = TEXT_FIELD,
                 phrases=(), stored: dict[int, dict] | None = None) -> dict[int, list[tuple[int, int]]]:
    """For each of ``docnums``, the sorted [start, end) str offsets of its words to mark: those
    whose indexed form is in ``terms``, and the words of ``phrases`` where the phrase stands
    (``search.snippets.select``). ``stored``: the documents' stored fields, when already read."""
    wanted = set(terms) | {w for phrase, _ in phrases for w in phrase}
    return {d: snippets.select(occ, terms, phrases)
            for d, occ in occurrences(reader, docnums, wanted, fieldname, stored).items()}
