"""The search backend interface: what every backend (whoosh, postgres) implements, and nothing more.

The search itself is the core's (``search.parser``, ``search.expansion``, ``search.policy``,
``search.spelling``, ``search.snippets``, ``search.limits``): a backend never parses text, never
retries a query with any word, and never decides on "did you mean"; it answers the calls below.
Everything it needs arrives as plain dataclasses defined here, so that a backend knows no Django
model and no view: ``search.indexing`` turns rows into ``IndexEntry`` objects, the core turns a
request into a ``SearchQuery`` and gets ``SearchResults`` back (ids and scores; the rows are then
loaded in one query by the caller).

Backends are chosen by ``settings.SEARCH_BACKEND`` and loaded with
``search.backends.get_search_backend()``. A new backend is a package beside ``whoosh`` and
``postgres`` with a ``SearchBackend`` subclass, named in ``search.backends.BACKENDS`` (or given by
dotted path).

Conventions every backend keeps:

- ``SearchQuery.tree`` is the query as the neutral tree (``search.tree``), its words already
  analysed (``search.analysis``: stemming, accent and transliteration folding) and record names
  already expanded. The backend compiles it into its own form. Analysis is also what it indexes
  with, so that matching, highlighting and spelling agree.
- Limits (``SearchQuery.limits``, ``search.limits``): a backend expands a ``Prefix``,
  ``Wildcard`` or ``Fuzzy`` node into at most ``max_expansions_per_term`` indexed words (all of a
  query's at most ``max_expansions_per_query``) and raises ``QueryTooExpensive`` beyond; it calls
  ``SearchQuery.budget.check()`` in every loop whose length grows with the index, and raises the
  same when its own means of stopping (a statement timeout) fire. It raises ``QueryError`` for a
  tree it cannot run, and nothing else.
- Visibility: annotation entries carry ``visibility``, ``status``, ``creator_id`` and
  ``group_id``; ``SearchQuery.access`` is the reader's rule from ``annotations.permissions`` (a
  tuple of clauses; an entry is visible when any clause admits it, ``may_see``). A backend renders
  those clauses as its own filter and returns, counts and suggests from nothing else; deleted
  entries are never found, counted or suggested.
- ``SearchResults.highlight`` is the set of indexed word forms the query matched in the text
  field (after expansion); snippets mark those words. Snippet offsets are Python ``str`` indices
  (code points, half-open) into the entry's ``body`` (for documents: ``Document.text``); backends
  build them with ``search.snippets``.
- Writes (``index``, ``remove``, ``clear``, ``rebuild``) run only in background tasks and
  management commands, never in a web request. A writer that cannot get the index lock within
  its timeout raises ``IndexLockedError`` (the task then fails and is retried).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from annotations.permissions import Clause, reader_clauses
from search.errors import IndexLockedError as IndexLockedError  # re-exported: the errors a backend raises
from search.errors import QueryError as QueryError
from search.errors import QueryTooExpensive as QueryTooExpensive
from search.errors import SearchError as SearchError
from search.limits import DEFAULT_LIMITS, Budget, Limits
from search.tree import Node

EntryType = Literal["document", "record", "annotation"]
ENTRY_TYPES: tuple[EntryType, ...] = ("document", "record", "annotation")

MAX_QUERY_LENGTH = 500
MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 10


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
    tree: Node  # the parsed query (search.tree), analysed and expanded
    type: EntryType = "document"
    filters: SearchFilters = field(default_factory=SearchFilters)
    access: Access = ANONYMOUS
    page: int = 1  # 1-based
    page_size: int = DEFAULT_PAGE_SIZE
    highlight: bool = True  # snippets for the hits of this page only
    facets: bool = True
    max_snippets: int = 3
    text: str = ""  # the query as the user typed it (for logs)
    limits: Limits = DEFAULT_LIMITS
    # The time left for the whole search (shared by every call the policy makes for it).
    budget: Budget = field(default_factory=DEFAULT_LIMITS.budget, compare=False)


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
    suggestion: str | None = None  # "did you mean" (set by search.policy)
    any_word: bool = False  # no entry had every word, so entries with any of them are shown
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    highlight: frozenset[str] = frozenset()  # indexed words the query matched in the text field
    # phrases the query matched in the text field: (words, slop); their words are marked only
    # where the phrase stands (search.snippets), unless they are in ``highlight`` too
    phrases: tuple[tuple[tuple[str, ...], int], ...] = ()
    fell_back: bool = False  # some word was found only by its Fallback (sound): the policy may still correct it


@dataclass(frozen=True)
class Candidate:
    """A word ``suggest`` found near an asked one."""

    word: str  # an indexed word form
    distance: int  # edits from the asked word (Levenshtein)
    entries: int  # visible entries holding it (counted up to SUGGEST_COUNT_CAP)


SUGGEST_COUNT_CAP = 100
SUGGEST_FIELDS = ("title", "body")  # the words spelling draws on


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
        """Run a query: the page of hits (with snippets when ``query.highlight``), the total, facet
        counts (when ``query.facets``) and ``highlight``. Raises QueryError (a tree it cannot run)
        or QueryTooExpensive (limits, budget), nothing else."""

    @abstractmethod
    def suggest(self, words: Sequence[str], query: SearchQuery, max_distance: int) -> dict[str, tuple[Candidate, ...]]:
        """The backend's part of spelling. For each of ``words`` (indexed or folded forms), the
        indexed words within ``max_distance`` edits (0: the word itself; else keeping the first
        ``query.limits.spelling_prefix`` letters) that the title or text
        (``SUGGEST_FIELDS``) of entries of ``query.type`` visible under ``query.access`` hold;
        never words only deleted or invisible entries hold. Nearest first, then most entries.
        Words with no candidate may be left out. Bounded by ``query.budget`` (raises
        QueryTooExpensive when it is spent)."""

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
