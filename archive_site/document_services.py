"""Adding and editing documents by hand (the loader does it in bulk from a folder).

The text goes through the same normalisation as loading (``archive_site.text``); saving a changed
text re-anchors the document's annotations in the same transaction (a ``post_save`` receiver of the
annotations app) and enqueues its index task (search's receiver), and carries the document's page
boundaries and OCR word boxes to the new text. ``ValidationError`` names every field that is wrong,
and nothing is saved.

A document from a file (``create_document_from_file``) goes through ``archive_site.ingest`` (any
format it takes); what the form leaves blank is taken from the file, the file name last. The
original, its provenance and its pages are stored beside it (``archive_site.sources``).
"""

from __future__ import annotations

from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from . import ingest, sources
from .history import save_with_history
from .loader import MAX_TEXT_BYTES
from .models import Document
from .text import PARTIAL_DATE_RE, normalise_text

METADATA_FIELDS = ("title", "author", "date", "kind", "source", "language")


def decode_text(raw: bytes) -> str:
    """An uploaded file's bytes as text: UTF-8 only (a BOM is dropped by normalisation)."""
    if len(raw) > MAX_TEXT_BYTES:
        raise ValidationError({"text": f"The file is larger than {MAX_TEXT_BYTES // (1024 * 1024)} MB."})
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError({"text": f"The file is not UTF-8 text ({exc.reason} at byte {exc.start})."}) from None


def _clean_text(text: str) -> str:
    # Checked before normalising (which would store a NUL as U+FFFD): NULs in a file mean it is not text.
    if "\x00" in (text or ""):
        raise ValidationError({"text": "The text contains NUL characters: not a text file."})
    text = normalise_text(text or "")
    if not text.strip():
        raise ValidationError({"text": "The text is empty."})
    return text


def _metadata(values: dict) -> dict:
    out = {}
    for name in METADATA_FIELDS:
        if name in values and values[name] is not None:
            value = values[name]
            if not isinstance(value, str):
                raise ValidationError({name: "Must be text."})
            if "\x00" in value:
                raise ValidationError({name: "Must not contain NUL characters."})
            out[name] = " ".join(value.split())
    return out


def _new_slug(slug: str, title: str) -> str:
    slug = (slug or "").strip() or slugify(title or "")[:120].strip("-")
    if not slug or "\x00" in slug or slugify(slug) != slug:
        raise ValidationError({"slug": "Use lower-case letters, digits and hyphens."})
    if Document.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"A document with the slug {slug!r} exists already."})
    return slug


@transaction.atomic
def create_document(*, user, slug: str = "", text: str, **metadata) -> Document:
    """A new document from pasted or uploaded text and its metadata (``title`` required; ``slug``
    defaults to the title's)."""
    values = _metadata(metadata)
    slug = _new_slug(slug, values.get("title", ""))
    document = Document(slug=slug, text=_clean_text(text), **values)
    if not document.language:
        document.language = "en"
    document.full_clean(exclude=["checksum"])
    save_with_history(document, user=user, reason="added by a curator")
    sources.save_source(document, sources.typed_origin(), [])
    return document


def check_new_document(*, slug: str = "", **metadata) -> None:
    """What can be checked of a new document's form before its file is read (slug, date, fields)."""
    values = {k: v for k, v in _metadata(metadata).items() if v}
    if "date" in values and not PARTIAL_DATE_RE.match(values["date"]):
        raise ValidationError({"date": "Use a full or partial ISO date: YYYY, YYYY-MM or YYYY-MM-DD."})
    if slug:
        _new_slug(slug, "")


def create_document_from_file(
    *, user, data: bytes, filename: str, slug: str = "", progress: ingest.base.Progress | None = None, **metadata,
) -> Document:
    """A new document from a file of any format ``archive_site.ingest`` takes. The form's metadata
    wins; what it leaves blank comes from the file (the title from the file name last). Names the
    source marks (TEI) are handed to ``sources.entities_extracted`` for ``user``. An unreadable
    file is a ``ValidationError`` on ``file`` that names it and says why; nothing is kept then."""
    check_new_document(slug=slug, **metadata)  # a bad or taken slug is refused before the file is read
    values = {k: v for k, v in _metadata(metadata).items() if v}
    try:
        extracted = ingest.extract(data, filename, language=values.get("language", ""), progress=progress)
    except ingest.IngestError as error:
        raise ValidationError({"file": str(error)}) from None
    with extracted:
        found = {k: v for k, v in extracted.metadata.items() if k in METADATA_FIELDS and v}
        if found.get("date") and not PARTIAL_DATE_RE.match(found["date"]):
            found.pop("date")
        values = {**found, **values}
        values.setdefault("title", PurePath(filename).stem or "Untitled")
        values = {k: v[:limit] for k, v in values.items() for limit in [FIELD_LIMITS.get(k, 1000)]}
        batch = sources.FileBatch()
        try:
            file_fields = sources.store_original(batch, data, filename, extracted.format)
            pages = sources.store_pages(batch, extracted, sources.sha256(data))
            with transaction.atomic():
                document = Document(slug=_new_slug(slug, values["title"]), text=extracted.text, **values)
                if not document.language:
                    document.language = "en"
                document.full_clean(exclude=["checksum"])
                save_with_history(document, user=user, reason=f"added from {PurePath(filename).name[:200]}")
                sources.save_source(document, sources.origin_values(extracted, file_fields), pages)
                if extracted.entities:
                    sources.entities_extracted.send(sender=Document, document=document, entities=extracted.entities,
                                                    user=user, report=None)
        except BaseException:
            batch.discard()
            raise
    return document


FIELD_LIMITS = {"title": 500, "author": 300, "date": 10, "kind": 100, "source": 1000, "language": 20}


@transaction.atomic
def update_document(*, user, document: Document, text: str | None = None, **metadata) -> Document:
    """Change metadata and/or the text. A changed text re-anchors the annotations (kept, moved or
    orphaned, never dropped) and carries the pages and OCR words along."""
    document = Document.objects.select_for_update().get(pk=document.pk)
    old_text = document.text
    for name, value in _metadata(metadata).items():
        setattr(document, name, value)
    reason = "metadata edited"
    if text is not None:
        text = _clean_text(text)
        if text != document.text:
            document.text = text
            reason = "text edited"
    document.full_clean(exclude=["checksum", "slug"])
    save_with_history(document, user=user, reason=reason)
    if document.text != old_text:
        sources.carry_pages(document, old_text, document.text)
    return document


def correct_text(*, user, document: Document, start: int, end: int, replacement: str) -> Document:
    """Replace ``[start, end)`` of the text (a curator's correction of an OCR word), as an edit of
    the whole text: annotations re-anchor, pages and word boxes follow."""
    text = document.text
    if not (0 <= start <= end <= len(text)):
        raise ValidationError({"start": f"The range [{start}, {end}) is not inside the text (length {len(text)})."})
    replacement = normalise_text(replacement or "")
    if "\n\n" in replacement:
        raise ValidationError({"text": "A correction must not add a paragraph break."})
    return update_document(user=user, document=document, text=text[:start] + replacement + text[end:])
