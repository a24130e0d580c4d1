"""From the neutral tree (``search.tree``) to Whoosh query objects, and the filters: entry type,
facet filters and the visibility rule of ``annotations.permissions``.

Prefix, wildcard and fuzzy nodes are expanded here, against the index's own word lists, into the
words they stand for (an OR of terms, constant-scored as Whoosh's own multi-term queries are),
within ``search.limits``: at most ``max_expansions_per_term`` distinct words per node and
``max_expansions_per_query`` in all, else ``QueryTooExpensive``; the budget is checked while the
word lists are read. A fuzzy term's words come from ``fuzzy`` (one Levenshtein automaton per word
and distance, walked over each segment's sorted word list in memory, the answers kept per segment
by ``DocSets.within``); Whoosh's own ``FuzzyTerm`` built an automaton per field and segment on
every search, walked the on-disk table, and on a reader of several segments compared the word
with every word of the field in Python."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from whoosh import query as wq
from whoosh.reading import TermNotFound

from search import tree as t
from search.backends.base import Access, SearchFilters, SearchQuery
from search.errors import QueryError, QueryTooExpensive
from search.limits import Budget, Limits

from .docsets import DocSets

TEXT_FIELD = "body"
CHECK_EVERY = 256  # words read from a word list between two looks at the clock

_NOTHING = object()  # matches nothing
_EVERYTHING = object()  # matches every entry


def _text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def fuzzy_words(reader, fieldnames: tuple[str, ...], word: str, distance: int, prefix: int, budget: Budget,
                lexicon: DocSets) -> Iterator[str]:
    """The distinct words of any of ``fieldnames`` within ``distance`` edits of ``word`` (keeping
    its first ``prefix`` letters), segment by segment (``DocSets.within``)."""
    seen: set[str] = set()
    for leaf, _ in reader.leaf_readers():
        for found in lexicon.within(leaf, fieldnames, word, distance, prefix, budget):
            if found not in seen:
                seen.add(found)
                yield found


@dataclass
class Compiled:
    query: wq.Query
    highlight: set[str] = field(default_factory=set)  # indexed words matched in the text field
    expanded: int = 0  # words the prefix, wildcard and fuzzy nodes stand for
    phrases: list[tuple[tuple[str, ...], int]] = field(default_factory=list)  # phrases matched in the text
    fell_back: bool = False  # a Fallback compiled its second part


class Compiler:
    def __init__(self, reader, limits: Limits, budget: Budget, lexicon: DocSets) -> None:
        self.reader = reader
        self.lexicon = lexicon
        self.limits = limits
        self.budget = budget
        self.highlight: set[str] = set()
        self.phrases: list[tuple[tuple[str, ...], int]] = []
        self.expanded = 0
        self.fell_back = False

    def compile(self, node: t.Node) -> Compiled:
        q = self.visit(node, False)
        if q is _NOTHING:
            q = wq.NullQuery
        elif q is _EVERYTHING:
            q = wq.Every()
        elif isinstance(q, wq.Not):  # a query of exclusions only: everything but them
            q = wq.AndNot(wq.Every(), q.query)
        return Compiled(q, self.highlight, self.expanded, self.phrases, self.fell_back)

    # --- leaves --------------------------------------------------------------------------------

    @staticmethod
    def _fields(node) -> tuple[str, ...]:
        return t.DEFAULT_FIELDS if node.field is None else (node.field,)

    def _mark(self, fieldname: str, words, negated: bool) -> None:
        if fieldname == TEXT_FIELD and not negated:
            self.highlight.update(words)

    def _any(self, parts: list) -> object:
        parts = [p for p in parts if p is not _NOTHING]
        if not parts:
            return _NOTHING
        return parts[0] if len(parts) == 1 else wq.Or(parts)

    # A term only in fields whose word list has it: a word no field has matches nothing at once,
    # and an OR of four fields is built for one or two (on a small index Whoosh pre-reads every
    # OR into an array of 2,048 scores, so the empty ones cost a millisecond each).

    def term(self, node: t.Term, negated: bool):
        fields = [f for f in self._fields(node) if (f, node.text) in self.reader]
        for f in fields:
            self._mark(f, (node.text,), negated)
        return self._any([wq.Term(f, node.text, boost=node.boost) for f in fields])

    def phrase(self, node: t.Phrase, negated: bool):
        fields = [f for f in self._fields(node) if all((f, w) in self.reader for w in node.words)]
        if TEXT_FIELD in fields and not negated:  # its words are marked where the phrase stands
            self.phrases.append((node.words, node.slop))
        return self._any([wq.Phrase(f, list(node.words), slop=node.slop, boost=node.boost) for f in fields])

    def expanded_words(self, node, negated: bool):
        limit = self.limits.max_expansions_per_term
        by_field: dict[str, list[str]] = {}
        distinct: set[str] = set()
        fields = self._fields(node)
        if isinstance(node, t.Fuzzy):  # one walk over the fields' words together, then each word's fields
            for word in fuzzy_words(self.reader, fields, node.text, node.distance, node.prefix, self.budget,
                                    self.lexicon):
                distinct.add(word)
                if len(distinct) > limit:
                    raise QueryTooExpensive(f"{_shown(node)} stands for more than {limit} indexed words; "
                                            "make it narrower (more letters before the *, a smaller ~ distance)")
            for f in fields:
                by_field[f] = [w for w in sorted(distinct) if (f, w) in self.reader]
        for f in fields if not isinstance(node, t.Fuzzy) else ():
            words = by_field[f] = []
            for word in self._candidates(node, f):
                words.append(word)
                distinct.add(word)
                if len(distinct) > limit:
                    raise QueryTooExpensive(f"{_shown(node)} stands for more than {limit} indexed words; "
                                            "make it narrower (more letters before the *, a smaller ~ distance)")
        self.expanded += len(distinct)
        if self.expanded > self.limits.max_expansions_per_query:
            raise QueryTooExpensive(f"its wildcards and fuzzy terms stand for more than "
                                    f"{self.limits.max_expansions_per_query} indexed words; use fewer or narrower ones")
        parts = []
        for f, words in by_field.items():
            self._mark(f, words, negated)
            parts.extend(wq.Term(f, w) for w in words)
        if not parts:
            return _NOTHING
        return wq.ConstantScoreQuery(parts[0] if len(parts) == 1 else wq.Or(parts))

    def _candidates(self, node, fieldname: str):
        """The words of one field's list that a prefix or wildcard ``node`` stands for, the clock
        checked as they are read."""
        check = self.budget.check
        try:
            prefix = node.text if isinstance(node, t.Prefix) else node.prefix
            source = self.reader.expand_prefix(fieldname, prefix)
            matches = None if isinstance(node, t.Prefix) else _pattern(node.pattern).fullmatch
            for n, word in enumerate(source):
                if not n % CHECK_EVERY:
                    check()
                word = _text(word)
                if matches is None or matches(word):
                    yield word
        except (KeyError, TermNotFound):  # a field no entry has yet
            return

    # --- the tree ------------------------------------------------------------------------------

    def visit(self, node: t.Node, negated: bool):
        if isinstance(node, t.Term):
            return self.term(node, negated)
        if isinstance(node, t.Phrase):
            return self.phrase(node, negated)
        if isinstance(node, t.EXPANDING):
            return self.expanded_words(node, negated)
        if isinstance(node, t.YearRange):
            return wq.NumericRange("year", node.low, node.high)
        if isinstance(node, t.Fallback):  # the second part only when the index has no word of the first
            primary = self.visit(node.primary, negated)
            if primary is not _NOTHING:
                return primary
            secondary = self.visit(node.secondary, negated)
            self.fell_back = self.fell_back or secondary is not _NOTHING
            return secondary
        if isinstance(node, t.Not):
            inner = self.visit(node.item, not negated)
            if inner is _NOTHING:
                return _EVERYTHING
            if inner is _EVERYTHING:
                return _NOTHING
            return wq.Not(inner)
        if isinstance(node, t.And):
            parts = [self.visit(c, negated) for c in node.items]
            if any(p is _NOTHING for p in parts):
                return _NOTHING
            parts = [p for p in parts if p is not _EVERYTHING]
            if not parts:
                return _EVERYTHING
            # Exclusions as AND NOT: they decide what matches and add nothing to a score (inside an
            # AND, Whoosh adds a Not's "score", whatever posting its excluded word is at).
            positives = [p for p in parts if not isinstance(p, wq.Not)] or [wq.Every()]
            excluded = [p.query for p in parts if isinstance(p, wq.Not)]
            q = positives[0] if len(positives) == 1 else wq.And(positives)
            if excluded:
                q = wq.AndNot(q, excluded[0] if len(excluded) == 1 else wq.Or(excluded))
            return q
        if isinstance(node, t.Or):
            parts = [self.visit(c, negated) for c in node.items]
            if any(p is _EVERYTHING for p in parts):
                return _EVERYTHING
            parts = [p for p in parts if p is not _NOTHING]
            if not parts:
                return _NOTHING
            if len(parts) == 1:
                return parts[0]
            # any_word (the retry with any of the words): an entry with more of them already
            # scores more, each word adding its own part (Whoosh's coordination bonus, scale=,
            # added less than a hundredth and cannot be scored a document at a time: ``scorer``)
            return wq.Or(parts)
        if isinstance(node, t.AndMaybe):
            required = self.visit(node.required, negated)
            optional = self.visit(node.optional, negated)
            if required is _NOTHING or optional in (_NOTHING, _EVERYTHING):
                return required
            return wq.AndMaybe(wq.Every() if required is _EVERYTHING else required, optional)
        raise QueryError("The query could not be read.")  # a node type this backend does not know


def _shown(node) -> str:
    if isinstance(node, t.Fuzzy):
        return f"'{node.text}~{node.distance}'"
    return f"'{node.text}*'" if isinstance(node, t.Prefix) else f"'{node.pattern}'"


@lru_cache(maxsize=256)
def _pattern(pattern: str) -> re.Pattern:
    return re.compile("".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern), re.S)


def compile_tree(reader, sq: SearchQuery, lexicon: DocSets | None = None) -> Compiled:
    """``lexicon``: where word lists and fuzzy matches are kept between searches (the backend's
    ``DocSets``; a fresh one when not given)."""
    return Compiler(reader, sq.limits, sq.budget, lexicon or DocSets()).compile(sq.tree)


# --- filters ---------------------------------------------------------------------------------------


def type_filter(entry_type: str) -> wq.Query:
    return wq.Term("type", entry_type)


def facet_filters(filters: SearchFilters) -> list[wq.Query]:
    terms = []
    if filters.kind:
        terms.append(wq.Term("kind_f", filters.kind))
    if filters.author:
        terms.append(wq.Term("author_f", filters.author))
    if filters.year is not None:
        terms.append(wq.Term("year_f", str(filters.year)))
    if filters.decade is not None:
        terms.append(wq.Term("decade_f", str(filters.decade)))
    if filters.record is not None:
        terms.append(wq.Term("records_f", str(filters.record)))
    if filters.entity_type:
        terms.append(wq.Term("entity_f", filters.entity_type))
    return terms


def _any_of(fieldname: str, values) -> wq.Query:
    return wq.Or([wq.Term(fieldname, str(v)) for v in sorted(values)])


def access_filter(access: Access) -> wq.Query:
    """The reader's rule (``annotations.permissions``) as a filter on the index's fields."""
    allowed = []
    for clause in access:
        parts = []
        if clause.visibility is not None:
            parts.append(_any_of("visibility", clause.visibility))
        if clause.statuses is not None:
            parts.append(_any_of("status", clause.statuses))
        if clause.creator_id is not None:
            parts.append(wq.Term("creator_f", str(clause.creator_id)))
        if clause.group_ids is not None:
            parts.append(_any_of("group_f", clause.group_ids))
        allowed.append(wq.And(parts) if parts else wq.Every())
    return wq.Or(allowed) if allowed else wq.NullQuery


def combined_filter(sq: SearchQuery, *, with_facets: bool = True) -> wq.Query:
    """What the reader may find of the searched type (and, ``with_facets``, within the facet filters)."""
    parts = [type_filter(sq.type), *(facet_filters(sq.filters) if with_facets else ())]
    if sq.type == "annotation":
        parts.append(access_filter(sq.access))
    return wq.And(parts)
