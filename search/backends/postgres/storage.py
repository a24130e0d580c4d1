"""Writing the postgres backend's tables: an IndexEntry becomes one ``search_searchentry`` row whose
``tsvector`` is built here from ``search.analysis`` tokens (the same folding and stemming as the
Whoosh index, and every form of a word at its position: ``analysis.forms``), written as a tsvector
literal so that PostgreSQL's own parser and dictionaries never touch the words."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from django.db import connection, transaction

from search import analysis
from search.backends.base import EntryType, IndexEntry

# Field -> tsvector weight. ts_rank_cd's weight array gives each its share of the score.
WEIGHTS = {"title": "A", "names": "B", "author": "C", "body": "D"}
FIELD_ORDER = ("title", "names", "author", "body")  # short fields first: positions stop at 16383
MAX_POSITION = 16383  # PostgreSQL's limit; later positions are clamped
MAX_POSITIONS_PER_WORD = 256  # PostgreSQL keeps at most this many positions per lexeme
MAX_TERM_LENGTH = 200

COLUMNS = ("entry_type", "object_id", "stamp", "title", "body", "names", "author", "kind", "date", "year", "slug",
           "document_id", "record_ids", "entity_types", "visibility", "creator_id", "group_id", "status",
           "vector", "kind_vector")


def quote_lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _literal(positions: dict[str, list[str]]) -> str:
    return " ".join(f"{quote_lexeme(word)}:{','.join(p)}" for word, p in sorted(positions.items()))


def vector_literal(fields: Sequence[tuple[str, str]]) -> tuple[str, set[str]]:
    """A tsvector literal for (text, weight) pairs, and the set of words in it. Each field's
    positions follow the previous field's after a gap, so a phrase never spans two fields."""
    positions: dict[str, list[str]] = {}
    seen: dict[str, set[int]] = {}
    start = 1
    for text, weight in fields:
        last = start
        for token in analysis.analyze(text or ""):
            pos = min(start + token.position, MAX_POSITION)
            last = pos
            for form in analysis.forms(token.original):  # every form at the word's position
                word = form[:MAX_TERM_LENGTH]
                taken = seen.setdefault(word, set())
                if pos in taken or len(taken) >= MAX_POSITIONS_PER_WORD:
                    continue
                taken.add(pos)
                positions.setdefault(word, []).append(f"{pos}{weight}")
        start = min(last + 2, MAX_POSITION)
    # The vocabulary (fuzzy terms, wildcards, spelling) holds the plain forms only.
    return _literal(positions), {w for w in positions if not analysis.is_marked(w)}


def row(entry: IndexEntry) -> tuple[tuple, set[str]]:
    vector, words = vector_literal([(getattr(entry, f), WEIGHTS[f]) for f in FIELD_ORDER])
    kind_vector, _ = vector_literal([(entry.kind, "A")])
    values = (
        entry.type, entry.pk, entry.stamp, entry.title, entry.body, entry.names, entry.author, entry.kind,
        entry.date or "", entry.year, entry.slug, entry.document_id, json.dumps(list(entry.record_ids)),
        json.dumps(list(entry.entity_types)), entry.visibility or "public", entry.creator_id, entry.group_id,
        entry.status or "", vector, kind_vector,
    )
    return values, words


_PLACEHOLDERS = ", ".join(
    "%s::tsvector" if c in ("vector", "kind_vector") else "%s::jsonb" if c in ("record_ids", "entity_types") else "%s"
    for c in COLUMNS
)
UPSERT = (
    f"INSERT INTO search_searchentry ({', '.join(COLUMNS)}) VALUES ({_PLACEHOLDERS}) "
    "ON CONFLICT (entry_type, object_id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS if c not in ("entry_type", "object_id"))
)
ADD_TERMS = "INSERT INTO search_searchterm (term) SELECT unnest(%s::text[]) ORDER BY 1 ON CONFLICT DO NOTHING"


def write(entries: Iterable[IndexEntry]) -> int:
    """Upsert entries and add their words to the vocabulary, in one transaction. Rows are written
    in (type, pk) order and words in sorted order, so concurrent writers cannot deadlock."""
    rows, words = [], set()
    for entry in sorted(entries, key=lambda e: (e.type, e.pk)):
        values, entry_words = row(entry)
        rows.append(values)
        words |= entry_words
    if not rows:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(UPSERT, rows)
        if words:
            cursor.execute(ADD_TERMS, [sorted(words)])
    return len(rows)


def delete(entry_type: EntryType, pks: Sequence[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_searchentry WHERE entry_type = %s AND object_id = ANY(%s)",
                       [entry_type, list(pks)])


def clear() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_searchentry")
        cursor.execute("DELETE FROM search_searchterm")
