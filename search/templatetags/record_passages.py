"""Template tags of the search app for other apps' pages (archive_site never imports search).

``{% load record_passages %}{% record_passages record as found %}``: the places in the texts that
name ``record`` (its label and aliases, as the record page's "find every passage" search reads
them) which no annotation the reader may see links to the record yet: ``found.passages`` (the
first ``MAX_PASSAGES``, by document then position, each with its quote, some context, a deep link
and the one-click "annotate" link) and ``found.total``.

The search decides which documents the reader may see and which words are the record's names
(its analysis, transliteration variants and phrases, so the count agrees with the search page);
only exact name matches count: never the any-word retry nor a match by sound.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from django import template
from django.contrib.auth.models import AnonymousUser

from annotations.models import Annotation
from annotations.selectors import record_annotations
from archive_site.models import Document
from archive_site.views import names_query

from .. import analysis, services, snippets
from ..backends import get_search_backend
from ..backends.base import MAX_PAGE_SIZE
from ..errors import QueryError, SearchError

logger = logging.getLogger("search")
register = template.Library()
MAX_PASSAGES = 50
CONTEXT = 70  # characters of text shown on each side of a name
_JOIN = re.compile(r"[\s.'’\-]{1,3}")  # what may stand between two words of one name


def _names(marks: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Marked words joined into names: "Grigory" + "Zinoviev" is one passage, not two."""
    spans: list[tuple[int, int]] = []
    for start, end in marks:
        if spans and _JOIN.fullmatch(text[spans[-1][1]:start]) and "\n\n" not in text[spans[-1][1]:start]:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def _around(text: str, start: int, end: int) -> tuple[str, str]:
    """Some context before and after [start, end), cut at a space, within the paragraph."""
    lo = max(text.rfind("\n", 0, start) + 1, start - CONTEXT)
    hi = min(len(text) if (nl := text.find("\n", end)) == -1 else nl, end + CONTEXT)
    if lo > 0 and text[lo - 1] not in "\n" and (space := text.find(" ", lo, start)) != -1:
        lo = space + 1
    if hi < len(text) and text[hi] != "\n" and (space := text.rfind(" ", end, hi)) != -1:
        hi = space
    before = ("…" if lo > 0 and text[lo - 1] != "\n" else "") + text[lo:start]
    after = text[end:hi] + ("…" if hi < len(text) and text[hi] != "\n" else "")
    return before, after


def unannotated_passages(record, user, *, limit: int = MAX_PASSAGES) -> dict:
    found = {"passages": [], "total": 0, "unavailable": False}
    query = names_query(record)
    if not query:
        return found
    try:
        prepared = services.prepare(user=user, text=query, type="document", page_size=MAX_PAGE_SIZE)
        results = get_search_backend().search(replace(prepared.sq, highlight=False, facets=False))
    except (QueryError, SearchError):
        logger.exception("search: the passages naming record %s could not be found", record.pk)
        found["unavailable"] = True
        return found
    words = {w for w in results.highlight if not w.startswith(analysis.PHONETIC)}
    if results.any_word or not (words or results.phrases):
        return found
    documents = Document.objects.filter(pk__in=[hit.pk for hit in results.hits]).order_by("title", "pk")
    taken: dict[int, list[tuple[int, int]]] = {}
    annotated = record_annotations(user, record).filter(anchor_state=Annotation.AnchorState.ANCHORED)
    for document_id, start, end in annotated.values_list("document_id", "target_start", "target_end"):
        taken.setdefault(document_id, []).append((start, end))
    for document in documents:
        text = document.text
        for start, end in _names(snippets.marks_in(text, words, results.phrases), text):
            if any(a < end and start < b for a, b in taken.get(document.pk, ())):
                continue
            found["total"] += 1
            if len(found["passages"]) >= limit:
                continue
            before, after = _around(text, start, end)
            link = f"{document.get_absolute_url()}#pos={start}-{end}"
            found["passages"].append({
                "document": document, "start": start, "end": end, "quote": text[start:end],
                "before": before, "after": after, "link": link,
                "annotate": f"{link}&annotate&record={record.pk}",
            })
    return found


@register.simple_tag(takes_context=True)
def record_passages(context, record):
    request = context.get("request")
    user = getattr(request, "user", None) or AnonymousUser()
    return unannotated_passages(record, user)
