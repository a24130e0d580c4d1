"""The search page (/search/) and API (/api/search/): validate input, call search.services.search,
render. Index writes never happen here."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.shortcuts import render
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .errors import QueryError, SearchError
from .serializers import SearchInputSerializer, SearchOutputSerializer

logger = logging.getLogger("search")
FILTER_PARAMS = ("kind", "author", "year", "decade", "record", "entity_type")
FACET_TITLES = {"kind": "Kind", "author": "Author", "decade": "Decade", "year": "Year",
                "entity_type": "Entity type", "record": "Linked record"}


ENTRY_TYPES = ("document", "record", "annotation")
MATCH_WORDS = {"stem": "a form of", "variant": "a spelling of", "record": "another name for", "phonetic": "sounds like"}


def _run(request, data, *, correct: bool = False):
    """(SearchPage, None) or (None, error message)."""
    ser = SearchInputSerializer(data=data)
    if not ser.is_valid():
        return None, ser.errors, ser
    d = ser.validated_data
    try:
        page = services.search(user=request.user, text=d["q"], type=d["type"], filters=ser.filters(),
                               page=d["page"], page_size=d["page_size"], correct=correct)
    except QueryError as exc:
        return None, {"q": [str(exc)]}, ser
    except SearchError as exc:
        logger.exception("search failed for %r", d["q"])
        return None, {"detail": str(exc)}, ser
    return page, None, ser


class SearchAPIView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Search documents, records or annotations",
        description=(
            "Ranked (BM25F) search with highlighted snippets, facets and 'did you mean'. Snippet "
            "offsets are code-point indices into the document text; link to /documents/<slug>/#pos=START-END. "
            "Annotations are searched only among those the user may see. Unreadable queries answer 400, and so "
            "do queries that would cost too much (\"query too expensive: ...\", saying what to change)."
        ),
        parameters=[SearchInputSerializer],
        responses={200: SearchOutputSerializer, 400: OpenApiResponse(description='The query cannot be read or is too expensive: {"detail", "errors"}')},
        tags=["search"],
    )
    def get(self, request):
        page, errors, _ = _run(request, request.query_params)
        if page is None:
            detail = "; ".join(f"{k}: {' '.join(map(str, v))}" if k != "detail" else str(v) for k, v in errors.items())
            return Response({"detail": detail, "errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response(SearchOutputSerializer(page, context={"request": request}).data)


def _tab_counts(request, page) -> dict[str, int]:
    """How many entries of each type the query finds, for the tabs (the shown type's own count;
    the others as typed, without the facet filters, which belong to one type)."""
    counts = {page.type: page.count}
    for entry_type in ENTRY_TYPES:
        if entry_type not in counts:
            try:
                counts[entry_type] = services.count(user=request.user, text=page.query, type=entry_type)
            except SearchError:  # QueryError included: the shown search was read, so this is unexpected
                logger.exception("search: counting %ss failed for %r", entry_type, page.query)
                counts[entry_type] = 0
    return counts


def _matches(item) -> list[str]:
    """How a hit matched the query, for the words it did not match as typed."""
    return [f"matched {m['found']} for {m['word']}" + (f" ({MATCH_WORDS[m['as']]})" if m["as"] == "phonetic" else "")
            if m["as"] in ("variant", "phonetic") else f"matched {m['found']}, {MATCH_WORDS[m['as']]} {m['word']}"
            for m in item.matched_as if m["as"] != "exact"]


def search_page(request):
    context = {"q": request.GET.get("q", ""), "type": request.GET.get("type", "document")}
    if not context["q"].strip():
        return render(request, "search/search.html", context)
    page, errors, ser = _run(request, request.GET, correct=not request.GET.get("asis"))
    if page is None:
        context["errors"] = [" ".join(map(str, v)) for v in errors.values()]
        return render(request, "search/search.html", context, status=400)
    base = {k: v for k, v in request.GET.items() if k in ("q", "type", *FILTER_PARAMS)}
    active = {k: base[k] for k in FILTER_PARAMS if k in base}
    facets = []
    for name, values in page.facets.items():
        if not values:
            continue
        links = [{"label": v.label, "count": v.count, "active": active.get(name) == v.value,
                  "url": "?" + urlencode({**base, name: v.value})} for v in values[:20]]
        facets.append({"name": name, "title": FACET_TITLES.get(name, name), "values": links,
                       "clear": "?" + urlencode({k: v for k, v in base.items() if k != name}) if name in active else None})
    r = page.results
    if page.corrected_from:  # the correction's results are shown: the links carry the corrected query
        base["q"] = page.query
    counts = _tab_counts(request, page)
    tabs = [{"type": t, "label": f"{t.capitalize()}s", "count": counts[t], "current": t == page.type,
             "url": "?" + urlencode({"q": page.query, "type": t})} for t in ENTRY_TYPES]
    for item in page.items:
        item.matches = _matches(item)
    context.update({
        "page": page, "results": r, "items": page.items, "facets": facets, "active": active,
        "prev_url": "?" + urlencode({**base, "page": r.page - 1}) if r.page > 1 else None,
        "next_url": "?" + urlencode({**base, "page": r.page + 1}) if r.page < page.num_pages else None,
        "suggestion_url": "?" + urlencode({**base, "q": r.suggestion}) if r.suggestion else None,
        "tabs": tabs,
        "elsewhere": [t for t in tabs if not t["current"] and t["count"]] if not page.count else [],
        "corrected_from": page.corrected_from,
        "verbatim_url": ("?" + urlencode({**base, "q": page.corrected_from, "asis": 1})) if page.corrected_from else None,
    })
    return render(request, "search/search.html", context)
