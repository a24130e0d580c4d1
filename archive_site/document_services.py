"""Adding and editing documents by hand (the loader does it in bulk from a folder).

The text goes through the same normalisation as loading (``archive_site.text``); saving a changed
text re-anchors the document's annotations in the same transaction (a ``post_save`` receiver of the
annotations app) and enqueues its index task (search's receiver). ``ValidationError`` names every
field that is wrong, and nothing is saved.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from .history import save_with_history
from .loader import MAX_TEXT_BYTES
from .models import Document
from .text import normalise_text

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


@transaction.atomic
def create_document(*, user, slug: str = "", text: str, **metadata) -> Document:
    """A new document from pasted or uploaded text and its metadata (``title`` required; ``slug``
    defaults to the title's)."""
    values = _metadata(metadata)
    slug = (slug or "").strip() or slugify(values.get("title", ""))[:120].strip("-")
    if not slug or "\x00" in slug or slugify(slug) != slug:
        raise ValidationError({"slug": "Use lower-case letters, digits and hyphens."})
    if Document.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"A document with the slug {slug!r} exists already."})
    document = Document(slug=slug, text=_clean_text(text), **values)
    if not document.language:
        document.language = "en"
    document.full_clean(exclude=["checksum"])
    save_with_history(document, user=user, reason="added by a curator")
    return document


@transaction.atomic
def update_document(*, user, document: Document, text: str | None = None, **metadata) -> Document:
    """Change metadata and/or the text. A changed text re-anchors the annotations (kept, moved or
    orphaned, never dropped)."""
    document = Document.objects.select_for_update().get(pk=document.pk)
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
    return document
