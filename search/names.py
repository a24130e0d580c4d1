"""The records' names as the search reads them (``Lexicon``): every label and alias of the live
(not merged) records, each as a run of folded, unstemmed words (``analysis.fold_unstemmed``), so
that a query word or a run of them can be found to name a record whatever the spelling (Ezhov,
Yezhov and Ежов all read ``ezhov``).

Read from the database once and kept per process; every search asks the database for a stamp of
the records (how many, the last id, the last change) and reads them again when it moved, so a
record made, edited or merged in another process is seen by the next search."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from django.db.models import Count, Max

from archive_site.models import Record

from . import analysis


@dataclass(frozen=True)
class Name:
    record_id: int
    kind: str
    label: str  # the record's label
    text: str  # this name as written
    words: tuple[str, ...]  # folded, unstemmed


@dataclass
class Lexicon:
    names: list[Name] = field(default_factory=list)
    by_first: dict[str, list[Name]] = field(default_factory=dict)  # first word -> names beginning with it
    surnames: dict[str, list[Name]] = field(default_factory=dict)  # last word of a person's name -> names
    capitalised: set[str] = field(default_factory=set)  # words written with a capital in some name
    longest: int = 1

    @classmethod
    def build(cls, rows) -> Lexicon:
        lex = cls()
        for record_id, kind, label, aliases in rows:
            for text in dict.fromkeys([label, *(aliases or [])]):
                tokens = [w for w, _, _ in analysis.tokenize(text or "")]
                words = tuple(analysis.fold_unstemmed(w) for w in tokens)
                if not words:
                    continue
                name = Name(record_id, kind, label, text, words)
                lex.names.append(name)
                lex.by_first.setdefault(words[0], []).append(name)
                lex.longest = max(lex.longest, len(words))
                if kind == Record.Kind.PERSON and len(words) > 1 and len(words[-1]) > 2:
                    lex.surnames.setdefault(words[-1], []).append(name)
                lex.capitalised.update(f for t, f in zip(tokens, words, strict=True) if t[:1].isupper() and len(f) > 2)
        return lex

    def naming(self, words: tuple[str, ...]) -> list[Name]:
        """The names that are exactly ``words`` (folded, unstemmed)."""
        return [n for n in self.by_first.get(words[0], ()) if n.words == words] if words else []

    def other_names(self, record_ids) -> list[Name]:
        wanted = set(record_ids)
        return [n for n in self.names if n.record_id in wanted]


_lock = threading.Lock()
_cached: tuple[tuple, Lexicon] | None = None


def _stamp() -> tuple:
    live = Record.objects.filter(merged_into__isnull=True)
    agg = live.aggregate(n=Count("id"), last=Max("id"), changed=Max("modified"))
    return (agg["n"], agg["last"], str(agg["changed"]))


def lexicon() -> Lexicon:
    """The live records' names, read again when the records changed."""
    global _cached
    stamp = _stamp()
    with _lock:
        if _cached is not None and _cached[0] == stamp:
            return _cached[1]
    rows = Record.objects.filter(merged_into__isnull=True).order_by("pk").values_list("pk", "kind", "label", "aliases")
    lex = Lexicon.build(rows)
    with _lock:
        _cached = (stamp, lex)
    return lex


def forget() -> None:
    """Drop the kept names (tests that rewrite records in ways the stamp cannot see)."""
    global _cached
    with _lock:
        _cached = None
