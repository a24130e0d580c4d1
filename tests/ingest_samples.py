"""Sample source files built in the tests (and the bench): PDFs with a text layer (reportlab),
scanned PDFs and page images (text rendered with Pillow), DOCX (python-docx), ODT (a zip written
here), web pages and TEI. Nothing is downloaded; each builder returns the file's bytes."""

from __future__ import annotations

import io
import shutil
import zipfile

import pytest
from PIL import Image, ImageDraw, ImageFont

SCAN_LINES = [
    ["The accused Nikolai Bukharin", "was tried in March 1938 in Moscow.", "Genrikh Yagoda stood beside him."],
    ["Andrey Vyshinsky prosecuted", "the case before the Military", "Collegium of the Supreme Court."],
]


def needs_ocr() -> None:
    """Skip (saying why) where Tesseract or its English data is missing."""
    from archive_site.ingest import ocr_status

    status = ocr_status()
    if not status.available:
        pytest.skip(f"OCR unavailable: {status.reason}")


def needs_jing(shared_dir):
    if shutil.which("jing") is None:
        pytest.skip("jing is not installed (apt-get install jing; `make test` installs it)")
    schema = shared_dir / "tei" / "tei_all.rng"
    if not schema.is_file():
        pytest.skip("../shared/tei/tei_all.rng is not present")
    return schema


def text_pdf(pages: list[list[str]], *, title: str = "", author: str = "") -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    if title:
        pdf.setTitle(title)
    if author:
        pdf.setAuthor(author)
    for lines in pages:
        y = 780
        for line in lines:
            pdf.drawString(72, y, line)
            y -= 18
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def encrypted_pdf(password: str = "secret") -> bytes:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(text_pdf([["A secret page about the trials."]])))
    writer = pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.encrypt(user_password=password, owner_password=password + "-owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def page_image(lines: list[str], *, size=(1240, 1754), font_size: int = 44) -> Image.Image:
    """A page of printed text (about 150 dpi on A4), black on white."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=font_size)
    y = 140
    for line in lines:
        draw.text((110, y), line, fill=0, font=font)
        y += int(font_size * 1.9)
    return image


def image_bytes(lines: list[str], fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image = page_image(lines)
    (image.convert("RGB") if fmt == "JPEG" else image).save(buffer, format=fmt)
    return buffer.getvalue()


def tiff_pages(pages: list[list[str]]) -> bytes:
    images = [page_image(lines) for lines in pages]
    buffer = io.BytesIO()
    images[0].save(buffer, format="TIFF", save_all=True, append_images=images[1:], compression="tiff_deflate")
    return buffer.getvalue()


def scanned_pdf(pages: list[list[str]], *, resolution: int = 150) -> bytes:
    """A PDF of page images only (no text layer), as a scanner makes."""
    images = [page_image(lines).convert("RGB") for lines in pages]
    buffer = io.BytesIO()
    images[0].save(buffer, format="PDF", resolution=resolution, save_all=True, append_images=images[1:])
    return buffer.getvalue()


def docx_file(paragraphs: list[str], *, title: str = "", author: str = "", heading: str = "") -> bytes:
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
    if author:
        document.core_properties.author = author
    if heading:
        document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def odt_file(paragraphs: list[str], *, title: str = "", author: str = "", heading: str = "") -> bytes:
    text_ns = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    body = "".join(f"<text:p>{_esc(p)}</text:p>" for p in paragraphs)
    if heading:
        body = f'<text:h text:outline-level="1">{_esc(heading)}</text:h>' + body
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        f'xmlns:text="{text_ns}" office:version="1.2"><office:body><office:text>{body}</office:text>'
        "</office:body></office:document-content>"
    )
    meta = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0">'
        f"<office:meta><dc:title>{_esc(title)}</dc:title><meta:initial-creator>{_esc(author)}</meta:initial-creator>"
        "</office:meta></office:document-meta>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("meta.xml", meta, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest '
                         'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    return buffer.getvalue()


def zip_bomb_docx() -> bytes:
    """A DOCX whose document part unpacks to 300 MB of zeros (about 300 KB packed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(300):
                part.write(chunk)
    return buffer.getvalue()


def html_page(*, title: str, author: str, date: str, paragraphs: list[str], heading: str = "") -> bytes:
    body = "".join(f"<p>{_esc(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_esc(title)} | A History Site</title>
<meta name="author" content="{_esc(author)}"><meta property="article:published_time" content="{date}">
<meta property="og:title" content="{_esc(title)}"></head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/archive/">Archive index</a></li><li><a href="/contact/">Contact us</a></li></ul></nav></header>
<div class="cookie-banner" id="cookie-consent"><p>We use cookies to improve your experience. Accept all cookies or manage your cookie settings.</p><button>Accept</button></div>
<main><article><h1>{_esc(title)}</h1>{f"<h2>{_esc(heading)}</h2>" if heading else ""}{body}
<p><a href="#top">Top of page</a></p></article></main>
<footer><p>Copyright 2019 A History Site. All rights reserved. Privacy policy. Terms of use.</p></footer></body></html>""".encode()


def tei_file(*, title: str, author: str, date: str, body: str, header_extra: str = "", lang: str = "en") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader>
    <fileDesc>
      <titleStmt><title>{_esc(title)}</title><author>{_esc(author)}</author></titleStmt>
      <publicationStmt><p>Test edition</p></publicationStmt>
      <sourceDesc><bibl><title>{_esc(title)}</title><date when="{date}">{date}</date></bibl>{header_extra}</sourceDesc>
    </fileDesc>
  </teiHeader>
  <text xml:lang="{lang}">
    <body>
{body}
    </body>
  </text>
</TEI>""".encode()


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
