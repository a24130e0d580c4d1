"""Entity suggestions: spans of a document's text that name a known record.

Matching is token based: every record label and alias is cut into word tokens (case-folded,
accents removed) separated by their punctuation "gaps" (". " in "J. V. Stalin" → "."), kept as
keys in an indexed table derived from the records (``archive_site.models.RecordMatchKey``). The
text is read once: which of its words begin some name, and how many tokens the longest such name
has, is asked of the index for the text's distinct words; then the candidate spans from those
words on are looked up by key, and the text is scanned leftmost first, longest full name winning.
Word boundaries come for free, and a possessive ("Stalin's", "Stalin’s") ends the name at
"Stalin". The transliteration variants are the aliases each record lists. Nothing is kept per
process and nothing reads every record, so a document costs the same against 200 records or
1,000,000.
"""

from __future__ import annotations

import json

from django.db import connection
from django.urls import reverse

from archive_site.models import (
    MATCH_SEPARATOR,
    MATCH_TOKEN,
    NAME_KEY_CHARS,
    Document,
    RecordMatchKey,
    match_fold,
    match_gap,
)

from . import permissions
from .models import Annotation, EntityType

_TOKEN = MATCH_TOKEN
fold = match_fold
_gap = match_gap
_CHUNK = 2000  # values in one lookup statement
_TABLE = RecordMatchKey._meta.db_table


def _longest_from(words: list[str]) -> dict[str, int]:
    """For each of ``words`` (folded tokens) that begins a live name: the parts (tokens and gaps)
    of the longest name it begins, one index probe per word."""
    out: dict[str, int] = {}
    words = [w for w in dict.fromkeys(words) if len(w) <= NAME_KEY_CHARS]
    with connection.cursor() as cursor:
        for i in range(0, len(words), _CHUNK):
            chunk = words[i : i + _CHUNK]
            probe = (f"(SELECT t.parts FROM {_TABLE} t WHERE t.first = v.value AND t.live "
                     "ORDER BY t.parts DESC LIMIT 1)")
            if connection.vendor == "postgresql":
                cursor.execute(f"SELECT v.value, {probe} FROM unnest(%s::text[]) AS v(value)", [chunk])
            else:
                cursor.execute(f"SELECT v.value, {probe} FROM json_each(%s) AS v", [json.dumps(chunk)])
            out.update((w, n) for w, n in cursor.fetchall() if n)
    return out


def _named(keys: set[str]) -> dict[tuple[str, ...], list[tuple[str, int, str]]]:
    """The live names among ``keys`` (joined by MATCH_SEPARATOR): key → [(label, record id,
    kind)], ordered by label then id as the suggestions list them."""
    out: dict[tuple[str, ...], list] = {}
    ordered = sorted({k[:NAME_KEY_CHARS] for k in keys})
    columns = 't."full", t.record_id, t.label, t.kind'
    with connection.cursor() as cursor:
        for i in range(0, len(ordered), _CHUNK):
            chunk = ordered[i : i + _CHUNK]
            if connection.vendor == "postgresql":
                cursor.execute(f"SELECT {columns} FROM {_TABLE} t WHERE t.key = ANY(%s::text[]) AND t.live", [chunk])
            else:
                cursor.execute(f"SELECT {columns} FROM json_each(%s) AS v JOIN {_TABLE} t ON t.key = v.value "
                               "WHERE t.live", [json.dumps(chunk)])
            for full, record_id, label, kind in cursor.fetchall():
                if full in keys:
                    out.setdefault(tuple(full.split(MATCH_SEPARATOR)), []).append((label, record_id, kind))
    for found in out.values():
        found.sort()
    return out


def _tokens(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), fold(m.group())) for m in _TOKEN.finditer(text)]


def _spans(text: str, tokens, longest: dict[str, int]):
    """(start token, end token, key) for every candidate span: from a word that begins a name,
    as far as the longest name it begins (gaps that break a name stop it)."""
    gaps: dict[int, str | None] = {}  # the gap after token j, read once
    for i, (_, _, word) in enumerate(tokens):
        limit = longest.get(word)
        if not limit:
            continue
        key: tuple[str, ...] = (word,)
        j = i
        while True:
            yield i, j, key
            if len(key) + 2 > limit or j + 1 >= len(tokens):
                break
            if j not in gaps:
                gaps[j] = _gap(text[tokens[j][1] : tokens[j + 1][0]])
            gap = gaps[j]
            if gap is None:
                break
            j += 1
            key = (*key, gap, tokens[j][2])


def _scan(tokens, spans, names: dict) -> list[tuple[int, int, list[int]]]:
    best_at: dict[int, tuple[int, list[int]]] = {}
    for i, j, key in spans:
        if key in names:
            best_at[i] = (j, names[key])  # spans from i come shortest first: the last is the longest
    found = []
    i = 0
    while i < len(tokens):
        best = best_at.get(i)
        if best is not None:
            found.append((tokens[i][0], tokens[best[0]][1], best[1]))
            i = best[0] + 1
        else:
            i += 1
    return found


def match(text: str) -> tuple[list[tuple[int, int, list[int]]], dict[int, dict]]:
    """The spans of ``text`` naming live records (as ``Matcher.scan``), and those records."""
    tokens = _tokens(text)
    spans = list(_spans(text, tokens, _longest_from([t[2] for t in tokens])))
    keys = {MATCH_SEPARATOR.join(key) for _, _, key in spans}
    named = _named(keys) if keys else {}
    names = {key: [r[1] for r in rows] for key, rows in named.items()}
    records = {r[1]: {"id": r[1], "label": r[0], "url": reverse("record-detail", kwargs={"pk": r[1]}), "kind": r[2]}
               for rows in named.values() for r in rows}
    return _scan(tokens, spans, names), records


def suggest(document: Document, user, *, base: str = "") -> list[dict]:
    """Spans naming known records that no annotation visible to ``user`` covers yet."""
    spans, found_records = match(document.text)
    taken = sorted(
        Annotation.objects.filter(permissions.visible_q(user), document=document, reply_to__isnull=True,
                                  relation_source__isnull=True, anchor_state=Annotation.AnchorState.ANCHORED)
        .values_list("target_start", "target_end")
    )
    entity_keys = set(EntityType.objects.values_list("key", flat=True))
    out = []
    text = document.text
    for start, end, ids in spans:
        if any(s < end and start < e for s, e in taken):
            continue
        records = [dict(found_records[i], url=base + found_records[i]["url"]) for i in ids]
        kind = records[0]["kind"]
        entry = {
            "start": start, "end": end, "quote": text[start:end], "record": records[0],
            "entity_type": kind if kind in entity_keys else ("other" if "other" in entity_keys else None),
        }
        if len(records) > 1:
            entry["alternatives"] = records[1:]
        out.append(entry)
    return out
