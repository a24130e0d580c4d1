"""Review: the queue of what curators may see and have not yet decided, one review, many at once.

Curators review what would be published: public and group annotations and replies (never someone
else's private note: ``annotations.permissions``). A reply is shown with the annotation it answers.
Every decision is an ``annotations.services.record_change`` (history row, index task).
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from annotations import permissions, selectors, services
from annotations.models import Annotation
from annotations.schemas import InputError

from .inputs import has_nul, parse_id

QUEUE_FILTERS = ("status", "document", "creator", "entity_type", "record", "older_than", "newer_than")
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
    qs = selectors.visible_annotations(user).select_related("reviewed_by", "reply_to", "reply_to__creator")
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
