"""Writes. Each service owns its transaction and side effects: the permission check, anchoring,
the one history row per logical change (who, when, what) and the ``annotation_changed`` signal,
sent last, inside the transaction, after tags and records are set (search's outbox).

Rules decided here, and only here:

- **Status.** Curators' new annotations start ``approved``, everybody else's ``pending``; only
  curators may set ``status`` (a status sent by anyone else is ignored). An edit by anyone but a
  curator that changes what an approved or rejected annotation says sends it back to ``pending``:
  what a curator approved is never silently replaced (``permissions.needs_review_after_edit``).
- **Replies.** A reply is seen by exactly the readers of the annotation it answers: its
  visibility and group are always its parent's (whatever the request said), and follow the
  parent's when that changes. Threads are at most ``permissions.MAX_REPLY_DEPTH`` deep.
- **Relations.** A relation (``annotations.relations``) links two top-level annotations the
  writer may see, and is never shared more widely than either (``permissions.relation_within``);
  when an end is narrowed its relations are narrowed with it (a history row each), and when an
  end is deleted its relations are deleted with it (and restored with it).
- **Task annotations** (``annotations.assignments``) are shared with their task's group only
  and stay pending until a curator adjudicates them.

Other apps (curation) write annotations through ``record_change`` and ``relations_changing``, so
that their changes keep the same history row and index task.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q

from archive_site.models import Document

from . import anchoring, assignments, permissions, relations, selectors
from .models import ANNOTATION_HISTORY, Annotation, Tag
from .schemas import AnnotationInput, InputError
from .signals import annotation_changed


class PreconditionFailed(Exception):
    """The client's If-Match does not match the annotation's current version (HTTP 412)."""


@dataclass(frozen=True)
class ReanchorReport:
    kept: int = 0
    moved: int = 0
    orphaned: int = 0


# --- helpers -------------------------------------------------------------------------------


@contextmanager
def _quietly(annotation: Annotation):
    """Writes inside make no history rows of their own (m2m changes included): the service writes
    the one row for the whole logical change (``_write_history``)."""
    annotation.skip_history_when_saving = True
    try:
        yield annotation
    finally:
        del annotation.skip_history_when_saving


def _write_history(annotation: Annotation, history_type: str, user, reason: str = "") -> None:
    """One history row for this logical change, made by django-simple-history itself (with the
    tag and record snapshot), saying who made it and why."""
    annotation._history_user = user if (user is not None and user.is_authenticated) else None
    if reason:
        annotation._change_reason = reason
    try:
        ANNOTATION_HISTORY.create_historical_record(annotation, history_type)
    finally:
        annotation.__dict__.pop("_change_reason", None)


def _changed(annotation: Annotation, *, deleted: bool = False) -> None:
    annotation_changed.send(sender=Annotation, annotation=annotation, deleted=deleted)


def record_change(annotation: Annotation, *, user, reason: str = "", history_type: str = "~") -> Annotation:
    """Save ``annotation`` as one logical change: the row, one history row (who, why) and its index
    task, in the caller's transaction. Writes of other apps (curation) go through here."""
    with _quietly(annotation):
        annotation.save()
    _write_history(annotation, history_type, user, reason)
    _changed(annotation)
    if annotation.relation_source_id is None and annotation.reply_to_id is None:
        # A relation's index entry carries its ends' review status (search.indexing): re-index them.
        for relation in Annotation.objects.filter(Q(relation_source=annotation) | Q(relation_target=annotation)):
            _changed(relation)
    return annotation


@contextmanager
def relations_changing(annotation: Annotation):
    """Change an annotation's tags or records inside (``annotation.records.add(...)``) without a
    history row per change; follow with ``record_change``."""
    with _quietly(annotation):
        yield annotation


def _tags_for(names: list[str]) -> list[Tag]:
    """One tag per name (case-insensitive: an existing spelling wins), created where missing."""
    tags: dict[int, Tag] = {}
    for name in names:
        tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
        tags.setdefault(tag.pk, tag)
    return list(tags.values())


def _check_group(user, data: AnnotationInput) -> None:
    if data.task is not None:  # a task annotation's group is its task's (annotations.assignments)
        return
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
    if annotation.reply_to_id is None:
        annotation.visibility = data.visibility
        annotation.group = data.group if data.visibility == Annotation.Visibility.GROUP else None
    else:  # a reply is seen by the readers of its parent, never by more
        annotation.visibility, annotation.group_id = annotation.reply_to.visibility, annotation.reply_to.group_id
    annotation.motivation = _motivation(data)
    if data.status is not None and permissions.can_review(user) and data.status != annotation.status:
        annotation.status = data.status
        annotation.reviewed_by = user


def _thread_depth(annotation: Annotation) -> int:
    """How many annotations ``annotation`` answers up its thread (0 for a top-level one)."""
    depth, node = 0, annotation
    while node.reply_to_id is not None and depth <= permissions.MAX_REPLY_DEPTH:
        node, depth = node.reply_to, depth + 1
    return depth


def _content(annotation: Annotation, tags=None, records=None) -> tuple:
    """What a reader is shown of an annotation (for deciding whether an edit changed it)."""
    if tags is None:
        tags = annotation.tags.values_list("pk", flat=True)
        records = annotation.records.values_list("pk", flat=True)
    return (
        annotation.document_id, annotation.target_start, annotation.target_end, annotation.comment,
        annotation.entity_type_id, annotation.visibility, annotation.group_id, annotation.motivation,
        annotation.relation_type_id, frozenset(tags), frozenset(records),
    )


# --- annotations ---------------------------------------------------------------------------


def create_annotation(*, user, data: AnnotationInput) -> Annotation:
    """Checks, anchoring and lookups first; then one short write transaction (on SQLite it holds
    the database's only write lock from BEGIN IMMEDIATE to COMMIT, so nothing that only reads is
    done inside it but the history row's snapshot of what was just written): the annotation, its
    tags and records, its history row and its index task."""
    if not permissions.can_create(user):
        raise PermissionDenied("Sign in to annotate.")
    annotation = Annotation(creator=user)
    if data.task is not None:
        assignments.prepare_task_annotation(user, data)
        annotation.task = data.task
    if data.relation_source is not None:
        _check_group(user, data)
        relations.check_relation(user, data)
        _apply_relation(annotation, data)
    elif data.reply_to is not None:
        parent = data.reply_to
        if not permissions.can_view(user, parent):
            raise PermissionDenied("You cannot reply to an annotation you cannot see.")
        if parent.relation_source_id is not None:
            raise InputError({"target": "A relation takes no replies: say it in the relation's comment, "
                                        "or reply to the annotations it links."})
        if _thread_depth(parent) + 1 > permissions.MAX_REPLY_DEPTH:
            raise InputError({"target": f"Replies nest at most {permissions.MAX_REPLY_DEPTH} deep: "
                                        "answer an annotation higher up the thread."})
        annotation.reply_to = parent
        annotation.document = parent.document
    else:
        _check_group(user, data)
        _apply_target(annotation, data)
    annotation.status = Annotation.Status.APPROVED if permissions.is_curator(user) else Annotation.Status.PENDING
    _apply_fields(annotation, data, user)
    if annotation.task_id is not None:  # adjudicated by curators, never approved on creation
        annotation.status, annotation.reviewed_by = Annotation.Status.PENDING, None
    existing = {name: Tag.objects.filter(name__iexact=name).first() for name in data.tags}
    with transaction.atomic():
        with _quietly(annotation):
            annotation.save()
            tags = _add_tags(annotation, data.tags, existing)
            records = list({record.pk: record for record in data.records}.values())
            if records:
                Annotation.records.through.objects.bulk_create(
                    [Annotation.records.through(annotation=annotation, record=r) for r in records])
        _write_history(annotation, "+", user)
        _changed(annotation)
    return selectors.with_relations(annotation, tags=tags, records=records)


def _apply_relation(annotation: Annotation, data: AnnotationInput) -> None:
    """A relation's ends and type; it belongs to its source's document and quotes nothing."""
    if data.task is not None:
        raise InputError({"task": "Relations are not made within an annotation task."})
    annotation.relation_source, annotation.relation_target = data.relation_source, data.relation_target
    annotation.relation_type = data.relation_type
    annotation.document = data.relation_source.document
    annotation.target_start = annotation.target_end = None
    annotation.target_quote = annotation.target_prefix = annotation.target_suffix = ""


def _add_tags(annotation: Annotation, names: list[str], existing: dict[str, Tag | None]) -> list[Tag]:
    """A new annotation's tags, one INSERT for the links (it has none to compare with). Tags looked
    up before the transaction are used as they are; the others are looked up again inside it."""
    tags: dict[int, Tag] = {}
    for name in names:
        tag = existing.get(name) or Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
        tags.setdefault(tag.pk, tag)
    if tags:
        Annotation.tags.through.objects.bulk_create(
            [Annotation.tags.through(annotation=annotation, tag=tag) for tag in tags.values()])
    return list(tags.values())


@transaction.atomic
def update_annotation(*, user, annotation: Annotation, data: AnnotationInput, if_match: str | None = None) -> Annotation:
    """Replace the annotation's content (a PUT). ``if_match``: the client's ETag(s), checked
    against the current version under a row lock (``PreconditionFailed`` on mismatch)."""
    from .w3c import etag  # w3c presents annotations; the services only need its validator

    current = Annotation.objects.select_for_update(of=("self",)).select_related("reply_to").get(pk=annotation.pk)
    if not permissions.can_edit(user, current):
        raise PermissionDenied("Only the creator or a curator may edit this annotation.")
    if if_match is not None and not etag_matches(if_match, etag(current)):
        raise PreconditionFailed("The annotation has changed since you fetched it (If-Match does not match).")
    annotation = current
    before = _content(annotation)
    if annotation.task_id is not None or data.task is not None:
        assignments.check_task_edit(user, annotation, data)
    if annotation.relation_source_id is not None:
        ends = (data.relation_source.pk, data.relation_target.pk) if data.relation_source is not None else None
        if ends != (annotation.relation_source_id, annotation.relation_target_id):
            raise InputError({"target": "A relation's ends cannot be changed: delete it and make a new one."})
        _check_group(user, data)
        relations.check_relation(user, data)
        annotation.relation_type = data.relation_type
    elif annotation.reply_to_id is None:
        if data.reply_to is not None:
            raise anchoring.AnchorError("An annotation cannot be turned into a reply.")
        if data.relation_source is not None:
            raise InputError({"body": "An annotation cannot be turned into a relation: make a new one."})
        _check_group(user, data)
        _apply_target(annotation, data)
    elif data.reply_to is None or data.reply_to.pk != annotation.reply_to_id:
        raise anchoring.AnchorError("A reply's target (its parent annotation) cannot be changed.")
    status_before = annotation.status
    _apply_fields(annotation, data, user)
    tags = _tags_for(data.tags)
    records = list({record.pk: record for record in data.records}.values())
    changed = _content(annotation, [t.pk for t in tags], [r.pk for r in records]) != before
    if changed and annotation.status == status_before != Annotation.Status.PENDING \
            and permissions.needs_review_after_edit(user):
        # What a curator approved (or rejected) is not what it says now: back to the queue.
        annotation.status = Annotation.Status.PENDING
        annotation.reviewed_by = None
    with relations_changing(annotation):
        annotation.tags.set(tags)
        annotation.records.set(records)
    record_change(annotation, user=user)
    if (before[5], before[6]) != (annotation.visibility, annotation.group_id):
        _replies_follow(annotation, user)
        relations_follow(annotation, user)
    return annotation


def relations_follow(annotation: Annotation, user) -> None:
    """The relations linking ``annotation`` that would now be seen more widely than it are
    narrowed to what both their ends allow, each with a history row. Other apps that change an
    annotation's visibility through ``record_change`` call this after it."""
    touching = (Annotation.objects.select_for_update(of=("self",))
                .filter(Q(relation_source=annotation) | Q(relation_target=annotation))
                .select_related("relation_source", "relation_target").order_by("pk"))
    for relation in touching:
        ends = (relation.relation_source, relation.relation_target)
        if all(permissions.relation_within(relation.visibility, relation.group_id, end) for end in ends):
            continue
        relation.visibility, relation.group_id = permissions.widest_relation_visibility(ends)
        record_change(relation, user=user, reason=f"visibility narrowed to follow annotation {annotation.pk}")


def _replies_follow(annotation: Annotation, user) -> None:
    """The replies of ``annotation`` (and theirs) take its new visibility, each with a history row."""
    frontier = [annotation]
    while frontier:
        replies = list(Annotation.objects.select_for_update().filter(reply_to__in=frontier).order_by("pk"))
        for reply in replies:
            reply.visibility, reply.group_id = annotation.visibility, annotation.group_id
            record_change(reply, user=user, reason=f"visibility follows annotation {annotation.pk}")
        frontier = replies


def etag_matches(if_match: str, current: str) -> bool:
    if if_match.strip() == "*":
        return True
    tags = [t.strip().removeprefix("W/") for t in if_match.split(",")]
    return current in tags


def thread_of(annotation: Annotation) -> list[Annotation]:
    """The annotation and every reply under it, parents before their replies."""
    found, frontier = [], [annotation]
    while frontier:
        found.extend(frontier)
        frontier = list(Annotation.objects.filter(reply_to__in=frontier))
    return found


def thread_marker(annotation_id: int) -> str:
    """The change reason of the replies deleted with annotation ``annotation_id``; restoring it
    finds them by it."""
    return f"deleted with its thread (annotation {annotation_id})"


@transaction.atomic
def delete_annotation(*, user, annotation: Annotation, reason: str = "") -> None:
    """Delete (with its replies, and the relations linking any of them). History keeps every
    version, so a curator can restore it; the deletion rows of the replies and relations name the
    annotation whose deletion took them, so restoring it brings exactly them back."""
    if not permissions.can_delete(user, annotation):
        raise PermissionDenied("Only the creator or a curator may delete this annotation.")
    assignments.check_task_delete(user, annotation)
    thread = thread_of(annotation)
    linked = list(Annotation.objects.filter(Q(relation_source__in=thread) | Q(relation_target__in=thread))
                  .exclude(pk__in=[item.pk for item in thread]).order_by("pk"))
    doomed = thread + linked
    ids = [item.pk for item in doomed]
    for item in reversed(doomed):  # relations and replies first, each with its own history row
        item._history_user = user
        if item is not annotation:
            item._change_reason = thread_marker(annotation.pk)
        elif reason:
            item._change_reason = reason
        item.delete()
    for item, pk in zip(doomed, ids, strict=True):
        item.pk = item.id = pk  # receivers need the id of what was deleted
        _changed(item, deleted=True)


# --- re-anchoring after a text edit --------------------------------------------------------


def _plan_reanchor(document: Document, new_text: str):
    """(annotation, anchor or None, kind) for each of the document's text annotations."""
    plans = []
    passages = Annotation.objects.filter(document=document, reply_to__isnull=True, relation_source__isnull=True)
    for annotation in passages.order_by("pk"):
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
        return ReanchorReport(kept=Annotation.objects.filter(document=document, reply_to__isnull=True,
                                                             relation_source__isnull=True).count())
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
        record_change(annotation, user=user, reason=reason)
    return ReanchorReport(**counts)


def reattach(annotation: Annotation, *, user, start: int, end: int) -> Annotation:
    """Anchor ``annotation`` at ``[start, end)`` of its document's current text, where the text
    must be its quote (the caller checks who may; curators re-attach orphans by hand)."""
    annotation = Annotation.objects.select_for_update().select_related("document").get(pk=annotation.pk)
    if annotation.reply_to_id or annotation.relation_source_id:
        raise anchoring.AnchorError("A reply or a relation has no passage to re-attach.")
    text = annotation.document.text
    anchoring.check_selector(text, start=start, end=end, quote=annotation.target_quote)
    annotation.target_start, annotation.target_end = start, end
    annotation.target_prefix, annotation.target_suffix = anchoring.context(text, start, end)
    annotation.anchor_state = Annotation.AnchorState.ANCHORED
    return record_change(annotation, user=user, reason=f"re-attached by hand at [{start}, {end})")
