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


def _run(request, data):
    """(SearchPage, None) or (None, error message)."""
    ser = SearchInputSerializer(data=data)
    if not ser.is_valid():
        return None, ser.errors, ser
    d = ser.validated_data
    try:
        page = services.search(user=request.user, text=d["q"], type=d["type"], filters=ser.filters(),
                               page=d["page"], page_size=d["page_size"])
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


def search_page(request):
    context = {"q": request.GET.get("q", ""), "type": request.GET.get("type", "document")}
    if not context["q"].strip():
        return render(request, "search/search.html", context)
    page, errors, ser = _run(request, request.GET)
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
    context.update({
        "page": page, "results": r, "items": page.items, "facets": facets, "active": active,
        "prev_url": "?" + urlencode({**base, "page": r.page - 1}) if r.page > 1 else None,
        "next_url": "?" + urlencode({**base, "page": r.page + 1}) if r.page < page.num_pages else None,
        "suggestion_url": "?" + urlencode({**base, "q": r.suggestion}) if r.suggestion else None,
        "types": [(t, "?" + urlencode({"q": context["q"], "type": t})) for t in ("document", "record", "annotation")],
    })
    return render(request, "search/search.html", context)
