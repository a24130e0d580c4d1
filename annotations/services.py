"""Writes. Each service owns its transaction and side effects: the permission check, anchoring,
the one history row per logical change (who, when, what) and the ``annotation_changed`` signal,
sent last, inside the transaction, after tags and records are set (search's outbox).

Status rule: curators' new annotations start ``approved``, everybody else's ``pending``; only
curators may set ``status`` — a status sent by anyone else is ignored (documented in the README).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from simple_history.signals import (
    post_create_historical_m2m_records,
    post_create_historical_record,
    pre_create_historical_m2m_records,
    pre_create_historical_record,
)

from archive_site.models import Document

from . import anchoring, permissions, selectors
from .models import ANNOTATION_HISTORY, Annotation, Tag
from .schemas import AnnotationInput
from .signals import annotation_changed


class PreconditionFailed(Exception):
    """The client's If-Match does not match the annotation's current version (HTTP 412)."""


@dataclass(frozen=True)
class ReanchorReport:
    kept: int = 0
    moved: int = 0
    orphaned: int = 0


# --- helpers -------------------------------------------------------------------------------


def _record_history(annotation: Annotation, history_type: str, user, reason: str | None = None,
                    m2m_rows: dict[str, list] | None = None) -> None:
    """One history row for this logical change. ``m2m_rows``: the annotation's tag and record
    rows (through-table rows) when the caller has just written them, so that the snapshot is
    taken from them instead of being read back from the database."""
    annotation._history_user = user if (user is not None and user.is_authenticated) else None
    if reason:
        annotation._change_reason = reason
    if m2m_rows is None:
        ANNOTATION_HISTORY.create_historical_record(annotation, history_type)
    else:
        _create_historical_record(annotation, history_type, m2m_rows)
    for attr in ("_change_reason",):
        annotation.__dict__.pop(attr, None)


def _create_historical_record(annotation: Annotation, history_type: str, m2m_rows: dict[str, list]) -> None:
    """``ANNOTATION_HISTORY.create_historical_record`` (django-simple-history 3.x: the same row,
    the same m2m snapshot rows, the same signals), except that the m2m snapshot is made from
    ``m2m_rows`` rather than from one SELECT per m2m field inside the write transaction."""
    history = ANNOTATION_HISTORY
    manager = getattr(annotation, history.manager_name)
    history_date = getattr(annotation, "_history_date", timezone.now())
    history_user = history.get_history_user(annotation)
    reason = history.get_change_reason_for_object(annotation, history_type, None)
    attrs = {field.attname: getattr(annotation, field.attname) for field in history.fields_included(annotation)}
    if getattr(manager.model, "history_relation", None) is not None:
        attrs["history_relation"] = annotation
    row = manager.model(history_date=history_date, history_type=history_type, history_user=history_user,
                        history_change_reason=reason, **attrs)
    pre_create_historical_record.send(sender=manager.model, instance=annotation, history_date=history_date,
                                      history_user=history_user, history_change_reason=reason,
                                      history_instance=row, using=None)
    row.save()
    for field in row._history_m2m_fields:
        m2m_model = history.m2m_models[field]
        names = [f.name for f in getattr(annotation, field.name).through._meta.fields]
        insert = [m2m_model(history=row, **{name: getattr(through, name) for name in names})
                  for through in m2m_rows[field.name]]
        pre_create_historical_m2m_records.send(sender=m2m_model, rows=insert, history_instance=row,
                                               instance=annotation, field=field)
        created = m2m_model.objects.bulk_create(insert) if insert else []
        post_create_historical_m2m_records.send(sender=m2m_model, created_rows=created, history_instance=row,
                                                instance=annotation, field=field)
    post_create_historical_record.send(sender=manager.model, instance=annotation, history_instance=row,
                                       history_date=history_date, history_user=history_user,
                                       history_change_reason=reason, using=None)


def _save_quietly(annotation: Annotation) -> None:
    """Save without simple-history's automatic rows (the service writes one row itself)."""
    annotation.skip_history_when_saving = True
    try:
        annotation.save()
    finally:
        del annotation.skip_history_when_saving


def _set_relations(annotation: Annotation, data: AnnotationInput) -> None:
    annotation.skip_history_when_saving = True
    try:
        tags = []
        for name in data.tags:
            tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
            tags.append(tag)
        annotation.tags.set(tags)
        annotation.records.set(data.records)
    finally:
        del annotation.skip_history_when_saving


def _existing_tags(names: list[str]) -> dict[str, Tag]:
    """The tags that already exist for ``names`` (case-insensitive), read before the write
    transaction; the rest are looked up again and created inside it (``_add_relations``)."""
    found = {}
    for name in names:
        tag = Tag.objects.filter(name__iexact=name).first()
        if tag is not None:
            found[name] = tag
    return found


def _add_relations(annotation: Annotation, data: AnnotationInput, tags: dict[str, Tag]) -> dict[str, list]:
    """Tags and records of a new annotation, one INSERT per relation (a new annotation has none
    to compare with, so ``set()``'s reads are not needed and no m2m signal is due: history is
    written by the service). Returns the through rows written, for the history snapshot."""
    unique_tags: dict[int, Tag] = {}
    for name in data.tags:
        tag = tags.get(name) or Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
        unique_tags.setdefault(tag.pk, tag)
    unique_records = {record.pk: record for record in data.records}
    tag_through, record_through = Annotation.tags.through, Annotation.records.through
    rows = {"tags": [tag_through(annotation=annotation, tag=tag) for tag in unique_tags.values()],
            "records": [record_through(annotation=annotation, record=record) for record in unique_records.values()]}
    if rows["tags"]:
        rows["tags"] = tag_through.objects.bulk_create(rows["tags"])
    if rows["records"]:
        rows["records"] = record_through.objects.bulk_create(rows["records"])
    return rows


def _changed(annotation: Annotation, *, deleted: bool = False) -> None:
    annotation_changed.send(sender=Annotation, annotation=annotation, deleted=deleted)


def _check_group(user, data: AnnotationInput) -> None:
    if data.group is not None and not permissions.is_curator(user):
        if not data.group.members.filter(pk=user.pk).exists():
            raise PermissionDenied(f"You are not a member of the group {data.group.name!r}.")


def _apply_target(annotation: Annotation, data: AnnotationInput) -> None:
    """Check the selector against the text (``anchoring``) and set the target fields."""
    text = data.document.text
    start, end, quote = data.start, data.end, data.quote
    if start is None and end is None:
        if not quote:
            raise anchoring.AnchorError("A TextPositionSelector or a TextQuoteSelector is required.")
        found = anchoring.locate(text, quote=quote, prefix=data.prefix, suffix=data.suffix, threshold=1.0)
        if found is None or not found.exact:
            raise anchoring.AnchorError(f"The quote {quote[:60]!r} does not occur in the document.")
        start, end = found.start, found.end
    elif start is None or end is None:
        raise anchoring.AnchorError("A TextPositionSelector needs both start and end.")
    anchoring.check_selector(text, start=start, end=end, quote=quote)
    annotation.document = data.document
    annotation.target_start, annotation.target_end = start, end
    annotation.target_quote = text[start:end]
    annotation.target_prefix, annotation.target_suffix = anchoring.context(text, start, end)
    annotation.anchor_state = Annotation.AnchorState.ANCHORED


def _motivation(data: AnnotationInput) -> str:
    if data.reply_to is not None:
        return "replying"
    if data.motivation:
        return data.motivation
    if data.records:
        return "identifying"
    if data.entity_type is not None:
        return "classifying"
    if data.comment:
        return "commenting"
    if data.tags:
        return "tagging"
    return "highlighting"


def _apply_fields(annotation: Annotation, data: AnnotationInput, user) -> None:
    annotation.comment = data.comment
    annotation.entity_type = data.entity_type
    annotation.visibility = data.visibility
    annotation.group = data.group
    annotation.motivation = _motivation(data)
    if data.status is not None and permissions.can_review(user) and data.status != annotation.status:
        annotation.status = data.status
        annotation.reviewed_by = user


# --- annotations ---------------------------------------------------------------------------


def create_annotation(*, user, data: AnnotationInput) -> Annotation:
    """Checks, anchoring and lookups first; then one short write transaction (on SQLite it holds
    the database's only write lock from BEGIN IMMEDIATE to COMMIT, so nothing that only reads is
    done inside it): the annotation, its tags and records, its history row and its index task."""
    if not permissions.can_create(user):
        raise PermissionDenied("Sign in to annotate.")
    _check_group(user, data)
    annotation = Annotation(creator=user)
    if data.reply_to is not None:
        if not permissions.can_view(user, data.reply_to):
            raise PermissionDenied("You cannot reply to an annotation you cannot see.")
        annotation.reply_to = data.reply_to
        annotation.document = data.reply_to.document
    else:
        _apply_target(annotation, data)
    curator = permissions.is_curator(user)
    annotation.status = Annotation.Status.APPROVED if curator else Annotation.Status.PENDING
    _apply_fields(annotation, data, user)
    tags = _existing_tags(data.tags)
    with transaction.atomic():
        _save_quietly(annotation)
        rows = _add_relations(annotation, data, tags)
        _record_history(annotation, "+", user, m2m_rows=rows)
        _changed(annotation)
    return selectors.with_relations(annotation, tags=[row.tag for row in rows["tags"]],
                                    records=[row.record for row in rows["records"]])


@transaction.atomic
def update_annotation(*, user, annotation: Annotation, data: AnnotationInput, if_match: str | None = None) -> Annotation:
    """Replace the annotation's content (a PUT). ``if_match``: the client's ETag(s), checked
    against the current version under a row lock (``PreconditionFailed`` on mismatch)."""
    from .w3c import etag  # local: w3c imports models only, but keep services' import surface small

    current = Annotation.objects.select_for_update().get(pk=annotation.pk)
    if not permissions.can_edit(user, current):
        raise PermissionDenied("Only the creator or a curator may edit this annotation.")
    if if_match is not None and not etag_matches(if_match, etag(current)):
        raise PreconditionFailed("The annotation has changed since you fetched it (If-Match does not match).")
    _check_group(user, data)
    annotation = current
    if annotation.reply_to_id is None:
        if data.reply_to is not None:
            raise anchoring.AnchorError("An annotation cannot be turned into a reply.")
        _apply_target(annotation, data)
    elif data.reply_to is None or data.reply_to.pk != annotation.reply_to_id:
        raise anchoring.AnchorError("A reply's target (its parent annotation) cannot be changed.")
    _apply_fields(annotation, data, user)
    if annotation.status == Annotation.Status.REJECTED and not permissions.can_review(user):
        # The creator's answer to a rejection: the edited annotation goes back for review.
        annotation.status = Annotation.Status.PENDING
    _save_quietly(annotation)
    _set_relations(annotation, data)
    _record_history(annotation, "~", user)
    _changed(annotation)
    return annotation


def etag_matches(if_match: str, current: str) -> bool:
    if if_match.strip() == "*":
        return True
    tags = [t.strip().removeprefix("W/") for t in if_match.split(",")]
    return current in tags


def _with_replies(annotation: Annotation) -> list[Annotation]:
    found, frontier = [], [annotation]
    while frontier:
        found.extend(frontier)
        frontier = list(Annotation.objects.filter(reply_to__in=frontier))
    return found


def _thread_marker(annotation_id: int) -> str:
    return f"deleted with its thread (annotation {annotation_id})"


@transaction.atomic
def delete_annotation(*, user, annotation: Annotation) -> None:
    """Delete (with its replies). History keeps every version, so a curator can restore it; the
    replies' deletion rows name the annotation whose deletion took them, so restoring it brings
    exactly them back."""
    if not permissions.can_delete(user, annotation):
        raise PermissionDenied("Only the creator or a curator may delete this annotation.")
    doomed = _with_replies(annotation)
    ids = [a.pk for a in doomed]
    for item in reversed(doomed):  # replies first (deepest last found), each with its own history row
        item._history_user = user
        if item is not annotation:
            item._change_reason = _thread_marker(annotation.pk)
        item.delete()
    for item, pk in zip(doomed, ids, strict=True):
        item.pk = item.id = pk  # receivers need the id of what was deleted
        _changed(item, deleted=True)


@transaction.atomic
def restore_annotation(*, user, history_id: int) -> Annotation:
    """Bring back an annotation (deleted or not) as it was in history row ``history_id``;
    curators only. Restoring a deletion also restores the replies deleted with it. Record links
    to records deleted since are dropped."""
    if not permissions.can_review(user):
        raise PermissionDenied("Only curators may restore annotations.")
    row = Annotation.history.model.objects.filter(history_id=history_id).first()
    if row is None:
        raise Annotation.DoesNotExist(f"No history entry {history_id}.")
    if not Document.objects.filter(pk=row.document_id).exists():
        raise Annotation.DoesNotExist("The annotation's document no longer exists.")
    if row.reply_to_id and not Annotation.objects.filter(pk=row.reply_to_id).exists():
        raise Annotation.DoesNotExist("Restore the annotation this one replies to first.")
    annotation = _restore_row(user, row)
    if row.history_type == "-":
        # This deletion's rows: after the parent's last version before it, up to the deletion itself.
        since = annotation.history.filter(history_date__lt=row.history_date).exclude(history_type="-").first()
        replies = Annotation.history.model.objects.filter(
            history_type="-", history_change_reason=_thread_marker(row.id), history_date__lte=row.history_date,
            history_date__gte=since.history_date if since else row.history_date,
        ).order_by("-history_id")  # parents were deleted after their replies: restore them first
        for reply_row in replies:
            if not Annotation.objects.filter(pk=reply_row.id).exists():
                _restore_row(user, reply_row)
    return annotation


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
    from archive_site.models import Record

    tag_ids = list(snapshot.tags.values_list("tag_id", flat=True))
    record_ids = list(Record.objects.filter(pk__in=snapshot.records.values_list("record_id", flat=True)).values_list("pk", flat=True))
    annotation.skip_history_when_saving = True
    try:
        annotation.save(force_insert=not existed)
        annotation.tags.set(tag_ids)
        annotation.records.set(record_ids)
    finally:
        del annotation.skip_history_when_saving
    annotation.refresh_from_db()
    _record_history(annotation, "~" if existed else "+", user, reason=f"restored from history entry {row.history_id}")
    _changed(annotation)
    return annotation


@transaction.atomic
def review_annotation(*, user, annotation: Annotation, status: str, reason: str = "") -> Annotation:
    """Approve or reject (curators)."""
    if not permissions.can_review(user):
        raise PermissionDenied("Only curators may review annotations.")
    if status not in Annotation.Status.values:
        raise ValueError(f"Unknown status {status!r}.")
    annotation.status, annotation.review_reason, annotation.reviewed_by = status, reason, user
    _save_quietly(annotation)
    _record_history(annotation, "~", user, reason=f"review: {status}")
    _changed(annotation)
    return annotation


# --- re-anchoring after a text edit --------------------------------------------------------


def _plan_reanchor(document: Document, new_text: str):
    """(annotation, anchor or None, kind) for each of the document's text annotations."""
    plans = []
    for annotation in Annotation.objects.filter(document=document, reply_to__isnull=True).order_by("pk"):
        anchor = anchoring.reanchor(
            new_text, start=annotation.target_start, end=annotation.target_end, quote=annotation.target_quote,
            prefix=annotation.target_prefix, suffix=annotation.target_suffix,
        )
        if anchor is None:
            kind = "orphaned"
        elif (
            anchor.start == annotation.target_start and anchor.end == annotation.target_end
            and annotation.anchor_state == Annotation.AnchorState.ANCHORED
        ):
            kind = "kept"
        else:
            kind = "moved"
        plans.append((annotation, anchor, kind))
    return plans


def preview_reanchor(document: Document, new_text: str) -> ReanchorReport:
    """What saving ``new_text`` would do to the document's annotations (nothing is written)."""
    from archive_site.text import normalise_text

    counts = {"kept": 0, "moved": 0, "orphaned": 0}
    for _annotation, _anchor, kind in _plan_reanchor(document, normalise_text(new_text)):
        counts[kind] += 1
    return ReanchorReport(**counts)


@transaction.atomic
def reanchor_document(document: Document, old_text: str | None = None, *, user=None) -> ReanchorReport:
    """Place the document's annotations in its (already saved) new text: the quote with its
    context is found again (exactly, then the nearest fuzzy match); those that cannot be placed
    are kept and marked orphaned, never dropped. ``old_text`` is accepted for callers that have
    it; the stored quote and context are what re-anchoring uses."""
    text = document.text
    if old_text is not None and old_text == text:
        return ReanchorReport(kept=Annotation.objects.filter(document=document, reply_to__isnull=True).count())
    counts = {"kept": 0, "moved": 0, "orphaned": 0}
    for annotation, anchor, kind in _plan_reanchor(document, text):
        counts[kind] += 1
        if kind == "kept":
            continue
        if anchor is None:
            if annotation.anchor_state == Annotation.AnchorState.ORPHANED:
                continue
            annotation.anchor_state = Annotation.AnchorState.ORPHANED
            annotation.target_start = annotation.target_end = None
            reason = "orphaned: the quote is no longer in the edited text"
        else:
            annotation.target_start, annotation.target_end = anchor.start, anchor.end
            annotation.target_quote = text[anchor.start : anchor.end]
            annotation.target_prefix, annotation.target_suffix = anchoring.context(text, anchor.start, anchor.end)
            annotation.anchor_state = Annotation.AnchorState.ANCHORED
            reason = "re-anchored after a text edit" + ("" if anchor.exact else " (fuzzy match)")
        annotation.document = document
        _save_quietly(annotation)
        _record_history(annotation, "~", user, reason=reason)
        _changed(annotation)
    return ReanchorReport(**counts)
