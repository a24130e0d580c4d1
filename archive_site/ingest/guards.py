"""What a file may cost before it is refused: its size, a zip's unpacked size and ratio (zip
bombs in Word and OpenDocument files), an image's pixels (decompression bombs), a PDF's pages,
and XML parsed without entities, DTDs or network (XML attacks). Limits come from the settings
when Django is configured (``INGEST_*``), else from the defaults here."""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from .base import IngestError

DEFAULTS = {
    "INGEST_MAX_BYTES": 200 * 1024 * 1024,  # a file as it comes (the web's own request limit is lower)
    "INGEST_SYNC_MAX_BYTES": 8 * 1024 * 1024,  # bigger uploads are read by a background job
    "INGEST_MAX_UNZIPPED_BYTES": 256 * 1024 * 1024,  # a DOCX/ODT's parts, unpacked, all together
    "INGEST_MAX_ZIP_RATIO": 200,  # unpacked / packed, for any part bigger than 1 MB
    "INGEST_MAX_ZIP_MEMBERS": 20_000,
    "INGEST_MAX_IMAGE_PIXELS": 80_000_000,  # per page image (a 600 dpi A3 scan is ~70 M)
    "INGEST_MAX_PAGES": 3000,
    "INGEST_MAX_TEXT_CHARS": 50_000_000,
    "INGEST_OCR_DPI": 300,  # image-only PDF pages are rendered at this resolution for OCR
    "INGEST_OCR_TIMEOUT": 300,  # seconds for one page
    "INGEST_OCR_WORKERS": 2,  # pages read at once (one tesseract process each, one thread each)
    "INGEST_LOW_CONFIDENCE": 60,  # OCR words below this confidence are marked for checking
}


def limit(name: str) -> int:
    try:
        from django.conf import settings

        if settings.configured:
            return int(getattr(settings, name, DEFAULTS[name]))
    except ImportError:  # pragma: no cover - extractors used without Django
        pass
    return DEFAULTS[name]


def check_size(data: bytes, filename: str) -> None:
    maximum = limit("INGEST_MAX_BYTES")
    if len(data) > maximum:
        raise IngestError(filename, f"the file is {len(data):,} bytes, over the limit of {maximum:,} bytes")
    if not data:
        raise IngestError(filename, "the file is empty")


def open_zip(data: bytes, filename: str, what: str) -> zipfile.ZipFile:
    """A zip container (DOCX, ODT) after checking what unpacking it would cost: refused when its
    parts add up to more than the limit, one part unpacks more than the ratio allows, or it has
    too many parts. ``zipfile`` stops reading a part at its declared size, so a part that lies
    about its size fails its CRC check instead of filling memory."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise IngestError(filename, f"not a readable {what} file (the zip container is damaged: {exc})") from None
    if len(infos) > limit("INGEST_MAX_ZIP_MEMBERS"):
        raise IngestError(filename, f"refused: the {what} file holds {len(infos):,} parts (a zip bomb?)")
    total = sum(info.file_size for info in infos)
    if total > limit("INGEST_MAX_UNZIPPED_BYTES"):
        raise IngestError(
            filename, f"refused: the {what} file unpacks to {total:,} bytes, over the limit of "
            f"{limit('INGEST_MAX_UNZIPPED_BYTES'):,} (a zip bomb?)")
    ratio = limit("INGEST_MAX_ZIP_RATIO")
    for info in infos:
        if info.file_size > 1024 * 1024 and info.file_size > ratio * max(info.compress_size, 1):
            raise IngestError(
                filename, f"refused: the part {info.filename!r} unpacks {info.file_size // max(info.compress_size, 1):,} "
                f"times its packed size (a zip bomb?)")
        if info.flag_bits & 0x1:
            raise IngestError(filename, f"the {what} file is encrypted (password protected)")
    return archive


def read_part(archive: zipfile.ZipFile, name: str, filename: str, what: str) -> bytes | None:
    try:
        return archive.read(name)
    except KeyError:
        return None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
        raise IngestError(filename, f"not a readable {what} file ({name}: {exc})") from None


def xml_parser(**extra) -> etree.XMLParser:
    """No entity expansion, no DTD loading, no network, no huge trees."""
    return etree.XMLParser(
        resolve_entities=False, load_dtd=False, no_network=True, dtd_validation=False, huge_tree=False,
        remove_comments=True, remove_pis=True, **extra,
    )


def parse_xml(data: bytes, filename: str, what: str) -> etree._Element:
    """A well-formed XML document's root; an ``IngestError`` naming the line otherwise. A
    document type with entity declarations is refused outright (entity expansion attacks)."""
    try:
        root = etree.fromstring(data, parser=xml_parser())
    except etree.XMLSyntaxError as exc:
        line = f" at line {exc.lineno}" if getattr(exc, "lineno", None) else ""
        raise IngestError(filename, f"not well-formed XML{line}: {exc.msg if hasattr(exc, 'msg') else exc}") from None
    except (ValueError, etree.LxmlError) as exc:
        raise IngestError(filename, f"not readable {what}: {exc}") from None
    tree = root.getroottree()
    doctype = tree.docinfo.internalDTD
    if doctype is not None and any(True for _ in doctype.iterentities()):
        raise IngestError(filename, "refused: the XML declares entities in its document type (an entity expansion attack?)")
    return root
