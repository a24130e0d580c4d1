"""Photographs and scans of pages (PNG, JPEG, TIFF; a multi-page TIFF is one page per frame),
read by OCR. An image on which OCR reads no words is refused: there is no text to keep."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from . import ocr
from .base import Extracted, IngestError, Progress, TextBuilder, make_workdir
from .guards import limit
from .scans import check_image_size, lay_out, read_pages

FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "TIFF": "image/tiff", "MPO": "image/jpeg"}


def open_image(data: bytes, filename: str) -> Image.Image:
    Image.MAX_IMAGE_PIXELS = limit("INGEST_MAX_IMAGE_PIXELS")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise IngestError(filename, f"refused: {exc}") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise IngestError(filename, f"not a readable image ({exc})") from None
    if image.format not in FORMATS:
        raise IngestError(filename, f"image format {image.format} is not taken (use PNG, JPEG or TIFF)")
    check_image_size(image, filename)
    return image


class ImageExtractor:
    name = "image"

    def version(self) -> str:
        return ocr.status().version or "tesseract (unavailable)"

    def extract(self, data: bytes, filename: str, *, language: str = "", progress: Progress | None = None) -> Extracted:
        image = open_image(data, filename)
        frames = getattr(image, "n_frames", 1)
        if frames > limit("INGEST_MAX_PAGES"):
            raise IngestError(filename, f"refused: {frames} pages, over the limit of {limit('INGEST_MAX_PAGES')}")

        def pages() -> Iterator[tuple[int, Image.Image]]:
            for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
                check_image_size(frame, filename, f"page {number}: ")
                try:
                    page = ImageOps.exif_transpose(frame.copy())
                    page.load()
                except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
                    raise IngestError(filename, f"page {number} of the image cannot be read ({exc})") from None
                yield number, page

        workdir = make_workdir()
        extracted = Extracted(text="", format="image", extractor=self.name, extractor_version=self.version(),
                              workdir=workdir)
        try:
            builder = TextBuilder()
            for read in read_pages(pages(), folder=workdir, lang=ocr.languages_for(language), filename=filename,
                                   progress=progress, total=frames):
                extracted.pages.append(lay_out(builder, read))
            extracted.text = builder.text()
            if not extracted.text.strip():
                raise IngestError(filename, "OCR found no text in the image")
        except BaseException:
            extracted.close()
            raise
        finally:
            image.close()
        return extracted
