"""The neutral query tree: what ``search.parser`` makes of the user's query and every backend
compiles into its own form (Whoosh query objects, SQL). No backend parses text.

Words are already analysed (``search.analysis``): ``Term.text`` and ``Phrase.words`` are indexed
forms (folded and stemmed), ``Prefix.text`` and the literal parts of ``Wildcard.pattern`` folded
but not stemmed (as Whoosh indexed them before: a prefix of a word is not a word to stem), and
``Fuzzy.text`` the indexed form the distance is measured from.

``field`` is one of ``TEXT_FIELDS`` + ``"kind"``, or None for the default fields (any of
``DEFAULT_FIELDS``: title, body, names, author). ``span`` (where a word was typed in the query
text) and ``typed`` (as typed) serve spelling; they are None / "" on nodes the core added
(record-name alternatives, the other forms of a word: ``search.ranking``).

A word may also be one of the index's marked forms (``search.analysis.forms``: ``=`` exact,
``~`` variant, ``#`` phonetic): to a backend it is a word like any other. ``boost`` weighs what
a term or phrase adds to an entry's score (1: as a plain word); ``Fallback`` searches its second
part only when no word of its first is in the index at all (the phonetic last resort)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as _field

DEFAULT_FIELDS = ("title", "body", "names", "author")
TEXT_FIELDS = DEFAULT_FIELDS + ("kind",)
Span = tuple[int, int]


class Node:
    """Base class of the tree's nodes (frozen dataclasses)."""

    __slots__ = ()

    def children(self) -> tuple[Node, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class Term(Node):
    text: str
    field: str | None = None
    typed: str = _field(default="", compare=False)
    span: Span | None = _field(default=None, compare=False)
    boost: float = 1.0


@dataclass(frozen=True, slots=True)
class Phrase(Node):
    words: tuple[str, ...]
    field: str | None = None
    slop: int = 1  # 1: adjacent, in order
    typed: tuple[str, ...] = _field(default=(), compare=False)
    spans: tuple[Span, ...] = _field(default=(), compare=False)
    boost: float = 1.0


@dataclass(frozen=True, slots=True)
class Prefix(Node):
    text: str
    field: str | None = None


@dataclass(frozen=True, slots=True)
class Wildcard(Node):
    pattern: str  # folded literal parts with "*" (any run) and "?" (one character)
    field: str | None = None

    @property
    def prefix(self) -> str:
        """The literal beginning before the first wildcard."""
        cut = min((i for i in (self.pattern.find("*"), self.pattern.find("?")) if i >= 0), default=len(self.pattern))
        return self.pattern[:cut]


@dataclass(frozen=True, slots=True)
class Fuzzy(Node):
    text: str
    distance: int
    prefix: int = 0  # letters at the start that must match exactly
    field: str | None = None


@dataclass(frozen=True, slots=True)
class YearRange(Node):
    low: int | None  # inclusive; None: open
    high: int | None


@dataclass(frozen=True, slots=True)
class And(Node):
    items: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.items


@dataclass(frozen=True, slots=True)
class Or(Node):
    items: tuple[Node, ...]
    any_word: bool = False  # the relaxed form of a run of words: the more of them an entry has, the better

    def children(self) -> tuple[Node, ...]:
        return self.items


@dataclass(frozen=True, slots=True)
class Not(Node):
    item: Node

    def children(self) -> tuple[Node, ...]:
        return (self.item,)


@dataclass(frozen=True, slots=True)
class AndMaybe(Node):
    """``required ANDMAYBE optional``: the first decides what matches, the second only ranks."""

    required: Node
    optional: Node

    def children(self) -> tuple[Node, ...]:
        return (self.required, self.optional)


@dataclass(frozen=True, slots=True)
class Fallback(Node):
    """``primary``, or, when the index holds none of its words, ``secondary``."""

    primary: Node
    secondary: Node

    def children(self) -> tuple[Node, ...]:
        return (self.primary, self.secondary)


EXPANDING = (Prefix, Wildcard, Fuzzy)  # leaves a backend expands into indexed words (search.limits)


def walk(node: Node, negated: bool = False) -> Iterator[tuple[Node, bool]]:
    """Every node with whether it sits under an odd number of NOTs, depth first."""
    yield node, negated
    if isinstance(node, Not):
        yield from walk(node.item, not negated)
    else:
        for child in node.children():
            yield from walk(child, negated)


def leaves(node: Node) -> Iterator[Node]:
    for n, _ in walk(node):
        if not n.children() and not isinstance(n, Not):
            yield n


def size(node: Node) -> tuple[int, int]:
    """(words, nodes): a phrase counts as many words as it has."""
    words = nodes = 0
    for n, _ in walk(node):
        nodes += 1
        if isinstance(n, Phrase):
            words += len(n.words)
        elif not n.children() and not isinstance(n, Not):
            words += 1
    return words, nodes


def combine(kind: type, items: list[Node], **kwargs) -> Node | None:
    """An And / Or of ``items`` with nested ones of the same kind flattened; None for none, the
    item itself for one."""
    flat: list[Node] = []
    for item in items:
        if item is None:
            continue
        if type(item) is kind and all(getattr(item, k) == v for k, v in kwargs.items()):
            flat.extend(item.items)
        else:
            flat.append(item)
    if not flat:
        return None
    if len(flat) == 1:
        return flat[0]
    return kind(tuple(flat), **kwargs)


@dataclass(frozen=True)
class Parsed:
    """A parsed query: the tree, the text it was read from (spans index into it), and whether the
    user wrote any logic of their own (AND / OR / NOT, parentheses, -word, +word)."""

    tree: Node
    text: str
    explicit: bool = False
    any_word: bool = False

    @property
    def relaxable(self) -> bool:
        """Whether a query that finds nothing may be retried with any of its words instead of
        all: only a run of plain words. Once the user wrote logic it is theirs ("Stalin NOT
        Trotsky" must never turn into "Stalin OR Trotsky")."""
        return (not self.explicit and not self.any_word and isinstance(self.tree, And)
                and len(self.tree.items) > 1)
