"""The curators' API: the review queue, one review and bulk review, record merge, export and
import, deleted annotations and restore, document history. Every view answers 403 to anyone who
is not a curator (``permissions.IsCurator``), and bad input is a 4xx with ``detail`` (and
``errors`` where there are fields to name), never a 500."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status as http
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from annotations import permissions, presenters, selectors, w3c
from annotations.anchoring import AnchorError
from annotations.models import AnnotationBatch, AnnotationTask
from annotations.schemas import InputError
from annotations.views import JSON_PARSERS, ProtocolView
from archive_site import history
from archive_site.models import Document, Record

from . import agreement, exchange, relation_export, restore, review
from .inputs import parse_id
from .records import MergeError, merge_records

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


class PlainJSON(BaseContentNegotiation):
    """Always JSON; ``?format=`` names the export's format here, not a DRF renderer."""

    def select_parser(self, request, parsers):
        content_type = (request.content_type or "").split(";")[0].strip()
        return next((p for p in parsers if p.media_type.split(";")[0] == content_type), None)

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class CuratorAPIView(APIView):
    permission_classes = [permissions.IsCurator]
    renderer_classes = [JSONRenderer]
    parser_classes = JSON_PARSERS
    content_negotiation_class = PlainJSON

    def handle_exception(self, exc):
        if isinstance(exc, InputError):
            return Response({"detail": str(exc), "errors": exc.errors}, status=http.HTTP_400_BAD_REQUEST)
        if isinstance(exc, (AnchorError, MergeError, exchange.ExchangeError, review.QueueFilterError)):
            return Response({"detail": str(exc)}, status=http.HTTP_400_BAD_REQUEST)
        if isinstance(exc, ValidationError):
            return Response({"detail": " ".join(exc.messages)}, status=http.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)


def _download(content: str, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def queue_item(annotation, base: str) -> dict:
    item = {
        "id": annotation.pk, "url": w3c.annotation_url(annotation, base), "document": annotation.document.slug,
        "quote": annotation.target_quote, "comment": annotation.comment, "creator": annotation.creator.get_username(),
        "entity_type": annotation.entity_type.key if annotation.entity_type_id else None,
        "records": [r.pk for r in annotation.records.all()], "tags": [t.name for t in annotation.tags.all()],
        "visibility": annotation.visibility_label, "status": annotation.status, "reason": annotation.review_reason,
        "created": w3c.iso(annotation.created),
    }
    if annotation.batch_id:
        item["batch"] = annotation.batch_id
    if annotation.relation_source_id:  # a relation is reviewed with both its ends
        item["relation"] = {
            "type": annotation.relation_type.key,
            **{side: {"id": end.pk, "url": w3c.annotation_url(end, base), "quote": end.target_quote,
                      "comment": end.comment, "creator": end.creator.get_username(), "status": end.status}
               for side, end in (("source", annotation.relation_source), ("target", annotation.relation_target))},
        }
    if annotation.reply_to_id:  # a reply is reviewed with what it answers
        parent = annotation.reply_to
        item["reply_to"] = {"id": parent.pk, "url": w3c.annotation_url(parent, base), "quote": parent.target_quote,
                            "comment": parent.comment, "creator": parent.creator.get_username(),
                            "status": parent.status}
    return item


@extend_schema(
    request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT,
    parameters=[OpenApiParameter(name, str) for name in review.QUEUE_FILTERS],
)
class ReviewQueue(CuratorAPIView):
    """``GET /api/annotations/review/``: the review queue (pending by default; filters ``status``,
    ``document``, ``creator``, ``entity_type``, ``record``, ``older_than``, ``newer_than`` days).
    ``POST {"ids": [..], "status": "approved"|"rejected"|"pending", "reason": ".."}``: review them
    all in one transaction (a rejection needs a reason, which the annotators see)."""

    PAGE_SIZE = 100

    @extend_schema(operation_id="annotations_review_queue")
    def get(self, request):
        qs = review.review_queue(request.user, request.query_params)
        raw_page = request.query_params.get("page", "0")
        if not (raw_page.isascii() and raw_page.isdigit()) or len(raw_page) > 6:
            raise InputError({"page": "page must be a number (from 0)."})
        page = int(raw_page)
        base = w3c.base_of(request)
        items = [queue_item(a, base) for a in qs[page * self.PAGE_SIZE : (page + 1) * self.PAGE_SIZE]]
        batches = [{**presenters.batch(entry["batch"], base=base), "waiting": entry["count"],
                    "documents": entry["documents"], "quotes": entry["quotes"]}
                   for entry in review.queue_batches(request.user, request.query_params)]
        return Response({"total": qs.count(), "page": page, "page_size": self.PAGE_SIZE, "items": items,
                         "batches": batches})

    @extend_schema(operation_id="annotations_review_bulk")
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        reviewed = review.bulk_review(
            user=request.user, annotation_ids=data.get("ids"), status=data.get("status"), reason=data.get("reason", ""),
        )
        return Response({"status": data.get("status"), "reviewed": [a.pk for a in reviewed]})


@extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
class RecordMerge(CuratorAPIView):
    """``POST /api/records/<id>/merge/`` ``{"into": <surviving record id>}``: merge the record into
    the survivor (aliases combined, every annotation link moved, its URL redirecting there)."""

    def post(self, request, pk):
        record = get_object_or_404(Record, pk=pk)
        data = request.data if isinstance(request.data, dict) else {}
        into = parse_id(data.get("into"))
        if into is None:
            raise InputError({"into": "The id of the surviving record is required."})
        survivor = Record.objects.filter(pk=into).first()
        if survivor is None:
            raise InputError({"into": f"No record with id {into}."})
        report = merge_records(user=request.user, record=record, into=survivor)
        base = w3c.base_of(request)
        return Response({
            "merged": {"id": report.merged.pk, "label": report.merged.label, "url": base + report.merged.get_absolute_url()},
            "survivor": {
                "id": report.survivor.pk, "label": report.survivor.label, "aliases": report.survivor.aliases,
                "url": base + report.survivor.get_absolute_url(),
            },
            "moved_links": report.moved_links,
        })


def _export_document(request) -> Document | None:
    slug = request.query_params.get("document")
    if not slug:
        return None
    document = Document.objects.filter(slug=slug).first() if slug.isascii() and "\x00" not in slug else None
    if document is None:
        raise Http404(f"No document {slug!r}.")
    return document


@extend_schema(
    responses=OpenApiTypes.OBJECT,
    parameters=[
        OpenApiParameter("format", str, enum=["jsonld", "csv"]), OpenApiParameter("document", str),
        OpenApiParameter("scope", str, enum=list(exchange.SCOPES)),
    ],
)
class AnnotationExport(CuratorAPIView):
    """``GET /api/annotations/export/?format=jsonld|csv&document=<slug>&scope=public|all``: a
    document's or the whole archive's annotations, as a W3C AnnotationCollection or CSV.
    ``public`` (default): approved public annotations only; ``all``: everything you may see."""

    def get(self, request):
        fmt = request.query_params.get("format", "jsonld")
        scope = request.query_params.get("scope", "public")
        if fmt not in ("jsonld", "csv"):
            raise InputError({"format": "Use jsonld or csv."})
        document = _export_document(request)
        annotations = exchange.export_queryset(user=request.user, document=document, scope=scope)
        base = w3c.base_of(request)
        name = f"annotations-{document.slug if document else 'archive'}-{scope}"
        if fmt == "csv":
            return _download(exchange.annotations_csv(annotations, base=base), content_type=CSV_CONTENT_TYPE, filename=f"{name}.csv")
        label = f"{'Approved public' if scope == 'public' else 'All'} annotations on {document.title if document else 'the archive'}"
        body = exchange.collection_jsonld(annotations, base=base, collection_id=request.build_absolute_uri(), label=label)
        response = Response(body, content_type=w3c.ANNO_MEDIA_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}.jsonld"'
        return response


@extend_schema(
    request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT,
    parameters=[OpenApiParameter("partial", bool), OpenApiParameter("visibility", str)],
)
class AnnotationImport(CuratorAPIView):
    """``POST /api/annotations/import/[?partial=1][&visibility=public]``: W3C JSON-LD annotations (a collection, a page,
    a list or one annotation) as the body, or as the ``file`` of a multipart form. Answers the
    report (created, skipped, errors with reasons): 201 when stored, 400 when the file was rejected
    (by default any invalid annotation rejects the whole file and nothing is stored)."""

    parser_classes = [*JSON_PARSERS, MultiPartParser, FormParser]

    def post(self, request):
        form = request.data if isinstance(request.data, QueryDict) else {}
        partial = str(request.query_params.get("partial") or form.get("partial", "")) in ("1", "true", "on")
        upload = request.FILES.get("file")
        if upload is not None:
            raw = upload.read(exchange.MAX_IMPORT_BYTES + 1)
        elif isinstance(request.data, (dict, list)) and request.content_type.startswith(("application/json", "application/ld+json")):
            raw = request.data
        else:
            raise InputError({"file": "Send the annotations as a JSON body or as the file of a form."})
        visibility = request.query_params.get("visibility") or form.get("visibility")
        report = exchange.import_annotations(user=request.user, raw=raw, partial=partial, visibility=visibility)
        code = http.HTTP_201_CREATED if report.stored else http.HTTP_400_BAD_REQUEST
        if report.stored and not report.created:
            code = http.HTTP_200_OK
        return Response(report.as_dict(), status=code)


@extend_schema(responses=OpenApiTypes.OBJECT, parameters=[OpenApiParameter("format", str, enum=["json", "csv"])])
class RecordExport(CuratorAPIView):
    """``GET /api/records/export/?format=json|csv``: every record (merged ones name their survivor),
    with its number of published mentions. The JSON is ``{"records": [...]}`` as ``load_archive`` reads."""

    def get(self, request):
        fmt = request.query_params.get("format", "json")
        if fmt not in ("json", "csv"):
            raise InputError({"format": "Use json or csv."})
        records = exchange.records_queryset()
        base = w3c.base_of(request)
        if fmt == "csv":
            return _download(exchange.records_csv(records, base=base), content_type=CSV_CONTENT_TYPE, filename="records.csv")
        response = Response(exchange.records_json(records, base=base))
        response["Content-Disposition"] = 'attachment; filename="records.json"'
        return response



@extend_schema(responses=OpenApiTypes.OBJECT)
class DocumentHistory(CuratorAPIView):
    """``GET /api/documents/<slug>/history/``: every version of a document's metadata and text
    checksum (who, when, what changed); the text itself is not kept in history."""

    def get(self, request, slug):
        document = get_object_or_404(Document, slug=slug)
        return Response({"slug": document.slug, "history": history.present(history.versions(Document, document.pk))})


JSON_SCHEMA = extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)


@JSON_SCHEMA
class ReviewAnnotation(ProtocolView):
    """``POST /api/annotations/<id>/review/`` ``{"status": "approved"|"rejected", "reason": ""}``
    (curators): answers the annotation's JSON-LD."""

    permission_classes = [permissions.IsCurator]

    def post(self, request, pk):
        annotation = selectors.get_visible_annotation(request.user, pk)
        if annotation is None:
            raise Http404("No such annotation.")
        data = request.data if isinstance(request.data, dict) else {}
        annotation = review.review_annotation(user=request.user, annotation=annotation, status=data.get("status"),
                                              reason=data.get("reason", ""))
        return self.annotation_response(annotation)


@JSON_SCHEMA
class DeletedAnnotations(CuratorAPIView):
    """``GET /api/annotations/deleted/``: deleted annotations the curator may restore."""

    def get(self, request):
        return Response({"deleted": restore.deleted_annotations(request.user)})


@JSON_SCHEMA
class RestoreAnnotation(ProtocolView):
    """``POST /api/annotations/history/<history_id>/restore/`` (curators): bring back that version."""

    permission_classes = [permissions.IsCurator]

    def post(self, request, history_id):
        annotation = restore.restore_annotation(user=request.user, history_id=history_id)
        return self.annotation_response(annotation, status=http.HTTP_200_OK)


@JSON_SCHEMA
class BatchReview(CuratorAPIView):
    """``POST /api/batches/<id>/review/`` ``{"status": "approved"|"rejected"|"pending", "reason": ""}``
    (curators): review every pending annotation of a "link all occurrences" batch at once."""

    def post(self, request, pk):
        batch = get_object_or_404(AnnotationBatch, pk=pk)
        data = request.data if isinstance(request.data, dict) else {}
        reviewed = review.review_batch(user=request.user, batch=batch, status=data.get("status"),
                                       reason=data.get("reason", ""))
        return Response({"batch": batch.pk, "status": data.get("status"), "reviewed": [a.pk for a in reviewed]})


@extend_schema(responses=OpenApiTypes.OBJECT, parameters=[
    OpenApiParameter("format", str, enum=["csv", "jsonld"]), OpenApiParameter("document", str),
    OpenApiParameter("scope", str, enum=list(exchange.SCOPES)),
])
class RelationExport(CuratorAPIView):
    """``GET /api/annotations/relations/export/?format=csv|jsonld&scope=public|all&document=<slug>``:
    the relations as a CSV edge list (source record, relation, target record, evidence passage
    URLs) or as W3C JSON-LD (``linking`` annotations)."""

    def get(self, request):
        fmt = request.query_params.get("format", "csv")
        scope = request.query_params.get("scope", "public")
        if fmt not in ("csv", "jsonld"):
            raise InputError({"format": "Use csv or jsonld."})
        document = _export_document(request)
        rows = relation_export.relations_queryset(user=request.user, scope=scope, document=document)
        base = w3c.base_of(request)
        name = f"relations-{document.slug if document else 'archive'}-{scope}"
        if fmt == "csv":
            return _download(relation_export.edges_csv(rows, base=base), content_type=CSV_CONTENT_TYPE,
                             filename=f"{name}.csv")
        body = exchange.collection_jsonld(rows, base=base, collection_id=request.build_absolute_uri(),
                                          label=f"Relations between annotations ({scope})")
        response = Response(body, content_type=w3c.ANNO_MEDIA_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}.jsonld"'
        return response


def _task(pk) -> AnnotationTask:
    return get_object_or_404(AnnotationTask, pk=pk)


def _alpha(a) -> dict:
    return {"alpha": a.value, "note": a.note}


@JSON_SCHEMA
class TaskAgreement(CuratorAPIView):
    """``GET /api/tasks/<id>/agreement/`` (curators): Krippendorff's alpha per document (all the
    task's entity types, and each type) among the annotators who have finished, and each
    document's open disagreements (the versions side by side)."""

    def get(self, request, pk):
        task = _task(pk)
        base = w3c.base_of(request)
        documents = []
        for result in agreement.task_agreement(task):
            open_groups = agreement.disagreements(task, result.document) if result.annotators >= 2 else []
            documents.append({
                "document": result.document.slug, "units": result.units, "annotators": result.annotators,
                "overall": _alpha(result.overall), "by_type": {k: _alpha(a) for k, a in result.by_type.items()},
                "disagreements": [{
                    "ids": g.ids, "start": g.start, "end": g.end, "text": g.text,
                    "versions": [{"annotator": v.user.get_username(),
                                  "annotations": [{"url": w3c.annotation_url(a, base), "start": a.target_start,
                                                   "end": a.target_end, "quote": a.target_quote,
                                                   "entity_type": a.entity_type.key if a.entity_type_id else None,
                                                   "records": [r.pk for r in a.records.all()]}
                                                  for a in v.annotations]} for v in g.versions],
                } for g in open_groups],
            })
        return Response({"task": task.pk, "title": task.title, "documents": documents})


@JSON_SCHEMA
class TaskAdjudicate(CuratorAPIView):
    """``POST /api/tasks/<id>/adjudicate/`` ``{"document": slug, "ids": [...], "accept": username or ""}``
    (curators): settle one passage by accepting an annotator's version (approved, shared as the
    task says) or none; the others are rejected with the reason."""

    def post(self, request, pk):
        task = _task(pk)
        data = request.data if isinstance(request.data, dict) else {}
        document = task.documents.filter(slug=data.get("document")).first() if isinstance(data.get("document"), str) else None
        if document is None:
            raise InputError({"document": "Name one of the task's documents by its slug."})
        ids = data.get("ids")
        if not isinstance(ids, list) or not ids or any(parse_id(i) is None for i in ids):
            raise InputError({"ids": "The ids of the passage's annotations (as the agreement lists them)."})
        accept = data.get("accept", "")
        if not isinstance(accept, str):
            raise InputError({"accept": "A username, or \"\" for none."})
        group = agreement.adjudicate(user=request.user, task=task, document=document,
                                     ids=[parse_id(i) for i in ids], accept=accept)
        return Response({"ids": group.ids, "accepted": accept or None})


# --- sources as they come: upload a file of any format, follow its job, TEI out ---------------------


def _job_json(job, request) -> dict:
    from django.urls import reverse

    out = {
        "id": job.pk, "url": request.build_absolute_uri(reverse("ingest-job", kwargs={"pk": job.pk})),
        "file_name": job.file_name, "status": job.status, "done": job.done, "total": job.total,
        "percent": job.percent, "message": job.message, "error": job.error or None, "document": None,
    }
    if job.document_id:
        out["document"] = {"slug": job.document.slug, "url": request.build_absolute_uri(job.document.get_absolute_url())}
    return out


@extend_schema(request={"multipart/form-data": OpenApiTypes.OBJECT}, responses={201: OpenApiTypes.OBJECT, 202: OpenApiTypes.OBJECT})
class DocumentImport(CuratorAPIView):
    """``POST /api/ingest/`` (multipart: ``file``, and optionally ``slug``, ``title``, ``author``,
    ``date``, ``kind``, ``source``, ``language``): a new document from a PDF, Word, ODT, web page,
    TEI, page image or text file. 201 with the document when it was read at once; 202 with the
    job (``/api/ingest/jobs/<id>/``) when it is read in the background (OCR, big files); 400
    naming the file and the reason when it cannot be taken."""

    parser_classes = [MultiPartParser, FormParser]

    def post(self, request):
        from archive_site import document_services, ingest_jobs
        from archive_site.ingest import needs_background
        from archive_site.serializers import DocumentListSerializer

        from .pages import upload_bytes

        upload = request.FILES.get("file")
        if upload is None:
            return Response({"file": ["Send the file as multipart field 'file'."]}, status=http.HTTP_400_BAD_REQUEST)
        fields = {name: request.data.get(name, "") for name in ("slug", *document_services.METADATA_FIELDS)}
        fields = {k: v for k, v in fields.items() if isinstance(v, str)}
        try:
            data = upload_bytes(upload)
            document_services.check_new_document(**fields)
            if needs_background(data, upload.name):
                job = ingest_jobs.start_job(user=request.user, data=data, filename=upload.name, **fields)
                return Response(_job_json(job, request), status=http.HTTP_202_ACCEPTED)
            document = document_services.create_document_from_file(
                user=request.user, data=data, filename=upload.name, **fields)
        except ValidationError as error:
            return Response(error.message_dict if hasattr(error, "message_dict") else {"file": error.messages},
                            status=http.HTTP_400_BAD_REQUEST)
        body = DocumentListSerializer(document, context={"request": request}).data
        return Response(body, status=http.HTTP_201_CREATED)


@extend_schema(responses=OpenApiTypes.OBJECT)
class IngestJobStatus(CuratorAPIView):
    """``GET /api/ingest/jobs/<id>/``: a background ingest's status and progress."""

    def get(self, request, pk):
        from archive_site.models import IngestJob

        job = get_object_or_404(IngestJob.objects.select_related("document"), pk=pk)
        return Response(_job_json(job, request))


class TeiRenderer(JSONRenderer):
    media_type = "application/tei+xml"
    format = "tei"
    charset = None


@extend_schema(
    parameters=[OpenApiParameter("scope", str, enum=["public", "all"],
                                 description="public (default): published annotations; all: every annotation you may see")],
    responses={(200, "application/tei+xml"): OpenApiTypes.STR},
)
class DocumentTei(APIView):
    """``GET /api/documents/<slug>/tei/``: the document as TEI P5 with its annotations inline
    (``persName``, ``placeName``, ``orgName``, ``date``, ``rs``; ``@ref`` to the records), the
    published ones by default; ``?scope=all``: every one the reader may see."""

    permission_classes = []
    renderer_classes = [TeiRenderer, JSONRenderer]

    def get(self, request, slug):
        from . import tei

        document = get_object_or_404(Document, slug=slug)
        scope = request.query_params.get("scope") or "public"
        if scope not in exchange.SCOPES:
            return Response({"scope": [f"Unknown scope {scope[:40]!r}; use public or all."]}, status=http.HTTP_400_BAD_REQUEST,
                            content_type="application/json")
        annotations = tei.export_annotations(user=request.user, document=document, scope=scope)
        body = tei.export_tei(document, annotations, base=request.build_absolute_uri("/").rstrip("/"),
                              relations=tei.export_relations(user=request.user, document=document, scope=scope))
        response = HttpResponse(body, content_type="application/tei+xml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{document.slug}-{scope}.tei.xml"'
        return response
