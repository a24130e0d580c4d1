"""Sets of document numbers derived from the index, kept between searches: the documents a filter
allows (type, facet filters, visibility) and the documents holding each facet value; also each
segment's sorted word list of a text field and the words of it within an edit distance of a
word (``fuzzy``), which fuzzy terms and spelling ask for again and again; and the weights of
the frequent words a search scores (``weights``, for ``scorer``).

Whoosh turns a filter query into a bit set by walking every document it allows, on every search,
and its grouping walks every match in Python once per facet; at 100,000 documents those two were
most of a search. Here each set is built once per segment and shared by every thread's searcher:
a segment never changes once written (a deletion only hides documents, and matchers skip hidden
ones, so a set built before a deletion still gives the right answer once intersected with the
matches), so its sets stay valid until a merge replaces it. After an index change only the new,
small segments need sets; the big merged one keeps its own.

Sets hold top-level document numbers, so the entries are keyed by segment and offset."""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable

from whoosh.reading import TermNotFound

from search.analysis import is_marked
from search.limits import Budget

from . import deadline, fuzzy

# Kept per process, least recently used dropped first: at most this many entries, holding at most
# this many document numbers in all (about 70 bytes each: ~140 MB; 100,000 documents with the
# usual filters and facets need about a third of it).
MAX_ENTRIES = 512
MAX_DOCNUMS = 2_000_000


def _segment_key(leaf_searcher, offset: int) -> tuple | None:
    segment = leaf_searcher.reader().segment()
    if segment is None:  # an empty index's reader has no segment: nothing worth keeping
        return None
    return (segment.segment_id(), offset)


class DocSets:
    def __init__(self, max_entries: int = MAX_ENTRIES, max_docnums: int = MAX_DOCNUMS) -> None:
        self._max = max_entries
        self._max_docnums = max_docnums
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple, tuple[object, int]] = OrderedDict()
        self._docnums = 0

    def _get(self, key: tuple | None, build: Callable[[], object]):
        if key is None:
            return build()
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key][0]
        # Built outside the lock: two threads may both build a missing set once; either is right.
        value = build()
        if key[0] == "facet":
            size = sum(len(docs) for _, docs in value)
        elif key[0] == "weights":  # 4 bytes a document, counted as set members of about 70
            size = len(value) // 16 + 1
        else:
            size = len(value) + 1
        with self._lock:
            if key not in self._entries:
                self._entries[key] = (value, size)
                self._docnums += size
            while len(self._entries) > 1 and (len(self._entries) > self._max or self._docnums > self._max_docnums):
                _, (_, dropped) = self._entries.popitem(last=False)
                self._docnums -= dropped
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._docnums = 0

    # --- filters ---------------------------------------------------------------------------------

    def allowed(self, searcher, flt) -> set[int]:
        """The top-level numbers of the documents the filter query ``flt`` matches: a ``set``,
        which Whoosh's ``filter=`` takes as it is. Shared: never modify it."""
        name = repr(flt)
        leaves = searcher.leaf_searchers()
        keys = [_segment_key(leaf, offset) for leaf, offset in leaves]

        def leaf_set(leaf, offset):
            return {d + offset for d in flt.docs(leaf)} if offset else set(flt.docs(leaf))

        parts = [self._get(key and ("filter", name, *key), lambda leaf=leaf, offset=offset: leaf_set(leaf, offset))
                 for (leaf, offset), key in zip(leaves, keys, strict=True)]
        if len(parts) == 1:  # one segment (after a rebuild or merge): its set is the answer
            return parts[0]
        whole = None if None in keys else ("filter-all", name, tuple(keys))
        return self._get(whole, lambda: set().union(*parts))

    # --- word lists -----------------------------------------------------------------------------

    def words(self, leaf_reader, fieldnames: tuple[str, ...]) -> list[str]:
        """One segment's words of any of ``fieldnames``, sorted and distinct (words only deleted
        entries hold included: whoever uses them counts what visible entries hold). One list for
        several fields, so that a word is looked for once, not once per field. Shared: never
        modify it."""
        segment = leaf_reader.segment()
        key = None if segment is None else ("words", fieldnames, segment.segment_id())

        def build() -> list[str]:  # the plain forms only: a marked form is never a fuzzy or spelling word
            if len(fieldnames) == 1:
                return [w for w in map(_text, _lexicon(leaf_reader, fieldnames[0])) if not is_marked(w)]
            return sorted({w for f in fieldnames for w in map(_text, _lexicon(leaf_reader, f)) if not is_marked(w)})

        return self._get(key, build)

    def within(self, leaf_reader, fieldnames: tuple[str, ...], word: str, distance: int, prefix: int,
               budget: Budget) -> tuple[str, ...]:
        """One segment's words of any of ``fieldnames`` within ``distance`` edits of ``word``
        whose first ``prefix`` letters are the word's, sorted. The walk looks at ``budget``'s
        clock."""
        segment = leaf_reader.segment()
        key = None if segment is None else ("within", fieldnames, segment.segment_id(), word, distance, prefix)
        dfa = fuzzy.automaton(word, distance, prefix)
        return self._get(key, lambda: tuple(fuzzy.walk(dfa, self.words(leaf_reader, fieldnames), budget)))

    # --- weights of frequent words ---------------------------------------------------------------

    def weights(self, leaf_reader, fieldname: str, text: str, build: bool = True) -> array | None:
        """One segment's weight of a word in each document (0.0 where it is not), by local
        document number: for the frequent words a search scores (``scorer``), whose postings are
        the longest to read. Built outside the search's clock (the whole postings list, once per
        segment); ``build=False``: None unless already kept. Shared: never modify it."""
        segment = leaf_reader.segment()
        key = None if segment is None else ("weights", fieldname, text, segment.segment_id())
        if not build:
            with self._lock:
                found = self._entries.get(key) if key is not None else None
                if found is not None:
                    self._entries.move_to_end(key)
            return found[0] if found is not None else None

        def build_array() -> array:
            out = array("f", bytes(4 * leaf_reader.doc_count_all()))
            try:
                m = leaf_reader.postings(fieldname, text)
            except (KeyError, TermNotFound):  # not in this segment
                return out
            with deadline.watching(None):  # bounded (one postings list) and kept: not this search's cost
                while m.is_active():
                    out[m.id()] = m.weight()
                    m.next()
            return out

        return self._get(key, build_array)

    # --- facets ----------------------------------------------------------------------------------

    def facet_values(self, searcher, fieldname: str) -> list[list[tuple[bytes, frozenset[int]]]]:
        """Per segment, each indexed value of ``fieldname`` with the top-level numbers of the
        documents that hold it."""
        out = []
        for leaf, offset in searcher.leaf_searchers():
            key = _segment_key(leaf, offset)
            out.append(self._get(key and ("facet", fieldname, *key),
                                 lambda leaf=leaf, offset=offset: _value_sets(leaf.reader(), fieldname, offset)))
        return out

    def count(self, searcher, fieldname: str, matched: set[int]) -> dict[bytes, int]:
        """How many of ``matched`` hold each value of ``fieldname`` (values none of them hold are
        left out). A document with several values counts once for each."""
        counts: dict[bytes, int] = {}
        if not matched:
            return counts
        for segment in self.facet_values(searcher, fieldname):
            for value, docs in segment:
                # ``&`` walks the smaller of the two sets (C speed): at most the matches per
                # value, never a pass over the whole index.
                n = len(docs & matched)
                if n:
                    counts[value] = counts.get(value, 0) + n
        return counts


def _value_sets(reader, fieldname: str, offset: int) -> list[tuple[bytes, frozenset[int]]]:
    """Each value of ``fieldname`` in one segment, with the documents holding it."""
    out = []
    for value in _lexicon(reader, fieldname):
        ids = reader.postings(fieldname, value).all_ids()
        out.append((value, frozenset(d + offset for d in ids) if offset else frozenset(ids)))
    return out


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _lexicon(reader, fieldname: str) -> Iterable[bytes]:
    try:
        return list(reader.lexicon(fieldname))
    except KeyError:  # a field no document in this segment has
        return []
