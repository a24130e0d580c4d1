"""Word (DOCX, python-docx) and OpenDocument text (ODT, its content.xml read with lxml): the body's
paragraphs, headings (kept as Markdown marks, as the archive's texts keep them) and tables in
order, and the title, author and date of the file's properties. Both are zip containers, checked
for zip bombs before anything is unpacked."""

from __future__ import annotations

import io
import re

import docx
from docx.opc.exceptions import PackageNotFoundError
from lxml import etree

from .base import Extracted, IngestError, Progress, TextBuilder
from .guards import open_zip, parse_xml, read_part

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
HEADING_STYLE = re.compile(r"^(?:heading|überschrift|titre|заголовок)\s*(\d)$", re.IGNORECASE)


def _heading_mark(level: int | None) -> str:
    return "#" * max(1, min(level, 6)) + " " if level else ""


# --- DOCX -----------------------------------------------------------------------------------------


def _docx_runs_text(paragraph_element) -> str:
    """A w:p's text: runs, tabs and breaks (python-docx's Paragraph.text leaves out hyperlinks'
    runs in some versions; walking the XML keeps everything in order)."""
    out = []
    for node in paragraph_element.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr", f"{W}delText", f"{W}instrText"):
        tag = node.tag
        if tag == f"{W}t":
            out.append(node.text or "")
        elif tag == f"{W}tab":
            out.append("\t")
        elif tag in (f"{W}br", f"{W}cr"):
            out.append("\n")
    return "".join(out)


def _docx_level(paragraph) -> int | None:
    try:
        name = paragraph.style.name if paragraph.style is not None else ""
    except (KeyError, ValueError, AttributeError):
        name = ""
    if name and name.lower() == "title":
        return 1
    match = HEADING_STYLE.match(name or "")
    return int(match.group(1)) if match else None


class DocxExtractor:
    name = "docx"

    def version(self) -> str:
        return f"python-docx {docx.__version__ if hasattr(docx, '__version__') else ''}".strip()

    def extract(self, data: bytes, filename: str, *, language: str = "", progress: Progress | None = None) -> Extracted:
        archive = open_zip(data, filename, "Word")
        if read_part(archive, "word/document.xml", filename, "Word") is None and not any(
                n.endswith("document.xml") for n in archive.namelist()):
            raise IngestError(filename, "not a Word (DOCX) file: it has no document part")
        try:
            document = docx.Document(io.BytesIO(data))
        except (PackageNotFoundError, KeyError, ValueError, etree.LxmlError, OSError) as exc:
            raise IngestError(filename, f"not a readable Word (DOCX) file ({type(exc).__name__}: {exc})") from None
        builder = TextBuilder()
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        body = document.element.body
        for child in body.iterchildren():
            if child.tag == f"{W}p":
                paragraph = Paragraph(child, document)
                text = _docx_runs_text(child).strip()
                if text:
                    builder.block(_heading_mark(_docx_level(paragraph)) + text)
            elif child.tag == f"{W}tbl":
                for row in Table(child, document).rows:
                    cells = []
                    for cell in row.cells:
                        value = " ".join(_docx_runs_text(p).strip() for p in cell._tc.iter(f"{W}p")).strip()
                        if not cells or value != cells[-1]:  # merged cells repeat
                            cells.append(value)
                    builder.block(" | ".join(cells))
        text = builder.text()
        if not text.strip():
            raise IngestError(filename, "the Word file has no text")
        props = document.core_properties
        meta = {}
        if (props.title or "").strip():
            meta["title"] = " ".join(props.title.split())
        if (props.author or "").strip():
            meta["author"] = " ".join(props.author.split())
        # Not the file's creation date: it dates the file, not the source it holds.
        if (props.language or "").strip():
            meta["language"] = props.language.strip().split("-")[0].lower()[:20]
        return Extracted(text=text, format="docx", extractor=self.name, extractor_version=self.version(), metadata=meta)


# --- ODT ------------------------------------------------------------------------------------------

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
DC = "http://purl.org/dc/elements/1.1/"
SKIP = {f"{{{TEXT}}}note", f"{{{TEXT}}}tracked-changes", f"{{{TEXT}}}sequence-decls", f"{{{OFFICE}}}annotation",
        f"{{{TEXT}}}table-of-content", f"{{{TEXT}}}bookmark-ref"}


def _odt_inline(element) -> str:
    """The text of a text:p / text:h with its spans, links, spaces (text:s), tabs and line breaks."""
    out = [element.text or ""]
    for child in element:
        tag = child.tag
        if tag in SKIP:
            pass
        elif tag == f"{{{TEXT}}}s":
            out.append(" " * int(child.get(f"{{{TEXT}}}c", "1") or 1))
        elif tag == f"{{{TEXT}}}tab":
            out.append("\t")
        elif tag == f"{{{TEXT}}}line-break":
            out.append("\n")
        elif isinstance(tag, str):
            out.append(_odt_inline(child))
        out.append(child.tail or "")
    return "".join(out)


def _odt_blocks(element, builder: TextBuilder) -> None:
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in SKIP:
            continue
        if tag == f"{{{TEXT}}}h":
            level = child.get(f"{{{TEXT}}}outline-level")
            builder.block(_heading_mark(int(level) if level and level.isdigit() else 1) + _odt_inline(child).strip())
        elif tag == f"{{{TEXT}}}p":
            builder.block(_odt_inline(child))
        elif tag == f"{{{TABLE}}}table-row":
            cells = [" ".join(_odt_inline(p).strip() for p in cell.iter(f"{{{TEXT}}}p", f"{{{TEXT}}}h")).strip()
                     for cell in child if cell.tag == f"{{{TABLE}}}table-cell"]
            builder.block(" | ".join(cells))
        else:  # sections, lists, list items, tables, frames: their paragraphs in order
            _odt_blocks(child, builder)


class OdtExtractor:
    name = "odt"

    def version(self) -> str:
        return f"lxml {etree.__version__}"

    def extract(self, data: bytes, filename: str, *, language: str = "", progress: Progress | None = None) -> Extracted:
        archive = open_zip(data, filename, "OpenDocument")
        content = read_part(archive, "content.xml", filename, "OpenDocument")
        if content is None:
            raise IngestError(filename, "not an OpenDocument text file: it has no content.xml")
        mimetype = (read_part(archive, "mimetype", filename, "OpenDocument") or b"").decode("ascii", "replace").strip()
        if mimetype and mimetype != "application/vnd.oasis.opendocument.text":
            raise IngestError(filename, f"an OpenDocument file of type {mimetype!r}, not a text document (ODT)")
        root = parse_xml(content, filename, "OpenDocument content")
        body = root.find(f"{{{OFFICE}}}body/{{{OFFICE}}}text")
        if body is None:
            raise IngestError(filename, "not an OpenDocument text file: its body has no text")
        builder = TextBuilder()
        _odt_blocks(body, builder)
        text = builder.text()
        if not text.strip():
            raise IngestError(filename, "the OpenDocument file has no text")
        meta = {}
        raw_meta = read_part(archive, "meta.xml", filename, "OpenDocument")
        if raw_meta:
            try:
                meta_root = parse_xml(raw_meta, filename, "OpenDocument metadata")
            except IngestError:
                meta_root = None
            if meta_root is not None:
                def first(*paths):
                    for path in paths:
                        node = meta_root.find(f".//{path}")
                        if node is not None and (node.text or "").strip():
                            return " ".join(node.text.split())
                    return ""

                title = first(f"{{{DC}}}title")
                author = first(f"{{{META}}}initial-creator", f"{{{DC}}}creator")
                lang = first(f"{{{DC}}}language")
                meta.update({k: v for k, v in (("title", title), ("author", author)) if v})
                if lang:
                    meta["language"] = lang.split("-")[0].lower()[:20]
        return Extracted(text=text, format="odt", extractor=self.name, extractor_version=self.version(), metadata=meta)
