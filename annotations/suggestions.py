"""Entity suggestions: spans of a document's text that name a known record.

Matching is token based, like an Aho-Corasick scan over words: every record label and alias is cut
into word tokens (case-folded, accents removed) separated by their punctuation "gaps" (". " in
"J. V. Stalin" → "."), and the text is scanned once, extending a match token by token while the
sequence is still a prefix of some name; the longest full name wins. Word boundaries come for free,
and a possessive ("Stalin's", "Stalin’s") ends the name at "Stalin". The transliteration variants
are the aliases each record lists.

The matcher is built once per records-version (count and latest ``modified``) and cached in the
process; a scan of a long document takes milliseconds.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass

from django.db.models import Count, Max

from archive_site.models import Document, Record

from . import permissions
from .models import Annotation, EntityType

_TOKEN = re.compile(r"\w+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "‐": "-", "‑": "-", "–": "-"})
_MAX_GAP = 3  # punctuation characters allowed between two tokens of one name


def fold(token: str) -> str:
    decomposed = unicodedata.normalize("NFKD", token.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _gap(raw: str) -> str | None:
    """The punctuation between two tokens, whitespace dropped; None when the gap breaks a name
    (a paragraph break or too much punctuation)."""
    if raw.count("\n") > 1:
        return None
    gap = "".join(raw.split()).translate(_APOSTROPHES)
    return gap if len(gap) <= _MAX_GAP else None


def _key(text: str) -> tuple[str, ...] | None:
    """(token, gap, token, gap, token...) for a name, or None when it has no usable token."""
    tokens = list(_TOKEN.finditer(text))
    if not tokens:
        return None
    key: list[str] = []
    for i, m in enumerate(tokens):
        if i:
            gap = _gap(text[tokens[i - 1].end() : m.start()])
            if gap is None:
                return None
            key.append(gap)
        key.append(fold(m.group()))
    if len(key) == 1 and (len(key[0]) < 2 or key[0].isdigit()):
        return None
    return tuple(key)


@dataclass
class Matcher:
    names: dict[tuple[str, ...], list[int]]  # name key → record ids
    prefixes: set[tuple[str, ...]]
    records: dict[int, dict]

    def scan(self, text: str) -> list[tuple[int, int, list[int]]]:
        """Non-overlapping (start, end, record ids), leftmost then longest."""
        tokens = [(m.start(), m.end(), fold(m.group())) for m in _TOKEN.finditer(text)]
        found = []
        i = 0
        while i < len(tokens):
            key: tuple[str, ...] = (tokens[i][2],)
            best: tuple[int, list[int]] | None = None
            j = i
            while key in self.prefixes:
                if key in self.names:
                    best = (j, self.names[key])
                if j + 1 >= len(tokens):
                    break
                gap = _gap(text[tokens[j][1] : tokens[j + 1][0]])
                if gap is None:
                    break
                j += 1
                key = (*key, gap, tokens[j][2])
            if best is not None:
                found.append((tokens[i][0], tokens[best[0]][1], best[1]))
                i = best[0] + 1
            else:
                i += 1
        return found


_cache: dict = {}
_lock = threading.Lock()


def records_version() -> tuple:
    agg = Record.objects.aggregate(n=Count("pk"), latest=Max("modified"))
    return (agg["n"], agg["latest"])


def get_matcher() -> Matcher:
    version = records_version()
    with _lock:
        cached = _cache.get("matcher")
        if cached is not None and cached[0] == version:
            return cached[1]
    matcher = build_matcher()
    with _lock:
        _cache["matcher"] = (version, matcher)
    return matcher


def build_matcher() -> Matcher:
    names: dict[tuple[str, ...], list[int]] = {}
    prefixes: set[tuple[str, ...]] = set()
    records: dict[int, dict] = {}
    for record in Record.objects.filter(merged_into__isnull=True).order_by("label", "pk"):
        records[record.pk] = {
            "id": record.pk, "label": record.label, "url": record.get_absolute_url(), "kind": record.kind,
        }
        for name in record.all_names():
            key = _key(name)
            if key is None:
                continue
            ids = names.setdefault(key, [])
            if record.pk not in ids:
                ids.append(record.pk)
            for n in range(1, len(key) + 1, 2):
                prefixes.add(key[:n])
    return Matcher(names=names, prefixes=prefixes, records=records)


def suggest(document: Document, user, *, base: str = "") -> list[dict]:
    """Spans naming known records that no annotation visible to ``user`` covers yet."""
    matcher = get_matcher()
    taken = sorted(
        Annotation.objects.filter(permissions.visible_q(user), document=document, reply_to__isnull=True,
                                  relation_source__isnull=True, anchor_state=Annotation.AnchorState.ANCHORED)
        .values_list("target_start", "target_end")
    )
    entity_keys = set(EntityType.objects.values_list("key", flat=True))
    out = []
    text = document.text
    for start, end, ids in matcher.scan(text):
        if any(s < end and start < e for s, e in taken):
            continue
        records = [dict(matcher.records[i], url=base + matcher.records[i]["url"]) for i in ids]
        kind = records[0]["kind"]
        entry = {
            "start": start, "end": end, "quote": text[start:end], "record": records[0],
            "entity_type": kind if kind in entity_keys else ("other" if "other" in entity_keys else None),
        }
        if len(records) > 1:
            entry["alternatives"] = records[1:]
        out.append(entry)
    return out
