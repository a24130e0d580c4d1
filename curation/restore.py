"""Deleted annotations and bringing them (or any earlier version) back, for curators.

Curators see and restore only versions the read rule lets them see (``annotations.permissions``):
someone else's deleted private note is neither listed nor restorable (it answers as a history
entry never written). Restoring a deletion also restores the replies deleted with it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from annotations import permissions, services
from annotations.models import Annotation
from archive_site.models import Document, Record


def deleted_annotations(user, limit: int = 200) -> list[dict]:
    """Annotations whose last history row is a deletion, that ``user`` could see, newest first."""
    historical = Annotation.history.model
    existing = Annotation.objects.values("pk")
    rows = (
        historical.objects.filter(history_type="-").exclude(id__in=existing)
        .select_related("history_user").order_by("-history_date")
    )
    seen: set[int] = set()
    out = []
    for row in rows.iterator(chunk_size=200):
        if row.id in seen:
            continue
        seen.add(row.id)
        if not permissions.can_view_version(user, row):
            continue
        out.append({
            "history_id": row.history_id, "id": row.id, "document_id": row.document_id,
            "quote": row.target_quote, "comment": row.comment,
            "deleted_by": row.history_user.get_username() if row.history_user_id else None,
            "deleted_at": row.history_date.isoformat(),
        })
        if len(out) >= limit:
            break
    return out


@transaction.atomic
def restore_annotation(*, user, history_id: int) -> Annotation:
    """Bring back an annotation (deleted or not) as it was in history row ``history_id``;
    curators only. Restoring a deletion also restores the replies deleted with it. Record links
    to records deleted since are dropped."""
    if not permissions.can_review(user):
        raise PermissionDenied("Only curators may restore annotations.")
    row = Annotation.history.model.objects.filter(history_id=history_id).first()
    if row is None or not permissions.can_view_version(user, row):
        raise Annotation.DoesNotExist(f"No history entry {history_id}.")
    if not Document.objects.filter(pk=row.document_id).exists():
        raise Annotation.DoesNotExist("The annotation's document no longer exists.")
    if row.reply_to_id and not Annotation.objects.filter(pk=row.reply_to_id).exists():
        raise Annotation.DoesNotExist("Restore the annotation this one replies to first.")
    if not _ends_exist(row):
        raise Annotation.DoesNotExist("Restore the annotations this relation links first.")
    annotation = _restore_row(user, row)
    if row.history_type == "-":
        # This deletion's rows: after the parent's last version before it, up to the deletion itself.
        since = annotation.history.filter(history_date__lt=row.history_date).exclude(history_type="-").first()
        replies = Annotation.history.model.objects.filter(
            history_type="-", history_change_reason=services.thread_marker(row.id),
            history_date__lte=row.history_date,
            history_date__gte=since.history_date if since else row.history_date,
        ).order_by("-history_id")  # parents were deleted after their replies: restore them first
        for reply_row in replies:  # replies, and relations whose other end is still there
            if not Annotation.objects.filter(pk=reply_row.id).exists() and _ends_exist(reply_row):
                _restore_row(user, reply_row)
    return annotation


def _ends_exist(row) -> bool:
    """For a version of a relation: whether both annotations it links exist (else True)."""
    ends = [pk for pk in (row.relation_source_id, row.relation_target_id) if pk is not None]
    return Annotation.objects.filter(pk__in=ends).count() == len(ends)


def _restore_row(user, row) -> Annotation:
    historical_model = Annotation.history.model
    if row.history_type == "-":  # deletion rows carry no m2m snapshot: take the version before
        snapshot = (
            historical_model.objects.filter(id=row.id, history_date__lte=row.history_date)
            .exclude(history_type="-").order_by("-history_date", "-history_id").first()
        ) or row
    else:
        snapshot = row
    existed = Annotation.objects.filter(pk=row.id).exists()
    annotation = row.instance
    tag_ids = list(snapshot.tags.values_list("tag_id", flat=True))
    record_ids = list(Record.objects.filter(pk__in=snapshot.records.values_list("record_id", flat=True))
                      .values_list("pk", flat=True))
    with services.relations_changing(annotation):
        annotation.save(force_insert=not existed)
        annotation.tags.set(tag_ids)
        annotation.records.set(record_ids)
    annotation.refresh_from_db()
    return services.record_change(annotation, user=user, history_type="~" if existed else "+",
                                  reason=f"restored from history entry {row.history_id}")
