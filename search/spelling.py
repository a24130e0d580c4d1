"""Spelling ("did you mean"), written once for every backend.

1. The words worth correcting: those the user typed in the default, title or text fields, not
   under NOT, not numbers, at least ``MIN_LENGTH`` letters.
2. Which of them the reader's visible entries hold (``backend.suggest(..., 0)`` on their indexed
   forms); the others are unknown. At most ``Limits.spelling_words`` unknown words are corrected.
3. For each unknown word, the nearest word the visible entries hold: within one edit first, then
   within ``Limits.spelling_distance`` (``backend.suggest``: candidates ranked by distance, then
   by how many visible entries hold them). Whoosh ranks every word within the distance by
   frequency alone, so a frequent word two edits away would beat the one-edit correction.
4. The corrected query is offered only if it finds more than the query did (``search.policy``);
   each corrected word is then shown as the texts write it (``as_written``).

``backend.suggest`` draws only on what the reader may see: words of entries of the searched type
that pass the reader's access filter, never of deleted entries. Every call runs within the
spelling part of the search's budget (``Limits.spelling_seconds``); when it runs out the search
is answered without a suggestion.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from . import analysis
from .backends.base import SearchBackend, SearchQuery, SearchResults
from .tree import Parsed, Phrase, Span, Term, walk

MIN_LENGTH = 3
SPELLED_FIELDS = (None, "title", "body")
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions), as the backends count it."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class Word:
    typed: str
    folded: str  # folded, not stemmed: what corrections are measured from
    indexed: str  # folded and stemmed: what the index holds
    span: Span


def correctable(parsed: Parsed, max_length: int) -> list[Word]:
    out: dict[Span, Word] = {}
    for node, negated in walk(parsed.tree):
        if negated:
            continue
        if isinstance(node, Term) and node.span and node.field in SPELLED_FIELDS:
            pairs: Iterable = [(node.typed, node.text, node.span)]
        elif isinstance(node, Phrase) and node.spans and node.field in SPELLED_FIELDS:
            pairs = zip(node.typed, node.words, node.spans, strict=True)
        else:
            continue
        for typed, _, span in pairs:
            folded = analysis.fold_word(typed, stemming=False)
            indexed = analysis.fold_word(typed)  # the plain form (the node may be a marked one)
            if typed.isdigit() or not MIN_LENGTH <= len(folded) <= max_length:
                continue
            out.setdefault(span, Word(typed, folded, indexed, span))
    return sorted(out.values(), key=lambda w: w.span)


def corrections(backend: SearchBackend, parsed: Parsed, sq: SearchQuery) -> dict[Span, str]:
    """Where a typed word is replaced, by the indexed word to put there. May raise
    QueryTooExpensive (the spelling budget spent); the caller then offers nothing."""
    limits = sq.limits
    words = correctable(parsed, limits.max_fuzzy_length)
    if not words:
        return {}
    known = backend.suggest(sorted({w.indexed for w in words}), sq, 0)
    unknown = [w for w in words if w.indexed not in known][: limits.spelling_words]
    if not unknown:
        return {}
    wanted = sorted({w.folded for w in unknown})
    found = backend.suggest(wanted, sq, 1) if limits.spelling_distance >= 1 else {}
    farther = [w for w in wanted if w not in found]
    if farther and limits.spelling_distance >= 2:
        found.update(backend.suggest(farther, sq, limits.spelling_distance))
    out = {}
    for w in unknown:
        if found.get(w.folded) and found[w.folded][0].word != w.folded:
            out[w.span] = found[w.folded][0].word
    return out


def apply(text: str, replacements: dict[Span, str]) -> str:
    out, cursor = [], 0
    for (start, end), word in sorted(replacements.items()):
        out += [text[cursor:start], word]
        cursor = end
    return "".join(out) + text[cursor:]


def as_written(suggestion: str, typed_text: str, probe: SearchResults) -> str:
    """The corrections are indexed forms ("trotski"); show each as the texts write it
    ("Trotsky"), read from the marked words of the suggestion's own hits (``probe``)."""
    typed = {analysis.fold_word(w) for w, _, _ in analysis.tokenize(typed_text)}
    written: dict[str, str] = {}
    for hit in probe.hits:
        for snippet in hit.snippets:
            for marked in _MARK.findall(snippet.html):
                word = html.unescape(marked).strip()
                written.setdefault(analysis.fold_word(word), word)
    out, cursor = [], 0
    for word, start, end in analysis.tokenize(suggestion):
        folded = analysis.fold_word(word)
        if folded not in typed and folded in written:
            out += [suggestion[cursor:start], written[folded]]
            cursor = end
    return "".join(out) + suggestion[cursor:]


def probe_query(sq: SearchQuery, tree) -> SearchQuery:
    """The corrected query, asked for a few hits with snippets (to read the written forms)."""
    return replace(sq, tree=tree, page=1, page_size=5, facets=False, highlight=True)
