"""Model → W3C Web Annotation JSON-LD, and the protocol's container and page documents.

The reverse direction (JSON-LD → typed input) is ``annotations.schemas.parse_annotation``.
URLs are absolute: built from ``base`` ("https://host", from the request; ``SITE_URL`` setting or
http://localhost when there is no request, e.g. in exports).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.urls import reverse

from .models import Annotation

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
LDP_CONTEXT = "http://www.w3.org/ns/ldp.jsonld"
ANNO_PROFILE = f'profile="{ANNO_CONTEXT}"'
ANNO_MEDIA_TYPE = f"application/ld+json; {ANNO_PROFILE}"
PREFER_MINIMAL = "http://www.w3.org/ns/ldp#PreferMinimalContainer"
PREFER_IRIS = "http://www.w3.org/ns/oa#PreferContainedIRIs"
PREFER_DESCRIPTIONS = "http://www.w3.org/ns/oa#PreferContainedDescriptions"
LINK_CONTAINER = (
    '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type", '
    '<http://www.w3.org/TR/annotation-protocol/>; rel="http://www.w3.org/ns/ldp#constrainedBy"'
)
LINK_RESOURCE = '<http://www.w3.org/ns/ldp#Resource>; rel="type"'
CONTAINER_LABEL = "Annotations on the archive's documents"


def default_base() -> str:
    return getattr(settings, "SITE_URL", "http://localhost").rstrip("/")


def base_of(request) -> str:
    return request.build_absolute_uri("/").rstrip("/") if request is not None else default_base()


def iso(dt) -> str:
    return dt.isoformat(timespec="seconds").replace("+00:00", "Z")


def etag(annotation: Annotation) -> str:
    """A strong validator that changes with every write (``modified`` is auto_now)."""
    digest = hashlib.sha1(f"{annotation.pk}:{annotation.modified.isoformat()}".encode()).hexdigest()[:20]
    return f'"{annotation.pk}-{digest}"'


def annotation_url(annotation: Annotation, base: str) -> str:
    return base + annotation.get_absolute_url()


def creator_json(user) -> dict:
    name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return {"type": "Person", "nickname": user.get_username(), "name": name or user.get_username()}


def to_jsonld(annotation: Annotation, *, base: str | None = None, with_context: bool = True) -> dict:
    """One annotation as W3C Web Annotation JSON-LD (expects tags/records/entity_type/creator/
    document/group/relation_type loaded, e.g. through ``selectors.annotation_queryset``). A
    relation: motivation ``linking``, target = the annotation it starts from, bodies = the
    annotation it points to and a classifying TextualBody with its type."""
    base = default_base() if base is None else base
    out: dict = {}
    if with_context:
        out["@context"] = ANNO_CONTEXT
    out["id"] = annotation_url(annotation, base)
    out["type"] = "Annotation"
    out["motivation"] = annotation.motivation or "highlighting"
    out["created"] = iso(annotation.created)
    out["modified"] = iso(annotation.modified)
    out["creator"] = creator_json(annotation.creator)
    bodies = body_json(annotation, base)
    if bodies:
        out["body"] = bodies
    out["target"] = target_json(annotation, base)
    out["visibility"] = annotation.visibility_label
    out["status"] = annotation.status
    if annotation.reply_to_id is None and annotation.relation_source_id is None:
        out["anchorState"] = annotation.anchor_state
    if annotation.task_id is not None:
        out["task"] = base + reverse("task-detail", kwargs={"pk": annotation.task_id})
    if annotation.batch_id is not None:
        out["batch"] = base + reverse("batch-detail", kwargs={"pk": annotation.batch_id})
    return out


def body_json(annotation: Annotation, base: str) -> list[dict]:
    """A relation's bodies: the annotation it points to (``linking``), its type (``classifying``)
    and its comment; anyone else's: comment, tags, entity type, records."""
    bodies: list[dict] = []
    if annotation.relation_source_id is not None:
        bodies.append({"type": "SpecificResource", "purpose": "linking",
                       "source": base + reverse("annotation-detail", kwargs={"pk": annotation.relation_target_id})})
        relation_type = annotation.relation_type
        bodies.append({"type": "TextualBody", "purpose": "classifying", "value": relation_type.key,
                       "label": relation_type.label})
    if annotation.comment:
        purpose = "replying" if annotation.reply_to_id else "commenting"
        bodies.append({"type": "TextualBody", "purpose": purpose, "value": annotation.comment, "format": "text/plain"})
    for tag in annotation.tags.all():
        bodies.append({"type": "TextualBody", "purpose": "tagging", "value": tag.name})
    if annotation.entity_type_id:
        bodies.append({"type": "TextualBody", "purpose": "classifying", "value": annotation.entity_type.key})
    for record in annotation.records.all():
        bodies.append({"type": "SpecificResource", "purpose": "identifying", "source": base + record.get_absolute_url()})
    return bodies


def target_json(annotation: Annotation, base: str):
    if annotation.reply_to_id:
        return base + reverse("annotation-detail", kwargs={"pk": annotation.reply_to_id})
    if annotation.relation_source_id:  # a relation targets the annotation it starts from
        return base + reverse("annotation-detail", kwargs={"pk": annotation.relation_source_id})
    selectors: list[dict] = []
    if annotation.target_start is not None and annotation.anchor_state == Annotation.AnchorState.ANCHORED:
        selectors.append({"type": "TextPositionSelector", "start": annotation.target_start, "end": annotation.target_end})
    selectors.append({
        "type": "TextQuoteSelector", "exact": annotation.target_quote,
        "prefix": annotation.target_prefix, "suffix": annotation.target_suffix,
    })
    return {"type": "SpecificResource", "source": base + annotation.document.get_absolute_url(), "selector": selectors}


def parse_prefer(header: str | None) -> str:
    """Which of the protocol's three container preferences the client asked for."""
    header = header or ""
    if "return=representation" in header:
        if PREFER_MINIMAL in header:
            return PREFER_MINIMAL
        if PREFER_IRIS in header:
            return PREFER_IRIS
    return PREFER_DESCRIPTIONS


def page_json(*, items: list, container_url: str, page_url, page: int, last_page: int, total: int,
              page_size: int, with_context: bool = True) -> dict:
    """An AnnotationPage of ``items`` (annotations already presented, or their IRIs):
    ``page_url(n)`` gives page n's URL."""
    out: dict = {}
    if with_context:
        out["@context"] = ANNO_CONTEXT
    out.update({"id": page_url(page), "type": "AnnotationPage", "partOf": {
        "id": container_url, "type": "AnnotationCollection", "total": total,
    }, "startIndex": page * page_size})
    if page > 0:
        out["prev"] = page_url(page - 1)
    if page < last_page:
        out["next"] = page_url(page + 1)
    out["items"] = items
    return out


def container_json(*, container_url: str, total: int, first, last: str, modified=None) -> dict:
    out = {
        "@context": [ANNO_CONTEXT, LDP_CONTEXT],
        "id": container_url,
        "type": ["BasicContainer", "AnnotationCollection"],
        "label": CONTAINER_LABEL,
        "total": total,
    }
    if modified is not None:
        out["modified"] = iso(modified)
    if total:
        out["first"] = first
        out["last"] = last
    return out
