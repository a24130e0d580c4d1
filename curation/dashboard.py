"""What the curators' overview shows: counts, the gaps between records and annotations, orphans.

Everything here counts only what the curator may see (``annotations.permissions``): someone
else's private note is in no count, list or gap.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, QuerySet

from annotations import anchoring, permissions, selectors, services
from annotations.models import Annotation
from archive_site.models import Document, Record

PERSON_TYPE = "person"


def orphaned_annotations(user) -> QuerySet[Annotation]:
    return (
        selectors.visible_annotations(user)
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
    if not permissions.can_review(user) or not permissions.can_view(user, annotation):
        raise PermissionDenied("Only curators may re-attach annotations.")
    return services.reattach(annotation, user=user, start=start, end=end)


def records_without_annotations(user) -> QuerySet[Record]:
    """Live records that no annotation the curator may see links to."""
    linked = Annotation.objects.filter(permissions.visible_q(user), records__isnull=False).values("records")
    return Record.objects.filter(merged_into__isnull=True).exclude(pk__in=linked).order_by("label", "id")


def person_annotations_without_record(user) -> QuerySet[Annotation]:
    return (
        selectors.visible_annotations(user)
        .filter(entity_type__key=PERSON_TYPE, records__isnull=True, reply_to__isnull=True)
        .order_by("document__slug", "target_start", "id")
    )


@dataclass
class DashboardStats:
    by_status: list[dict]
    by_annotator: list[dict]
    by_entity_type: list[dict]
    pending_documents: list[dict]
    top_records: list[dict]
    orphaned: int
    total: int


def dashboard_stats(user, limit: int = 10) -> DashboardStats:
    """Counts by status, by annotator and by entity type; the documents with the most pending
    annotations; the records most mentioned by published annotations. A handful of aggregate
    queries, whatever the size of the archive."""
    visible = permissions.visible_q(user)
    annotations = Annotation.objects.filter(visible)
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
    pending_ids = annotations.filter(status=Annotation.Status.PENDING).values("pk")
    pending_documents = list(
        Document.objects.annotate(pending=Count("annotations", filter=Q(annotations__in=pending_ids)))
        .filter(pending__gt=0).order_by("-pending", "slug").values("slug", "title", "pending")[:limit]
    )
    visible_ids = annotations.values("pk")
    top_records = list(
        Record.objects.filter(merged_into__isnull=True)
        .annotate(
            mentions=Count("annotations", filter=permissions.published_q("annotations__")),
            all_mentions=Count("annotations", filter=Q(annotations__in=visible_ids)),
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
