"""The search backend interface: what every backend (whoosh, postgres) implements.

Everything a backend needs arrives as plain dataclasses defined here, so that a backend knows no
Django model and no view: ``search.indexing`` turns rows into ``IndexEntry`` objects,
``search.services`` turns a request into a ``SearchQuery`` and gets ``SearchResults`` back
(ids and scores; the rows are then loaded in one query by the caller).

Backends are chosen by ``settings.SEARCH_BACKEND`` and loaded with
``search.backends.get_search_backend()``.

Conventions every backend keeps:

- ``SearchQuery.text`` is the user's query in the query language documented in the README
  ("Search"): plain words (all must match), "phrases", OR / NOT / parentheses, field filters
  (``title:``, ``author:``, ``kind:``, ``year:1937``, ``year:[1936 TO 1938]``), ``prefix*`` and
  ``fuzzy~``. Text a backend cannot parse raises ``QueryError`` with a message for the user
  (or is read leniently); it must never raise anything else.
- Analysis (stemming, accent and transliteration folding) is ``search.analysis``; backends use
  it for indexing, querying and highlighting alike. ``SearchQuery.expansions`` maps a query word
  to other spellings (record aliases) that should match as OR alternatives.
- Visibility: annotation entries carry ``visibility``, ``status``, ``creator_id`` and
  ``group_id``; ``SearchQuery.access`` is the reader's rule from ``annotations.permissions`` (a
  tuple of clauses; an entry is visible when any clause admits it, ``may_see``). A backend renders
  those clauses as its own filter and returns, counts and suggests from nothing else.
- Snippet offsets are Python ``str`` indices (code points, half-open) into the entry's
  ``body`` (for documents: ``Document.text``).
- Writes (``index``, ``remove``, ``clear``, ``rebuild``) run only in background tasks and
  management commands, never in a web request. A writer that cannot get the index lock within
  its timeout raises ``IndexLockedError`` (the task then fails and is retried).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from annotations.permissions import Clause, reader_clauses

EntryType = Literal["document", "record", "annotation"]
ENTRY_TYPES: tuple[EntryType, ...] = ("document", "record", "annotation")

MAX_QUERY_LENGTH = 500
MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 10


_EXPLICIT_LOGIC = re.compile(r"\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b|[()]|(?:^|\s)[-+]\S")


def may_relax_to_any_word(text: str) -> bool:
    """Whether a query that finds nothing may be retried with any of its words instead of all.
    Only for plain words: once the user wrote AND/OR/NOT, parentheses or -word, the logic is
    theirs ("Stalin NOT Trotsky" must never turn into "Stalin OR Trotsky")."""
    return not _EXPLICIT_LOGIC.search(text)


class SearchError(Exception):
    """Base class of the errors a backend may raise."""


class QueryError(SearchError):
    """The query cannot be read; ``str(error)`` says what is wrong, for the user (HTTP 400)."""


class IndexLockedError(SearchError):
    """Another process holds the index write lock beyond the writer timeout (retry later)."""


@dataclass(frozen=True)
class IndexEntry:
    """One searchable object, backend-neutral. ``stamp`` identifies the version indexed
    (checksum + modified time) so that ``check_index`` can find stale entries."""

    type: EntryType
    pk: int
    stamp: str
    title: str = ""  # document title / record label / annotation quote
    body: str = ""  # document text / record description / annotation comment (snippets index into it)
    names: str = ""  # record aliases; annotation tags (space-joined)
    author: str = ""
    kind: str = ""  # document kind / record kind
    date: str = ""  # partial ISO date
    year: int | None = None
    slug: str = ""  # document slug (for annotations: their document's slug)
    document_id: int | None = None  # annotations: their document
    record_ids: tuple[int, ...] = ()  # documents: records linked by approved public annotations
    entity_types: tuple[str, ...] = ()  # documents: entity types of approved public annotations
    visibility: str = "public"  # annotations: public / private / group
    creator_id: int | None = None
    group_id: int | None = None
    status: str = ""  # annotations: pending / approved / rejected (a reply: its thread's, see indexing)


# The reader's rule: clauses with ``visibility``, ``statuses``, ``creator_id`` and ``group_ids``
# (each None for "any"), as ``annotations.permissions.reader_clauses`` makes them.
Access = tuple[Clause, ...]
ANONYMOUS: Access = reader_clauses(None)


def may_see(access: Access, entry: IndexEntry) -> bool:
    return any(clause.admits(entry) for clause in access)


@dataclass(frozen=True)
class SearchFilters:
    """Facet filters applied on top of the query (AND between fields, values exact)."""

    kind: str | None = None
    author: str | None = None
    year: int | None = None
    decade: int | None = None  # e.g. 1930 for 1930-1939
    record: int | None = None  # documents linked to this record / annotations linking it
    entity_type: str | None = None


@dataclass(frozen=True)
class SearchQuery:
    text: str
    type: EntryType = "document"
    filters: SearchFilters = field(default_factory=SearchFilters)
    access: Access = ANONYMOUS
    page: int = 1  # 1-based
    page_size: int = DEFAULT_PAGE_SIZE
    expansions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # word -> other spellings
    highlight: bool = True  # snippets for the hits of this page only
    facets: bool = True
    max_snippets: int = 3


@dataclass(frozen=True)
class Snippet:
    html: str  # escaped text with the matched words in <mark>...</mark>
    start: int  # str offsets into the entry's body, half-open
    end: int
    marks: tuple[tuple[int, int], ...] = ()  # the marked words' offsets (same text)


@dataclass(frozen=True)
class Hit:
    type: EntryType
    pk: int
    score: float
    snippets: tuple[Snippet, ...] = ()


@dataclass(frozen=True)
class FacetValue:
    value: str  # what to pass back as the filter value
    count: int
    label: str = ""  # display label (record labels are filled in by the service)


@dataclass(frozen=True)
class SearchResults:
    total: int
    hits: tuple[Hit, ...]
    facets: dict[str, tuple[FacetValue, ...]] = field(default_factory=dict)
    # facet names: "kind", "author", "decade", "year", "entity_type", "record"
    suggestion: str | None = None  # "did you mean"
    any_word: bool = False  # no entry had every word, so entries with any of them are shown
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


Progress = Callable[[int], None]


class SearchBackend(ABC):
    """A search backend. Construct with ``options`` (e.g. ``index_dir``) from settings."""

    name = "base"

    @abstractmethod
    def index(self, entries: Iterable[IndexEntry]) -> int:
        """Add or replace entries (matched by type + pk); return how many were written."""

    @abstractmethod
    def remove(self, type: EntryType, pks: Iterable[int]) -> None:
        """Remove entries; unknown pks are ignored."""

    @abstractmethod
    def search(self, query: SearchQuery) -> SearchResults:
        """Run a query. Raises QueryError for unreadable queries, nothing else."""

    @abstractmethod
    def suggest(self, text: str, type: EntryType = "document") -> str | None:
        """A corrected query ("did you mean") that would find more, or None."""

    @abstractmethod
    def clear(self) -> None:
        """Remove every entry (an empty, usable index remains)."""

    @abstractmethod
    def count(self, type: EntryType | None = None) -> int:
        """How many entries (of one type, or all)."""

    @abstractmethod
    def stamps(self, type: EntryType) -> dict[int, str]:
        """pk -> stamp of every entry of that type (for check_index)."""

    def stamp(self, type: EntryType, pk: int) -> str | None:
        """The stamp of one entry, or None when it is not in the index (backends override this
        with a direct lookup)."""
        return self.stamps(type).get(pk)

    def rebuild(self, entries: Iterable[IndexEntry], progress: Progress | None = None) -> int:
        """Replace the whole index with ``entries``. Backends that can should build aside and
        swap atomically; this default clears and re-indexes."""
        self.clear()
        written = 0
        for entry in entries:
            written += self.index([entry])
            if progress:
                progress(1)
        return written

    def close(self) -> None:
        """Release cached readers/connections (tests reset the backend between index dirs)."""
        return None
