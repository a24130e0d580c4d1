"""Reads of the archive, shared by pages and the API."""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.functions import Length

from .models import Document, Record

MAX_AUTOCOMPLETE_QUERY = 100


def document_list() -> QuerySet[Document]:
    return Document.objects.defer("text").annotate(text_length=Length("text")).order_by("slug")


def record_list(*, kind: str | None = None, prefix: str | None = None) -> QuerySet[Record]:
    records = Record.objects.filter(merged_into__isnull=True)
    if kind:
        records = records.filter(kind=kind)
    if prefix is not None:
        records = records.matching(prefix[:MAX_AUTOCOMPLETE_QUERY])
    return records.order_by("label", "id")
