"""How text is folded for matching: the one analysis definition used for indexing, querying and
highlighting (every backend calls ``fold_word`` / ``analyze``; the Whoosh backend wraps the same
steps as a Whoosh analyzer in ``search.backends.whoosh.schema``).

Steps, in order, for each word:

1. **Tokenising**: a word is a run of letters/digits, with any combining marks that follow a
   letter kept inside it (so "Blu\u0308cher" is one word); offsets are Python ``str`` indices into
   the original text (code points), so snippets and deep links point at the exact characters.
2. **Case and accent folding**: NFKD, combining marks dropped, ``casefold()``, plus a few letters
   that do not decompose (ø→o, ł→l, đ→d, æ→ae, œ→oe, ß→ss). "Blücher" = "Blucher".
3. **Transliteration folding** for Russian names (``fold_transliteration``). English texts spell
   the same Russian name several ways; each rule maps the variants to one form. Applied to every
   word, at indexing and at query time alike, so a rare English collision ("year"/"ear") is
   harmless. Rules, applied in this order:

   =====  ===============================================  =====================================
   rule   what                                             example
   =====  ===============================================  =====================================
   R1     word-initial ``ye``/``je`` → ``e``               Yezhov → ezhov, Yevdokimov → evdokimov
   R2     word-initial ``ja``/``ju``/``jo`` → ``ia``/...   Jagoda → iagoda
   R3     ``y`` → ``i`` everywhere                         Pyatakov → piatakov, Blyukher → bliukher
   R4     ``ii`` → ``i`` (``-iy``, ``-ii``)                Tukhachevskii/-sky/-ski → tukhachevski
   R5     vowel + ``ie`` → vowel + ``e`` (``-ayev``)       Nikolayevich → nikolaevich, Andreyev → andreev
   R6     ``iev`` before an ending → ``ev``                Zinoviev/Zinovyev/Zinovev → zinovev
   R7     ``tz`` → ``ts``                                  Goltzman → goltsman
   R8     final ``off`` (words of 6+ letters) → ``ov``     Piatakoff → piatakov
   R9     ``kh`` stays (distinct from German ``ch``)       Bliukher ≠ Blücher: the record aliases join them
   =====  ===============================================  =====================================

4. **English stemming** (Porter, Whoosh's ``stem``), after folding.

No stop words are removed, so "Trial of the Sixteen" as a phrase matches only those adjacent words.

Beyond rules, ``search.services`` expands a query word that is a record's label or alias to the
record's other names (Holtzman → Goltsman), as OR alternatives.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from whoosh.lang.porter import stem as _porter_stem  # noqa: I001 - the one whoosh import outside backends

# Letters, digits, and combining marks that follow them (a mark cannot start a word).
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
WORD_PATTERN = re.compile(rf"[^\W_](?:[^\W_]|[{_MARKS}])*")

_EXTRA = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "æ": "ae", "œ": "oe", "ß": "ss", "ı": "i", "þ": "th"})
_VOWELS = "aeiou"


# Every function below is applied to each word of every text indexed, so each is cached per word
# (a text's vocabulary is small beside its length) and has a fast path for plain ASCII words.
_CACHE = 1 << 17


@lru_cache(maxsize=_CACHE)
def fold_case_and_accents(word: str) -> str:
    if word.isascii():  # nothing to decompose; casefold() and lower() agree on ASCII
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold().translate(_EXTRA)


_R5 = re.compile(rf"(?<=[{_VOWELS}])ie")
_R6 = re.compile(r"iev(?=$|a$|ich|na$|s$|ym$|oi$)")


@lru_cache(maxsize=_CACHE)
def fold_transliteration(word: str) -> str:
    """Map the English spellings of a (folded, lower-case) Russian name to one form (rules R1-R8)."""
    w = word
    if w.startswith(("ye", "je")):  # R1
        w = "e" + w[2:]
    elif w[:2] in ("ja", "ju", "jo"):  # R2
        w = "i" + w[1:]
    w = w.replace("y", "i")  # R3
    while "ii" in w:  # R4
        w = w.replace("ii", "i")
    w = _R5.sub("e", w)  # R5
    w = _R6.sub("ev", w)  # R6
    w = w.replace("tz", "ts")  # R7
    if len(w) >= 6 and w.endswith("off"):  # R8
        w = w[:-3] + "ov"
    return w


@lru_cache(maxsize=_CACHE)
def stem(word: str) -> str:
    return _porter_stem(word)


@lru_cache(maxsize=_CACHE)
def fold_unstemmed(word: str) -> str:
    """Case/accent folding then transliteration folding (``fold_word`` without stemming)."""
    return fold_transliteration(fold_case_and_accents(word))


@lru_cache(maxsize=_CACHE)
def _fold_stemmed(word: str) -> str:
    return stem(fold_unstemmed(word))


def fold_word(word: str, *, stemming: bool = True) -> str:
    """The indexed form of one word: case/accent folding, transliteration folding, stemming."""
    return _fold_stemmed(word) if stemming else fold_unstemmed(word)


@dataclass(frozen=True)
class Token:
    text: str  # the indexed (folded) form
    original: str
    position: int
    start: int  # str offsets into the analysed text
    end: int


def tokenize(text: str) -> Iterator[tuple[str, int, int]]:
    for match in WORD_PATTERN.finditer(text):
        start, end = match.span()
        yield match.group(), start, end


def analyze(text: str, *, stemming: bool = True) -> Iterator[Token]:
    """Tokens of ``text`` as indexed: folded form, original word, position and str offsets."""
    fold = _fold_stemmed if stemming else fold_unstemmed
    for position, match in enumerate(WORD_PATTERN.finditer(text)):
        word = match.group()
        start, end = match.span()
        yield Token(fold(word), word, position, start, end)


def fold_text(text: str, *, stemming: bool = True) -> list[str]:
    return [token.text for token in analyze(text, stemming=stemming)]
