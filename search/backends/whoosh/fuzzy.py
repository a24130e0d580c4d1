"""Words within an edit distance of a word, found in a segment's sorted word list: a Levenshtein
automaton (Whoosh's, kept per word, distance and exact prefix) walked over the list as Whoosh's
``Automata.find_matches`` walks a cursor, each step a bisection of the list in memory (through
Whoosh's cursor a step was a binary search of the on-disk table in Python, about five times
slower). Used for fuzzy terms (``word~``) and for spelling; ``DocSets.within`` keeps the answers
per segment."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from functools import lru_cache

from whoosh.automata import lev

from search.limits import Budget

CHECK_EVERY = 256  # steps of a walk between two looks at the clock


@lru_cache(maxsize=512)
def automaton(word: str, distance: int, prefix: int):
    return lev.levenshtein_automaton(word, distance, prefix).to_dfa()


def walk(dfa, words: Sequence[str], budget: Budget) -> Iterator[str]:
    """The words of the sorted ``words`` that ``dfa`` accepts, in order."""
    if not words:
        return
    i, end, steps = 0, len(words), 0
    match = dfa.next_valid_string(words[0])
    while match:
        steps += 1
        if not steps % CHECK_EVERY:
            budget.check()
        i = bisect_left(words, match, i)
        if i == end:
            return
        term = words[i]
        if term == match:
            yield match
            term += "\0"
        match = dfa.next_valid_string(term)
