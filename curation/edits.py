"""Curators' edits of annotations from the review pages: one annotation's content, or an entity
type / a tag for many at once. Everything goes through ``services.update_annotation`` (history row,
index task); the bulk edit is one transaction."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from annotations import permissions, selectors, services
from annotations.models import Annotation, EntityType
from annotations.schemas import (
    MAX_COMMENT_CHARS,
    MAX_TAG_CHARS,
    MAX_TAGS,
    AnnotationInput,
    InputError,
    parse_visibility,
)
from archive_site.models import Record

from .inputs import has_nul, parse_id
from .review import MAX_BULK

DERIVED_MOTIVATIONS = {"highlighting", "commenting", "tagging", "classifying", "identifying"}


def input_from(annotation: Annotation) -> AnnotationInput:
    """The annotation as it is, as service input (to change a few fields and save it back)."""
    return AnnotationInput(
        document=annotation.document, start=annotation.target_start, end=annotation.target_end,
        quote=annotation.target_quote, prefix=annotation.target_prefix, suffix=annotation.target_suffix,
        comment=annotation.comment, tags=[t.name for t in annotation.tags.all()], entity_type=annotation.entity_type,
        records=list(annotation.records.all()), visibility=annotation.visibility, group=annotation.group,
        motivation=None if annotation.motivation in DERIVED_MOTIVATIONS else annotation.motivation,
        reply_to=annotation.reply_to,
    )


def _entity_type(key: str) -> EntityType | None:
    found = EntityType.objects.filter(key=key).first()
    if found is None:
        raise InputError({"entity_type": f"Unknown entity type {key!r}."})
    return found


def _tags(raw: str) -> list[str]:
    tags = list(dict.fromkeys(" ".join(t.split()) for t in raw.split(",") if t.strip()))
    if any(len(t) > MAX_TAG_CHARS for t in tags) or len(tags) > MAX_TAGS:
        raise InputError({"tags": f"At most {MAX_TAGS} tags of at most {MAX_TAG_CHARS} characters."})
    return tags


def _records(raw: str) -> list[Record]:
    parsed = [parse_id(p) for p in raw.replace(",", " ").split()]
    if None in parsed:
        raise InputError({"records": "Give record ids separated by commas."})
    ids = list(dict.fromkeys(parsed))
    found = {r.pk: r for r in Record.objects.filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise InputError({"records": f"No record with id {', '.join(map(str, missing))}."})
    return [found[i].merged_into if found[i].merged_into_id else found[i] for i in ids]


@transaction.atomic
def edit_annotation(*, user, annotation: Annotation, comment: str | None = None, tags: str | None = None,
                    entity_type: str | None = None, records: str | None = None,
                    visibility: str | None = None) -> Annotation:
    """A curator's edit of an annotation's content from the review pages (form values: tags and
    record ids comma-separated, entity type key or "" for none). Through ``update_annotation``, so
    the usual history row and index task follow."""
    if not permissions.can_review(user) or not permissions.can_view(user, annotation):
        raise PermissionDenied("Only curators may edit annotations here.")
    if has_nul([comment, tags, entity_type, records, visibility]):
        raise InputError({"comment": "The fields must not contain NUL characters."})
    data = input_from(annotation)
    if comment is not None:
        if len(comment) > MAX_COMMENT_CHARS:
            raise InputError({"comment": f"At most {MAX_COMMENT_CHARS} characters."})
        data.comment = comment.strip()
    if tags is not None:
        data.tags = _tags(tags)
    if entity_type is not None:
        data.entity_type = _entity_type(entity_type) if entity_type else None
    if records is not None:
        data.records = _records(records)
    if visibility is not None:
        data.visibility, data.group = parse_visibility(visibility)
    return services.update_annotation(user=user, annotation=annotation, data=data)


@transaction.atomic
def bulk_edit(*, user, annotation_ids: list[int], entity_type: str = "", add_tag: str = "") -> list[Annotation]:
    """Set the entity type (a key, or "none" to clear it) and/or add a tag to many annotations, in
    one transaction (all or none)."""
    if not permissions.can_review(user):
        raise PermissionDenied("Only curators may edit annotations here.")
    if has_nul([entity_type, add_tag]):
        raise InputError({"add_tag": "must not contain NUL characters."})
    if not entity_type and not add_tag.strip():
        raise InputError({"entity_type": "Choose an entity type to set or a tag to add."})
    new_type = None if entity_type in ("", "none") else _entity_type(entity_type)
    tag = _tags(add_tag)[:1] if add_tag.strip() else []
    parsed = [parse_id(i) for i in annotation_ids]
    ids = sorted(set(parsed)) if None not in parsed else []
    if not ids or len(ids) > MAX_BULK:
        raise InputError({"ids": f"Choose 1 to {MAX_BULK} annotations."})
    found = {a.pk: a for a in selectors.visible_annotations(user).filter(pk__in=ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise InputError({"ids": f"No annotation with id {', '.join(map(str, missing))}."})
    edited = []
    for pk in ids:
        data = input_from(found[pk])
        if entity_type:
            data.entity_type = new_type
        if tag and tag[0].casefold() not in {t.casefold() for t in data.tags}:
            data.tags.append(tag[0])
        edited.append(services.update_annotation(user=user, annotation=found[pk], data=data))
    return edited
