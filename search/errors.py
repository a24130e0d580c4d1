"""The errors of search, shared by the core and every backend (``search.backends.base`` re-exports
them). A view answers ``QueryError`` (and so ``QueryTooExpensive``) with 400 and its message;
nothing else a search raises is meant for the user."""

from __future__ import annotations


class SearchError(Exception):
    """Base class of the errors a backend may raise."""


class QueryError(SearchError):
    """The query cannot be read; ``str(error)`` says what is wrong, for the user (HTTP 400)."""


class QueryTooExpensive(QueryError):
    """The query would cost more than ``search.limits`` allows (too many words, too many words a
    wildcard or fuzzy term stands for, the time budget spent). ``str(error)`` starts with
    "query too expensive: " and says what to change (HTTP 400)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"query too expensive: {reason}")


class IndexLockedError(SearchError):
    """Another process holds the index write lock beyond the writer timeout (retry later)."""
