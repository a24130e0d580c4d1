"""``/api/records/<id>/occurrences/``: every passage naming a record (GET), and annotating the
chosen ones as one batch (POST). Thin: read the request, call ``search.occurrences``, answer JSON;
bad input is a 400 that says what was wrong, and nothing is stored."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from annotations import permissions, presenters, w3c
from annotations.anchoring import AnchorError
from annotations.models import EntityType
from annotations.schemas import MAX_COMMENT_CHARS, MAX_TAG_CHARS, MAX_TAGS, InputError, parse_visibility
from archive_site.models import Document, Record
from archive_site.text import storable

from . import occurrences

JSON_PARSERS = [p for p in api_settings.DEFAULT_PARSER_CLASSES if p.media_type.endswith("json")]


def _document(slug) -> Document | None:
    if slug in (None, ""):
        return None
    found = Document.objects.filter(slug=slug).first() if isinstance(slug, str) and slug.isascii() and "\x00" not in slug else None
    if found is None:
        raise InputError({"document": f"Unknown document {str(slug)[:100]!r}."})
    return found


def _occurrence_json(o: occurrences.Occurrence, base: str) -> dict:
    return {
        "document": {"slug": o.document.slug, "title": o.document.title}, "start": o.start, "end": o.end,
        "quote": o.quote, "prefix": o.prefix, "suffix": o.suffix,
        "link": f"{base}{o.document.get_absolute_url()}#pos={o.start}-{o.end}",
        "annotated": f"{base}/api/annotations/{o.annotated}/" if o.annotated else None,
    }


def _chosen(raw) -> list[tuple[str, int, int]] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw:
        raise InputError({"passages": 'A list of {"document": slug, "start": n, "end": n}, or "all": true.'})
    if len(raw) > occurrences.MAX_OCCURRENCES:
        raise InputError({"passages": f"At most {occurrences.MAX_OCCURRENCES} passages in one batch."})
    out = []
    for item in raw:
        if not isinstance(item, dict):
            raise InputError({"passages": "Each passage is an object with document, start and end."})
        slug, start, end = item.get("document"), item.get("start"), item.get("end")
        if not isinstance(slug, str) or not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            raise InputError({"passages": "Each passage needs a document slug and integer start and end."})
        out.append((slug, start, end))
    return out


def _tags(raw) -> list[str]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or len(raw) > MAX_TAGS or not all(isinstance(t, str) for t in raw):
        raise InputError({"tags": f"A list of at most {MAX_TAGS} tag names."})
    tags = []
    for tag in raw:
        tag = " ".join(storable(tag).split())
        if not tag or len(tag) > MAX_TAG_CHARS:
            raise InputError({"tags": f"Each tag has 1-{MAX_TAG_CHARS} characters."})
        if tag.casefold() not in {t.casefold() for t in tags}:
            tags.append(tag)
    return tags


def _entity_type(raw, record: Record) -> EntityType | None:
    if raw in (None, ""):  # as the suggestions do: the record's kind, when it is an entity type
        return EntityType.objects.filter(key=record.kind).first() or EntityType.objects.filter(key="other").first()
    found = EntityType.objects.filter(key=raw).first() if isinstance(raw, str) else None
    if found is None:
        known = ", ".join(EntityType.objects.values_list("key", flat=True))
        raise InputError({"entity_type": f"Unknown entity type {str(raw)[:60]!r}; use one of: {known}."})
    return found


@extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT,
               parameters=[OpenApiParameter("document", str)])
class RecordOccurrences(APIView):
    """``GET /api/records/<id>/occurrences/[?document=<slug>]``: every passage naming the record
    (label, aliases, the spellings search folds together), in one document or across the archive,
    with context and, where an annotation you may see already links the record there, its URL.

    ``POST`` (signed in) ``{"document": slug or omitted, "passages": [{"document", "start", "end"},
    ...] | "all": true, "entity_type": key, "tags": [...], "visibility": "private" | "public" |
    "group:<name>", "comment": ""}``: annotate them as one batch (201: the batch, its annotations
    and the passages skipped as already annotated). Undo it with ``POST /api/batches/<id>/undo/``."""

    renderer_classes = [JSONRenderer]
    parser_classes = JSON_PARSERS

    def handle_exception(self, exc):
        if isinstance(exc, InputError):
            return Response({"detail": str(exc), "errors": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        if isinstance(exc, (occurrences.NotAnOccurrence, AnchorError)):
            return Response({"detail": str(exc), "errors": {"passages": str(exc)}}, status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)

    def get(self, request, pk):
        record = get_object_or_404(Record, pk=pk)
        document = _document(request.query_params.get("document"))
        found = occurrences.find_occurrences(request.user, record, document=document)
        base = w3c.base_of(request)
        return Response({
            "record": {"id": found.record.pk, "label": found.record.label, "names": found.record.all_names(),
                       "url": base + found.record.get_absolute_url()},
            "document": document.slug if document else None,
            "total": len(found.occurrences), "truncated": found.truncated,
            "not_annotated": sum(1 for o in found.occurrences if o.annotated is None),
            "occurrences": [_occurrence_json(o, base) for o in found.occurrences],
        })

    def post(self, request, pk):
        if not permissions.can_create(request.user):
            return Response({"detail": "Sign in to annotate."}, status=status.HTTP_403_FORBIDDEN)
        record = Record.objects.filter(pk=pk).first()
        if record is None:
            raise Http404("No such record.")
        data = request.data
        if not isinstance(data, dict):
            raise InputError({"non_field_errors": "The body must be a JSON object."})
        if data.get("all") is True:
            chosen = None
        elif "passages" in data:
            chosen = _chosen(data.get("passages"))
        else:
            raise InputError({"passages": 'Send the chosen "passages", or "all": true.'})
        comment = data.get("comment", "")
        if not isinstance(comment, str) or len(comment) > MAX_COMMENT_CHARS:
            raise InputError({"comment": f"A comment is text of at most {MAX_COMMENT_CHARS} characters."})
        visibility, group = parse_visibility(data.get("visibility", "private"))
        report = occurrences.link_all(
            user=request.user, record=record, chosen=chosen, document=_document(data.get("document")),
            entity_type=_entity_type(data.get("entity_type"), record), tags=_tags(data.get("tags")),
            visibility=visibility, group=group, comment=storable(comment),
        )
        base = w3c.base_of(request)
        return Response({
            "batch": presenters.batch(report.batch, base=base),
            "created": len(report.created),
            "annotations": [w3c.annotation_url(a, base) for a in report.created],
            "skipped": report.skipped,
            "detail": f"{len(report.created)} annotation{'s' if len(report.created) != 1 else ''} made as batch "
                      f"{report.batch.pk}" + (f"; {len(report.skipped)} passages already annotated were skipped."
                                              if report.skipped else "."),
        }, status=status.HTTP_201_CREATED)
