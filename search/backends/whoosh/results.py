"""Turning Whoosh results into SearchResults: snippets with str offsets, and facet counts.

Snippets mark the words the query matched where the index says they are: the ``body`` field
stores each word's character offsets (``chars=True``), written by the same analyzer that parses
queries, so highlighting and matching agree without re-analysing the text. Only the page of hits
shown is read (``marked_words``); ``snippets`` then cuts passages around the marks."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from search.backends.base import FacetValue, Snippet
from search.backends.whoosh.schema import ANALYZER

TEXT_FIELD = "body"

SNIPPET_CHARS = 240  # at most this many characters of context per snippet
SURROUND = 80  # characters kept before the first and after the last marked word

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


def _windows(marks: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Group marked words that fit in one snippet."""
    windows: list[list[tuple[int, int]]] = []
    for start, end in marks:
        if windows and end - windows[-1][0][0] <= SNIPPET_CHARS - 2 * 20:
            windows[-1].append((start, end))
        else:
            windows.append([(start, end)])
    return windows


def _expand(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) by context, cut at word boundaries (whitespace), within SNIPPET_CHARS."""
    room = max(SNIPPET_CHARS - (end - start), 0)
    before = min(SURROUND, room // 2) if end - start < SNIPPET_CHARS else 0
    lo = max(0, start - before)
    hi = min(len(text), end + (room - (start - lo)))
    if lo > 0:
        space = text.find(" ", lo, start)
        nl = text.rfind("\n", lo, start)
        if nl != -1:
            lo = nl + 1
        elif space != -1:
            lo = space + 1
    if hi < len(text):
        nl = text.find("\n", end, hi)
        if nl != -1:
            hi = nl
        else:
            space = text.rfind(" ", end, hi)
            if space != -1:
                hi = space
    return lo, hi


def marked_words(reader, docnums: Iterable[int], terms: set[str], fieldname: str = TEXT_FIELD) -> dict[int, list[tuple[int, int]]]:
    """For each of ``docnums`` (top-level document numbers of ``reader``), the [start, end) str
    offsets of its words whose indexed form is in ``terms``, in text order, read from the
    postings' stored character offsets: one postings cursor per term and segment, moved forward
    through the page's documents in order."""
    wanted = sorted(set(docnums))
    found: dict[int, list[tuple[int, int]]] = {d: [] for d in wanted}
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
                    found[docnum + base].extend((s, e) for _, s, e in postings.value_as("characters"))
    for marks in found.values():
        marks.sort()
    return found


def reanalysed_marks(text: str, terms: set[str]) -> list[tuple[int, int]]:
    """The same marks found by analysing ``text`` again (for text that is not in the index)."""
    return [(t.startchar, t.endchar) for t in ANALYZER(text, chars=True, mode="index", removestops=False)
            if t.text in terms]


def snippets(text: str, terms: set[str], top: int = 3, marks: list[tuple[int, int]] | None = None) -> tuple[Snippet, ...]:
    """Up to ``top`` passages of ``text`` with the words whose indexed form is in ``terms``
    marked; offsets are str indices into ``text``. Best passages (most distinct words, then most
    marks) first, ties in text order. ``marks`` (from ``marked_words``) saves analysing ``text``."""
    if not text or not terms:
        return ()
    if marks is None:
        marks = reanalysed_marks(text, terms)
    if not marks:
        return ()
    scored = []
    for window in _windows(marks):
        distinct = len({text[s:e].casefold() for s, e in window})
        scored.append(((-distinct, -len(window), window[0][0]), window))
    scored.sort(key=lambda item: item[0])
    chosen = sorted((w for _, w in scored[:top]), key=lambda w: w[0][0])
    out = []
    for window in chosen:
        lo, hi = _expand(text, window[0][0], window[-1][1])
        parts, cursor = [], lo
        for s, e in window:
            if s < cursor or e > hi:
                continue
            parts.append(escape(text[cursor:s]))
            parts.append("<mark>" + escape(text[s:e]) + "</mark>")
            cursor = e
        parts.append(escape(text[cursor:hi]))
        out.append(Snippet(html="".join(parts), start=lo, end=hi, marks=tuple(window)))
    return tuple(out)
