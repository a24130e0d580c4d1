"""Scoring the matches of a query one document at a time, reading each word's postings once.

Whoosh scores by stepping a tree of matchers; a block of postings is one compressed pickle of the
block's document numbers, weights and every position and character range, so reading where a
document is in the postings of "the" decodes the positions of "the" in 128 long articles, and a
phrase matcher builds a Python object per position of every word. A five-word passage of common
words spent seconds so, most of it on words that decide nothing.

Here a compiled query (``search.backends.whoosh.query``) becomes a plan of its terms and phrases;
for the documents that match (``matchset``), in order:

- each word's weight is read from its postings, skipped to each document (a block is decoded once
  for the documents in it); the weights of a frequent word (in ``FREQUENT`` of a segment's
  documents) come from an array built once per segment and kept (``DocSets.weights``);
- a phrase is looked for from its rarest words: the two rarest must stand within the phrase's
  reach of each other before the positions of the others (the frequent ones last, read only for
  the documents that pass) are looked at;
- the score is Whoosh's own: BM25F per term from the weighting's scorer (the same idf, field
  lengths and boosts), sums for OR / AND, the ranking part of ``AndMaybe`` added where it
  matches, a phrase's words' scores times its boost where it stands (ordered, each word within
  ``slop`` positions of the one before, as ``SpanNear2`` reads it), a constant for expanded terms.

A query with a part the plan does not know (a scaled OR of the any-word retry, numeric ranges)
gets no plan: the backend then lets Whoosh's matchers score it."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache

from whoosh import query as wq
from whoosh.reading import TermNotFound
from whoosh.scoring import WeightLengthScorer

from search import analysis
from search.limits import Budget

FREQUENT = 0.05  # a word in this share of a segment's documents (and at least FREQUENT_MIN): weights kept
FREQUENT_MIN = 256
BUILDS = 2  # frequent words' weights built (not yet kept) by one search at most; the others are read
CHECK_EVERY = 64
MAX_DOCS = 50_000  # more matches than this: Whoosh's collector (it can skip blocks of a simple query)


# --- the plan -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class T:  # a term
    field: str
    text: str
    boost: float


@dataclass(frozen=True)
class P:  # a phrase
    field: str
    words: tuple[str, ...]
    slop: int
    boost: float


@dataclass(frozen=True)
class Any_:  # an OR: the sum of the parts that match
    parts: tuple


@dataclass(frozen=True)
class All:  # an AND: every part matches (known of a match); the nots score nothing
    parts: tuple


@dataclass(frozen=True)
class Maybe:  # AndMaybe: required, plus optional where it matches
    required: object
    optional: object


@dataclass(frozen=True)
class Const:  # ConstantScoreQuery: a score where the part matches
    part: object
    score: float


@dataclass(frozen=True)
class Everything:  # every document (Every: what a query of exclusions only keeps)
    pass


class Keep:
    """One search's access to the kept weights of frequent words (``DocSets.weights``): at most
    ``BUILDS`` of them built by it (each outside its clock), the others read from their postings."""

    def __init__(self, docsets) -> None:
        self.docsets = docsets
        self.builds = BUILDS

    def weights(self, leaf_reader, fieldname: str, text: str):
        if self.docsets is None or not frequent(leaf_reader, fieldname, text):
            return None
        kept = self.docsets.weights(leaf_reader, fieldname, text, build=False)
        if kept is None and self.builds > 0:
            self.builds -= 1
            kept = self.docsets.weights(leaf_reader, fieldname, text)
        return kept


class Unplanned(Exception):
    pass


def plan(q):
    """The plan of a compiled Whoosh query, or None when a part of it is not one the plan knows."""
    try:
        return _plan(q)
    except Unplanned:
        return None


def _plan(q):
    if isinstance(q, wq.Term):
        return T(q.fieldname, q.text, q.boost)
    if isinstance(q, wq.Phrase):
        return P(q.fieldname, tuple(q.words), q.slop, q.boost)
    if isinstance(q, wq.AndMaybe) and q.boost == 1.0:
        return Maybe(_plan(q.a), _plan(q.b))
    if isinstance(q, wq.AndNot) and q.boost == 1.0:  # the exclusion decided the match; it scores nothing
        return _plan(q.a)
    if isinstance(q, wq.Every) and q.boost == 1.0:
        return Const(Everything(), 1.0)
    if isinstance(q, wq.Or) and not q.scale and q.boost == 1.0:
        # phrases with their words farthest apart first: where those fail, the nearer ones do too
        parts = [_plan(c) for c in q.subqueries]
        return Any_(tuple(sorted(parts, key=lambda c: (_marked(c), -c.slop) if isinstance(c, P) else (False, 0))))
    if isinstance(q, wq.And) and q.boost == 1.0:
        return All(tuple(_plan(c) for c in q.subqueries if not isinstance(c, wq.Not)))
    if isinstance(q, wq.ConstantScoreQuery):
        return Const(_plan(q.child), q.score)
    raise Unplanned(type(q).__name__)


def _marked(p: P) -> bool:
    return any(analysis.is_marked(w) for w in p.words)


@lru_cache(maxsize=4096)
def _bases(p: P) -> tuple[str, ...] | None:
    """The phrase's words as stems (an exact or variant form stands where its stem does), or None
    when a word has no stem to stand for (a sound key)."""
    out = []
    for w in p.words:
        if not analysis.is_marked(w):
            out.append(w)
        elif w[0] in (analysis.EXACT, analysis.VARIANT):
            out.append(analysis.fold_word(w[1:]))
        else:
            return None
    return tuple(out)


def has_phrases(plan_) -> bool:
    phrases: list = []
    _terms(plan_, set(), phrases)
    return bool(phrases)


def _terms(node, out: set, phrases: list) -> None:
    if isinstance(node, T):
        out.add((node.field, node.text))
    elif isinstance(node, P):
        phrases.append(node)
        out.update((node.field, w) for w in node.words)
    elif isinstance(node, Any_ | All):
        for c in node.parts:
            _terms(c, out, phrases)
    elif isinstance(node, Maybe):
        _terms(node.required, out, phrases)
        _terms(node.optional, out, phrases)
    elif isinstance(node, Const):
        _terms(node.part, out, phrases)


# --- one segment ---------------------------------------------------------------------------------


class _Segment:
    """What the plan needs of one segment for its candidate documents (local numbers, sorted)."""

    def __init__(self, sub, parent, local: list[int], plan_, keep: Keep, budget: Budget) -> None:
        self.sub, self.reader, self.local, self.budget = sub, sub.reader(), local, budget
        terms: set[tuple[str, str]] = set()
        self.phrases: list[P] = []
        _terms(plan_, terms, self.phrases)
        positional = {(p.field, w) for p in self.phrases for w in p.words}
        self.df = {t: self._df(t) for t in terms}
        self.weights: dict[tuple[str, str], dict[int, float] | object] = {}
        self.kept: dict[tuple[str, str], object] = {}  # term -> weights array of the whole segment
        self.positions: dict[tuple[str, str], dict[int, bytes]] = {}  # encoded: decoded when asked
        self._cursors: dict[tuple[str, str], object] = {}
        # what is known of the document being scored: kept terms' positions, phrases tried
        self._doc: int | None = None
        self._positions: dict[tuple[str, str], list[int]] = {}
        self._stood: dict[P, bool] = {}
        weighting = parent.weighting
        self.scorers = {}
        for term in terms:
            if not self.df[term]:
                self.weights[term] = {}
                continue
            self.scorers[term] = weighting.scorer(sub, term[0], term[1])
            kept = keep.weights(self.reader, *term)
            if kept is not None:
                self.kept[term] = kept
            else:
                self._read(term, term in positional)

    def _df(self, term) -> int:
        try:
            return self.reader.doc_frequency(*term)
        except (KeyError, TermNotFound):
            return 0

    def _read(self, term, with_positions: bool) -> None:
        """The term's weight (and positions) in each candidate: its postings skipped to each."""
        weights: dict[int, float] = {}
        positions: dict[int, bytes] = {}
        try:
            m = self.reader.postings(*term)
        except (KeyError, TermNotFound):
            self.weights[term] = weights
            return
        check = self.budget.check
        for n, d in enumerate(self.local):
            if not n % CHECK_EVERY:
                check()
            if not m.is_active():
                break
            if m.id() < d:
                m.skip_to(d)
                if not m.is_active():
                    break
            if m.id() == d:
                weights[d] = m.weight()
                if with_positions:
                    positions[d] = m.value()
        self.weights[term] = weights
        if with_positions:
            self.positions[term] = positions

    def weight(self, term, d: int) -> float:
        kept = self.kept.get(term)
        if kept is not None:
            return kept[d]
        return self.weights[term].get(d, 0.0)

    def positions_of(self, term, d: int) -> list[int]:
        """Where ``term`` stands in ``d`` (which holds it). A kept (frequent) term's positions are
        read only now, by one cursor moving forward through the documents asked for in order."""
        if d != self._doc:
            self._doc, self._positions, self._stood = d, {}, {}
        found = self._positions.get(term)
        if found is not None:
            return found
        known = self.positions.get(term)
        if known is not None:
            value = known.get(d)
            found = self._positions[term] = [] if value is None else self._format(term).decode_positions(value)
        else:
            m = self._cursors.get(term)
            if m is None:
                m = self._cursors[term] = self.reader.postings(*term)
            if m.is_active() and m.id() < d:
                m.skip_to(d)
            found = m.value_as("positions") if m.is_active() and m.id() == d else []
            self._positions[term] = found
        return found

    def _format(self, term):
        return self.reader.schema[term[0]].format

    def term_score(self, term, d: int) -> float:
        w = self.weight(term, d)
        if not w:
            return 0.0
        scorer = self.scorers[term]
        if isinstance(scorer, WeightLengthScorer):  # BM25F, as the field is scorable
            return scorer._score(w, scorer.dfl(d))
        return scorer.score(_At(d, w))

    # --- phrases ------------------------------------------------------------------------------------

    def stands(self, p: P, d: int) -> bool:
        """Whether the phrase ``p`` stands in ``d`` (what is known of the document's other phrases
        first: the same words farther apart failing, or nearer or as typed standing, decide)."""
        if d != self._doc:
            self._doc, self._positions, self._stood = d, {}, {}
        known = self._stood.get(p)
        if known is not None:
            return known
        base = _bases(p)
        for other, stood in self._stood.items():
            if base is not None and other.field == p.field and _bases(other) == base:
                if not stood and other.slop >= p.slop:
                    return False
                if stood and other.slop <= p.slop and not _marked(p):
                    return True
        stood = self._stands(p, d)
        self._stood[p] = stood
        return stood

    def _stands(self, p: P, d: int) -> bool:
        """Its words in order, each 1 to ``slop`` positions after the one before: the rarest two
        must stand within reach of each other; then from each place of the rarest word, the
        words after it and before it are followed outward (a few positions each, looked up in
        the others' sorted positions)."""
        terms = [(p.field, w) for w in p.words]
        if any(not self.weight(t, d) for t in terms):
            return False
        slop = max(1, p.slop)
        order = sorted(range(len(terms)), key=lambda i: (terms[i] in self.kept, self.df[terms[i]]))
        if len(order) < 2:
            return True
        a, b = sorted(order[:2])
        pa, pb = self.positions_of(terms[a], d), self.positions_of(terms[b], d)
        low, high = b - a, (b - a) * slop
        if len(pa) <= len(pb):
            if not any(_within(pb, x + low, x + high) for x in pa):
                return False
        elif not any(_within(pa, y - high, y - low) for y in pb):
            return False
        r = order[0]
        return any(self._outward(terms, r, anchor, slop, d) for anchor in self.positions_of(terms[r], d))

    def _outward(self, terms, r: int, anchor: int, slop: int, d: int) -> bool:
        """Whether a chain of the phrase's words passes through position ``anchor`` of word ``r``."""
        here = [anchor]
        for k in range(r + 1, len(terms)):  # each later word 1 to slop positions after one of here
            positions = self.positions_of(terms[k], d)
            nxt = set()
            for x in here:
                i = bisect_right(positions, x)
                while i < len(positions) and positions[i] <= x + slop:
                    nxt.add(positions[i])
                    i += 1
            if not nxt:
                return False
            here = sorted(nxt)
        here = [anchor]
        for k in range(r - 1, -1, -1):  # each earlier word 1 to slop positions before one of here
            positions = self.positions_of(terms[k], d)
            nxt = set()
            for x in here:
                i = bisect_left(positions, x - slop)
                while i < len(positions) and positions[i] < x:
                    nxt.add(positions[i])
                    i += 1
            if not nxt:
                return False
            here = sorted(nxt)
        return True

    def score(self, node, d: int) -> float:
        value = self.value(node, d)
        return 0.0 if value is None else value

    def value(self, node, d: int) -> float | None:
        """``node``'s score in ``d``, or None where it does not match."""
        if isinstance(node, T):
            term = (node.field, node.text)
            return self.term_score(term, d) * node.boost if self.weight(term, d) else None
        if isinstance(node, Any_):
            total = None
            for c in node.parts:
                v = self.value(c, d)
                if v is not None:
                    total = v if total is None else total + v
            return total
        if isinstance(node, All):
            total = 0.0
            for c in node.parts:
                v = self.value(c, d)
                if v is None:
                    return None
                total += v
            return total
        if isinstance(node, Maybe):
            v = self.value(node.required, d)
            if v is None:
                return None
            extra = self.value(node.optional, d)
            return v if extra is None else v + extra
        if isinstance(node, P):
            if not self.stands(node, d):
                return None
            return sum(self.term_score((node.field, w), d) for w in node.words) * node.boost
        if isinstance(node, Const):
            return node.score if self.value(node.part, d) is not None else None
        if isinstance(node, Everything):
            return 0.0
        return None


class _At:
    """A matcher's face for a scorer: one document and the word's weight in it."""

    def __init__(self, docnum: int, weight: float) -> None:
        self._id, self._weight = docnum, weight

    def id(self) -> int:
        return self._id

    def weight(self) -> float:
        return self._weight


def frequent(reader, fieldname: str, text: str) -> bool:
    """Whether a word is in enough of ``reader``'s documents to have its weights kept."""
    try:
        df = reader.doc_frequency(fieldname, text)
    except (KeyError, TermNotFound):
        return False
    return df >= max(FREQUENT_MIN, FREQUENT * reader.doc_count_all())


def _within(ordered: list[int], low: int, high: int) -> bool:
    """Whether the sorted ``ordered`` has a value in [low, high]."""
    i = bisect_left(ordered, low)
    return i < len(ordered) and ordered[i] <= high


def rank(searcher, plan_, docs, budget: Budget, keep: Keep | None = None) -> list[tuple[float, int]]:
    """(score, docnum) of each of ``docs`` (top-level numbers of documents that match the query
    ``plan_`` was made of), best first, ties by document number."""
    keep = keep or Keep(None)
    ordered = sorted(docs)
    out: list[tuple[float, int]] = []
    for sub, offset in searcher.leaf_searchers():
        end = offset + sub.doc_count_all()
        local = [d - offset for d in ordered if offset <= d < end]
        if not local:
            continue
        seg = _Segment(sub, searcher, local, plan_, keep, budget)
        for n, d in enumerate(local):
            if not n % CHECK_EVERY:
                budget.check()
            out.append((seg.score(plan_, d), d + offset))
    out.sort(key=lambda pair: (-pair[0], pair[1]))
    return out
