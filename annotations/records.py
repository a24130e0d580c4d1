"""Curators can make a new authority record from a passage while annotating it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.text import slugify

from archive_site.models import Record

from .permissions import is_curator


@transaction.atomic
def create_record_from_passage(*, user, label: str, kind: str, description: str = "") -> Record:
    if not is_curator(user):
        raise PermissionDenied("Only curators can create records.")
    label = " ".join(label.split())[:300]
    if not label:
        raise ValidationError("A record needs a label.")
    if kind not in Record.Kind.values:
        kind = Record.Kind.OTHER
    base = slugify(label)[:100] or "record"
    key, n = base, 1
    while Record.objects.filter(key=key).exists():
        n += 1
        key = f"{base}-{n}"
    return Record.objects.create(key=key, kind=kind, label=label, description=description.strip())
