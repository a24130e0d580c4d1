"""The query language, read into the neutral tree (``search.tree``). Our own parser: no backend's.

What a user may type (README, "Query language")::

    query    := clause*                  clauses side by side must all match (any_word: any)
    clause   := and ( OR and )*
    and      := unary ( (AND | ANDNOT | ANDMAYBE) unary )*
    unary    := NOT unary | -unary | +unary | field: unary | atom
    atom     := ( query ) | "a phrase"[~slop] | [low TO high] | word
    word     := plain | prefix* | wild?card*s | fuzzy~ | fuzzy~N | fuzzy~N/P

- Fields: ``title:``, ``author:``, ``kind:``, ``text:`` (``body:``), ``tag:`` (``tags:``,
  ``alias:``, ``name:``), ``year:1937``, ``year:[1936 TO 1938]`` (``{`` / ``}`` exclude an end;
  either end may be left out). A field applies to the atom after it (a word, a phrase, a group).
  Any other ``name:`` is plain text.
- ``-word`` excludes and ``+word`` requires (words are required anyway), as in web search, when the
  sign starts a word. Operators are upper case; one with nothing to act on is read as a word.
- A word that analyses into several (``1936-38``, ``Kirov's``) is a phrase of them; one whose parts
  an apostrophe joins in place of a soft or hard sign (``Zinov’ev``) is that phrase or the word
  they spell (``Zinovev``, which then finds Zinoviev). ``*`` stands
  for any letters and ``?`` for one; a ``?`` ending a word is a question mark. ``word~`` matches
  words within one edit, ``word~N`` within N (capped at ``Limits.max_fuzzy_distance``), ``/P``
  keeps the first P letters exact.
- Lenient where a reading is obvious: an unclosed quote or parenthesis ends with the query, a
  stray ``)`` is ignored. What cannot be read raises ``QueryError``; what would cost too much
  (``search.limits``) raises ``QueryTooExpensive``. Nothing else is raised.

Words are analysed here with ``search.analysis`` (the same folding and stemming as indexing), so
the tree holds indexed forms; see ``search.tree`` for what each node holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from . import analysis
from .errors import QueryError, QueryTooExpensive
from .limits import DEFAULT_LIMITS, Limits
from .tree import And, AndMaybe, Fuzzy, Node, Not, Or, Parsed, Phrase, Prefix, Term, Wildcard, YearRange, combine, size

# The field names a user may type, and the index field each means.
FIELDS = {"title": "title", "text": "body", "body": "body", "author": "author", "kind": "kind", "year": "year",
          "tag": "names", "tags": "names", "alias": "names", "name": "names"}
OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
MAX_SLOP = 100

_FIELD = re.compile(r"(" + "|".join(sorted(FIELDS, key=len, reverse=True)) + r"):", re.I)
_RANGE = re.compile(r"([\[{])\s*(?:([^\s\]}]+?)\s+)?TO(?:\s+([^\s\]}]+?))?\s*([\]}])")
_SLOP = re.compile(r"~(\d{1,6})")
_FUZZY = re.compile(r"(.+?)~(\d{0,6})(?:/(\d{0,6}))?", re.S)
_MARKS = analysis._MARKS
_SEGMENT = re.compile(rf"(?:[^\W_]|[*?])(?:[^\W_]|[*?]|[{_MARKS}])*")
_YEAR = re.compile(r"\d{1,4}")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "(", ")", "phrase", "range", "field", "-", "+", "op", "word"
    value: object
    start: int
    end: int


def _starts_operand(ch: str) -> bool:
    return ch in "\"(" or ch.isalnum()


def lex(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(Token(ch, None, i, i + 1))
            i += 1
        elif ch == '"':
            close = text.find('"', i + 1)
            end = n if close < 0 else close
            j = n if close < 0 else close + 1
            slop = 1
            m = _SLOP.match(text, j) if close >= 0 else None
            if m:
                slop, j = max(1, min(int(m.group(1)), MAX_SLOP)), m.end()
            tokens.append(Token("phrase", (text[i + 1 : end], i + 1, slop), i, j))
            i = j
        elif ch in "[{" and (m := _RANGE.match(text, i)):
            tokens.append(Token("range", m.groups(), i, m.end()))
            i = m.end()
        elif (ch in "-+" and i + 1 < n and _starts_operand(text[i + 1])
              and (i == 0 or text[i - 1].isspace() or text[i - 1] == "(")):
            tokens.append(Token(ch, None, i, i + 1))
            i += 1
        elif m := _FIELD.match(text, i):
            j = m.end()
            if j < n and not text[j].isspace() and text[j] != ")":
                tokens.append(Token("field", FIELDS[m.group(1).lower()], i, j))
            i = j  # a field with nothing after it is dropped
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"':
                j += 1
            word = text[i:j]
            tokens.append(Token("op" if word in OPERATORS else "word", word, i, j))
            i = j
    return tokens


_APOSTROPHES = "'\u2019\u2032`\u00b4"
_CLITICS = {"s", "t", "d", "ll", "re", "ve", "m"}  # Kirov's, don't, we'll: English, not a soft sign


def _soft_signs(text: str, tokens) -> bool:
    """Whether the words of ``text`` are parts of one word joined by apostrophes (Zinov'ev)."""
    for before, after in zip(tokens, tokens[1:], strict=False):
        gap = text[before.end : after.start]
        if len(gap) != 1 or gap not in _APOSTROPHES:
            return False
        if after.original.casefold() in _CLITICS:
            return False
    return True


def _negate(node: Node | None) -> Node | None:
    if node is None:
        return None
    return node.item if isinstance(node, Not) else Not(node)


class _Parser:
    def __init__(self, text: str, limits: Limits) -> None:
        self.text = text
        self.limits = limits
        self.tokens = lex(text)
        self.pos = 0
        self.explicit = False

    # --- tokens --------------------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token | None:
        i = self.pos + ahead
        return self.tokens[i] if i < len(self.tokens) else None

    def is_op(self, *names: str) -> str | None:
        tok = self.peek()
        return tok.value if tok is not None and tok.kind == "op" and tok.value in names else None

    def operand_follows(self, ahead: int) -> bool:
        tok = self.peek(ahead)
        return tok is not None and tok.kind != ")"

    # --- grammar -------------------------------------------------------------------------------

    def sequence(self, depth: int, field: str | None, closing: bool) -> list[Node]:
        items: list[Node] = []
        while (tok := self.peek()) is not None:
            if tok.kind == ")":
                if closing:
                    break
                self.pos += 1  # a stray ")"
                self.explicit = True
                continue
            node = self.clause(depth, field)
            if node is not None:
                items.append(node)
        return items

    def clause(self, depth: int, field: str | None) -> Node | None:
        left = self.conjunction(depth, field)
        while self.is_op("OR") and self.operand_follows(1):
            self.pos += 1
            self.explicit = True
            left = combine(Or, [left, self.conjunction(depth, field)], any_word=False)
        return left

    def conjunction(self, depth: int, field: str | None) -> Node | None:
        left = self.unary(depth, field)
        while (op := self.is_op("AND", "ANDNOT", "ANDMAYBE")) and self.operand_follows(1):
            self.pos += 1
            self.explicit = True
            right = self.unary(depth, field)
            if op == "AND":
                left = combine(And, [left, right])
            elif op == "ANDNOT":
                left = combine(And, [left, _negate(right)])
            elif left is not None and right is not None:
                left = AndMaybe(left, right)
            else:
                left = left or right
        return left

    def unary(self, depth: int, field: str | None) -> Node | None:
        tok = self.peek()
        if tok.kind == "op" and tok.value == "NOT" and self.operand_follows(1):
            self.pos += 1
            self.explicit = True
            return _negate(self.unary(depth, field))
        if tok.kind in ("-", "+"):
            self.pos += 1
            self.explicit = True
            inner = self.unary(depth, field)
            return _negate(inner) if tok.kind == "-" else inner
        if tok.kind == "field":
            self.pos += 1
            return self.unary(depth, tok.value)
        return self.atom(depth, field)

    def atom(self, depth: int, field: str | None) -> Node | None:
        tok = self.tokens[self.pos]
        self.pos += 1
        if tok.kind == "(":
            self.explicit = True
            if depth + 1 > self.limits.max_depth:
                raise QueryTooExpensive(f"more than {self.limits.max_depth} parentheses inside each other; "
                                        "remove some")
            items = self.sequence(depth + 1, field, closing=True)
            if (close := self.peek()) is not None and close.kind == ")":
                self.pos += 1
            return combine(And, items)
        if tok.kind == "phrase":
            content, offset, slop = tok.value
            if field == "year":
                return self.year_word(content.strip())
            return self.plain(content, offset, field, slop)
        if tok.kind == "range":
            return self.year_range(tok.value, field)
        return self.word(tok.value, tok.start, field)  # a word, or an operator read as one

    # --- leaves --------------------------------------------------------------------------------

    def word(self, raw: str, start: int, field: str | None) -> Node | None:
        if field == "year":
            return self.year_word(raw)
        stripped = raw.rstrip("?")  # "Yezhov?" asks a question
        if stripped and (m := _FUZZY.fullmatch(stripped)) and not {"*", "?"} & set(m.group(1)):
            return self.fuzzy(m, start, field)
        if "*" in stripped or "?" in stripped:
            return self.wildcard(stripped, start, field)
        return self.plain(raw, start, field, signs=True)

    def plain(self, text: str, offset: int, field: str | None, slop: int = 1, signs: bool = False) -> Node | None:
        """A word or quoted text: one Term, or the Phrase of its words. ``signs`` (a word typed
        without quotes): parts joined by an apostrophe that stands for a soft or hard sign
        (Zinov'ev, Pil'niak, not Kirov's) are also the one word they spell (Zinovev)."""
        tokens = list(analysis.analyze(text))
        if not tokens:
            return None
        if len(tokens) == 1:
            t = tokens[0]
            return Term(t.text, field, typed=t.original, span=(offset + t.start, offset + t.end))
        phrase = Phrase(tuple(t.text for t in tokens), field, slop, typed=tuple(t.original for t in tokens),
                        spans=tuple((offset + t.start, offset + t.end) for t in tokens))
        if signs and _soft_signs(text, tokens):
            typed = text[tokens[0].start : tokens[-1].end]
            word = Term(analysis.fold_word(typed), field, typed=typed, span=(offset + tokens[0].start,
                                                                               offset + tokens[-1].end))
            return Or((word, replace(phrase, typed=(), spans=())))
        return phrase

    def fuzzy(self, m: re.Match, start: int, field: str | None) -> Node | None:
        word, distance, prefix = m.group(1), m.group(2), m.group(3)
        wanted = 1 if not distance else int(distance)
        distance_ = min(wanted, self.limits.max_fuzzy_distance)
        if distance_ == 0:
            return self.plain(word, start, field)
        nodes: list[Node] = []
        for t in analysis.analyze(word):
            if len(t.text) > self.limits.max_fuzzy_length:
                raise QueryTooExpensive(f"'{t.original}~' is longer than {self.limits.max_fuzzy_length} letters; "
                                        "fuzzy matching (~) works on shorter words")
            nodes.append(Fuzzy(t.text, distance_, min(int(prefix or 0), len(t.text)), field))
        return combine(And, nodes)

    def wildcard(self, raw: str, start: int, field: str | None) -> Node | None:
        nodes: list[Node] = []
        for m in _SEGMENT.finditer(raw):
            segment = m.group()
            if "*" not in segment and "?" not in segment:
                nodes.append(self.plain(segment, start + m.start(), field))
                continue
            segment = re.sub(r"\*+", "*", segment)
            parts = re.split(r"([*?])", segment)
            pattern = "".join(p if p in ("*", "?") else analysis.fold_unstemmed(p) for p in parts if p)
            literal = analysis.fold_unstemmed(parts[0]) if parts[0] else ""
            if len(literal) < self.limits.min_wildcard_prefix:
                raise QueryTooExpensive(
                    f"'{segment}' begins with a wildcard, which means reading every word in the index; begin it "
                    f"with at least {self.limits.min_wildcard_prefix} letter(s), e.g. Zinov*")
            if pattern == literal + "*":
                nodes.append(Prefix(literal, field))
            else:
                nodes.append(Wildcard(pattern, field))
        return combine(And, nodes)

    def year_word(self, raw: str) -> Node:
        return YearRange(_year(raw), _year(raw))

    def year_range(self, groups: tuple, field: str | None) -> Node:
        opening, low_text, high_text, closing = groups
        if field != "year":
            raise QueryError("A range [... TO ...] works only on years: year:[1936 TO 1938].")
        low = _year(low_text) if low_text else None
        high = _year(high_text) if high_text else None
        if low is not None and opening == "{":
            low += 1
        if high is not None and closing == "}":
            high -= 1
        return YearRange(low, high)


def _year(raw: str) -> int:
    text = raw.strip("'\"")
    if not _YEAR.fullmatch(text):
        raise QueryError(f"year: takes a year, e.g. year:1937 or year:[1936 TO 1938] ('{raw[:20]}' is not one).")
    return int(text)


def clean(text: str) -> str:
    """The query as it is parsed: control characters as spaces, trimmed."""
    return "".join(ch if ch.isprintable() else " " for ch in text).strip()


def parse(text: str, limits: Limits = DEFAULT_LIMITS, *, any_word: bool = False) -> Parsed:
    """Read the user's query. ``any_word``: clauses side by side need not all match (the relaxed
    retry of ``search.policy``). Raises QueryError / QueryTooExpensive with a message for the user."""
    text = clean(text)
    if not text:
        raise QueryError("The query is empty.")
    parser = _Parser(text, limits)
    items = parser.sequence(0, None, closing=False)
    tree = combine(Or, items, any_word=True) if any_word else combine(And, items)
    if tree is None:
        raise QueryError("The query has no words to search for.")
    words, nodes = size(tree)
    if words > limits.max_words:
        raise QueryTooExpensive(f"it has {words} words and at most {limits.max_words} are searched at once; "
                                "remove some")
    if nodes > limits.max_clauses:
        raise QueryTooExpensive(f"it has {nodes} parts (words, operators, groups) and at most "
                                f"{limits.max_clauses} are allowed; simplify it")
    return Parsed(tree, text, explicit=parser.explicit, any_word=any_word)
