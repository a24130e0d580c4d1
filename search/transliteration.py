"""Names across scripts and spelling conventions: part of ``search.analysis`` (the one home of
folding), kept in a module of its own because it is long.

English texts spell a Russian name one way (Yezhov, Zinoviev, Khrushchev); other traditions spell
it their own: Cyrillic (Ежов), the scholarly and ISO 9 systems (Ežov, Zinovʹev, Hruŝëv), French
(Iéjov, Boukharine, Khrouchtchev), German (Jeschow, Sinowjew, Chruschtschow), Polish (Jeżow,
Zinowiew, Trocki) and older English (Zinovieff, Shostakovitch).

- ``to_latin(word)``: a Cyrillic word in Latin letters, for indexing Cyrillic text: the ICAO
  Doc 9303 scheme (``iuliia``), whose output needs no diacritics and folds (``search.analysis``)
  to the same forms as the English press spellings (Ежов → Ezhov → ezhov = Yezhov).
- ``readings(word)``: the spellings an English text would use for a query word written in another
  convention: for Cyrillic, its transliteration under the standard schemes (scholarly, ISO 9 /
  GOST 7.79, ALA-LC, BGN/PCGN, ICAO, Wikipedia's, the Moscow metro's, the French passport one);
  for Latin, the word read by each convention's rules (below). Several conventions disagree
  (``ch`` is /sh/ in French, /kh/ in German and Polish, /ch/ in English), so a word gets one reading
  per convention that applies, and an ambiguous letter several; the caller folds them and looks
  only for those the index holds. At most ``MAX_READINGS`` per word.

Rules work on the lower-cased word with its accents; a replacement is written in upper case so
that later rules never read it again, and the result is lower-cased at the end.
"""

from __future__ import annotations

import re
from functools import lru_cache

import iuliia

CYRILLIC = re.compile("[\u0400-\u04ff\u0500-\u052f]")
INDEX_SCHEME = iuliia.ICAO_DOC_9303
QUERY_SCHEMES = (iuliia.ICAO_DOC_9303, iuliia.WIKIPEDIA, iuliia.BGN_PCGN, iuliia.ALA_LC, iuliia.SCIENTIFIC,
                 iuliia.GOST_779, iuliia.MOSMETRO, iuliia.MVD_310_FR)
MAX_READINGS = 16
_NOT_LETTER = re.compile(r"[^\w]|[\d_]")  # soft and hard signs (ʹ ʺ ’), tie bars, anything not a letter


def is_cyrillic(word: str) -> bool:
    return bool(CYRILLIC.search(word))


def _strip(text: str) -> str:
    # iuliia marks soft / hard signs with primes and apostrophes; a name has no such letter in English.
    text = text.replace("\u0361", "").replace("\u02b9", "").replace("\u02ba", "")
    return _NOT_LETTER.sub("", text)


@lru_cache(maxsize=1 << 14)
def to_latin(word: str, *, english: bool = False) -> str:
    """A Cyrillic word in Latin letters, letters only: ICAO Doc 9303, or (``english``) the English
    press form (Wikipedia's scheme: Ежов → Yezhov)."""
    return _strip((iuliia.WIKIPEDIA if english else INDEX_SCHEME).translate(word))


# Each rule: (pattern, replacements). A word a rule matches gets one reading per replacement.
Rule = tuple[re.Pattern, tuple[str, ...]]


def _rules(*pairs) -> tuple[Rule, ...]:
    return tuple((re.compile(p), tuple(r) if isinstance(r, tuple) else (r,)) for p, r in pairs)


_VOWEL = "aeiouyéèêëёïîôûâ"
_SCHOLARLY = (  # scholarly, ISO 9 / GOST 7.79, UNGEGN: diacritics and single letters (ch: х, as in Chruščev)
    ("šč|ŝ", "SHCH"), ("ch", "KH"), ("ž", "ZH"), ("š", "SH"), ("č", "CH"), ("x", "KH"), ("c(?!h)", "TS"), ("â", "YA"),
    ("û", "YU"), ("[ëё]", ("E", "YO")), ("ĭ", "Y"), ("j", "Y"), ("[èě]", "E"),
)
SCHOLARLY = _rules(*_SCHOLARLY)
# ISO 9 writes х as h: read so only in a word that has the system's diacritics (Hruŝëv), not in Hitler.
ISO = _rules(("ch", "KH"), ("h", ("KH", "H")), *_SCHOLARLY)
_DIACRITICS = re.compile("[žščŝëёâûĭě]")
FRENCH = _rules(
    ("chtch", "SHCH"), ("tch", "CH"), ("ch", "SH"), ("ou", "U"), (r"^i[ée]", "YE"), ("ï[ée]", "YE"),
    ("j", "ZH"), (r"gu(?=[eiéè])", "G"), (r"(?<=[iy])ne$", ("N", "NE")), (r"(?<=[" + _VOWEL + "AEIOUY])ss(?=[" + _VOWEL + "])", "S"),
)
GERMAN = _rules(
    ("schtsch", "SHCH"), ("tsch", "CH"), ("sch", ("ZH", "SH")), ("ch", "KH"), ("z", "TS"), ("w", "V"), ("j", "Y"),
    (r"^s(?=[" + _VOWEL + "])", ("Z", "S")), (r"(?<=[" + _VOWEL + "AEIOUY])ss(?=[" + _VOWEL + "])", "S"),
    (r"(?<=[" + _VOWEL + "AEIOUYd])s(?=[" + _VOWEL + "])", ("Z", "S")),
)
POLISH = _rules(
    ("szcz", "SHCH"), ("cz", "CH"), ("sz", "SH"), ("rz", "ZH"), ("[żź]", "ZH"), ("ch", "KH"), ("ś", "S"), ("ć", "TS"),
    ("ń", "N"), ("ł", "L"), ("ó", "O"), ("w", "V"), ("j", "Y"), ("c", "TS"), (r"(?<=[^aeiouy\W])ie", "E"),
)
ENGLISH = _rules(("x", "KS"))  # Alexeyev = Alekseyev
# Which convention may apply to a word: the letters it gives itself away by.
CONVENTIONS = (
    (re.compile("[žščŝëёâûĭěèx]|j|c(?!h)"), SCHOLARLY),
    (re.compile("ou|tch|j|ch|[éèï]|[iy]ne$"), FRENCH),
    (re.compile("sch|w|j|ch|z|^s"), GERMAN),
    (re.compile("cz|sz|rz|[żźśćńłó]|w|j|ch|c"), POLISH),
    (re.compile("x"), ENGLISH),
)
# Russian -ёв after a hushing sound is -ov in Polish and German (Chruszczow), -ev in English (Khrushchev).
_HUSHED_OV = re.compile(r"(zh|sh|ch|shch)(?:y?o)v")


def _apply(word: str, rules: tuple[Rule, ...]) -> set[str]:
    out = {word}
    for pattern, replacements in rules:
        step: set[str] = set()
        for w in out:
            if pattern.search(w):
                step.update(pattern.sub(r, w) for r in replacements)
            else:
                step.add(w)
        out = set(sorted(step)[:MAX_READINGS])
    return {w.lower() for w in out}


def _finish(readings: set[str]) -> set[str]:
    out = set()
    for r in readings:
        r = _strip(r)
        if not r:
            continue
        out.add(r)
        if _HUSHED_OV.search(r):
            out.add(_HUSHED_OV.sub(r"\1ev", r))
    return out


@lru_cache(maxsize=1 << 14)
def readings(word: str) -> frozenset[str]:
    """Latin spellings, as an English text would write them, of ``word`` (any case, accents kept)
    read in each convention that may apply to it; not folded (``search.analysis`` folds them).
    The word itself is not among them unless a convention leaves it unchanged."""
    lower = word.casefold()
    if is_cyrillic(lower):
        found = set()
        for scheme in QUERY_SCHEMES:
            latin = scheme.translate(lower).lower()
            found |= _apply(latin, ISO if _DIACRITICS.search(latin) else SCHOLARLY) | {latin}
        return frozenset(sorted(_finish(found))[:MAX_READINGS])
    found = {lower}  # itself, once its soft and hard signs are dropped (Zinovʹev, Pilʹniak)
    for telltale, rules in CONVENTIONS:
        if telltale.search(lower):
            found |= _apply(lower, ISO if rules is SCHOLARLY and _DIACRITICS.search(lower) else rules)
    return frozenset(sorted(_finish(found) - {lower})[:MAX_READINGS])
