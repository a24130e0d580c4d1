"""The one small interface every extractor implements, and what an extraction hands back.

An extractor takes a file's bytes and its name and returns an ``Extracted``: the document's text
(normalised as ``archive_site.text`` stores it), the metadata the file gives, its pages (page
breaks as offsets; for page images, the image and each OCR word's box), and the entity spans a
TEI edition marks. Offsets are Python ``str`` indices into that text, half-open, as everywhere.

Extractors import no Django models: they are plain functions of bytes, and the loader, the
document services and the background jobs decide what to store.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..text import normalise_text, storable

Progress = Callable[[int, int, str], None]  # (done, total, what) while a long extraction runs


class IngestError(ValueError):
    """The file cannot be taken; the message names the file and the reason."""

    def __init__(self, filename: str, reason: str):
        super().__init__(f"{filename}: {reason}")
        self.filename = filename
        self.reason = reason


@dataclass
class Word:
    """An OCR word: its offsets in the text, its box on the page image (pixels), confidence 0-100."""

    start: int
    end: int
    x: int
    y: int
    w: int
    h: int
    conf: int

    def as_row(self) -> list[int]:
        return [self.start, self.end, self.x, self.y, self.w, self.h, self.conf]


@dataclass
class PageImage:
    """A page image written to the extraction's work folder (``Extracted.workdir``) as it was read,
    so that a long scan is never held in memory whole."""

    path: Path
    media_type: str  # image/png or image/jpeg
    width: int
    height: int


@dataclass
class Page:
    """One page of the source: [start, end) of its text; for a page read by OCR, its image, its
    words and their mean confidence."""

    number: int
    start: int
    end: int
    method: str = "text"  # "text" (a text layer) or "ocr"
    image: PageImage | None = None
    words: list[Word] = field(default_factory=list)
    confidence: float | None = None


@dataclass
class EntitySpan:
    """A name the source marks (TEI ``persName``, ``placeName``, ``orgName``, ``date``, ``rs``).

    ``kind``: person, place, organisation, date or other (the archive's entity types);
    ``identifiers``: what the element points at (``@ref`` / ``@key`` values, and for a pointer to
    a header entry, that entry's ids, ``idno``s and links), for matching a record;
    ``names``: names the header gives that entry; ``comment``: a note the source attaches."""

    start: int
    end: int
    kind: str
    element: str
    identifiers: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    comment: str = ""
    approved: bool = False  # the file says its curators approved it (our export: ana="#approved")


METADATA_FIELDS = ("title", "author", "date", "kind", "source", "language")


@dataclass
class Extracted:
    text: str
    format: str
    extractor: str
    extractor_version: str
    metadata: dict[str, str] = field(default_factory=dict)
    pages: list[Page] = field(default_factory=list)
    entities: list[EntitySpan] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    workdir: Path | None = None  # page images live here until stored; ``close()`` removes it

    def close(self) -> None:
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self) -> Extracted:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def ocr_confidence(self) -> float | None:
        """Mean confidence of every OCR word (None when nothing was read by OCR)."""
        confs = [w.conf for p in self.pages if p.method == "ocr" for w in p.words]
        return round(sum(confs) / len(confs), 1) if confs else None

    @property
    def has_page_images(self) -> bool:
        return any(p.image is not None for p in self.pages)


class Extractor(Protocol):
    name: str  # short, stable: "pdf", "docx", "odt", "html", "tei", "image", "text"

    def version(self) -> str: ...

    def extract(self, data: bytes, filename: str, *, language: str = "", progress: Progress | None = None) -> Extracted: ...


class TextBuilder:
    """Builds a text from blocks (paragraphs separated by a blank line) and remembers offsets.

    Every piece is normalised as it is added (``archive_site.text.normalise_text`` piecewise, and
    NULs stored as U+FFFD), so offsets taken while building index the stored text."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self._block_open = False

    def _add(self, piece: str) -> None:
        if piece:
            self.parts.append(piece)
            self.length += len(piece)

    def add(self, piece: str) -> tuple[int, int]:
        """Add text to the current block (opening one when none is open); its [start, end)."""
        piece = clean(piece)
        if not piece:
            return self.length, self.length
        if not self._block_open:
            self.open_block()
        start = self.length
        self._add(piece)
        return start, self.length

    def open_block(self) -> int:
        if self.length:
            self._add("\n\n")
        self._block_open = True
        return self.length

    def close_block(self) -> None:
        self._block_open = False

    def block(self, text: str) -> tuple[int, int] | None:
        """A whole paragraph; None when it is blank."""
        text = clean(text).strip()
        if not text:
            return None
        self.open_block()
        start = self.length
        self._add(text)
        self.close_block()
        return start, self.length

    def text(self) -> str:
        return "".join(self.parts)


def make_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="archive-ingest-"))


def clean(piece: str) -> str:
    """A piece of source text as it will be stored (line ends, NFC, no NUL), control characters
    other than tab and newline dropped (what a PDF or an OCR engine leaves behind)."""
    piece = normalise_text(piece).removeprefix("\ufeff")
    if any(ord(c) < 32 and c not in "\t\n" for c in piece):
        piece = "".join(c for c in piece if ord(c) >= 32 or c in "\t\n")
    return storable(piece)
