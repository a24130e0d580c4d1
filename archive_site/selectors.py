"""Reads of the archive, shared by pages and the API."""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.functions import Length

from .models import TAIL_CHARS, Document, Record, RecordNameTail, normalise_prefix

MAX_AUTOCOMPLETE_QUERY = 100


def document_list() -> QuerySet[Document]:
    return Document.objects.defer("text").annotate(text_length=Length("text")).order_by("slug")


class RecordMatches:
    """Autocomplete results as the paginator reads them (``count()`` and slices), the same
    records in the same order as ``Record.objects.matching(prefix)`` over live records ordered by
    label, id. Counting and paging run on the covering index of ``RecordNameTail`` alone; only
    the records of the page asked for are loaded (one query by id)."""

    ordered = True  # for Django's Paginator

    def __init__(self, prefix: str, kind: str | None = None) -> None:
        tails = RecordNameTail.objects.starting_with(prefix).filter(live=True)
        self.tails = tails.filter(kind=kind) if kind else tails
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = self.tails.values("record_id").distinct().count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Record]:
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        rows = self.tails.order_by("label", "record_id").values_list("label", "record_id").distinct()[index]
        ids = [record_id for _, record_id in rows]
        records = Record.objects.in_bulk(ids)
        return [records[i] for i in ids if i in records]


def record_list(*, kind: str | None = None, prefix: str | None = None) -> QuerySet[Record] | RecordMatches:
    """Live records, ordered by label; with ``prefix``, those with a name word starting with it."""
    if prefix is not None:
        normalised = normalise_prefix(prefix[:MAX_AUTOCOMPLETE_QUERY])
        if normalised and len(normalised) <= TAIL_CHARS:
            return RecordMatches(normalised, kind)
    records = Record.objects.filter(merged_into__isnull=True)
    if kind:
        records = records.filter(kind=kind)
    if prefix is not None:
        records = records.matching(prefix[:MAX_AUTOCOMPLETE_QUERY])
    return records.order_by("label", "id")
