"""Turning Whoosh results into SearchResults: facet counts, and the marks snippets are cut around.

Snippets mark the words the query matched where the index says they are: the ``body`` field
stores each word's position and character offsets (``chars=True``), written by the same analysis that the
query's words went through, so highlighting and matching agree without re-analysing the text.
Only the page of hits shown is read (``marked_words``); ``search.snippets`` then cuts passages
around the marks (the same passages its ``marks_in`` would give for the text)."""

from __future__ import annotations

from collections.abc import Iterable

from search import snippets
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


def occurrences(reader, docnums: Iterable[int], terms: set[str],
                fieldname: str = TEXT_FIELD) -> dict[int, dict[str, list[tuple[int, int, int]]]]:
    """For each of ``docnums`` (top-level document numbers of ``reader``), each of ``terms`` it
    holds with its [(position, start, end)] (str offsets), read from the postings' stored
    positions and character offsets: one postings cursor per term and segment, moved forward
    through the page's documents in order."""
    wanted = sorted(set(docnums))
    found: dict[int, dict[str, list[tuple[int, int, int]]]] = {d: {} for d in wanted}
    if not wanted or not terms:
        return found
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
                    found[docnum + base].setdefault(term, []).extend(postings.value_as("characters"))
    return found


def marked_words(reader, docnums: Iterable[int], terms: set[str], fieldname: str = TEXT_FIELD,
                 phrases=()) -> dict[int, list[tuple[int, int]]]:
    """For each of ``docnums``, the sorted [start, end) str offsets of its words to mark: those
    whose indexed form is in ``terms``, and the words of ``phrases`` where the phrase stands
    (``search.snippets.select``)."""
    wanted = set(terms) | {w for phrase, _ in phrases for w in phrase}
    return {d: snippets.select(occ, terms, phrases)
            for d, occ in occurrences(reader, docnums, wanted, fieldname).items()}
