"""Record-name expansion: a query word or run of words that names a record (its label or an
alias, in any spelling the analysis folds together) also searches the record's other names, each
as a whole name (a phrase), never single words cut from them: "Kommunarka" does not bring in
"ground" from "Kommunarka shooting ground". A surname alone names a record only for persons
("Holtzman" for Eduard Holtzman finds Goltsman); a place, organisation or event is named only by
a whole label or alias ("Smolny", "Hotel Bristol").

``find`` looks for names among a run of typed words (longest first); ``alternatives`` gives the
other names of the records found. ``search.ranking`` builds the tree from them (the records'
names come from ``search.names``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from archive_site.models import Record

from . import analysis
from .names import Lexicon, Name

MAX_ALTERNATIVES = 16  # other names added for one word or run


@dataclass(frozen=True)
class Found:
    start: int  # index of the first word of the run
    end: int  # one past the last
    names: tuple[Name, ...]  # the names the run is (or, for a surname, ends)
    surname: bool  # found as a person's surname alone

    @property
    def persons(self) -> bool:
        return all(n.kind == Record.Kind.PERSON for n in self.names)


def find(typed: Sequence[str], lexicon: Lexicon) -> list[Found]:
    """Runs of ``typed`` (words as typed) that name records: whole names, longest first from the
    left, then a person's surname alone. Runs do not overlap."""
    words = [analysis.fold_unstemmed(w) for w in typed]
    out: list[Found] = []
    i = 0
    while i < len(words):
        for j in range(min(len(words), i + lexicon.longest), i, -1):
            names = lexicon.naming(tuple(words[i:j]))
            if names:
                out.append(Found(i, j, tuple(names), False))
                i = j
                break
        else:
            if len(words[i]) > 2 and words[i] in lexicon.surnames:
                out.append(Found(i, i + 1, tuple(lexicon.surnames[words[i]]), True))
            i += 1
    return out


def _contains(words: tuple[str, ...], part: tuple[str, ...]) -> bool:
    n = len(part)
    return any(words[k : k + n] == part for k in range(len(words) - n + 1))


def alternatives(found: Found, typed: Sequence[str], lexicon: Lexicon) -> list[Name]:
    """The other names of the records ``found`` names: those that do not already contain the
    typed words (a phrase "Nikolai Yezhov" adds nothing to "Yezhov"), one per spelling."""
    matched = tuple(analysis.fold_unstemmed(w) for w in typed[found.start : found.end])
    seen: set[tuple[str, ...]] = {matched}
    out: list[Name] = []
    for name in lexicon.other_names(n.record_id for n in found.names):
        stemmed = tuple(analysis.fold_word(w) for w in name.words)
        if name.words in seen or stemmed in seen or _contains(name.words, matched):
            continue
        seen.update((name.words, stemmed))
        out.append(name)
        if len(out) >= MAX_ALTERNATIVES:
            break
    return out
