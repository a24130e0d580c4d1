"""How a hit matched each word of the query (``matched_as``): as typed (``exact``), a stem
relative (``stem``: "trial" for "trials"), a transliteration variant with the spelling found
(``variant``: Yezhov for Ежов, Piatakov for Pyatakov), another name of a record the word names
(``record``: Goltsman for Holtzman), or by sound (``phonetic``, the last resort).

Read from what the hit shows: the words its snippets mark and the words of its title, each
compared with what ``search.ranking`` widened the typed word to. Both backends' hits are read the
same way, so they answer alike."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from . import analysis
from .ranking import Word, _plurals

KINDS = ("exact", "stem", "variant", "record", "phonetic")  # best first
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def how(word: Word, spelling: str, *, phonetic: bool = True) -> str | None:
    """How ``spelling`` (a word of a hit) matches the typed ``word``, or None."""
    exact = analysis.fold_case_and_accents(spelling)
    if exact == word.exact:
        return "exact"
    unstemmed = analysis.fold_unstemmed(spelling)
    if unstemmed in word.variants:  # a reading in another convention (Staline: Stalin), though a stem too
        return "variant"
    stemmed = analysis.fold_word(spelling)
    if stemmed == word.stemmed and unstemmed != word.unstemmed and (not word.name or exact in _plurals(word.exact)):
        return "stem"
    if unstemmed == word.unstemmed or unstemmed in word.variants:
        return "variant"
    if unstemmed in word.record_words:
        return "record"
    if phonetic and word.phonetic and word.phonetic & set(analysis.phonetic_keys(spelling)):
        return "phonetic"
    return None


def marked(snippets: Iterable[dict]) -> list[str]:
    """The words a hit's snippets mark, as the text writes them."""
    out = []
    for s in snippets:
        for m in _MARK.findall(s.get("html", "")):
            out.extend(w for w, _, _ in analysis.tokenize(html.unescape(m)))
    return out


def matched_as(words: Sequence[Word], snippets: Iterable[dict], title: str, *, phonetic: bool) -> list[dict]:
    """For each typed word the hit shows a match for: {"word", "as", "found"} (the best way it
    matched, and the spelling found). ``phonetic``: whether the search fell back to sound."""
    spellings = list(dict.fromkeys([*marked(snippets), *(w for w, _, _ in analysis.tokenize(title or ""))]))
    out, seen = [], set()
    for word in words:
        if word.typed in seen:
            continue
        seen.add(word.typed)
        best: tuple[int, str] | None = None
        for spelling in spellings:
            kind = how(word, spelling, phonetic=phonetic)
            if kind is not None and (best is None or KINDS.index(kind) < best[0]):
                best = (KINDS.index(kind), spelling)
                if kind == "exact":
                    break
        if best is not None:
            out.append({"word": word.typed, "as": KINDS[best[0]], "found": best[1]})
    return out
