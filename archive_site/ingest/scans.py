"""Pages read from images: OCR a stream of page images (a few at a time, each page's image
written to the work folder as soon as it is read) and lay their words into the text with each
word's offsets, so that a highlight in the text can be drawn on the image."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from . import ocr
from .base import IngestError, Page, PageImage, Progress, TextBuilder, Word, clean
from .guards import limit


@dataclass
class ReadPage:
    number: int
    image: PageImage
    words: list[ocr.OcrWord]


def _store_image(image: Image.Image, folder: Path, number: int) -> PageImage:
    """The page image as the reading room shows it: PNG for black-and-white, JPEG otherwise."""
    if image.mode == "1":
        path, media, fmt, opts = folder / f"page-{number:05d}.png", "image/png", "PNG", {"optimize": True}
        shown = image
    else:
        shown = image if image.mode in ("L", "RGB") else image.convert("RGB")
        path, media, fmt, opts = folder / f"page-{number:05d}.jpg", "image/jpeg", "JPEG", {"quality": 85}
    shown.save(path, format=fmt, **opts)
    return PageImage(path=path, media_type=media, width=image.width, height=image.height)


def _read_one(number: int, image: Image.Image, folder: Path, lang: str) -> ReadPage:
    try:
        ocr_input = image.convert("L") if image.mode not in ("1", "L") else image
        words = ocr.read_image(ocr_input, lang=lang)
        stored = _store_image(image, folder, number)
    finally:
        image.close()
    return ReadPage(number=number, image=stored, words=words)


def read_pages(
    images: Iterable[tuple[int, Image.Image]], *, folder: Path, lang: str, filename: str,
    progress: Progress | None = None, total: int = 0,
) -> Iterator[ReadPage]:
    """OCR each (page number, image) in order, up to ``INGEST_OCR_WORKERS`` pages at once."""
    state = ocr.status()
    if not state.available:
        raise IngestError(filename, f"the file needs OCR, which is unavailable here: {state.reason}")
    workers = max(1, limit("INGEST_OCR_WORKERS"))
    done = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: list[Future] = []
        for number, image in images:
            pending.append(pool.submit(_read_one, number, image, folder, lang))
            while len(pending) >= workers * 2:
                yield _result(pending.pop(0), filename)
                done += 1
                if progress:
                    progress(done, total, f"OCR page {done} of {total}")
        while pending:
            yield _result(pending.pop(0), filename)
            done += 1
            if progress:
                progress(done, total, f"OCR page {done} of {total}")


def _result(future: Future, filename: str) -> ReadPage:
    try:
        return future.result()
    except ocr.OcrError as exc:
        raise IngestError(filename, str(exc)) from None


def lay_out(builder: TextBuilder, page: ReadPage) -> Page:
    """Add a page's OCR words to the text (words of a line joined by spaces, lines by newlines,
    paragraphs by blank lines) and return the page with each word's offsets."""
    words: list[Word] = []
    start = None
    last_key: tuple[int, int] | None = None
    last_line: tuple[int, int, int] | None = None
    for w in page.words:
        text = clean(w.text).strip()
        if not text:
            continue
        key, line = (w.block, w.par), (w.block, w.par, w.line)
        if last_key is None or key != last_key:
            builder.close_block()  # a new paragraph (the first opens the page's first block)
            s, e = builder.add(text)
        elif line != last_line:
            builder.add("\n")
            s, e = builder.add(text)
        else:
            builder.add(" ")
            s, e = builder.add(text)
        if start is None:
            start = s
        last_key, last_line = key, line
        words.append(Word(start=s, end=e, x=w.x, y=w.y, w=w.w, h=w.h, conf=w.conf))
    builder.close_block()
    if start is None:
        start = builder.length
    confidence = round(sum(w.conf for w in words) / len(words), 1) if words else None
    return Page(number=page.number, start=start, end=builder.length, method="ocr", image=page.image,
                words=words, confidence=confidence)


def check_image_size(image: Image.Image, filename: str, where: str = "") -> None:
    pixels = image.width * image.height
    if pixels > limit("INGEST_MAX_IMAGE_PIXELS"):
        raise IngestError(filename, f"refused: {where}the image is {image.width} x {image.height} pixels, over the "
                                    f"limit of {limit('INGEST_MAX_IMAGE_PIXELS'):,} pixels (a decompression bomb?)")

