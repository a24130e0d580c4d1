"""Snippets: passages of a text with the words a query matched in ``<mark>``, everything else
HTML-escaped, with ``start``/``end`` str offsets (code points, half-open) into the text.

A backend hands over the marked words' offsets: the Whoosh backend reads them from its postings
(``body`` stores each word's position and character offsets, written by the same analysis),
everything else finds them with ``marks_in``, which analyses the text again (``search.analysis``)
and marks each word one of whose indexed forms the query matched (``SearchResults.highlight``);
a phrase's words only where the phrase stands (``SearchResults.phrases``; "show trial" does not
mark a lone "trial"). ``select`` makes that choice for both. Both give the same marks
for the same text; ``tests/test_search_snippets.py`` checks it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from html import escape

from . import analysis
from .backends.base import Snippet

SNIPPET_CHARS = 240  # at most this many characters of context per snippet
SURROUND = 80  # characters kept before the first and after the last marked word
MAX_SNIPPETS = 3


Phrases = Sequence[tuple[Sequence[str], int]]  # (indexed words, slop) as SearchResults.phrases


def occurrences_in(text: str, wanted: Collection[str]) -> dict[str, list[tuple[int, int, int]]]:
    """word -> [(position, start, end)] of the words of ``text`` any of whose indexed forms
    (``analysis.forms``) is in ``wanted``."""
    found: dict[str, list[tuple[int, int, int]]] = {}
    if not text or not wanted:
        return found
    for t in analysis.analyze(text):
        for form in analysis.forms(t.original):
            if form in wanted:
                found.setdefault(form, []).append((t.position, t.start, t.end))
    return found


def _chain(positions: list[dict[int, tuple[int, int]]], slop: int) -> list[tuple[int, int]]:
    """The offsets of every place where the phrase's words stand in order, each within ``slop``
    positions of the one before (1: adjacent)."""
    out: list[tuple[int, int]] = []
    for first in sorted(positions[0]):
        chain, here = [positions[0][first]], first
        for later in positions[1:]:
            nxt = next((p for p in range(here + 1, here + slop + 1) if p in later), None)
            if nxt is None:
                break
            chain.append(later[nxt])
            here = nxt
        else:
            out.extend(chain)
    return out


def select(occurrences: dict[str, list[tuple[int, int, int]]], words: Collection[str],
           phrases: Phrases = ()) -> list[tuple[int, int]]:
    """Sorted [start, end) offsets to mark: every occurrence of ``words``, and the words of each
    phrase only where the phrase stands."""
    marks = {(s, e) for w in words for _, s, e in occurrences.get(w, ())}
    for phrase, slop in phrases:
        positions = [{p: (s, e) for p, s, e in occurrences.get(w, ())} for w in phrase]
        if all(positions):
            marks.update(_chain(positions, max(1, slop)))
    return sorted(marks)


def marks_in(text: str, words: Collection[str], phrases: Phrases = ()) -> list[tuple[int, int]]:
    """[start, end) offsets of the words of ``text`` to mark for a query that matched ``words``
    (anywhere) and ``phrases`` (where they stand)."""
    wanted = set(words) | {w for phrase, _ in phrases for w in phrase}
    return select(occurrences_in(text, wanted), words, phrases)


def _windows(marks: Sequence[tuple[int, int]]) -> list[list[tuple[int, int]]]:
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


def snippets(text: str, marks: Sequence[tuple[int, int]], top: int = MAX_SNIPPETS) -> tuple[Snippet, ...]:
    """Up to ``top`` passages of ``text`` around ``marks`` (sorted [start, end) offsets of the
    words to mark). Best passages (most distinct words, then most marks) first, ties in text
    order; the chosen ones are returned in text order."""
    if not text or not marks:
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


def make(text: str, words: Collection[str], top: int = MAX_SNIPPETS, phrases: Phrases = ()) -> tuple[Snippet, ...]:
    """Snippets of any text for a query's matched words and phrases (``SearchResults.highlight``,
    ``SearchResults.phrases``)."""
    return snippets(text, marks_in(text, words, phrases), top)
