"""What a query's words may match, and what counts for more: the parsed tree rewritten for the
backends (``rewrite``), written once for both. Every weight is here.

For each word the user typed (outside NOT):

- an ordinary word matches its stem relatives (the stemmed form, as before: "trials" finds
  "trial"), and the word as typed adds ``EXACT`` (``=`` form: after case and accent folding);
- a word that names a record (``search.expansion``: a whole label or alias, or a person's surname,
  or a word written with a capital in some record's name and typed with one, like "Memorial") is
  not stemmed: it matches itself (``NAME``), its transliteration variants (``~`` form:
  Pyatakov/Piatakov, Ежов/Yezhov) and, unless it names a person, its plural; never "denied" for
  "Deni" nor "memory" for "Memorial";
- a name-like word (capitalised, Cyrillic, accented) also matches its readings in the other
  conventions (``analysis.variant_keys``: Iéjov, Jeschow, Jeżow, Ežov → Yezhov) at ``VARIANT``;
- a word or run that names a record also matches the record's other names, as whole names
  (``RECORD``);
- only when the index holds none of those, the word's Daitch–Mokotoff keys (``PHONETIC``, the
  last resort; a lower-case word's readings in other conventions come first there).

Words side by side: a run of two or more plain words also ranks higher where they stand together
(``PHRASE``: as typed, adjacent, in order), nearly so (``CLOSE``: stem relatives too, a word
between, as in "Yezhov's NKVD") or close (``NEAR``: within ``NEAR_SLOP`` words), an optional part
that never changes what matches; the three add up, so the words as typed side by side count most. A quoted phrase is the user's exact words: it is neither widened
nor expanded to other names (nor given a second, exact-form phrase: a query of many quoted names,
as a record page links to, stays cheap).

``rewrite`` also says, for each typed word, what it was widened to (``Word``), from which
``search.matching`` tells how a hit matched it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from . import analysis, expansion
from .names import Lexicon
from .tree import DEFAULT_FIELDS, And, AndMaybe, Fallback, Node, Not, Or, Phrase, Term, combine

STEM = 1.0  # a word's stem relatives (the plain form)
EXACT = 0.75  # the word as typed, on top of its stem
NAME = 1.75  # a name word as typed (it has no stem term)
NAME_VARIANT = 1.25  # a name word's transliteration variants (Piatakov for Pyatakov)
VARIANT = 0.6  # readings in other conventions and scripts
RECORD = 0.5  # the other names of a record
PHONETIC = 0.1  # sounds alike: the last resort
PHRASE = 6.0  # the words of a run as typed, side by side, in order
CLOSE = 3.0  # ... or their stem relatives, with at most CLOSE_SLOP - 1 words between ("Yezhov's NKVD")
CLOSE_SLOP = 2
NEAR = 2.0  # the words of a run within NEAR_SLOP words of each other
NEAR_SLOP = 8
MIN_PHONETIC = 4  # letters a word needs before it is looked for by sound
MIN_PHONETIC_DIGITS = 3  # coded sounds a key needs (a short key, 480000 for "shell", sounds like too much)


@dataclass(frozen=True)
class Word:
    """A typed word and what it was widened to."""

    typed: str
    exact: str  # case/accent folded
    unstemmed: str  # + transliteration folded
    stemmed: str
    name: bool = False  # names a record: not stemmed
    variants: frozenset[str] = frozenset()  # readings in other conventions (folded, unstemmed)
    phonetic: frozenset[str] = frozenset()
    record_names: tuple[str, ...] = ()  # other names of the records it names, as written
    record_words: frozenset[str] = frozenset()  # their words, folded and unstemmed


@dataclass
class Rewritten:
    tree: Node
    words: list[Word] = field(default_factory=list)


def _name_like_typed(word: str) -> bool:
    return analysis.name_like(word) or not word.isascii()


def _plurals(exact: str) -> list[str]:
    if exact.endswith("s") and len(exact) > 3:
        return [exact[:-1]]
    if exact.endswith("y") and len(exact) > 3:
        return [exact + "s", exact[:-1] + "ies"]
    return [exact + "s", exact + "es"]


def _level(words: Sequence[str], f: str | None, boost: float) -> list[Node]:
    """Terms for folded, unstemmed words as the index holds them: as typed (``=``) or as a
    name's variant (``~``)."""
    out: list[Node] = []
    for w in dict.fromkeys(words):
        out.append(Term(analysis.EXACT + w, f, boost=boost))
        out.append(Term(analysis.VARIANT + w, f, boost=boost))
    return out


class _Rewriter:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.words: list[Word] = []

    # --- one word --------------------------------------------------------------------------------

    def word(self, term: Term, found: expansion.Found | None, alternatives) -> Node:
        typed, f = term.typed, term.field
        exact = analysis.fold_case_and_accents(typed)
        unstemmed = analysis.fold_unstemmed(typed)
        stemmed = term.text
        capital_name = typed[:1].isupper() and unstemmed in self.lexicon.capitalised
        name = found is not None or capital_name
        variants = analysis.variant_keys(typed)
        phonetic: set[str] = set()
        if len(unstemmed) >= MIN_PHONETIC and unstemmed.isalpha():
            for source in (typed, *variants[:4]):
                phonetic.update(k for k in analysis.phonetic_keys(source) if len(k.rstrip("0")) >= MIN_PHONETIC_DIGITS)
        primary: list[Node] = []
        if name:
            primary.append(Term(analysis.EXACT + exact, f, typed=typed, span=term.span, boost=NAME))
            primary += _level([unstemmed], f, NAME_VARIANT)[1:] if unstemmed == exact else _level([unstemmed], f, NAME_VARIANT)
            if found is None or not found.persons:
                primary += [Term(analysis.EXACT + p, f, boost=NAME_VARIANT) for p in _plurals(exact)]
        else:
            primary.append(Term(stemmed, f, typed=typed, span=term.span, boost=STEM))
            primary.append(Term(analysis.EXACT + exact, f, boost=EXACT))
        late: list[Node] = []
        if variants:
            (primary if name or _name_like_typed(typed) else late).extend(_level(variants, f, VARIANT))
        record_names: list[str] = []
        record_words: set[str] = set()
        for alt in alternatives:
            record_names.append(alt.text)
            record_words.update(alt.words)
            primary.append(self.name_node(alt.words, f))
        late += [Term(analysis.PHONETIC + k, f, boost=PHONETIC) for k in sorted(phonetic)]
        self.words.append(Word(typed, exact, unstemmed, stemmed, name, frozenset(variants), frozenset(phonetic),
                               tuple(record_names), frozenset(record_words)))
        node = combine(Or, primary)
        if late:
            node = Fallback(node, combine(Or, late))
        return node

    @staticmethod
    def name_node(words: tuple[str, ...], f: str | None) -> Node:
        """Another name of a record: one word at its unstemmed level, several as a phrase."""
        if len(words) == 1:
            return combine(Or, _level(words, f, RECORD))
        return Phrase(tuple(analysis.fold_word(w) for w in words), f, boost=RECORD)

    # --- runs of words ----------------------------------------------------------------------------

    def run(self, terms: list[Term], whole_names: bool) -> list[Node]:
        """The nodes for a run of plain terms; a run that names a record (whole_names: several
        words too) becomes one node matching it or the record's other names."""
        typed = [t.typed for t in terms]
        found_at = {f.start: f for f in expansion.find(typed, self.lexicon) if whole_names or f.end - f.start == 1}
        out: list[Node] = []
        i = 0
        while i < len(terms):
            found = found_at.get(i)
            if found is None:
                out.append(self.word(terms[i], None, ()))
                i += 1
                continue
            alternatives = expansion.alternatives(found, typed, self.lexicon)
            if found.end - found.start == 1:
                out.append(self.word(terms[i], found, alternatives))
            else:
                first = len(self.words)
                words = [self.word(t, found, ()) for t in terms[found.start : found.end]]
                alts = [self.name_node(a.words, terms[i].field) for a in alternatives]
                for k in range(first, len(self.words)):  # each word of the run names the record
                    self.words[k] = _with_records(self.words[k], alternatives)
                out.append(combine(Or, [And(tuple(words)), *alts]))
            i = found.end
        return out

    def items(self, items: tuple[Node, ...], whole_names: bool) -> tuple[list[Node], list[Term]]:
        """Rewritten items of an And / any-word Or, and the plain terms among them (in order)."""
        out: list[Node] = []
        plain: list[Term] = []
        pending: list[Term] = []

        def flush() -> None:
            if pending:
                out.extend(self.run(pending, whole_names))
                pending.clear()

        for item in items:
            if _plain(item):
                pending.append(item)
                plain.append(item)
            else:
                flush()
                out.append(self.visit(item, False))
        flush()
        return out, plain

    # --- the tree ----------------------------------------------------------------------------------

    def visit(self, node: Node, negated: bool) -> Node:
        if negated:
            return node  # what is excluded stays as typed: its stem relatives
        if isinstance(node, Term):
            return self.run([node], True)[0] if _plain(node) else node
        if isinstance(node, Phrase):
            return self.phrase(node)
        if isinstance(node, Not):
            return node
        if isinstance(node, And) or (isinstance(node, Or) and node.any_word):
            items, plain = self.items(node.items, whole_names=isinstance(node, And))
            rebuilt = And(tuple(items)) if isinstance(node, And) else Or(tuple(items), any_word=True)
            return _together(rebuilt, plain)
        if isinstance(node, Or):
            return Or(tuple(self.visit(c, False) for c in node.items))
        if isinstance(node, AndMaybe):
            return AndMaybe(self.visit(node.required, False), self.visit(node.optional, False))
        return node

    def phrase(self, node: Phrase) -> Node:
        if not node.typed or (node.field is not None and node.field not in DEFAULT_FIELDS):
            return node
        for typed in node.typed:
            self.words.append(Word(typed, analysis.fold_case_and_accents(typed), analysis.fold_unstemmed(typed),
                                   analysis.fold_word(typed)))
        return node


def _with_records(word: Word, alternatives) -> Word:
    return Word(word.typed, word.exact, word.unstemmed, word.stemmed, True, word.variants, word.phonetic,
                tuple(a.text for a in alternatives), frozenset(w for a in alternatives for w in a.words))


def _plain(node: Node) -> bool:
    return (isinstance(node, Term) and bool(node.typed) and not analysis.is_marked(node.text)
            and (node.field is None or node.field in DEFAULT_FIELDS))


def _together(node: Node, plain: list[Term]) -> Node:
    """``node`` ranked higher where the plain words stand together (an optional part)."""
    fields = {t.field for t in plain}
    if len(plain) < 2 or len(fields) != 1:
        return node
    f = fields.pop()
    words = tuple(t.text for t in plain)
    typed = tuple(analysis.EXACT + analysis.fold_case_and_accents(t.typed) for t in plain)
    parts: list[Node] = [Phrase(typed, f, 1, boost=PHRASE), Phrase(words, f, CLOSE_SLOP, boost=CLOSE),
                         Phrase(words, f, NEAR_SLOP, boost=NEAR)]
    if len(words) == 2:  # two words close together count in either order ("battle deep")
        parts.append(Phrase(words[::-1], f, NEAR_SLOP, boost=NEAR))
    return AndMaybe(node, combine(Or, parts))


def rewrite(tree: Node, lexicon: Lexicon) -> Rewritten:
    rewriter = _Rewriter(lexicon)
    return Rewritten(rewriter.visit(tree, False), rewriter.words)
