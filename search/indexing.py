"""What gets indexed: documents, records and annotations as backend-neutral ``IndexEntry``
objects, each with a ``stamp`` (a hash of everything indexed) that ``check_index`` compares.

A document's entry includes the records and entity types that *published* (approved public)
annotations link to it (for facets and for matching record names); nothing from other annotations
reaches it. An annotation's entry carries what the read rule needs (``annotations.permissions``):
visibility, creator, group and status; a reply's status is its thread's (the least reviewed of
it and the annotations it answers), so a reply is never found where its thread may not be seen.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import asdict, replace

from annotations.models import Annotation
from annotations.permissions import MAX_REPLY_DEPTH, published_q
from archive_site.models import Document, Record

from . import analysis
from .backends.base import IndexEntry

LABELS = {"archive_site.document": "document", "archive_site.record": "record", "annotations.annotation": "annotation"}
MODELS = {"document": Document, "record": Record, "annotation": Annotation}


def entry_type_of(model_label: str) -> str:
    return LABELS[model_label.lower()]


def _stamped(entry: IndexEntry) -> IndexEntry:
    """The entry with its stamp: a hash of what is indexed and of the analysis version, so that
    after a change of analysis ``check_index`` reports every entry stale until ``rebuild_index``."""
    data = asdict(entry)
    data.pop("stamp")
    data["analysis"] = analysis.VERSION
    digest = hashlib.sha1(repr(sorted(data.items())).encode("utf-8")).hexdigest()
    return replace(entry, stamp=digest)


def public_links(document_ids: Iterable[int] | None = None) -> dict[int, dict]:
    """document id -> {"records": {id: names}, "entity_types": {key}} from approved public annotations."""
    links: dict[int, dict] = defaultdict(lambda: {"records": {}, "entity_types": set()})
    annotations = Annotation.objects.filter(published_q())
    if document_ids is not None:
        annotations = annotations.filter(document_id__in=list(document_ids))
    for doc_id, key in annotations.filter(entity_type__isnull=False).values_list("document_id", "entity_type__key"):
        links[doc_id]["entity_types"].add(key)
    through = Annotation.records.through.objects.filter(annotation__in=annotations)
    rows = through.values_list("annotation__document_id", "record_id", "record__label", "record__aliases")
    for doc_id, record_id, label, aliases in rows:
        links[doc_id]["records"][record_id] = [label, *(aliases or [])]
    return links


def _no_links() -> dict:
    return {"records": {}, "entity_types": set()}


def document_entry(document: Document, links: dict | None = None) -> IndexEntry:
    """``links``: the document's entry of ``public_links()`` when the caller has read them for
    many documents at once (an empty one for a document without links); else read here."""
    links = links if links is not None else public_links([document.pk]).get(document.pk)
    links = links or _no_links()
    names = " ".join(" ".join(n) for _, n in sorted(links["records"].items()))
    return _stamped(IndexEntry(
        type="document", pk=document.pk, stamp="", title=document.title, body=document.text,
        names=names, author=document.author, kind=document.kind, date=document.date,
        year=document.year, slug=document.slug, record_ids=tuple(sorted(links["records"])),
        entity_types=tuple(sorted(links["entity_types"])),
    ))


def record_entry(record: Record) -> IndexEntry:
    return _stamped(IndexEntry(
        type="record", pk=record.pk, stamp="", title=record.label, body=record.description,
        names=" ".join(record.aliases or []), kind=record.kind,
        year=int(record.start_date[:4]) if record.start_date else None, date=record.start_date,
    ))


# The least reviewed status first: a thread is as visible as its least visible part.
_STATUS_ORDER = {Annotation.Status.REJECTED: 0, Annotation.Status.PENDING: 1, Annotation.Status.APPROVED: 2}
THREAD = "__".join(["reply_to"] * MAX_REPLY_DEPTH)  # select_related path through every ancestor
RELATION_ENDS = ("relation_source", "relation_target")


def thread_status(annotation: Annotation) -> str:
    """The least reviewed status of the annotation and every annotation up its thread; for a
    relation, of it and both its ends (its visibility is never wider than theirs: the write
    service keeps it so), so the index's access filter admits a relation exactly where the read
    rule does."""
    status, node = annotation.status, annotation
    while node.reply_to_id is not None:
        node = node.reply_to
        status = min(status, node.status, key=_STATUS_ORDER.__getitem__)
    if annotation.relation_source_id is not None:
        for end in (annotation.relation_source, annotation.relation_target):
            status = min(status, end.status, key=_STATUS_ORDER.__getitem__)
    return status


def annotation_entry(annotation: Annotation, prefetched: bool = False) -> IndexEntry:
    if prefetched:
        tags = sorted(t.name for t in annotation.tags.all())
        records = sorted(r.pk for r in annotation.records.all())
    else:
        tags = sorted(annotation.tags.values_list("name", flat=True))
        records = sorted(annotation.records.values_list("pk", flat=True))
    return _stamped(IndexEntry(
        type="annotation", pk=annotation.pk, stamp="", title=annotation.target_quote,
        body=annotation.comment, names=" ".join(tags),
        slug=annotation.document.slug, document_id=annotation.document_id, record_ids=tuple(records),
        entity_types=(annotation.entity_type.key,) if annotation.entity_type_id else (),
        visibility=annotation.visibility, creator_id=annotation.creator_id, group_id=annotation.group_id,
        status=thread_status(annotation),
    ))


def entry_for(entry_type: str, pk: int) -> IndexEntry | None:
    """The entry for the object's current database state, or None if it no longer exists."""
    return entries_for(entry_type, [pk]).get(pk)


def entries_for(entry_type: str, pks: Iterable[int]) -> dict[int, IndexEntry]:
    """pk -> entry for those of ``pks`` that exist (and, for records, are not merged into
    another record, whose entry carries their names now), read in a few queries whatever their
    number: the index worker builds a whole batch's entries at once."""
    pks = list(dict.fromkeys(pks))
    if not pks:
        return {}
    if entry_type == "document":
        links = public_links(pks)
        return {d.pk: document_entry(d, links.get(d.pk) or _no_links()) for d in Document.objects.filter(pk__in=pks)}
    if entry_type == "record":
        return {r.pk: record_entry(r) for r in Record.objects.filter(pk__in=pks, merged_into__isnull=True)}
    qs = (Annotation.objects.filter(pk__in=pks).select_related("document", "entity_type", THREAD, *RELATION_ENDS)
          .defer("document__text").prefetch_related("tags", "records"))  # the entry needs the slug, not the text
    return {a.pk: annotation_entry(a, prefetched=True) for a in qs}


def all_entries(entry_type: str) -> Iterator[IndexEntry]:
    if entry_type == "document":
        links = public_links()
        for document in Document.objects.order_by("pk").iterator(chunk_size=200):
            # ``get`` with a default: None would make document_entry query the links again.
            yield document_entry(document, links.get(document.pk) or _no_links())
    elif entry_type == "record":
        for record in Record.objects.filter(merged_into__isnull=True).order_by("pk").iterator(chunk_size=500):
            yield record_entry(record)
    else:
        qs = (Annotation.objects.select_related("document", "entity_type", THREAD, *RELATION_ENDS)
              .prefetch_related("tags", "records"))
        for annotation in qs.order_by("pk").iterator(chunk_size=500):
            yield annotation_entry(annotation, prefetched=True)


def counts() -> dict[str, int]:
    return {t: m.objects.count() for t, m in MODELS.items()}


def documents_linking_record(record_id: int) -> list[int]:
    return list(
        Annotation.objects.filter(published_q(), records__pk=record_id)
        .values_list("document_id", flat=True).distinct()
    )


def replies_of(annotation_id: int) -> list[int]:
    """Every reply under an annotation (their entries carry its status and visibility)."""
    found, frontier = [], [annotation_id]
    while frontier:
        frontier = list(Annotation.objects.filter(reply_to__in=frontier).values_list("pk", flat=True))
        found += frontier
    return found
