"""Review: the queue of what curators may see and have not yet decided, one review, many at once.

Curators review what would be published: public and group annotations and replies (never someone
else's private note: ``annotations.permissions``). A reply is shown with the annotation it answers,
a relation with both its ends. The annotations of a "link all occurrences" batch are one item of
the queue (approve or reject them all, or open the batch: ``?batch=<id>`` lists them one by one);
task annotations are not in the queue (curators adjudicate them: ``curation.agreement``).
Every decision is an ``annotations.services.record_change`` (history row, index task).
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from annotations import permissions, selectors, services
from annotations.models import Annotation, AnnotationBatch
from annotations.schemas import InputError

from .inputs import has_nul, parse_id

QUEUE_FILTERS = ("status", "document", "creator", "entity_type", "record", "older_than", "newer_than", "batch")
MAX_BULK = 500
MAX_REASON_CHARS = 2000


class QueueFilterError(ValueError):
    """A review-queue filter has a value that cannot be used (the message says which)."""


def _days(params, name: str) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6 or int(raw) > 100_000:
        raise QueueFilterError(f"{name} must be a number of days.")
    return int(raw)


def review_queue(user, params) -> QuerySet[Annotation]:
    """Annotations to review that ``user`` may see (``status`` pending by default, or ``all``),
    oldest first, filtered by ``document`` (slug), ``creator`` (username), ``entity_type`` (key, or
    ``none``), ``record`` (id), ``older_than`` / ``newer_than`` (days since creation). Replies come
    with the annotation they answer (``reply_to``) loaded."""
    value = params.get
    if any(has_nul(value(name) or "") for name in QUEUE_FILTERS):
        raise QueueFilterError("Filters must not contain NUL characters.")
    qs = (selectors.visible_annotations(user).filter(task__isnull=True)
          .select_related("reviewed_by", "reply_to", "reply_to__creator", "relation_source", "relation_target",
                          "relation_source__creator", "relation_target__creator"))
    qs = _with_status(qs, value("status"))
    if value("batch"):
        batch_id = parse_id(value("batch"))
        if batch_id is None:
            raise QueueFilterError("batch must be a batch id.")
        qs = qs.filter(batch_id=batch_id)
    else:  # a batch is one item of the queue (queue_batches), opened with ?batch=<id>
        qs = qs.filter(batch__isnull=True)
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


def _with_status(qs, raw):
    status = (raw or Annotation.Status.PENDING).strip()
    if status != "all":
        if status not in Annotation.Status.values:
            raise QueueFilterError(f"Unknown status {status!r}; use one of {', '.join(Annotation.Status.values)} or all.")
        qs = qs.filter(status=status)
    return qs


def queue_batches(user, params) -> list[dict]:
    """The batches with annotations in the queue (the ``status`` filter, pending by default) that
    ``user`` may see: each with how many, in how many documents, and a few of its passages."""
    if params.get("batch"):
        return []
    qs = _with_status(selectors.visible_annotations(user).filter(batch__isnull=False, task__isnull=True),
                      params.get("status"))
    if params.get("creator"):
        qs = qs.filter(creator__username=params.get("creator").strip())
    counts: dict[int, dict] = {}
    for batch_id, document_id, quote in qs.order_by("batch_id", "document_id", "target_start").values_list(
            "batch_id", "document_id", "target_quote"):
        entry = counts.setdefault(batch_id, {"count": 0, "documents": set(), "quotes": []})
        entry["count"] += 1
        entry["documents"].add(document_id)
        if len(entry["quotes"]) < 3 and quote not in entry["quotes"]:
            entry["quotes"].append(quote)
    found = AnnotationBatch.objects.filter(pk__in=counts).select_related("creator", "record", "entity_type", "document")
    return [{"batch": b, "count": counts[b.pk]["count"], "documents": len(counts[b.pk]["documents"]),
             "quotes": counts[b.pk]["quotes"]} for b in found.order_by("created", "id")]


@transaction.atomic
def review_batch(*, user, batch: AnnotationBatch, status: str, reason: str = "") -> list[Annotation]:
    """Approve, reject (with the reason each annotator reads) or reset every annotation of a batch
    that is still pending and that ``user`` may see, in one transaction."""
    if not permissions.can_review(user):
        raise PermissionDenied("Only curators may review annotations.")
    status, reason = check_review(status, reason)
    members = list(Annotation.objects.select_for_update(of=("self",))
                   .filter(permissions.visible_q(user), batch=batch, status=Annotation.Status.PENDING).order_by("pk"))
    if not members:
        raise InputError({"batch": f"Batch {batch.pk} has no annotation waiting for review."})
    return [review_annotation(user=user, annotation=a, status=status, reason=reason) for a in members]


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
def review_annotation(*, user, annotation: Annotation, status: str, reason: str = "") -> Annotation:
    """Approve, reject (with the reason its creator will read) or reset one annotation."""
    if not permissions.can_review(user):
        raise PermissionDenied("Only curators may review annotations.")
    status, reason = check_review(status, reason)
    annotation.status, annotation.review_reason, annotation.reviewed_by = status, reason, user
    return services.record_change(annotation, user=user, reason=f"review: {status}")


@transaction.atomic
def bulk_review(*, user, annotation_ids: list[int], status: str, reason: str = "") -> list[Annotation]:
    """Approve / reject / reset many annotations in one transaction (all or none)."""
    if not permissions.can_review(user):
        raise PermissionDenied("Only curators may review annotations.")
    status, reason = check_review(status, reason)
    ids = checked_ids(annotation_ids)
    found = {a.pk: a for a in Annotation.objects.select_for_update(of=("self",)).filter(permissions.visible_q(user), pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:  # someone else's private note answers exactly as an id never used
        raise InputError({"ids": f"No annotation with id {', '.join(map(str, missing))}."})
    return [review_annotation(user=user, annotation=found[pk], status=status, reason=reason) for pk in ids]


def checked_ids(annotation_ids) -> list[int]:
    if not isinstance(annotation_ids, list) or not annotation_ids:
        raise InputError({"ids": "Choose at least one annotation."})
    if len(annotation_ids) > MAX_BULK:
        raise InputError({"ids": f"At most {MAX_BULK} annotations at a time."})
    parsed = [parse_id(i) for i in annotation_ids]
    if None in parsed:
        raise InputError({"ids": "ids must be annotation ids (positive integers)."})
    return sorted(set(parsed))
