"""A look at the search's clock inside Whoosh's matching.

Between two matches a Whoosh matcher may walk a long way (an exclusion of many words skips most
of the documents an included word has; a union of hundreds of words reads all their postings), so
looking at the clock after every so many matches does not bound a search. Every postings list is
read a block (up to 128 documents) at a time, through ``W3LeafMatcher._goto``; ``install()``
makes that look at the budget of the search running in this thread (``watching``), so a search
stops within one block of its deadline whatever the query. Outside ``watching`` (index writes,
commands) nothing is looked at. Idempotent, like ``mapped.install``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from whoosh.codec import whoosh3

from search.limits import Budget

_local = threading.local()


@contextmanager
def watching(budget: Budget) -> Iterator[None]:
    """Within the block, reading a postings block in this thread raises QueryTooExpensive once
    ``budget`` is spent."""
    previous = getattr(_local, "budget", None)
    _local.budget = budget
    try:
        yield
    finally:
        _local.budget = previous


def install() -> None:
    original = whoosh3.W3LeafMatcher._goto
    if getattr(original, "watched", False):
        return

    def _goto(self, position):
        budget = getattr(_local, "budget", None)
        if budget is not None:
            budget.check()
        return original(self, position)

    _goto.watched = True
    whoosh3.W3LeafMatcher._goto = _goto
