"""Storing what an extraction gave (``archive_site.ingest``) beside its document: the original file
(content-addressed under ``ARCHIVE_DATA_DIR/originals/``), the page images
(``ARCHIVE_DATA_DIR/pages/``), and the ``DocumentOrigin`` and ``DocumentPage`` rows.

Files are written before the rows, each through a temporary name and a rename, so that a reader
never sees half a file; a ``FileBatch`` remembers which files this write added and removes them
when the transaction that would have referred to them fails, so nothing is left half-written.

``entities_extracted`` (sender=Document; ``document``, ``entities``, ``user``) is sent inside the
transaction that creates a document whose source marks names (TEI): curation answers it with
annotations, which archive_site cannot make itself."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path, PurePath

from django.conf import settings
from django.dispatch import Signal

from .ingest import Extracted, media_type
from .ingest.offsets import OffsetMap
from .models import Document, DocumentOrigin, DocumentPage

entities_extracted = Signal()

EXTENSIONS = {"pdf": ".pdf", "docx": ".docx", "odt": ".odt", "html": ".html", "tei": ".xml", "text": ".txt"}
IMAGE_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/tiff": ".tif"}


def data_dir() -> Path:
    return Path(settings.DATA_DIR)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def resolve(relative: str) -> Path | None:
    """A stored file's path, never outside the data dir; None when it is missing."""
    if not relative:
        return None
    root = data_dir().resolve()
    path = (root / relative).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


class FileBatch:
    """Files written for one change; ``discard()`` removes those that did not exist before."""

    def __init__(self) -> None:
        self.added: list[Path] = []

    def write(self, relative: str, data: bytes | None = None, *, source: Path | None = None) -> str:
        path = data_dir() / relative
        if path.is_file():
            return relative  # content-addressed: the same bytes are there already
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        if source is not None:
            shutil.copyfile(source, temporary)
        else:
            temporary.write_bytes(data or b"")
        os.replace(temporary, path)
        self.added.append(path)
        return relative

    def discard(self) -> None:
        for path in self.added:
            path.unlink(missing_ok=True)
        self.added = []


def store_original(batch: FileBatch, data: bytes, filename: str, kind: str) -> dict:
    """The original file's bytes under originals/, and the origin row's file fields."""
    digest = sha256(data)
    extension = EXTENSIONS.get(kind) or IMAGE_EXTENSIONS.get(media_type(kind, data), "")
    relative = batch.write(f"originals/{digest[:2]}/{digest}{extension}", data)
    return {
        "file_name": PurePath(filename).name[:255], "media_type": media_type(kind, data), "size": len(data),
        "checksum": f"sha256:{digest}", "path": relative,
    }


def store_pages(batch: FileBatch, extracted: Extracted, digest: str) -> list[DocumentPage]:
    """Unsaved page rows for an extraction, their images copied under pages/<original's sha256>/."""
    rows = []
    for page in extracted.pages:
        row = DocumentPage(number=page.number, start=page.start, end=page.end, method=page.method,
                           confidence=page.confidence, words=[w.as_row() for w in page.words])
        if page.image is not None:
            row.image = batch.write(f"pages/{digest}/{page.image.path.name}", source=page.image.path)
            row.media_type, row.width, row.height = page.image.media_type, page.image.width, page.image.height
        rows.append(row)
    return rows


def origin_values(extracted: Extracted, file_fields: dict) -> dict:
    return {
        **file_fields, "format": extracted.format, "extractor": extracted.extractor,
        "extractor_version": extracted.extractor_version[:200], "ocr_confidence": extracted.ocr_confidence,
        "warnings": extracted.warnings,
    }


def typed_origin() -> dict:
    """A document typed or pasted by a curator: no file, the text as given."""
    return {"format": "text", "extractor": "typed", "extractor_version": "", "file_name": ""}


def save_source(document: Document, origin: dict, pages: list[DocumentPage]) -> None:
    """Replace the document's origin row and pages (inside the caller's transaction)."""
    DocumentOrigin.objects.update_or_create(document=document, defaults=origin)
    DocumentPage.objects.filter(document=document).delete()
    for row in pages:
        row.document = document
    DocumentPage.objects.bulk_create(pages, batch_size=200)


def carry_pages(document: Document, old_text: str, new_text: str) -> None:
    """After an edit of the text: page boundaries and OCR words move with the words they mark; a
    word whose text was edited (a curator's correction) counts as checked (confidence 100)."""
    pages = list(DocumentPage.objects.filter(document=document))
    if not pages or old_text == new_text:
        return
    offsets = OffsetMap(old_text, new_text)
    for page in pages:
        page.start, page.end = offsets.map(page.start), offsets.map(page.end)
        words = []
        for row in page.words:
            start, end = row[0], row[1]
            new_start, new_end = offsets.map(start), offsets.map(end)
            conf = 100 if offsets.changed(start, end) else row[6]
            if new_end > new_start:
                words.append([new_start, new_end, *row[2:6], conf])
        page.words = words
        if page.method == DocumentPage.Method.OCR and words:
            page.confidence = round(sum(w[6] for w in words) / len(words), 1)
    DocumentPage.objects.bulk_update(pages, ["start", "end", "words", "confidence"], batch_size=200)
