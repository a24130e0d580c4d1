"""Reads: the annotations a user may see, filtered, with what the JSON-LD needs loaded at once."""

from __future__ import annotations

from django.db.models import QuerySet

from . import permissions
from .models import Annotation, Tag
from .schemas import InputError, parse_visibility

FILTERS = ("document", "tag", "entity_type", "record", "creator", "status", "visibility", "reply_to", "anchor_state",
           "motivation", "relation_type", "batch", "task")


class FilterError(ValueError):
    pass


def annotation_queryset() -> QuerySet[Annotation]:
    """Annotations with their creator, document, entity type, group, tags and records loaded; the
    document without its text (the JSON-LD needs its URL and slug; a whole text per annotation
    shown made lists and create responses several times slower). Code that needs the text reads
    it on access (one query)."""
    return (
        Annotation.objects.select_related("creator", "document", "entity_type", "group", "relation_type")
        .defer("document__text")
        .prefetch_related("tags", "records")
    )


def relations_loaded(annotation: Annotation) -> bool:
    """Whether ``annotation`` carries its tags and records (``annotation_queryset``, or
    ``with_relations``), so that the JSON-LD can be made without reading it again."""
    cache = getattr(annotation, "_prefetched_objects_cache", {})
    return "tags" in cache and "records" in cache


def with_relations(annotation: Annotation, *, tags, records) -> Annotation:
    """Give ``annotation`` the tags and records a service has just written, as
    ``prefetch_related`` would have loaded them: the create response needs no read-back (which
    was 40% of a create request's time)."""
    cache = annotation.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, rows in (("tags", tags), ("records", records)):
        queryset = getattr(annotation, name).get_queryset()  # builds a query, runs none
        queryset._result_cache = list(rows)
        queryset._prefetch_done = True
        cache[name] = queryset
    return annotation


def visible_annotations(user) -> QuerySet[Annotation]:
    return annotation_queryset().filter(permissions.visible_q(user))


def get_visible_annotation(user, pk) -> Annotation | None:
    """The annotation if it exists and ``user`` may see it (else None: callers answer 404)."""
    try:
        return visible_annotations(user).get(pk=pk)
    except (Annotation.DoesNotExist, ValueError, TypeError):
        return None


def filter_annotations(qs: QuerySet[Annotation], params) -> QuerySet[Annotation]:
    """Apply the container's query filters: ?document=<slug>&tag=&entity_type=<key>&record=<id>
    &creator=<username>&status=&visibility=&reply_to=<id>&anchor_state=."""
    value = params.get
    if value("document"):
        qs = qs.filter(document__slug=value("document"))
    if value("tag"):
        qs = qs.filter(tags__name__iexact=value("tag"))
    if value("entity_type"):
        qs = qs.filter(entity_type__key=value("entity_type"))
    if value("record"):
        if not value("record").isdigit():
            raise FilterError("record must be a record id.")
        qs = qs.filter(records__pk=int(value("record")))
    if value("creator"):
        qs = qs.filter(creator__username=value("creator"))
    if value("status"):
        if value("status") not in Annotation.Status.values:
            raise FilterError(f"Unknown status; use one of {', '.join(Annotation.Status.values)}.")
        qs = qs.filter(status=value("status"))
    if value("visibility"):
        try:
            visibility, group = parse_visibility(value("visibility"))
        except InputError as exc:
            raise FilterError(str(exc)) from None
        qs = qs.filter(visibility=visibility, group=group)
    if value("reply_to"):
        if not value("reply_to").isdigit():
            raise FilterError("reply_to must be an annotation id.")
        qs = qs.filter(reply_to_id=int(value("reply_to")))
    if value("anchor_state"):
        qs = qs.filter(anchor_state=value("anchor_state"))
    if value("motivation"):
        qs = qs.filter(motivation=value("motivation"))
    if value("relation_type"):
        qs = qs.filter(relation_type__key=value("relation_type"))
    for name in ("batch", "task"):
        if value(name):
            if not value(name).isdigit():
                raise FilterError(f"{name} must be a {name} id.")
            qs = qs.filter(**{f"{name}_id": int(value(name))})
    return qs.distinct() if value("tag") or value("record") else qs


def visible_tags(user) -> QuerySet[Tag]:
    """The tags on annotations ``user`` may see (suggestions in the editor, tag lists): never a
    tag that exists only on someone else's private note or on deleted ones."""
    visible = Annotation.objects.filter(permissions.visible_q(user))
    return Tag.objects.filter(annotations__in=visible.values("pk")).distinct().order_by("name")


def passage_annotations(qs: QuerySet[Annotation]) -> QuerySet[Annotation]:
    """Only annotations of passages: neither replies nor relations (what is drawn on a text)."""
    return qs.filter(reply_to__isnull=True, relation_source__isnull=True)


def record_annotations(user, record) -> QuerySet[Annotation]:
    """Every annotation linking to ``record`` that ``user`` may see, across documents."""
    return visible_annotations(user).filter(records=record).order_by("document__title", "target_start", "id")
