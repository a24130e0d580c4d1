"""Sources as they come: one extractor per format behind one small interface (``base``), chosen
by what the file is (``registry``). ``extract(data, filename)`` → ``Extracted`` (text, metadata,
pages with OCR word boxes, entity spans); ``IngestError`` names the file and the reason.
Storing what was extracted (the original, provenance, pages) is ``archive_site.sources``."""

from .base import EntitySpan, Extracted, IngestError, Page, PageImage, Word
from .ocr import status as ocr_status
from .registry import EXTRACTORS, detect_format, extract, media_type, needs_background

__all__ = [
    "EXTRACTORS", "EntitySpan", "Extracted", "IngestError", "Page", "PageImage", "Word", "detect_format", "extract",
    "media_type", "needs_background", "ocr_status",
]
