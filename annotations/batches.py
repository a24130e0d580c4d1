"""Batches: many annotations made together ("link all occurrences" of a record), undone together
and reviewed as one item.

Which passages name a record is search's to say (``search.occurrences``, which owns the folding
of spellings); it calls ``create_batch`` with the passages the user chose. Here: the checks, one
transaction for the whole batch (annotations, tag and record links, one history row each, one
index task each), passages already annotated with the record (by an annotation the user may
see) skipped rather than duplicated; and the undo, which deletes the batch's annotations that
nobody else has changed since and says which it kept and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, pre_delete
from django.utils import timezone

from archive_site.models import Document, Record

from . import anchoring, permissions, services
from .models import Annotation, AnnotationBatch, AnnotationGroup, EntityType, Tag
from .schemas import InputError

MAX_BATCH = 5000
# What a reader is shown of an annotation: a change of any of these by someone else is an edit
# that undoing a batch keeps (a review alone, status and reason, is not).
CONTENT_FIELDS = ("comment", "entity_type_id", "target_start", "target_end", "visibility", "group_id", "motivation",
                  "document_id", "anchor_state")


@dataclass(frozen=True)
class Passage:
    document: Document
    start: int
    end: int


@dataclass
class BatchReport:
    batch: AnnotationBatch
    created: list[Annotation]
    skipped: list[dict] = field(default_factory=list)


@dataclass
class UndoReport:
    batch: AnnotationBatch
    deleted: list[int] = field(default_factory=list)
    kept: list[dict] = field(default_factory=list)

    @property
    def message(self) -> str:
        text = f"{len(self.deleted)} annotation{'s' if len(self.deleted) != 1 else ''} of the batch deleted"
        if self.kept:
            text += f"; {len(self.kept)} kept because others changed them: " + "; ".join(
                f"{k['id']} ({k['reason']})" for k in self.kept[:20]) + (" ..." if len(self.kept) > 20 else "")
        return text + "."


def _taken_spans(user, record: Record, documents) -> dict[int, list[tuple[int, int, int]]]:
    """document id -> [(start, end, annotation id)] of the annotations linking ``record`` there
    that ``user`` may see (what "already annotated" means: never someone's private note)."""
    spans: dict[int, list[tuple[int, int, int]]] = {}
    rows = (Annotation.objects.filter(permissions.visible_q(user), records=record, document__in=documents,
                                      target_start__isnull=False)
            .values_list("document_id", "target_start", "target_end", "pk"))
    for doc_id, start, end, pk in rows:
        spans.setdefault(doc_id, []).append((start, end, pk))
    return spans


def already_annotated(spans: list[tuple[int, int, int]], start: int, end: int) -> int | None:
    """The id of an annotation in ``spans`` overlapping [start, end), or None."""
    return next((pk for s, e, pk in spans if s < end and start < e), None)


def create_batch(*, user, record: Record, passages: list[Passage], entity_type: EntityType | None = None,
                 tags: list[str] = (), visibility: str = Annotation.Visibility.PRIVATE,
                 group: AnnotationGroup | None = None, comment: str = "", document: Document | None = None,
                 ) -> BatchReport:
    """Annotate every passage in ``passages`` as naming ``record`` (with the entity type, tags,
    visibility and comment given), as one batch. ``document``: the document the passages were
    looked for in (None: the whole archive)."""
    if not permissions.can_create(user):
        raise PermissionDenied("Sign in to annotate.")
    if group is not None and not permissions.is_curator(user) and not group.members.filter(pk=user.pk).exists():
        raise PermissionDenied(f"You are not a member of the group {group.name!r}.")
    if record.merged_into_id:
        record = Record.objects.get(pk=record.merged_into_id)
    if not passages:
        raise InputError({"passages": "Choose at least one passage."})
    if len(passages) > MAX_BATCH:
        raise InputError({"passages": f"At most {MAX_BATCH} passages in one batch."})
    unique: dict[tuple[int, int, int], Passage] = {}
    for p in passages:
        anchoring.check_selector(p.document.text, start=p.start, end=p.end, quote=None)
        unique.setdefault((p.document.pk, p.start, p.end), p)
    taken = _taken_spans(user, record, {p.document.pk for p in unique.values()})
    chosen, skipped = [], []
    for p in unique.values():
        existing = already_annotated(taken.get(p.document.pk, []), p.start, p.end)
        if existing is not None:
            skipped.append({"document": p.document.slug, "start": p.start, "end": p.end, "annotation": existing,
                            "reason": f"already annotated with this record (annotation {existing})"})
        else:
            chosen.append(p)
    status = Annotation.Status.APPROVED if permissions.is_curator(user) else Annotation.Status.PENDING
    visibility_group = group if visibility == Annotation.Visibility.GROUP else None
    existing_tags = {name: Tag.objects.filter(name__iexact=name).first() for name in tags}
    with transaction.atomic():
        batch = AnnotationBatch.objects.create(creator=user, record=record, entity_type=entity_type, document=document)
        made = []
        for p in chosen:
            text = p.document.text
            prefix, suffix = anchoring.context(text, p.start, p.end)
            made.append(Annotation(
                document=p.document, creator=user, target_start=p.start, target_end=p.end,
                target_quote=text[p.start:p.end], target_prefix=prefix, target_suffix=suffix,
                motivation="identifying", comment=comment, entity_type=entity_type, visibility=visibility,
                group=visibility_group, status=status, reviewed_by=user if status == Annotation.Status.APPROVED else None,
                batch=batch,
            ))
        Annotation.objects.bulk_create(made, batch_size=500)
        tag_rows = [Tag.objects.filter(name__iexact=n).first() or existing_tags.get(n)
                    or Tag.objects.create(name=n) for n in tags]
        tag_rows = list({t.pk: t for t in tag_rows}.values())
        links = _link(made, record, tag_rows)
        _bulk_history(made, links, user, reason=f"link all occurrences of record {record.pk} (batch {batch.pk})")
        batch.size = len(made)
        batch.save(update_fields=["size"])
        for annotation in made:
            services._changed(annotation)
    return BatchReport(batch=batch, created=made, skipped=skipped)


def _link(made: list[Annotation], record: Record, tags) -> dict[str, list]:
    """The record and tag links of the new annotations (one INSERT each in batches)."""
    record_links = Annotation.records.through.objects.bulk_create(
        [Annotation.records.through(annotation=a, record=record) for a in made], batch_size=500)
    tag_links = Annotation.tags.through.objects.bulk_create(
        [Annotation.tags.through(annotation=a, tag=t) for a in made for t in tags], batch_size=500)
    return {"records": record_links, "tags": tag_links}


def _bulk_history(made: list[Annotation], links: dict[str, list], user, *, reason: str) -> None:
    """One "+" history row per annotation with its tag and record snapshot, as
    ``services.record_change`` writes one for a single annotation, but in a few INSERTs."""
    rows = Annotation.history.bulk_history_create(made, batch_size=500, default_user=user, default_change_reason=reason)
    if rows and rows[0].pk is None:  # a database that returns no ids from a bulk insert: read them back
        ids = [a.pk for a in made]
        rows = list(Annotation.history.model.objects.filter(id__in=ids, history_type="+").order_by("id"))
    row_of = {row.id: row for row in rows}
    for name, through_rows in links.items():
        model = apps.get_model("annotations", f"HistoricalAnnotation_{name}")
        other = "record" if name == "records" else "tag"
        model.objects.bulk_create([
            model(history=row_of[link.annotation_id], id=link.pk, annotation_id=link.annotation_id,
                  **{f"{other}_id": getattr(link, f"{other}_id")})
            for link in through_rows
        ], batch_size=500)


# --- undo ------------------------------------------------------------------------------------------


def _changed_by_others(batch: AnnotationBatch, members: list[Annotation]) -> dict[int, str]:
    """annotation id -> why it is kept: someone other than the batch's creator edited what it
    says, replied to it, or related it to another annotation."""
    creator = batch.creator_id
    ids = [a.pk for a in members]
    kept: dict[int, str] = {}
    historical = Annotation.history.model
    by_others = set(historical.objects.filter(id__in=ids).exclude(history_user_id=creator)
                    .exclude(history_type="+").values_list("id", flat=True))
    for pk in sorted(by_others):
        rows = list(historical.objects.filter(id=pk).select_related("history_user").order_by("history_date", "history_id"))
        for previous, row in zip(rows, rows[1:], strict=False):
            if row.history_user_id == creator:
                continue
            differs = any(getattr(row, f) != getattr(previous, f) for f in CONTENT_FIELDS) or (
                {t.tag_id for t in row.tags.all()} != {t.tag_id for t in previous.tags.all()}
                or {r.record_id for r in row.records.all()} != {r.record_id for r in previous.records.all()})
            if differs:
                who = row.history_user.get_username() if row.history_user_id else "someone"
                kept[pk] = f"edited by {who}"
                break
    for pk, who in (Annotation.objects.filter(reply_to__in=ids).exclude(creator_id=creator)
                    .values_list("reply_to_id", "creator__username")):
        kept.setdefault(pk, f"replied to by {who}")
    for source, target, who in (Annotation.objects.filter(relation_source__isnull=False).exclude(creator_id=creator)
                                .filter(Q(relation_source__in=ids) | Q(relation_target__in=ids)).values_list("relation_source_id", "relation_target_id",
                                                                        "creator__username")):
        for pk in (source, target):
            if pk in ids:
                kept.setdefault(pk, f"related to another annotation by {who}")
    return kept


@transaction.atomic
def undo_batch(*, user, batch: AnnotationBatch) -> UndoReport:
    """Delete the batch's annotations, except those someone else has changed since (kept, and
    listed with the reason). Each deletion has its history row (a curator can restore it)."""
    if not permissions.can_undo_batch(user, batch):
        raise PermissionDenied("Only the batch's creator or a curator may undo it.")
    batch = AnnotationBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.undone is not None:
        raise InputError({"batch": f"Batch {batch.pk} was undone already."})
    members = list(Annotation.objects.select_for_update(of=("self",)).filter(batch=batch).order_by("pk"))
    kept_reasons = _changed_by_others(batch, members)
    report = UndoReport(batch=batch)
    reason = f"undone with batch {batch.pk}"
    ids = [a.pk for a in members]
    linked = set(Annotation.objects.filter(reply_to__in=ids).values_list("reply_to_id", flat=True))
    for source, target in Annotation.objects.filter(Q(relation_source__in=ids) | Q(relation_target__in=ids)).values_list(
            "relation_source_id", "relation_target_id"):
        linked.update((source, target))
    plain = []
    for annotation in members:
        if annotation.pk in kept_reasons:
            report.kept.append({"id": annotation.pk, "reason": kept_reasons[annotation.pk]})
        elif not permissions.can_delete(user, annotation):
            report.kept.append({"id": annotation.pk, "reason": "not yours to delete"})
        elif annotation.pk in linked:  # with the creator's own replies or relations: the whole thread
            services.delete_annotation(user=user, annotation=annotation, reason=reason)
            report.deleted.append(annotation.pk)
        else:
            plain.append(annotation)
    _delete_alone(plain, user=user, reason=reason)
    report.deleted = sorted([*report.deleted, *(a.pk for a in plain)])
    batch.undone, batch.undone_by = timezone.now(), user
    batch.save(update_fields=["undone", "undone_by"])
    return report


def _delete_alone(annotations: list[Annotation], *, user, reason: str) -> None:
    """Delete annotations that nothing points to (no reply, no relation) in a few statements
    instead of one collector run each, with what ``Model.delete()`` does around them: the tag and
    record links go first, and ``pre_delete`` / ``post_delete`` are sent for each, so that the
    history row ("-", who, why) and the search index task are written exactly as for a single
    deletion. (A batch of 1,000 took 17 s on PostgreSQL one by one.)"""
    if not annotations:
        return
    using = Annotation.objects.db
    ids = [a.pk for a in annotations]
    for annotation in annotations:
        pre_delete.send(sender=Annotation, instance=annotation, using=using, origin=annotation)
    for through in (Annotation.tags.through, Annotation.records.through):
        through.objects.filter(annotation_id__in=ids)._raw_delete(using)
    Annotation.objects.filter(pk__in=ids)._raw_delete(using)
    for annotation in annotations:
        annotation._history_user, annotation._change_reason = user, reason
        post_delete.send(sender=Annotation, instance=annotation, using=using, origin=annotation)


def batch_members(user, batch: AnnotationBatch):
    """The batch's annotations ``user`` may see."""
    from . import selectors

    return selectors.visible_annotations(user).filter(batch=batch).order_by("document__title", "target_start", "id")
