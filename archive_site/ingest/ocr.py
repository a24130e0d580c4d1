"""OCR through Debian's Tesseract (the ``tesseract`` command, TSV output): each word with its box
on the page image and its confidence; the page's text laid out as Tesseract reads it (words of a
line joined by a space, lines by a newline, paragraphs by a blank line).

Where Tesseract (or its English and Russian data) is missing, ``status()`` says so and why; the
extractors then refuse page images with that reason instead of storing an empty text."""

from __future__ import annotations

import functools
import io
import os
import shutil
import subprocess
from dataclasses import dataclass

from PIL import Image

from .guards import limit

WANTED_LANGUAGES = ("eng", "rus")
# The archive's language codes (ISO 639-1) to Tesseract's.
LANGUAGES = {"en": "eng", "ru": "rus"}


@dataclass(frozen=True)
class OcrStatus:
    available: bool
    reason: str = ""
    version: str = ""
    languages: tuple[str, ...] = ()


@functools.lru_cache(maxsize=1)
def status() -> OcrStatus:
    binary = shutil.which("tesseract")
    if binary is None:
        return OcrStatus(False, "Tesseract is not installed (Debian: apt-get install tesseract-ocr "
                                "tesseract-ocr-eng tesseract-ocr-rus; `make ocr` does it)")
    try:
        version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
        langs = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        return OcrStatus(False, f"Tesseract does not run: {exc}")
    first = (version.stdout or version.stderr).strip().splitlines()
    installed = tuple(line.strip() for line in langs.stdout.splitlines()[1:] if line.strip())
    usable = tuple(lang for lang in WANTED_LANGUAGES if lang in installed)
    if "eng" not in usable:
        return OcrStatus(False, "Tesseract has no English language data (apt-get install tesseract-ocr-eng)")
    return OcrStatus(True, version=first[0] if first else "tesseract", languages=usable)


def languages_for(language: str) -> str:
    """Tesseract's ``-l`` for a document language: its own (with English beside Russian, as Russian
    pages quote Latin names); both installed languages when the language is not known."""
    installed = status().languages
    wanted = LANGUAGES.get((language or "").split("-")[0].lower())
    if wanted == "eng":
        return "eng"
    if wanted and wanted in installed:
        return f"{wanted}+eng"
    return "+".join(installed) or "eng"


@dataclass
class OcrWord:
    text: str
    x: int
    y: int
    w: int
    h: int
    conf: int
    block: int
    par: int
    line: int


class OcrError(RuntimeError):
    pass


def read_image(image: Image.Image, *, lang: str) -> list[OcrWord]:
    """The words Tesseract reads on ``image``, in reading order."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    try:
        done = subprocess.run(
            ["tesseract", "stdin", "stdout", "-l", lang, "--psm", "3", "tsv"],
            input=buffer.getvalue(), capture_output=True, timeout=limit("INGEST_OCR_TIMEOUT"), env=env,
        )
    except subprocess.TimeoutExpired:
        raise OcrError(f"Tesseract took longer than {limit('INGEST_OCR_TIMEOUT')} s on a page") from None
    except OSError as exc:
        raise OcrError(f"Tesseract could not be run: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrError(f"Tesseract failed: {message[-1] if message else done.returncode}")
    return parse_tsv(done.stdout.decode("utf-8", "replace"))


def parse_tsv(tsv: str) -> list[OcrWord]:
    words = []
    lines = tsv.splitlines()
    for row in lines[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = cols[11].strip()
        if not text:
            continue
        try:
            conf = float(cols[10])
            x, y, w, h = (int(cols[i]) for i in (6, 7, 8, 9))
            block, par, line = int(cols[2]), int(cols[3]), int(cols[4])
        except ValueError:
            continue
        words.append(OcrWord(text, x, y, w, h, max(0, min(100, round(conf))), block, par, line))
    return words
