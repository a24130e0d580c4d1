"""Which extractor reads a file: by what its bytes are (a PDF's header, an image's signature, a
zip's parts, an XML root), with the name's extension as a hint only where the bytes cannot tell
(plain text, Markdown). Unknown formats are refused with the formats that are taken."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePath

from . import ocr
from .base import Extracted, IngestError, Progress, TextBuilder
from .guards import check_size, limit
from .html import HtmlExtractor
from .images import ImageExtractor
from .office import DocxExtractor, OdtExtractor
from .offsets import OffsetMap
from .pdf import PdfExtractor
from .tei import TeiExtractor

TEXT_EXTENSIONS = {".txt", ".text", ".md", ".markdown", ""}
TAKEN = "PDF, Word (DOCX), OpenDocument text (ODT), HTML, TEI XML, PNG, JPEG, TIFF or UTF-8 plain text"
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "html": "text/html",
    "tei": "application/tei+xml",
    "text": "text/plain",
}
IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg", b"II*\x00": "image/tiff",
               b"MM\x00*": "image/tiff"}


class PlainTextExtractor:
    name = "text"

    def version(self) -> str:
        return "1"

    def extract(self, data: bytes, filename: str, *, language: str = "", progress: Progress | None = None) -> Extracted:
        try:
            raw = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise IngestError(filename, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        if "\x00" in raw:
            raise IngestError(filename, "contains NUL characters; not a text file")
        from ..text import normalise_text

        text = normalise_text(raw)
        if not text.strip():
            raise IngestError(filename, "the text is empty")
        return Extracted(text=text, format="text", extractor=self.name, extractor_version=self.version())


EXTRACTORS = {
    "pdf": PdfExtractor(), "docx": DocxExtractor(), "odt": OdtExtractor(), "html": HtmlExtractor(),
    "tei": TeiExtractor(), "image": ImageExtractor(), "text": PlainTextExtractor(),
}


def _zip_kind(data: bytes) -> str | None:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None
    if "word/document.xml" in names or any(n.endswith("/document.xml") and n.startswith("word") for n in names):
        return "docx"
    if "content.xml" in names:
        return "odt"
    return "zip"


XML_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s>/]")


def _xml_root(head: bytes) -> str | None:
    """The name of the first element, skipping the XML declaration, comments, PIs and DOCTYPE."""
    text = re.sub(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*(?:\[.*?\])?\s*>", b"", head, flags=re.DOTALL | re.IGNORECASE)
    match = XML_ROOT.search(text)
    return match.group(1).decode("ascii", "replace") if match else None


def detect_format(data: bytes, filename: str) -> str:
    """One of the EXTRACTORS' keys, or IngestError naming what the file seems to be."""
    head = data[:4096]
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    extension = PurePath(filename).suffix.lower()
    if stripped.startswith(b"%PDF"):
        return "pdf"
    if any(head.startswith(sig) for sig in IMAGE_TYPES):
        return "image"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        kind = _zip_kind(data)
        if kind in ("docx", "odt"):
            return kind
        raise IngestError(filename, f"a zip archive that is neither a Word (DOCX) nor an OpenDocument (ODT) file; "
                                    f"this archive takes {TAKEN}")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise IngestError(filename, "an old binary Word (.doc) or Office file: save it as DOCX or ODT; "
                                    f"this archive takes {TAKEN}")
    lowered = stripped[:1024].lower()
    if lowered.startswith(b"<"):
        root = _xml_root(stripped)
        if root in ("TEI", "teiCorpus", "TEI.2"):
            return "tei"
        if (root or "").lower() == "html" or lowered.startswith(b"<!doctype html") or b"<html" in lowered \
                or b"<body" in lowered or b"<head" in lowered:
            return "html"
        if extension in (".xml", ".tei"):
            return "tei"  # XML the TEI reader will refuse with its reason (not TEI, not well-formed)
    if extension in (".html", ".htm", ".xhtml"):
        return "html"
    if extension in (".xml", ".tei"):
        return "tei"
    if extension in TEXT_EXTENSIONS:
        return "text"  # the text reader refuses what is not UTF-8, naming the byte
    if extension not in {".pdf", ".docx", ".odt", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise IngestError(filename, f"unknown format {extension!r} (not UTF-8 text either): this archive takes {TAKEN}") from None
        if extension in (".csv", ".tsv", ".rst", ".org"):
            return "text"
        raise IngestError(filename, f"unknown format {extension!r}: this archive takes {TAKEN}")
    raise IngestError(filename, f"the file's name says {extension} but its content is not that format (damaged or truncated?)")


def media_type(kind: str, data: bytes) -> str:
    if kind == "image":
        return next((t for sig, t in IMAGE_TYPES.items() if data.startswith(sig)), "application/octet-stream")
    return MEDIA_TYPES.get(kind, "application/octet-stream")


def extract(data: bytes, filename: str, *, language: str = "", progress: Progress | None = None) -> Extracted:
    """Read a file of any format taken into text, metadata, pages and entity spans."""
    check_size(data, filename)
    kind = detect_format(data, filename)
    extracted = EXTRACTORS[kind].extract(data, filename, language=language, progress=progress)
    try:
        _finish(extracted, filename)
    except BaseException:
        extracted.close()
        raise
    return extracted


def _finish(extracted: Extracted, filename: str) -> None:
    from ..text import normalise_text

    if len(extracted.text) > limit("INGEST_MAX_TEXT_CHARS"):
        raise IngestError(filename, f"refused: the text is {len(extracted.text):,} characters, over the limit of "
                                    f"{limit('INGEST_MAX_TEXT_CHARS'):,}")
    stored = normalise_text(extracted.text)
    if stored != extracted.text:  # pieces that composed across a boundary (NFC): carry offsets over
        offsets = OffsetMap(extracted.text, stored)
        for page in extracted.pages:
            page.start, page.end = offsets.map(page.start), offsets.map(page.end)
            for word in page.words:
                word.start, word.end = offsets.map(word.start), offsets.map(word.end)
        for entity in extracted.entities:
            entity.start, entity.end = offsets.map(entity.start), offsets.map(entity.end)
        extracted.text = stored
    if not extracted.metadata.get("language") and extracted.format in ("image", "pdf") and extracted.ocr_confidence is not None:
        extracted.metadata["language"] = guess_language(extracted.text)


def guess_language(text: str) -> str:
    """"ru" when most letters are Cyrillic, else "en" (for OCR'd pages, whose file gives none)."""
    letters = [c for c in text[:20000] if c.isalpha()]
    cyrillic = sum(1 for c in letters if "\u0400" <= c <= "\u04ff")
    return "ru" if letters and cyrillic > len(letters) / 2 else "en"


def needs_background(data: bytes, filename: str) -> bool:
    """Whether reading this file takes long enough to be a background job on the web: page images
    (OCR), a PDF with a page without text layer, or a big file."""
    if len(data) > limit("INGEST_SYNC_MAX_BYTES"):
        return True
    try:
        kind = detect_format(data, filename)
    except IngestError:
        return False  # refused at once, in the request
    if kind == "image":
        from .images import open_image

        try:
            open_image(data, filename).close()  # refused at once when it cannot be an image to read
        except IngestError:
            return False
        return ocr.status().available
    if kind == "pdf":
        from .pdf import has_text, open_pdf, page_text, tidy

        try:
            reader = open_pdf(data, filename)
            pages = len(reader.pages)
            if pages > 30:
                return True
            return any(not has_text(tidy(page_text(reader, i, filename))) for i in range(pages)) and ocr.status().available
        except IngestError:
            return False
    return False


__all__ = ["EXTRACTORS", "TextBuilder", "detect_format", "extract", "media_type", "needs_background"]
