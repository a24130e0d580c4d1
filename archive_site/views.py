"""The archive's pages: home (document list), document reading page, record page."""

from __future__ import annotations

import base64
from pathlib import Path

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render

from . import selectors, sources
from .ingest.guards import limit as ingest_limit
from .models import Document, DocumentOrigin, DocumentPage, Record


def home(request):
    return render(request, "archive_site/home.html", {"documents": selectors.document_list()})


def paragraphs(text: str) -> list[dict]:
    """Split the stored text into paragraphs (blank-line separated) keeping their offsets, so the
    page can show each paragraph while offsets still index the whole stored text."""
    blocks = []
    position = 0
    for chunk in text.split("\n\n"):
        start = position
        position += len(chunk) + 2
        if not chunk.strip():
            continue
        stripped = chunk.lstrip("\n")
        start += len(chunk) - len(stripped)
        heading = 0
        if stripped.startswith("#"):
            hashes = len(stripped) - len(stripped.lstrip("#"))
            if stripped[hashes : hashes + 1] == " " and hashes <= 6:
                heading = min(hashes + 1, 6)
        blocks.append({"start": start, "end": start + len(stripped), "text": stripped, "heading": heading})
    return blocks


def document_detail(request, slug: str):
    document = get_object_or_404(Document, slug=slug)
    origin = DocumentOrigin.objects.filter(document=document).first()
    scans = list(DocumentPage.objects.filter(document=document).exclude(image="").defer("words"))
    return render(
        request,
        "archive_site/document_detail.html",
        {"document": document, "paragraphs": paragraphs(document.text), "origin": origin, "scans": scans,
         "low_confidence": ingest_limit("INGEST_LOW_CONFIDENCE")},
    )


def _stored_file(relative: str) -> Path:
    path = sources.resolve(relative)
    if path is None:
        raise Http404("The stored file is missing.")
    return path


def document_original(request, slug: str):
    """The original file a document was made from, as it came (download)."""
    origin = get_object_or_404(DocumentOrigin, document__slug=slug)
    if not origin.has_file:
        raise Http404("This document was typed in: it has no original file.")
    response = FileResponse(_stored_file(origin.path).open("rb"), as_attachment=True,
                            filename=origin.file_name or f"{slug}-original", content_type=origin.media_type or None)
    response["Digest"] = "sha-256=" + base64.b64encode(bytes.fromhex(origin.checksum.removeprefix("sha256:"))).decode()
    return response


def page_image(request, slug: str, number: int):
    """A page image of a document read from scans."""
    page = get_object_or_404(DocumentPage.objects.defer("words"), document__slug=slug, number=number)
    if not page.image:
        raise Http404("This page has no image.")
    response = FileResponse(_stored_file(page.image).open("rb"), content_type=page.media_type or None)
    response["Cache-Control"] = "public, max-age=86400"
    return response


# The search box's length limit (search.backends.base.MAX_QUERY_LENGTH); archive_site does not import search.
SEARCH_QUERY_LIMIT = 500


def names_query(record: Record) -> str:
    """A search query for every way the texts write this record's name: its label and aliases as
    quoted phrases joined by OR, as many as fit the search box's limit (label first)."""
    query = ""
    for name in dict.fromkeys([record.label, *record.aliases]):
        phrase = '"' + name.replace('"', " ").strip() + '"'
        candidate = f"{query} OR {phrase}" if query else phrase
        if len(candidate) > SEARCH_QUERY_LIMIT:
            break
        query = candidate
    return query


def record_detail(request, pk: int):
    record = get_object_or_404(Record, pk=pk)
    if record.merged_into_id:
        return redirect(record.merged_into, permanent=True)
    return render(request, "archive_site/record_detail.html", {"record": record, "names_query": names_query(record)})


def record_list(request):
    kind = request.GET.get("kind") or None
    if kind not in Record.Kind.values:
        kind = None
    return render(
        request,
        "archive_site/record_list.html",
        {"records": selectors.record_list(kind=kind), "kind": kind, "kinds": Record.Kind.choices},
    )
