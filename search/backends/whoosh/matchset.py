"""Which documents a query matches, as a set, and the scores of a few of them, without walking the
query's whole matcher tree.

Whoosh finds the matches of an AND by stepping a tree of matchers: every word of a five-word
passage is an OR of its forms over the fields that hold it, and stepping the intersection moves
each of those cursors through the postings of "the" and "of" as far as the rarest word lets it;
``docs_for_query`` on an intersection even reads every child's postings into a set. A passage
that matches three documents of 10,000 took 100-500 ms so.

``match_set`` computes the same set from the rarest part up: the smallest part of an AND (by
document frequency) is read, and every other part is only asked about those documents (its
postings cursors skipped to each of them, which passes over whole blocks); an OR is the union of
its parts, NOT (``AndNot``) a difference, a phrase the documents of its words that the phrase matcher confirms.
Parts that rank without deciding (``AndMaybe``'s second part) are left out. Anything else
(numeric ranges) is asked of Whoosh. ``score`` gives Whoosh's own score (the matcher's, as a
collector would read it) for each of a few documents known to match, by skipping the full
matcher to each; the search uses it when the matches are few (``DIRECT``), and Whoosh's collector
otherwise. Both look at the search's clock as they go."""

from __future__ import annotations

from collections.abc import Iterable

from whoosh import query as wq
from whoosh.reading import TermNotFound

from search.limits import Budget

CHECK_EVERY = 512
FILTER_BELOW = 8  # ask a part about the candidates when it holds 8x more documents than they are
DIRECT = 600  # matches scored one by one below this many; Whoosh's collector above


def _leaves(searcher):
    return searcher.leaf_searchers()


class _Sets:
    def __init__(self, searcher, budget: Budget, keep=None) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.budget = budget
        self.total = self.reader.doc_count_all()
        self.keep = keep

    # --- sizes -------------------------------------------------------------------------------------

    def size(self, q) -> int:
        """An upper bound of how many documents ``q`` matches (document frequencies)."""
        if isinstance(q, wq.Term):
            try:
                return self.reader.doc_frequency(q.fieldname, q.text)
            except (KeyError, TermNotFound):
                return 0
        if isinstance(q, wq.Not):
            return self.total
        if isinstance(q, wq.AndMaybe | wq.AndNot):
            return self.size(q.a)
        if isinstance(q, wq.ConstantScoreQuery):
            return self.size(q.child)
        if isinstance(q, wq.Or):
            return min(self.total, sum(self.size(c) for c in q.subqueries))
        if isinstance(q, wq.And):
            sizes = [self.size(c) for c in q.subqueries if not isinstance(c, wq.Not)]
            return min(sizes) if sizes else self.total
        if isinstance(q, wq.Phrase):
            return min((self.size(wq.Term(q.fieldname, w)) for w in q.words), default=0)
        if q is wq.NullQuery:
            return 0
        return self.total

    # --- every match --------------------------------------------------------------------------------

    def collect(self, q) -> set[int]:
        if isinstance(q, wq.Term):
            return self.term_ids(q.fieldname, q.text)
        if isinstance(q, wq.ConstantScoreQuery):
            return self.collect(q.child)
        if isinstance(q, wq.AndMaybe):
            return self.collect(q.a)
        if isinstance(q, wq.AndNot):
            docs = self.collect(q.a)
            return docs - self.filter(q.b, docs)
        if isinstance(q, wq.Or):
            out: set[int] = set()
            for c in q.subqueries:
                out |= self.collect(c)
            return out
        if isinstance(q, wq.And):
            positives = sorted((c for c in q.subqueries if not isinstance(c, wq.Not)), key=self.size)
            docs = self.collect(positives[0]) if positives else self.every()
            for c in positives[1:]:
                if not docs:
                    break
                docs = self.filter(c, docs)
            for c in q.subqueries:
                if isinstance(c, wq.Not) and docs:
                    docs -= self.filter(c.query, docs)
            return docs
        if isinstance(q, wq.Phrase):
            words = wq.And([wq.Term(q.fieldname, w) for w in q.words])
            return self.confirm(q, self.collect(words))
        if isinstance(q, wq.Not):
            return self.every() - self.collect(q.query)
        if q is wq.NullQuery:
            return set()
        if isinstance(q, wq.Every):
            return self.every()
        return self.ask_whoosh(q)

    def term_ids(self, fieldname: str, text) -> set[int]:
        try:
            ids = self.reader.postings(fieldname, text).all_ids()
        except (KeyError, TermNotFound):
            return set()
        out: set[int] = set()
        check = self.budget.check
        while True:
            chunk = [d for _, d in zip(range(CHECK_EVERY), ids, strict=False)]
            out.update(chunk)
            check()
            if len(chunk) < CHECK_EVERY:
                return out

    def every(self) -> set[int]:
        return set(self.reader.all_doc_ids())

    def ask_whoosh(self, q) -> set[int]:
        out: set[int] = set()
        for n, docnum in enumerate(self.searcher.docs_for_query(q)):
            if not n % CHECK_EVERY:
                self.budget.check()
            out.add(docnum)
        return out

    # --- matches among candidates -------------------------------------------------------------------

    def filter(self, q, docs: set[int]) -> set[int]:
        """The members of ``docs`` that ``q`` matches."""
        if not docs:
            return set()
        if isinstance(q, wq.Term):
            if self.keep is not None:
                kept = self.kept(q.fieldname, q.text, docs)
                if kept is not None:
                    return kept
            if self.size(q) < FILTER_BELOW * len(docs):
                return self.term_ids(q.fieldname, q.text) & docs
            return self.walk(q.fieldname, q.text, docs)
        if isinstance(q, wq.ConstantScoreQuery):
            return self.filter(q.child, docs)
        if isinstance(q, wq.AndMaybe):
            return self.filter(q.a, docs)
        if isinstance(q, wq.AndNot):
            docs = self.filter(q.a, docs)
            return docs - self.filter(q.b, docs)
        if isinstance(q, wq.Or):
            out: set[int] = set()
            left = set(docs)
            for c in sorted(q.subqueries, key=self.size, reverse=True):  # the largest part takes the most
                if not left:
                    break
                found = self.filter(c, left)
                out |= found
                left -= found
            return out
        if isinstance(q, wq.And):
            for c in sorted(q.subqueries, key=self.size):
                if not docs:
                    break
                docs = docs - self.filter(c.query, docs) if isinstance(c, wq.Not) else self.filter(c, docs)
            return docs
        if isinstance(q, wq.Phrase):
            words = wq.And([wq.Term(q.fieldname, w) for w in q.words])
            return self.confirm(q, self.filter(words, docs))
        if isinstance(q, wq.Not):
            return docs - self.filter(q.query, docs)
        if q is wq.NullQuery:
            return set()
        if isinstance(q, wq.Every):
            return set(docs)
        return self.ask_whoosh(q) & docs

    def kept(self, fieldname: str, text, docs: set[int]) -> set[int] | None:
        """Those of ``docs`` that hold a frequent word, by its kept weights (``scorer.Keep``), or
        None when a segment that holds it has none kept."""
        parts = []
        for sub, offset in _leaves(self.searcher):
            reader = sub.reader()
            if (fieldname, text) not in reader:
                continue
            weights = self.keep.weights(reader, fieldname, text)
            if weights is None:
                return None
            parts.append((offset, offset + sub.doc_count_all(), weights))
        return {d for d in docs for start, end, weights in parts if start <= d < end and weights[d - start]}

    def walk(self, fieldname: str, text, docs: Iterable[int]) -> set[int]:
        """Those of ``docs`` the term's postings hold: the cursor skipped to each in order."""
        try:
            m = self.reader.postings(fieldname, text)
        except (KeyError, TermNotFound):
            return set()
        out: set[int] = set()
        check = self.budget.check
        for n, d in enumerate(sorted(docs)):
            if not n % CHECK_EVERY:
                check()
            if not m.is_active():
                break
            if m.id() < d:
                m.skip_to(d)
                if not m.is_active():
                    break
            if m.id() == d:
                out.add(d)
        return out

    def confirm(self, q, docs: set[int]) -> set[int]:
        """Those of ``docs`` (which hold every word of the phrase ``q``) where the phrase stands."""
        out: set[int] = set()
        if not docs:
            return out
        for sub, offset, local in _by_leaf(self.searcher, docs):
            m = q.matcher(sub, sub.boolean_context())
            for n, d in enumerate(local):
                if not n % CHECK_EVERY:
                    self.budget.check()
                if not m.is_active():
                    break
                if m.id() < d:
                    m.skip_to(d)
                    if not m.is_active():
                        break
                if m.id() == d:
                    out.add(d + offset)
        return out


def _by_leaf(searcher, docs: Iterable[int]):
    """(leaf searcher, its offset, its sorted local document numbers among ``docs``)."""
    ordered = sorted(docs)
    for sub, offset in _leaves(searcher):
        end = offset + sub.doc_count_all()
        local = [d - offset for d in ordered if offset <= d < end]
        if local:
            yield sub, offset, local


def match_set(searcher, q, budget: Budget, keep=None) -> set[int]:
    """Every document number (top level) ``q`` matches, ``AndMaybe``'s ranking parts aside.
    ``keep``: the kept weights of frequent words (``scorer.Keep``)."""
    return _Sets(searcher, budget, keep).collect(q)


def score(searcher, q, docs: Iterable[int], budget: Budget) -> list[tuple[float, int]]:
    """(score, docnum) of each of ``docs`` (all matching ``q``), best first, ties by document
    number: what Whoosh's collector would rank them by."""
    context = searcher.context()  # as Searcher.search_with_collector makes it
    out: list[tuple[float, int]] = []
    for sub, offset, local in _by_leaf(searcher, docs):
        m = q.matcher(sub, context)
        for n, d in enumerate(local):
            if not n % 64:
                budget.check()
            if not m.is_active():
                break
            if m.id() < d:
                m.skip_to(d)
                if not m.is_active():
                    break
            if m.id() == d:
                out.append((m.score(), d + offset))
    out.sort(key=lambda pair: (-pair[0], pair[1]))
    return out
