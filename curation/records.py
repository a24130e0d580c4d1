"""Curating authority records: make one from a passage, edit names and dates, merge duplicates,
find records by name.

They live here rather than in ``archive_site`` because they move annotations' record links
(``archive_site`` knows nothing of annotations). Every write is one transaction with its history
rows: the surviving record's and the merged record's (who, when, why), and one per annotation
whose links moved; each moved annotation is re-indexed (the document facets follow).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify

from annotations import permissions, services
from annotations.models import Annotation
from archive_site.history import save_with_history
from archive_site.models import Record

from .inputs import has_nul


class MergeError(ValueError):
    """The merge cannot be done (a record into itself, into a merged record, ...)."""


@dataclass(frozen=True)
class MergeReport:
    survivor: Record
    merged: Record
    moved_links: int


class DuplicateName(ValidationError):
    """A new record would have the name of an existing one (``existing``); create it anyway only
    when the curator says so (two people can share a name)."""

    def __init__(self, label: str, existing: list[Record]):
        names = ", ".join(f"{r.label} (record {r.pk})" for r in existing[:5])
        super().__init__(f"A record named {label!r} exists already: {names}. Link the passage to it, "
                         "or confirm that this is someone (or something) else.")
        self.existing = existing


def _check(user) -> None:
    if not permissions.can_review(user):
        raise PermissionDenied("Only curators may change records.")


def name_key(name: str) -> str:
    """A name as compared for duplicates: case, accents and spacing do not count."""
    decomposed = unicodedata.normalize("NFKD", " ".join(name.split()).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def records_named(label: str) -> list[Record]:
    """Live records whose label or one of whose aliases is ``label`` (as ``name_key`` compares)."""
    key = name_key(label)
    if not key:
        return []
    candidates = Record.objects.matching(key.split()[-1]).filter(merged_into__isnull=True).order_by("label", "pk")
    return [r for r in candidates[:500] if any(name_key(n) == key for n in r.all_names())]


@transaction.atomic
def create_record_from_passage(*, user, label: str, kind: str, description: str = "",
                               allow_duplicate: bool = False) -> Record:
    """A new record (curators), e.g. from the passage being annotated. ``DuplicateName`` when a
    live record already has that name, unless ``allow_duplicate``."""
    _check(user)
    if has_nul([label, kind, description]):
        raise ValidationError("The fields must not contain NUL characters.")
    label = " ".join(label.split())[:300]
    if not label:
        raise ValidationError("A record needs a label.")
    if not allow_duplicate:
        existing = records_named(label)
        if existing:
            raise DuplicateName(label, existing)
    if kind not in Record.Kind.values:
        kind = Record.Kind.OTHER
    base = slugify(label)[:100] or "record"
    key, n = base, 1
    while Record.objects.filter(key=key).exists():
        n += 1
        key = f"{base}-{n}"
    return Record.objects.create(key=key, kind=kind, label=label, description=description.strip())


@transaction.atomic
def merge_records(*, user, record: Record, into: Record) -> MergeReport:
    """Merge ``record`` (a duplicate) into ``into`` (the survivor): its label and aliases become the
    survivor's aliases, empty fields of the survivor are filled from it, every annotation link moves
    to the survivor, records merged earlier into ``record`` now point at the survivor, and
    ``record.merged_into`` is set (its URL then redirects)."""
    _check(user)
    if record.pk == into.pk:
        raise MergeError("A record cannot be merged into itself.")
    locked = {r.pk: r for r in Record.objects.select_for_update().filter(pk__in=[record.pk, into.pk])}
    if len(locked) != 2:
        raise MergeError("One of the two records no longer exists.")
    record, into = locked[record.pk], locked[into.pk]
    if into.merged_into_id:
        raise MergeError(
            f"Record {into.pk} ({into.label}) was itself merged into record {into.merged_into_id}: merge into that one."
        )
    if record.merged_into_id:
        raise MergeError(f"Record {record.pk} ({record.label}) is already merged into record {record.merged_into_id}.")

    into.aliases = [*into.aliases, record.label, *record.aliases]
    for name in ("description", "start_date", "end_date"):
        if not getattr(into, name) and getattr(record, name):
            setattr(into, name, getattr(record, name))
    into.external_ids = {**record.external_ids, **into.external_ids}
    save_with_history(into, user=user, reason=f"merged record {record.pk} ({record.label}) into this one")

    moved = 0
    reason = f"record {record.pk} ({record.label}) merged into record {into.pk} ({into.label})"
    for annotation in Annotation.objects.filter(records=record).order_by("pk"):
        with services.relations_changing(annotation):
            annotation.records.remove(record)
            annotation.records.add(into)
        # A new version: ``modified`` (and so the ETag) changes.
        services.record_change(annotation, user=user, reason=reason)
        moved += 1

    for earlier in Record.objects.filter(merged_into=record):
        earlier.merged_into = into
        save_with_history(earlier, user=user, reason=f"its survivor {record.pk} was merged into {into.pk}")

    record.merged_into = into
    save_with_history(record, user=user, reason=f"merged into record {into.pk} ({into.label})")
    return MergeReport(survivor=into, merged=record, moved_links=moved)


def _clean_names(aliases) -> list[str]:
    if isinstance(aliases, str):
        aliases = aliases.splitlines()
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise ValidationError({"aliases": "Aliases must be a list of names."})
    return [" ".join(a.split()) for a in aliases if a.strip()]


@transaction.atomic
def update_record(*, user, record: Record, label: str | None = None, kind: str | None = None,
                  aliases: list[str] | str | None = None, description: str | None = None,
                  start_date: str | None = None, end_date: str | None = None) -> Record:
    """Edit a record's names, kind, description and (partial ISO) dates; ``ValidationError`` names
    the fields that are wrong and nothing is saved."""
    _check(user)
    if has_nul([label, kind, aliases, description, start_date, end_date]):
        raise ValidationError("The fields must not contain NUL characters.")
    record = Record.objects.select_for_update().get(pk=record.pk)
    if record.merged_into_id:
        raise ValidationError(f"Record {record.pk} is merged into record {record.merged_into_id}: edit that one.")
    if label is not None:
        record.label = " ".join(label.split())[:300]
    if kind is not None:
        record.kind = kind
    if aliases is not None:
        record.aliases = _clean_names(aliases)
    if description is not None:
        record.description = description.strip()
    if start_date is not None:
        record.start_date = start_date.strip()
    if end_date is not None:
        record.end_date = end_date.strip()
    record.full_clean(exclude=["key", "merged_into"])
    save_with_history(record, user=user, reason="edited by a curator")
    return record


@transaction.atomic
def record_for_annotation(*, user, annotation: Annotation, label: str = "", kind: str = "",
                          record: Record | None = None, allow_duplicate: bool = False) -> Record:
    """Link an annotation to ``record``, or to a new record made from its passage (``label``
    defaults to the quote; ``kind`` to the annotation's entity type when that is a record kind)."""
    _check(user)
    if not permissions.can_view(user, annotation):
        raise PermissionDenied("No such annotation.")
    if record is None:
        if not kind and annotation.entity_type_id and annotation.entity_type.key in Record.Kind.values:
            kind = annotation.entity_type.key
        record = create_record_from_passage(user=user, label=label or annotation.target_quote, kind=kind,
                                            allow_duplicate=allow_duplicate)
    elif record.merged_into_id:
        record = Record.objects.get(pk=record.merged_into_id)
    with services.relations_changing(annotation):
        annotation.records.add(record)
    if annotation.motivation in ("highlighting", "classifying"):
        annotation.motivation = "identifying"
    services.record_change(annotation, user=user, reason=f"linked to record {record.pk} ({record.label})")
    return record
