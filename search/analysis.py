"""How text is folded for matching: the one analysis definition used for indexing, querying and
highlighting (every backend calls ``fold_word`` / ``analyze``; the Whoosh backend wraps the same
steps as a Whoosh analyzer in ``search.backends.whoosh.schema``).

Steps, in order, for each word:

1. **Tokenising**: a word is a run of letters/digits, with any combining marks that follow a
   letter kept inside it (so "Blu\u0308cher" is one word); offsets are Python ``str`` indices into
   the original text (code points), so snippets and deep links point at the exact characters.
2. **Case and accent folding**: NFKD, combining marks dropped, ``casefold()``, plus a few letters
   that do not decompose (ø→o, ł→l, đ→d, æ→ae, œ→oe, ß→ss); the soft and hard signs of the
   scholarly systems (ʹ ʺ ʼ) dropped. "Blücher" = "Blucher", "Zinovʹev" = "Zinovev".
3. **Transliteration folding** for Russian names (``fold_transliteration``). English texts spell
   the same Russian name several ways; each rule maps the variants to one form. Applied to every
   word, at indexing and at query time alike, so a rare English collision ("year"/"ear") is
   harmless. A Cyrillic word is first written in Latin letters (``search.transliteration``,
   ICAO Doc 9303: Ежов → Ezhov), so Cyrillic text and queries meet the English spellings.
   Rules, applied in this order:

   =====  ===============================================  =====================================
   rule   what                                             example
   =====  ===============================================  =====================================
   R1     word-initial ``ye``/``je``/``ie`` → ``e``        Yezhov/Iezhov → ezhov, Yevdokimov → evdokimov
   R2     word-initial ``ja``/``ju``/``jo`` → ``ia``/...   Jagoda → iagoda
   R12    word-initial ``tch`` → ``ch``                    Tchaikovsky → chaikovski, Tchicherin
   R3     ``y`` → ``i`` everywhere                         Pyatakov → piatakov, Blyukher → bliukher
   R4     ``ii`` → ``i`` (``-iy``, ``-ii``)                Tukhachevskii/-sky/-ski → tukhachevski
   R8     final ``off`` (words of 6+ letters) → ``ov``     Piatakoff → piatakov
   R10    final ``itch`` (6+ letters) → ``ich``            Shostakovitch → shostakovich
   R11    final ``eff`` (6+ letters) → ``ev``              Zinovieff → zinoviev → (R6) zinovev
   R5     vowel + ``ie`` → vowel + ``e`` (``-ayev``)       Nikolayevich → nikolaevich, Andreyev → andreev
   R6     ``iev`` before an ending → ``ev``                Zinoviev/Zinovyev/Zinovev → zinovev
   R7     ``tz`` → ``ts``                                  Goltzman → goltsman
   R9     ``kh`` stays (distinct from German ``ch``)       Bliukher ≠ Blücher: the record aliases join them
   =====  ===============================================  =====================================

4. **English stemming** (Porter, Whoosh's ``stem``), after folding.

No stop words are removed, so "Trial of the Sixteen" as a phrase matches only those adjacent words.

**What the index holds for each word** (``forms``), all at the word's position, so phrases work
on any of them:

- the stemmed form (``fold_word``): what a query word matches by default;
- ``=`` + the word as typed after case/accent folding (``fold_case_and_accents``): a word as
  typed counts more than its stem relatives, and a name can be matched without stemming
  (Deni ≠ denied, Memorial ≠ memory);
- for a name-like word (capitalised, or not in Latin script): ``~`` + its folded, unstemmed form
  when that differs from the typed one (Pyatakov → ~piatakov), and ``#`` + its Daitch–Mokotoff
  keys (``search.phonetic``), the last resort.

The marked forms never reach spelling, fuzzy terms or wildcards (``is_marked``). Query words in
other conventions (scholarly, ISO 9, French, German, Polish, Cyrillic under every standard
scheme) are read into English spellings by ``variant_keys`` (``search.transliteration``) and
looked for as ``~``/``=`` forms.

Beyond rules, ``search.expansion`` adds the other names of a record that a query word or phrase
names (Holtzman → Goltsman), as whole names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from whoosh.lang.porter import stem as _porter_stem  # noqa: I001 - the one whoosh import outside backends

from . import phonetic, transliteration

# Letters, digits, and combining marks that follow them (a mark cannot start a word).
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
WORD_PATTERN = re.compile(rf"[^\W_](?:[^\W_]|[{_MARKS}])*")

_EXTRA = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "æ": "ae", "œ": "oe", "ß": "ss", "ı": "i", "þ": "th"})
_VOWELS = "aeiou"


# Every function below is applied to each word of every text indexed, so each is cached per word
# (a text's vocabulary is small beside its length) and has a fast path for plain ASCII words.
_CACHE = 1 << 17


# What an index built with this analysis holds; part of every entry's stamp (``search.indexing``),
# so that ``check_index`` finds an index written by an older analysis stale. Raise it whenever a
# change here changes what is indexed.
VERSION = 3

EXACT, VARIANT, PHONETIC = "=", "~", "#"  # marks of the index's other forms of a word (``forms``)
MARKERS = (EXACT, VARIANT, PHONETIC)


def is_marked(word: str) -> bool:
    """Whether an indexed word is one of the marked forms (never a spelling or fuzzy candidate)."""
    return bool(word) and word[0] in MARKERS


# Soft and hard signs as the scholarly systems write them (Zinovʹev, Gorʹkii, Obʺedinenie), and the
# apostrophe a query word may carry in their place (Zinov'ev): no letter in an English spelling.
_SIGNS = str.maketrans("", "", "\u02b9\u02ba\u02bc\u02bb'\u2019\u2032")


@lru_cache(maxsize=_CACHE)
def fold_case_and_accents(word: str) -> str:
    if word.isascii():  # nothing to decompose; casefold() and lower() agree on ASCII
        return word.lower().replace("'", "") if "'" in word else word.lower()
    if transliteration.is_cyrillic(word):  # й and ё are letters of their own; only case folds
        return unicodedata.normalize("NFC", word).casefold().replace("ё", "е")
    decomposed = unicodedata.normalize("NFKD", word)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.casefold().translate(_EXTRA).translate(_SIGNS)


_R5 = re.compile(rf"(?<=[{_VOWELS}])ie")
_R6 = re.compile(r"iev(?=$|a$|ich|na$|s$|ym$|oi$)")


@lru_cache(maxsize=_CACHE)
def fold_transliteration(word: str) -> str:
    """Map the English spellings of a (folded, lower-case) Russian name to one form (rules R1-R8)."""
    w = word
    if w.startswith(("ye", "je", "ie")):  # R1
        w = "e" + w[2:]
    elif w[:2] in ("ja", "ju", "jo"):  # R2
        w = "i" + w[1:]
    elif w.startswith("tch"):  # R12
        w = w[1:]
    w = w.replace("y", "i")  # R3
    while "ii" in w:  # R4
        w = w.replace("ii", "i")
    if len(w) >= 6:
        if w.endswith("off"):  # R8
            w = w[:-3] + "ov"
        elif w.endswith("itch"):  # R10
            w = w[:-4] + "ich"
        elif w.endswith("eff"):  # R11
            w = w[:-3] + "ev"
    w = _R5.sub("e", w)  # R5
    w = _R6.sub("ev", w)  # R6
    w = w.replace("tz", "ts")  # R7
    return w


@lru_cache(maxsize=_CACHE)
def stem(word: str) -> str:
    return _porter_stem(word)


@lru_cache(maxsize=_CACHE)
def latin(word: str) -> str:
    """The word case/accent folded, in Latin letters (a Cyrillic word transliterated first)."""
    if not word.isascii() and transliteration.is_cyrillic(word):
        return fold_case_and_accents(transliteration.to_latin(word)) or fold_case_and_accents(word)
    return fold_case_and_accents(word)


@lru_cache(maxsize=_CACHE)
def fold_unstemmed(word: str) -> str:
    """Case/accent folding then transliteration folding (``fold_word`` without stemming)."""
    return fold_transliteration(latin(word))


def name_like(word: str) -> bool:
    """A word that may be a name: capitalised, or written in a script other than Latin."""
    return bool(word) and not word[0].isdigit() and (word[0].isupper() or transliteration.is_cyrillic(word))


@lru_cache(maxsize=_CACHE)
def forms(word: str) -> tuple[str, ...]:
    """What the index holds for one word of a text, all at its position: the stemmed form first,
    then the marked ones (see the module's docstring)."""
    stemmed = _fold_stemmed(word)
    exact = fold_case_and_accents(word)
    out = [stemmed, EXACT + exact]
    if name_like(word):
        unstemmed = fold_unstemmed(word)
        if unstemmed != exact:
            out.append(VARIANT + unstemmed)
        if len(unstemmed) >= 3 and unstemmed.isalpha():
            out.extend(PHONETIC + key for key in phonetic_keys(word))
    return tuple(out)


@lru_cache(maxsize=_CACHE)
def phonetic_keys(word: str) -> tuple[str, ...]:
    """The word's Daitch–Mokotoff keys (``search.phonetic``), from its Latin spelling (a Cyrillic
    word's under two schemes: Ежов is both Ezhov and Yezhov)."""
    keys = set(phonetic.daitch_mokotoff(latin(word)))
    if transliteration.is_cyrillic(word):
        keys.update(phonetic.daitch_mokotoff(transliteration.to_latin(word, english=True)))
    return tuple(sorted(keys))


@lru_cache(maxsize=_CACHE)
def variant_keys(word: str) -> tuple[str, ...]:
    """Folded, unstemmed forms of the spellings an English text would use for ``word`` written in
    another convention or script (``search.transliteration.readings``), other than its own."""
    own = fold_unstemmed(word)
    keys = {fold_transliteration(fold_case_and_accents(r)) for r in transliteration.readings(word)}
    return tuple(sorted(k for k in keys if k and k != own and k.isalnum()))


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
