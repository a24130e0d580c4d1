"""Curation: the review queue and bulk review, what is published, the gaps between records and
annotations, orphans re-attached by hand, and the numbers on the curator's dashboard.

Reads are selectors (``review_queue``, ``published_annotations``, ``dashboard_stats``); writes are
``@transaction.atomic`` services that call ``annotations.services`` for each annotation, so every
change keeps its one history row and its index task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from archive_site.models import Document, Record

from . import anchoring, permissions, selectors, services
from .models import Annotation
from .schemas import InputError

QUEUE_FILTERS = ("status", "document", "creator", "entity_type", "record", "older_than", "newer_than")
MAX_BULK = 500
MAX_REASON_CHARS = 2000
PERSON_TYPE = "person"


MAX_ID = 2**63 - 1  # ids are BigAutoField: larger numbers name nothing (and the database refuses them)


def parse_id(value) -> int | None:
    """An id from a form, query string or JSON value (an int or a string of digits), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit()) or len(value) > 19:
            return None
        value = int(value)
    if not isinstance(value, int) or not 0 < value <= MAX_ID:
        return None
    return value


class QueueFilterError(ValueError):
    """A review-queue filter has a value that cannot be used (the message says which)."""


def has_nul(value) -> bool:
    """Whether a string anywhere in ``value`` (nested lists and dicts too) holds a NUL character,
    which PostgreSQL refuses to store or compare: such input is rejected as a 400 before any query."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


# --- what counts as the archive's published knowledge ---------------------------------------


def published_q(prefix: str = "") -> Q:
    """Approved public annotations: what search facets, record pages and the public export count."""
    return Q(**{f"{prefix}visibility": Annotation.Visibility.PUBLIC, f"{prefix}status": Annotation.Status.APPROVED})


def published_annotations() -> QuerySet[Annotation]:
    return Annotation.objects.filter(published_q())


# --- the review queue -----------------------------------------------------------------------


def _days(params, name: str) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6 or int(raw) > 100_000:
        raise QueueFilterError(f"{name} must be a number of days.")
    return int(raw)


def review_queue(params) -> QuerySet[Annotation]:
    """Annotations to review (``status`` pending by default, or ``all``), oldest first, filtered by
    ``document`` (slug), ``creator`` (username), ``entity_type`` (key, or ``none``), ``record`` (id),
    ``older_than`` / ``newer_than`` (days since creation)."""
    value = params.get
    if any(has_nul(value(name) or "") for name in QUEUE_FILTERS):
        raise QueueFilterError("Filters must not contain NUL characters.")
    qs = selectors.annotation_queryset().select_related("reviewed_by")
    status = (value("status") or Annotation.Status.PENDING).strip()
    if status != "all":
        if status not in Annotation.Status.values:
            raise QueueFilterError(f"Unknown status {status!r}; use one of {', '.join(Annotation.Status.values)} or all.")
        qs = qs.filter(status=status)
    if value("document"):
        qs = qs.filter(document__slug=value("document").strip())
    if value("creator"):
        qs = qs.filter(creator__username=value("creator").strip())
    if value("entity_type"):
        key = value("entity_type").strip()
        qs = qs.filter(entity_type__isnull=True) if key == "none" else qs.filter(entity_type__key=key)
    if value("record"):
        record_id = parse_id(value("record"))
        if record_id is None:
            raise QueueFilterError("record must be a record id.")
        qs = qs.filter(records__pk=record_id).distinct()
    now = timezone.now()
    older, newer = _days(params, "older_than"), _days(params, "newer_than")
    if older is not None:
        qs = qs.filter(created__lte=now - timedelta(days=older))
    if newer is not None:
        qs = qs.filter(created__gte=now - timedelta(days=newer))
    return qs.order_by("created", "id")


def check_review(status, reason) -> tuple[str, str]:
    """Validate a review decision: a known status, and a reason (which the annotator sees) for a
    rejection. Raises ``InputError`` (400) with field → message."""
    if status not in (Annotation.Status.APPROVED, Annotation.Status.REJECTED, Annotation.Status.PENDING):
        raise InputError({"status": "Use approved, rejected or pending."})
    reason = reason if isinstance(reason, str) else ""
    reason = reason.strip()
    if has_nul(reason):
        raise InputError({"reason": "must not contain NUL characters."})
    if len(reason) > MAX_REASON_CHARS:
        raise InputError({"reason": f"At most {MAX_REASON_CHARS} characters."})
    if status == Annotation.Status.REJECTED and not reason:
        raise InputError({"reason": "Say why the annotation is rejected: its creator sees the reason."})
    return status, reason


@transaction.atomic
def bulk_review(*, user, annotation_ids: list[int], status: str, reason: str = "") -> list[Annotation]:
    """Approve / reject / reset many annotations in one transaction (all or none)."""
    if not permissions.can_review(user):
        raise PermissionDenied("Only curators may review annotations.")
    status, reason = check_review(status, reason)
    if not isinstance(annotation_ids, list) or not annotation_ids:
        raise InputError({"ids": "Choose at least one annotation."})
    if len(annotation_ids) > MAX_BULK:
        raise InputError({"ids": f"At most {MAX_BULK} annotations at a time."})
    parsed = [parse_id(i) for i in annotation_ids]
    if None in parsed:
        raise InputError({"ids": "ids must be annotation ids (positive integers)."})
    ids = sorted(set(parsed))
    found = {a.pk: a for a in Annotation.objects.select_for_update().filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise InputError({"ids": f"No annotation with id {', '.join(map(str, missing))}."})
    return [
        services.review_annotation(user=user, annotation=found[pk], status=status, reason=reason) for pk in ids
    ]


# --- orphans --------------------------------------------------------------------------------


def orphaned_annotations() -> QuerySet[Annotation]:
    return (
        selectors.annotation_queryset()
        .filter(anchor_state=Annotation.AnchorState.ORPHANED, reply_to__isnull=True)
        .order_by("document__slug", "id")
    )


def suggest_anchor(annotation: Annotation) -> anchoring.Anchor | None:
    """Where the orphan's quote (with its context) is found in the current text, if anywhere."""
    return anchoring.locate(
        annotation.document.text, quote=annotation.target_quote, prefix=annotation.target_prefix,
        suffix=annotation.target_suffix,
    )


@transaction.atomic
def reattach_annotation(*, user, annotation: Annotation, start: int, end: int) -> Annotation:
    """Anchor an (orphaned) annotation at ``[start, end)`` of its document's current text; the text
    there must be the annotation's quote."""
    if not permissions.can_review(user):
        raise PermissionDenied("Only curators may re-attach annotations.")
    annotation = Annotation.objects.select_for_update().select_related("document").get(pk=annotation.pk)
    if annotation.reply_to_id:
        raise anchoring.AnchorError("A reply has no passage to re-attach.")
    text = annotation.document.text
    anchoring.check_selector(text, start=start, end=end, quote=annotation.target_quote)
    annotation.target_start, annotation.target_end = start, end
    annotation.target_prefix, annotation.target_suffix = anchoring.context(text, start, end)
    annotation.anchor_state = Annotation.AnchorState.ANCHORED
    services._save_quietly(annotation)
    services._record_history(annotation, "~", user, reason=f"re-attached by hand at [{start}, {end})")
    services._changed(annotation)
    return annotation


# --- gaps between records and annotations ---------------------------------------------------


def records_without_annotations() -> QuerySet[Record]:
    return Record.objects.filter(merged_into__isnull=True, annotations__isnull=True).order_by("label", "id")


def person_annotations_without_record() -> QuerySet[Annotation]:
    return (
        selectors.annotation_queryset()
        .filter(entity_type__key=PERSON_TYPE, records__isnull=True, reply_to__isnull=True)
        .order_by("document__slug", "target_start", "id")
    )


# --- the dashboard --------------------------------------------------------------------------


@dataclass
class DashboardStats:
    by_status: list[dict]
    by_annotator: list[dict]
    by_entity_type: list[dict]
    pending_documents: list[dict]
    top_records: list[dict]
    orphaned: int
    total: int


def dashboard_stats(limit: int = 10) -> DashboardStats:
    """Counts by status, by annotator and by entity type; the documents with the most pending
    annotations; the records most mentioned by published annotations. A handful of aggregate
    queries, whatever the size of the archive."""
    annotations = Annotation.objects.all()
    counts = dict(annotations.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    by_status = [{"status": value, "label": label, "count": counts.get(value, 0)} for value, label in Annotation.Status.choices]
    by_annotator = list(
        annotations.values("creator__username")
        .annotate(
            total=Count("id"), pending=Count("id", filter=Q(status="pending")),
            approved=Count("id", filter=Q(status="approved")), rejected=Count("id", filter=Q(status="rejected")),
        )
        .order_by("-total", "creator__username")[:limit]
    )
    by_entity_type = list(
        annotations.values("entity_type__key", "entity_type__label").annotate(count=Count("id"))
        .order_by("-count", "entity_type__key")
    )
    pending_documents = list(
        Document.objects.annotate(pending=Count("annotations", filter=Q(annotations__status="pending")))
        .filter(pending__gt=0).order_by("-pending", "slug").values("slug", "title", "pending")[:limit]
    )
    top_records = list(
        Record.objects.filter(merged_into__isnull=True)
        .annotate(
            mentions=Count("annotations", filter=published_q("annotations__")),
            all_mentions=Count("annotations"),
        )
        .filter(all_mentions__gt=0).order_by("-mentions", "-all_mentions", "label")
        .values("id", "label", "kind", "mentions", "all_mentions")[:limit]
    )
    return DashboardStats(
        by_status=by_status, by_annotator=by_annotator, by_entity_type=by_entity_type,
        pending_documents=pending_documents, top_records=top_records,
        orphaned=annotations.filter(anchor_state=Annotation.AnchorState.ORPHANED).count(),
        total=sum(counts.values()),
    )

