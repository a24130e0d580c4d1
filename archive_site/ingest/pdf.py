"""PDF: the text layer of each page (pypdf), page breaks kept as positions; pages without a text
layer (scans) are rendered (pdfium) and read by OCR, keeping the page image and word boxes.

Refused with the reason: a damaged or truncated file, an encrypted one that needs a password, too
many pages, and scanned pages where OCR is unavailable (unless other pages have text: then those
are kept and the file's warnings say which pages were left empty)."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator

import pypdf
import pypdfium2
from PIL import Image
from pypdf.errors import FileNotDecryptedError, PdfReadError, PdfStreamError

from . import ocr
from .base import Extracted, IngestError, Page, Progress, TextBuilder, make_workdir
from .guards import limit
from .scans import lay_out, read_pages

logging.getLogger("pypdf").setLevel(logging.ERROR)  # it warns about every small flaw it repairs

MIN_TEXT_CHARS = 3  # a page with fewer letters than this in its text layer is treated as a scan


def open_pdf(data: bytes, filename: str) -> pypdf.PdfReader:
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise IngestError(filename, "not a PDF file (no %PDF header)")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (NotImplementedError, PdfReadError, ValueError) as exc:
                raise IngestError(filename, f"the PDF is encrypted and cannot be opened ({exc})") from None
            if not opened:
                raise IngestError(filename, "the PDF is encrypted: it needs a password to be read")
        count = len(reader.pages)
    except IngestError:
        raise
    except FileNotDecryptedError:
        raise IngestError(filename, "the PDF is encrypted: it needs a password to be read") from None
    except (PdfReadError, PdfStreamError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError, EOFError, AssertionError) as exc:
        raise IngestError(filename, f"the PDF is damaged or truncated ({type(exc).__name__}: {exc})") from None
    if count == 0:
        raise IngestError(filename, "the PDF has no pages (damaged or truncated?)")
    if count > limit("INGEST_MAX_PAGES"):
        raise IngestError(filename, f"refused: {count} pages, over the limit of {limit('INGEST_MAX_PAGES')}")
    return reader


def page_text(reader: pypdf.PdfReader, index: int, filename: str) -> str:
    try:
        return reader.pages[index].extract_text() or ""
    except (PdfReadError, PdfStreamError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError, EOFError, AssertionError, ZeroDivisionError) as exc:
        raise IngestError(filename, f"page {index + 1} of the PDF cannot be read ({type(exc).__name__}: {exc})") from None


def has_text(text: str) -> bool:
    return sum(1 for c in text if c.isalnum()) >= MIN_TEXT_CHARS


def tidy(text: str) -> str:
    """A page's text layer: lines kept, trailing spaces and runs of blank lines dropped."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return out.strip("\n")


def metadata(reader: pypdf.PdfReader) -> dict[str, str]:
    try:
        info = reader.metadata or {}
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError):
        return {}
    out = {}
    for key, name in (("/Title", "title"), ("/Author", "author")):
        value = info.get(key)
        if isinstance(value, str) and value.strip():
            out[name] = " ".join(value.split())
    # Not /CreationDate: it dates the file (a 2020 scan of a 1937 letter), not the source.
    return out


def render(data: bytes, numbers: list[int], filename: str) -> Iterator[tuple[int, Image.Image]]:
    """The pages ``numbers`` (1-based) as images at ``INGEST_OCR_DPI`` (less for huge pages)."""
    try:
        pdf = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise IngestError(filename, f"the PDF's scanned pages cannot be rendered ({exc})") from None
    try:
        for number in numbers:
            page = pdf[number - 1]
            width, height = page.get_size()
            scale = limit("INGEST_OCR_DPI") / 72
            pixels = width * height * scale * scale
            if pixels > limit("INGEST_MAX_IMAGE_PIXELS"):
                scale *= (limit("INGEST_MAX_IMAGE_PIXELS") / pixels) ** 0.5
            try:
                bitmap = page.render(scale=scale, grayscale=True)
                image = bitmap.to_pil()
            except pypdfium2.PdfiumError as exc:
                raise IngestError(filename, f"page {number} of the PDF cannot be rendered ({exc})") from None
            finally:
                page.close()
            yield number, image
    finally:
        pdf.close()


class PdfExtractor:
    name = "pdf"

    def version(self, ocr_used: bool = False) -> str:
        out = f"pypdf {pypdf.__version__}"
        if ocr_used:
            out += f"; pdfium {pypdfium2.version.PDFIUM_INFO.build}; {ocr.status().version}"
        return out

    def extract(self, data: bytes, filename: str, *, language: str = "", progress: Progress | None = None) -> Extracted:
        reader = open_pdf(data, filename)
        count = len(reader.pages)
        texts: list[str | None] = []
        for index in range(count):
            text = tidy(page_text(reader, index, filename))
            texts.append(text if has_text(text) else None)
            if progress and (index % 10 == 9 or index == count - 1):
                progress(index + 1, count, f"text layer, page {index + 1} of {count}")
        scanned = [i + 1 for i, t in enumerate(texts) if t is None]
        extracted = Extracted(text="", format="pdf", extractor=self.name, extractor_version=self.version(),
                              metadata=metadata(reader))
        state = ocr.status()
        if scanned and not state.available:
            if len(scanned) == count:
                raise IngestError(filename, f"the PDF has no text layer (scanned pages) and OCR is unavailable: {state.reason}")
            extracted.warnings.append(f"pages {', '.join(map(str, scanned))} have no text layer and were left empty "
                                      f"(OCR is unavailable: {state.reason})")
            scanned = []
        builder = TextBuilder()
        try:
            pages = iter(())
            if scanned:
                extracted.workdir = make_workdir()
                extracted.extractor_version = self.version(ocr_used=True)
                pages = read_pages(render(data, scanned, filename), folder=extracted.workdir,
                                   lang=ocr.languages_for(language or extracted.metadata.get("language", "")),
                                   filename=filename, progress=progress, total=len(scanned))
            for number in range(1, count + 1):
                text = texts[number - 1]
                if text is None and scanned:
                    page = next(pages)  # OCR'd pages come back in page order
                    extracted.pages.append(lay_out(builder, page))
                    continue
                span = builder.block(text or "")
                start, end = span if span else (builder.length, builder.length)
                extracted.pages.append(Page(number=number, start=start, end=end))
            extracted.text = builder.text()
            if not extracted.text.strip():
                raise IngestError(filename, "no text found in the PDF (its pages are empty, and OCR read no words)")
        except BaseException:
            extracted.close()
            raise
        return extracted
