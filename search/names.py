"""The records' names as the search reads them (``Lexicon``): every label and alias of the live
(not merged) records, each as a run of folded, unstemmed words (``analysis.fold_unstemmed``), so
that a query word or a run of them can be found to name a record whatever the spelling (Ezhov,
Yezhov and Ежов all read ``ezhov``).

The names are kept in the database, in tables derived from the records
(``archive_site.models.RecordName`` and ``RecordNameWord``) that the receivers below keep in
step with every save, merge and deletion. A search asks only for its own words, through indexes:
the runs of its words that are whole names, the words that are a person's surname, the words
written with a capital in some name. Nothing is read or kept per process, and nothing scans every
record, so a search costs the same with 200 records or 1,000,000, and a record made, edited or
merged in another process is seen by the next search.

A name or surname shared by more than ``MAX_RECORDS`` names (a common surname at a million
records) is looked up among the first ``MAX_RECORDS`` of them (by record id): expansion adds at
most ``expansion.MAX_ALTERNATIVES`` other names anyway."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models.signals import post_save

from archive_site.models import NAME_KEY_CHARS, Record, RecordName, RecordNameWord

from . import analysis

MAX_RECORDS = 32  # names read for one name or surname (expansion adds at most 16 others)
LONGEST = 16  # words in the longest run looked up as a whole name
_CHUNK = 200  # lookups in one statement


@dataclass(frozen=True)
class Name:
    record_id: int
    kind: str
    label: str  # the record's label
    text: str  # this name as written
    words: tuple[str, ...]  # folded, unstemmed


# --- the derived rows ------------------------------------------------------------------------------


def _cut(text: str) -> str:
    return text[:NAME_KEY_CHARS]


NAME_FIELDS = ("record_id", "position", "text", "words", "key", "surname", "label", "kind", "live")


def values_for(record_id: int, kind: str, label: str, aliases, live: bool) -> tuple[list[tuple], list[str]]:
    """The values (NAME_FIELDS) of one record's ``RecordName`` rows, and its capitalised words."""
    names: list[tuple] = []
    capitalised: dict[str, None] = {}
    for text in dict.fromkeys([label, *(a for a in aliases or [] if a)]):
        words, capitals = _folded(text or "")
        if not words:
            continue
        joined = " ".join(words)
        person_surname = kind == Record.Kind.PERSON and len(words) > 1 and len(words[-1]) > 2
        names.append((record_id, len(names), text, joined, _cut(joined), _cut(words[-1]) if person_surname else None,
                       label, kind, live))
        capitalised.update(dict.fromkeys(capitals))
    return names, list(capitalised)


@functools.lru_cache(maxsize=100_000)
def _folded(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A name's folded, unstemmed words, and those of them written with a capital (more than two
    letters, cut as stored)."""
    tokens = [w for w, _, _ in analysis.tokenize(text)]
    words = tuple(analysis.fold_unstemmed(w) for w in tokens)
    return words, tuple(_cut(f) for t, f in zip(tokens, words, strict=True) if t[:1].isupper() and len(f) > 2)


def rows_for(record_id: int, kind: str, label: str, aliases, live: bool) -> tuple[list[RecordName], list[RecordNameWord]]:
    """The ``RecordName`` and ``RecordNameWord`` rows of one record."""
    names, words = values_for(record_id, kind, label, aliases, live)
    return ([RecordName(**dict(zip(NAME_FIELDS, v, strict=True))) for v in names],
            [RecordNameWord(record_id=record_id, word=w, live=live) for w in words])


def rows_of(record: Record) -> tuple[list[RecordName], list[RecordNameWord]]:
    return rows_for(record.pk, record.kind, record.label, record.aliases, record.merged_into_id is None)


_NAME_FIELDS = NAME_FIELDS[1:]


def sync_record(sender, instance: Record, created: bool = False, raw: bool = False, **kwargs) -> None:
    """Bring the record's name rows in line with it (also after raw saves: restores). Merging
    sets ``live`` off; deleting cascades; records merged into a deleted one come back to life
    through ``archive_site.models.unmerge_names``."""
    names, words = rows_of(instance)
    if not created:
        have_names = set(RecordName.objects.filter(record=instance).values_list(*_NAME_FIELDS))
        have_words = set(RecordNameWord.objects.filter(record=instance).values_list("word", "live"))
        if (have_names == {tuple(getattr(n, f) for f in _NAME_FIELDS) for n in names}
                and have_words == {(w.word, w.live) for w in words}):
            return
        RecordName.objects.filter(record=instance).delete()
        RecordNameWord.objects.filter(record=instance).delete()
    RecordName.objects.bulk_create(names)
    RecordNameWord.objects.bulk_create(words)


def connect() -> None:
    post_save.connect(sync_record, sender=Record, dispatch_uid="search-record-names")


def fill(records: Iterable[tuple[int, str, str, list, bool]], *, batch: int = 5000) -> int:
    """Write the name rows of ``records`` ((id, kind, label, aliases, live) each), for records
    saved without signals (a migration's backfill, a bulk load); returns the names written."""
    names: list[RecordName] = []
    words: list[RecordNameWord] = []
    written = 0
    for record_id, kind, label, aliases, live in records:
        n, w = rows_for(record_id, kind, label, aliases, live)
        names.extend(n)
        words.extend(w)
        if len(names) >= batch:
            RecordName.objects.bulk_create(names, batch_size=batch)
            RecordNameWord.objects.bulk_create(words, batch_size=batch)
            written += len(names)
            names, words = [], []
    RecordName.objects.bulk_create(names, batch_size=batch)
    RecordNameWord.objects.bulk_create(words, batch_size=batch)
    return written + len(names)


def rebuild() -> int:
    """Write every record's name rows afresh (``manage.py shell``; the migration does this once)."""
    RecordName.objects.all().delete()
    RecordNameWord.objects.all().delete()
    rows = Record.objects.order_by("pk").values_list("pk", "kind", "label", "aliases", "merged_into_id")
    return fill((pk, kind, label, aliases, merged is None) for pk, kind, label, aliases, merged in rows.iterator(2000))


# --- reading them, a query's words at a time --------------------------------------------------------


_NAME_TABLE = RecordName._meta.db_table
_WORD_TABLE = RecordNameWord._meta.db_table
_NAME_COLUMNS = "n.record_id, n.position, n.kind, n.label, n.text, n.words"
# What a lookup asks for, from the values (v.value): for a whole name or a surname, the first
# MAX_RECORDS live names that are it (one indexed range scan, stopped there) and every live name
# of their records, each row saying which name matched (m.position); for a capitalised word,
# whether there is one.
_MATCHED = (f"(SELECT t.record_id, t.position FROM {_NAME_TABLE} t WHERE t.{{column}} = {{value}} AND t.live "
            f"ORDER BY t.record_id, t.position LIMIT {MAX_RECORDS}) m JOIN {_NAME_TABLE} n ON n.record_id = m.record_id AND n.live")
_LOOKUPS = {
    "name": ("m.position, " + _NAME_COLUMNS, _MATCHED.replace("{column}", "key")),
    "surname": ("m.position, " + _NAME_COLUMNS, _MATCHED.replace("{column}", "surname")),
    "capital": ("NULL, m.record_id, NULL, NULL, NULL, NULL, NULL",
                f"(SELECT t.record_id FROM {_WORD_TABLE} t WHERE t.word = {{value}} AND t.live LIMIT 1) m"),
}


def _lookup(wanted: dict[str, list[str]]) -> list[tuple]:
    """For each lookup of ``_LOOKUPS`` and each of its values in ``wanted``: (lookup, value,
    matched position, record_id, position, kind, label, text, words), in as few statements as
    will do (one, for a query of ordinary length)."""
    out: list[tuple] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql, params = [], []
            for what, values in wanted.items():
                if values:
                    select, source = _LOOKUPS[what]
                    sql.append(f"SELECT '{what}', v.value, {select} FROM unnest(%s::text[]) AS v(value) "
                               f"CROSS JOIN LATERAL {source.format(value='v.value')}")
                    params.append(list(dict.fromkeys(values)))
            if sql:
                cursor.execute(" UNION ALL ".join(sql), params)
                out.extend(cursor.fetchall())
            return out
        parts = [(what, v) for what, values in wanted.items() for v in dict.fromkeys(values)]
        for i in range(0, len(parts), _CHUNK):  # SQLite: a union of limited scans, one per value
            sql, params = [], []
            for what, value in parts[i : i + _CHUNK]:
                select, source = _LOOKUPS[what]
                sql.append(f"SELECT * FROM (SELECT '{what}', %s, {select} FROM {source.format(value='%s')})")
                params += [value, value]
            cursor.execute(" UNION ALL ".join(sql), params)
            out.extend(cursor.fetchall())
    return out


def _name(row) -> Name:
    record_id, _, kind, label, text, words = row
    return Name(record_id, kind, label, text, tuple(words.split(" ")))


class _Surnames:
    """``word in lexicon.surnames`` / ``lexicon.surnames[word]``: the names of persons whose last
    word it is (a name of two words or more; the word of more than two letters)."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def __contains__(self, word: str) -> bool:
        return bool(self.lexicon._surnames(word))

    def __getitem__(self, word: str) -> list[Name]:
        found = self.lexicon._surnames(word)
        if not found:
            raise KeyError(word)
        return found


class _Capitalised:
    """``word in lexicon.capitalised``: the word (folded, unstemmed) is written with a capital in
    some name."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon

    def __contains__(self, word: str) -> bool:
        return self.lexicon._capitalised(word)


class Lexicon:
    """The live records' names, read from the database as a search asks for them and kept for
    that search only: a run of typed words loads, in one statement, every run of them that is a
    whole name, the words that are surnames and those written with a capital, with every other
    name of the records found (what ``expansion.alternatives`` reads next)."""

    longest = LONGEST

    def __init__(self) -> None:
        self._names: dict[tuple[str, ...], list[Name]] = {}
        self._surname: dict[str, list[Name]] = {}
        self._capital: dict[str, bool] = {}
        self._record_names: dict[int, dict[int, Name]] = {}  # every live name of the records found
        self.surnames = _Surnames(self)
        self.capitalised = _Capitalised(self)

    def _load(self, words: Sequence[str]) -> None:
        """Look up, for the run ``words``, in one statement: each of its runs (up to LONGEST
        words) as a whole name, each word as a surname and as a capitalised name word."""
        by_key: dict[str, list[tuple[str, ...]]] = {}
        for i in range(len(words)):
            for j in range(i + 1, min(len(words), i + LONGEST) + 1):
                run = tuple(words[i:j])
                if run not in self._names:
                    self._names[run] = []
                    by_key.setdefault(_cut(" ".join(run)), []).append(run)
        surnames, capitals = [], []
        for w in dict.fromkeys(words):
            if w not in self._surname:
                self._surname[w] = []
                if len(w) > 2:
                    surnames.append(_cut(w))
            if w not in self._capital:
                self._capital[w] = False
                if len(w) > 2:
                    capitals.append(_cut(w))
        if not (by_key or surnames or capitals):
            return
        rows = _lookup({"name": list(by_key), "surname": surnames, "capital": capitals})
        rows.sort(key=lambda r: (r[3], r[4] or 0))  # by record id, then position: the order names had
        for what, value, matched, *rest in rows:
            if what == "capital":
                self._capital.update((w, True) for w in words if _cut(w) == value)
                continue
            known = self._record_names.setdefault(rest[0], {})
            name = known.get(rest[1]) or known.setdefault(rest[1], _name(rest))
            if matched != rest[1]:
                continue
            if what == "name":
                for run in by_key.get(value, ()):
                    if name.words == run:  # a key cut at NAME_KEY_CHARS may stand for longer names
                        self._names[run].append(name)
            elif name.words[-1] in self._surname:
                self._surname[name.words[-1]].append(name)

    def naming(self, words: tuple[str, ...]) -> list[Name]:
        """The names that are exactly ``words`` (folded, unstemmed)."""
        if not words:
            return []
        if words not in self._names:
            self._load(words)
        return self._names.get(words, [])

    def _surnames(self, word: str) -> list[Name]:
        if word not in self._surname:
            self._load((word,))
        return self._surname[word]

    def _capitalised(self, word: str) -> bool:
        if word not in self._capital:
            self._load((word,))
        return self._capital[word]

    def other_names(self, record_ids: Iterable[int]) -> Iterator[Name]:
        """The names of these records, record by record (in id order), label first: those of the
        records the lookups found are at hand; others are read a few records at a time, as the
        caller goes on asking."""
        ids = sorted(set(record_ids))
        step = 32
        for i in range(0, len(ids), step):
            chunk = ids[i : i + step]
            missing = [r for r in chunk if r not in self._record_names]
            if missing:
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT {_NAME_COLUMNS} FROM {_NAME_TABLE} n WHERE n.record_id IN "
                                   f"({', '.join(['%s'] * len(missing))}) AND n.live", missing)
                    for row in cursor.fetchall():
                        self._record_names.setdefault(row[0], {})[row[1]] = _name(row)
            for record_id in chunk:
                found = self._record_names.get(record_id, {})
                for position in sorted(found):
                    yield found[position]


def lexicon() -> Lexicon:
    """The live records' names, for one search."""
    return Lexicon()


def forget() -> None:
    """Nothing is kept between searches any more (kept for callers that used to drop a cache)."""
