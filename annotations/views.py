"""The W3C Web Annotation Protocol server and the annotation side API. Views are thin: parse
(``schemas``), call a service or selector, answer with ``w3c`` JSON-LD and the protocol headers."""

from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status as http
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from archive_site.models import Document, Record

from . import assignments, batches, history, permissions, presenters, relations, selectors, services, suggestions, w3c
from .anchoring import AnchorError
from .models import Annotation, AnnotationBatch, AnnotationTask, EntityType, RelationType
from .schemas import MAX_JSON_BYTES, InputError, parse_annotation

CONTAINER_ALLOW = "GET, POST, HEAD, OPTIONS"
ANNOTATION_ALLOW = "GET, PUT, DELETE, HEAD, OPTIONS"


class AnnotationJSONLDRenderer(JSONRenderer):
    media_type = w3c.ANNO_MEDIA_TYPE
    format = "jsonld"
    ensure_ascii = False


# The project's JSON and JSON-LD parsers (settings: they refuse text no database can store).
JSON_PARSERS = [p for p in api_settings.DEFAULT_PARSER_CLASSES if p.media_type.endswith("json")]


class AlwaysJSONLD(BaseContentNegotiation):
    """The protocol speaks one representation; answer it whatever the Accept header says."""

    def select_parser(self, request, parsers):
        for parser in parsers:
            if request.content_type and parser.media_type.split(";")[0] == request.content_type.split(";")[0].strip():
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


# The bodies are W3C Web Annotation JSON-LD (see README "Annotations API"), described as objects.
JSON_SCHEMA = extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)


class ProtocolView(APIView):
    renderer_classes = [AnnotationJSONLDRenderer]
    parser_classes = JSON_PARSERS
    content_negotiation_class = AlwaysJSONLD
    permission_classes = [permissions.AnnotationAccess]

    def handle_exception(self, exc):
        if isinstance(exc, InputError):
            return Response({"detail": str(exc), "errors": exc.errors}, status=http.HTTP_400_BAD_REQUEST)
        if isinstance(exc, AnchorError):
            return Response({"detail": str(exc), "errors": {exc.field: str(exc)}}, status=http.HTTP_400_BAD_REQUEST)
        if isinstance(exc, services.PreconditionFailed):
            return Response({"detail": str(exc)}, status=http.HTTP_412_PRECONDITION_FAILED)
        if isinstance(exc, Annotation.DoesNotExist):
            return Response({"detail": str(exc) or "Not found."}, status=http.HTTP_404_NOT_FOUND)
        return super().handle_exception(exc)

    def base(self) -> str:
        return w3c.base_of(self.request)

    def payload(self):
        """The request's JSON body, refusing oversized ones (413) and non-JSON (400/415)."""
        try:
            length = int(self.request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_JSON_BYTES:
            return None, _too_large()
        data = self.request.data
        if not isinstance(data, dict):
            raise ParseError("The body must be a JSON object (a W3C Web Annotation).")
        if len(json.dumps(data, ensure_ascii=False).encode()) > MAX_JSON_BYTES:
            return None, _too_large()
        return data, None

    def parse(self, data):
        user = self.request.user
        return parse_annotation(data, visible_annotation=lambda pk: selectors.get_visible_annotation(user, pk))

    def annotation_response(self, annotation: Annotation, status=http.HTTP_200_OK, **headers) -> Response:
        if not selectors.relations_loaded(annotation):
            annotation = selectors.annotation_queryset().get(pk=annotation.pk)
        body = presenters.jsonld(annotation, user=self.request.user, base=self.base())
        response = Response(body, status=status)
        response["ETag"] = w3c.etag(annotation)
        response["Link"] = w3c.LINK_RESOURCE
        response["Allow"] = ANNOTATION_ALLOW
        response["Vary"] = "Accept"
        response["Content-Location"] = body["id"]
        for key, value in headers.items():
            response[key.replace("_", "-")] = value
        return response


def _too_large() -> Response:
    return Response(
        {"detail": f"The annotation is larger than {MAX_JSON_BYTES // 1024} KB."},
        status=http.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


@extend_schema(
    request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT,
    parameters=[OpenApiParameter(name, str) for name in (*selectors.FILTERS, "page", "iris", "page_size")],
)
class AnnotationContainer(ProtocolView):
    """``/api/annotations/``: an LDP BasicContainer and AnnotationCollection, paged by
    AnnotationPage (``?page=N``, ``?iris=1``), honouring ``Prefer``; filters ``?document=&tag=
    &entity_type=&record=&creator=&status=``. POST creates (201 + Location)."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code < 400 and request.method in ("GET", "HEAD", "OPTIONS"):
            response["Link"] = w3c.LINK_CONTAINER
            response["Allow"] = CONTAINER_ALLOW
            response["Accept-Post"] = w3c.ANNO_MEDIA_TYPE
            response["Vary"] = "Accept, Prefer"
        return response

    @extend_schema(operation_id="annotations_list")
    def get(self, request):
        try:
            qs = selectors.filter_annotations(selectors.visible_annotations(request.user), request.query_params)
        except selectors.FilterError as exc:
            return Response({"detail": str(exc)}, status=http.HTTP_400_BAD_REQUEST)
        qs = qs.order_by("id")
        page_size = _int(request.query_params.get("page_size"), settings.REST_FRAMEWORK.get("PAGE_SIZE", 50), 1, 500)
        filters = {k: request.query_params[k] for k in selectors.FILTERS if request.query_params.get(k)}
        if request.query_params.get("page_size"):
            filters["page_size"] = str(page_size)
        path_url = request.build_absolute_uri(request.path)

        def url(**extra) -> str:
            query = urlencode({**filters, **extra})
            return f"{path_url}?{query}" if query else path_url

        total = qs.count()
        last_page = max(0, (total - 1) // page_size)
        page_param = request.query_params.get("page")
        iris_param = request.query_params.get("iris") in ("1", "true")
        if page_param is not None:
            page = _int(page_param, -1, -1, 10**9)
            if page < 0 or page > last_page:
                raise Http404("No such page.")
            iris = iris_param
            body = w3c.page_json(
                items=self.items(qs[page * page_size : (page + 1) * page_size], iris),
                container_url=url(**({"iris": 1} if iris else {})),
                page_url=lambda n: url(**({"iris": 1} if iris else {}), page=n), page=page, last_page=last_page,
                total=total, page_size=page_size,
            )
            return self._with_etag(Response(body))
        prefer = w3c.parse_prefer(request.headers.get("Prefer"))
        iris = iris_param or prefer == w3c.PREFER_IRIS
        extra = {"iris": 1} if iris else {}
        modified = qs.order_by("-modified").values_list("modified", flat=True).first()
        first: object = url(**extra, page=0)
        if prefer != w3c.PREFER_MINIMAL and total:
            first = w3c.page_json(
                items=self.items(qs[:page_size], iris), container_url=url(**extra),
                page_url=lambda n: url(**extra, page=n), page=0, last_page=last_page, total=total,
                page_size=page_size, with_context=False,
            )
            first.pop("partOf", None)
        body = w3c.container_json(
            container_url=url(**extra), total=total, first=first, last=url(**extra, page=last_page), modified=modified,
        )
        response = Response(body)
        if request.headers.get("Prefer"):
            response["Preference-Applied"] = "return=representation"
        return self._with_etag(response)

    def items(self, annotations, iris: bool) -> list:
        base = self.base()
        if iris:
            return [w3c.annotation_url(a, base) for a in annotations]
        return [presenters.jsonld(a, user=self.request.user, base=base, with_context=False) for a in annotations]

    def _with_etag(self, response: Response) -> Response:
        digest = hashlib.sha1(json.dumps(response.data, sort_keys=True, default=str).encode()).hexdigest()[:24]
        response["ETag"] = f'W/"{digest}"'
        return response

    def post(self, request):
        data, error = self.payload()
        if error is not None:
            return error
        annotation = services.create_annotation(user=request.user, data=self.parse(data))
        url = w3c.annotation_url(annotation, self.base())
        return self.annotation_response(annotation, status=http.HTTP_201_CREATED, Location=url)


def _int(value, default: int, lo: int, hi: int) -> int:
    try:
        return max(lo, min(hi, int(value)))
    except (TypeError, ValueError):
        return default


@JSON_SCHEMA
class AnnotationDetail(ProtocolView):
    """``/api/annotations/<id>/``: GET, PUT (If-Match honoured, optional), DELETE. An annotation the
    user may not see answers 404, one they may see but not change 403."""

    def get_object(self) -> Annotation:
        annotation = selectors.get_visible_annotation(self.request.user, self.kwargs["pk"])
        if annotation is None:
            raise Http404("No such annotation.")
        self.check_object_permissions(self.request, annotation)
        return annotation

    def get(self, request, pk):
        annotation = self.get_object()
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match and services.etag_matches(if_none_match, w3c.etag(annotation)):
            response = Response(status=http.HTTP_304_NOT_MODIFIED)
            response["ETag"] = w3c.etag(annotation)
            return response
        return self.annotation_response(annotation)

    def put(self, request, pk):
        annotation = self.get_object()
        data, error = self.payload()
        if error is not None:
            return error
        annotation = services.update_annotation(
            user=request.user, annotation=annotation, data=self.parse(data), if_match=request.headers.get("If-Match"),
        )
        return self.annotation_response(annotation)

    def delete(self, request, pk):
        annotation = self.get_object()
        if_match = request.headers.get("If-Match")
        if if_match and not services.etag_matches(if_match, w3c.etag(annotation)):
            raise services.PreconditionFailed("The annotation has changed since you fetched it (If-Match does not match).")
        services.delete_annotation(user=request.user, annotation=annotation)
        return Response(status=http.HTTP_204_NO_CONTENT)


@JSON_SCHEMA
class AnnotationHistory(ProtocolView):
    """``GET /api/annotations/<id>/history/``: the versions the reader may see (who, when, what
    changed; ``annotations.history``)."""

    renderer_classes = [JSONRenderer]

    def get(self, request, pk):
        annotation = selectors.get_visible_annotation(request.user, pk)
        entries = history.annotation_history(request.user, annotation.pk) if annotation is not None else None
        if entries is None:
            raise Http404("No such annotation.")
        return Response({"id": w3c.annotation_url(annotation, self.base()), "history": entries})


@JSON_SCHEMA
class RecordAnnotations(APIView):
    """``GET /api/records/<id>/annotations/``: every visible annotation linking to the record,
    across documents, with the quoted passage."""

    def get(self, request, pk):
        record = get_object_or_404(Record, pk=pk)
        base = w3c.base_of(request)
        mentions = [presenters.mention(a, user=request.user, base=base)
                    for a in selectors.record_annotations(request.user, record)]
        return Response({
            "record": {"id": record.pk, "label": record.label, "kind": record.kind, "url": base + record.get_absolute_url()},
            "total": len(mentions),
            "mentions": mentions,
        })


@JSON_SCHEMA
class DocumentSuggestions(APIView):
    """``GET /api/documents/<slug>/suggestions/``: spans naming known records, not yet annotated."""

    def get(self, request, slug):
        document = get_object_or_404(Document, slug=slug)
        items = suggestions.suggest(document, request.user, base=w3c.base_of(request))
        return Response({"document": document.slug, "count": len(items), "suggestions": items})



@JSON_SCHEMA
class EntityTypes(APIView):
    """``GET /api/entity-types/``: the controlled list; ``POST {"key", "label", "color"}`` adds one (curators)."""

    def get_permissions(self):
        return [permissions.IsCurator()] if self.request.method == "POST" else []

    def get(self, request):
        return Response([{"key": e.key, "label": e.label, "color": e.color} for e in EntityType.objects.all()])

    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        key, label, color = str(data.get("key", "")).strip(), str(data.get("label", "")).strip(), data.get("color") or "#e6e6e6"
        errors = {}
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", key):
            errors["key"] = "Use 1-40 lower-case letters, digits, '-' or '_'."
        elif EntityType.objects.filter(key=key).exists():
            errors["key"] = f"The entity type {key!r} exists already."
        if not label or len(label) > 80:
            errors["label"] = "A label of 1-80 characters is required."
        if not isinstance(color, str) or not re.fullmatch(r"#[0-9a-fA-F]{6}", color):
            errors["color"] = "Use #rrggbb."
        if errors:
            return Response({"detail": "Invalid entity type.", "errors": errors}, status=http.HTTP_400_BAD_REQUEST)
        entity_type = EntityType.objects.create(key=key, label=label, color=color)
        return Response({"key": entity_type.key, "label": entity_type.label, "color": entity_type.color}, status=http.HTTP_201_CREATED)


# --- relations, batches, tasks ---------------------------------------------------------------------


class TeamworkView(APIView):
    """JSON answers; bad input is a 400 with ``detail`` and ``errors`` (field -> message)."""

    renderer_classes = [JSONRenderer]
    parser_classes = JSON_PARSERS

    def handle_exception(self, exc):
        if isinstance(exc, InputError):
            return Response({"detail": str(exc), "errors": exc.errors}, status=http.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)

    def body(self) -> dict:
        data = self.request.data
        if not isinstance(data, dict):
            raise InputError({"non_field_errors": "The body must be a JSON object."})
        return data


@JSON_SCHEMA
class AnnotationRelations(TeamworkView):
    """``GET /api/annotations/<id>/relations/``: the relations the reader may see that start from
    (``outgoing``) or point to (``incoming``) the annotation, each with both ends and its JSON-LD.
    Make one by POSTing a relation (motivation ``linking``) to ``/api/annotations/``."""

    def get(self, request, pk):
        annotation = selectors.get_visible_annotation(request.user, pk)
        if annotation is None:
            raise Http404("No such annotation.")
        base = w3c.base_of(request)
        outgoing, incoming = relations.relations_of(request.user, annotation)
        return Response({
            "annotation": w3c.annotation_url(annotation, base),
            "outgoing": [presenters.relation(r, user=request.user, base=base) for r in outgoing],
            "incoming": [presenters.relation(r, user=request.user, base=base) for r in incoming],
        })


@JSON_SCHEMA
class RelationTypes(TeamworkView):
    """``GET /api/relation-types/``: the relation types; ``POST {"key", "label", "description"}``
    adds one (curators)."""

    def get_permissions(self):
        return [permissions.IsCurator()] if self.request.method == "POST" else []

    def get(self, request):
        return Response([{"key": t.key, "label": t.label, "description": t.description}
                         for t in RelationType.objects.all()])

    def post(self, request):
        data = self.body()
        key, label = str(data.get("key", "")).strip(), str(data.get("label", "")).strip()
        description = str(data.get("description", "")).strip()
        errors = {}
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", key):
            errors["key"] = "Use 1-40 lower-case letters, digits, '-' or '_'."
        elif RelationType.objects.filter(key=key).exists():
            errors["key"] = f"The relation type {key!r} exists already."
        if not label or len(label) > 80 or "\x00" in label:
            errors["label"] = "A label of 1-80 characters is required."
        if len(description) > 300 or "\x00" in description:
            errors["description"] = "At most 300 characters."
        if errors:
            raise InputError(errors)
        made = RelationType.objects.create(key=key, label=label, description=description)
        return Response({"key": made.key, "label": made.label, "description": made.description},
                        status=http.HTTP_201_CREATED)


@JSON_SCHEMA
class RecordNetwork(TeamworkView):
    """``GET /api/records/<id>/network/``: the record's network across the archive: the relations
    the reader may see between annotations linked to it and other annotations, as ``nodes``
    (records; a passage where an end links no record) and ``edges`` (source, type, target, how
    many relations, and the evidence passages)."""

    def get(self, request, pk):
        record = get_object_or_404(Record, pk=pk)
        if record.merged_into_id:
            record = record.merged_into
        graph = relations.record_network(request.user, record)
        return Response(presenters.network(graph, base=w3c.base_of(request)))


def _batch_for(user, pk) -> AnnotationBatch:
    """A batch its creator or a curator asks about (else 404, as for an id never used)."""
    found = AnnotationBatch.objects.select_related("creator", "record", "entity_type", "document").filter(pk=pk).first()
    if found is None or not permissions.can_undo_batch(user, found):
        raise Http404("No such batch.")
    return found


@JSON_SCHEMA
class BatchDetail(TeamworkView):
    """``GET /api/batches/<id>/``: a "link all occurrences" batch (its creator and curators) and
    the ids of its annotations that are still there."""

    def get(self, request, pk):
        found = _batch_for(request.user, pk)
        base = w3c.base_of(request)
        members = batches.batch_members(request.user, found)
        return Response({**presenters.batch(found, base=base),
                         "annotations": [w3c.annotation_url(a, base) for a in members]})


@JSON_SCHEMA
class BatchUndo(TeamworkView):
    """``POST /api/batches/<id>/undo/``: delete the batch's annotations except those others have
    changed since; answers ``deleted`` (ids), ``kept`` (id and why) and a ``detail`` sentence."""

    def post(self, request, pk):
        found = _batch_for(request.user, pk)
        report = batches.undo_batch(user=request.user, batch=found)
        return Response({"batch": presenters.batch(report.batch, base=w3c.base_of(request)),
                         "deleted": report.deleted, "kept": report.kept, "detail": report.message})


def _task_json(task, user, base: str) -> dict:
    assignments_ = list(task.assignments.select_related("user"))
    mine = next((a for a in assignments_ if a.user_id == getattr(user, "pk", None)), None)
    return {
        "id": task.pk, "url": base + reverse("task-detail", kwargs={"pk": task.pk}), "title": task.title,
        "description": task.description, "closed": w3c.iso(task.closed) if task.closed else None,
        "documents": [{"slug": d.slug, "title": d.title, "url": base + d.get_absolute_url()} for d in task.documents.all()],
        "entity_types": [e.key for e in task.entity_types.all()],
        "assignees": [{"username": a.user.get_username(), "finished": a.finished is not None} for a in assignments_],
        "mine": {"finished": w3c.iso(mine.finished) if mine.finished else None} if mine else None,
    }


@JSON_SCHEMA
class TaskList(TeamworkView):
    """``GET /api/tasks/``: the annotation tasks the user is an annotator of (curators: all)."""

    @extend_schema(operation_id="tasks_list")
    def get(self, request):
        if not request.user.is_authenticated:
            return Response({"detail": "Sign in to see your tasks."}, status=http.HTTP_403_FORBIDDEN)
        tasks = AnnotationTask.objects.order_by("-created")
        if not permissions.can_manage_tasks(request.user):
            tasks = tasks.filter(assignments__user=request.user)
        base = w3c.base_of(request)
        return Response({"tasks": [_task_json(t, request.user, base) for t in tasks]})


def _task_for(user, pk) -> AnnotationTask:
    task = AnnotationTask.objects.filter(pk=pk).first()
    if task is None or not (permissions.can_manage_tasks(user) or assignments.assignment_of(user, task)):
        raise Http404("No such task.")
    return task


@JSON_SCHEMA
class TaskDetail(TeamworkView):
    """``GET /api/tasks/<id>/``: a task, for its annotators and curators. Annotate for it by
    adding ``"task": <this URL>`` to an annotation's JSON-LD."""

    def get(self, request, pk):
        return Response(_task_json(_task_for(request.user, pk), request.user, w3c.base_of(request)))


@JSON_SCHEMA
class TaskFinish(TeamworkView):
    """``POST /api/tasks/<id>/finish/``: the annotator is done (final): they now see the others' work."""

    def post(self, request, pk):
        task = _task_for(request.user, pk)
        assignments.finish_task(user=request.user, task=task)
        return Response(_task_json(task, request.user, w3c.base_of(request)))
