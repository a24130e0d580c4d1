"""Saved web pages: the main content (trafilatura), without navigation, cookie banners, footers or
"top of page" links; headings kept as Markdown marks, lists as one item a paragraph; title, author
and date from the page's metadata. Nothing is fetched: links are not followed."""

from __future__ import annotations

import re

import trafilatura
from lxml import etree

from .base import Extracted, IngestError, Progress, TextBuilder
from .guards import parse_xml

# Residue a page's main content can still hold: navigation links and consent notices.
RESIDUE = re.compile(
    r"^\W*(?:(?:back|return|go|jump)\s+to\s+(?:the\s+)?top(?:\s+of\s+(?:the\s+)?page)?|top\s+of\s+(?:the\s+)?page|"
    r"(?:to\s+)?top|skip\s+to\s+(?:the\s+)?(?:main\s+)?content|print(?:\s+this)?(?:\s+page)?|"
    r"share(?:\s+this)?(?:\s+(?:page|article))?|наверх|в\s+начало\s+страницы)\W*$",
    re.IGNORECASE,
)
COOKIES = re.compile(r"\b(?:cookies?|cookie\s+policy)\b.*\b(?:accept|agree|consent|settings|preferences|use)\b|"
                     r"\b(?:accept|agree|consent)\b.*\bcookies?\b", re.IGNORECASE | re.DOTALL)
HEADING = re.compile(r"^h([1-6])$")


def is_residue(text: str) -> bool:
    text = text.strip()
    if RESIDUE.match(text):
        return True
    return len(text) < 400 and bool(COOKIES.search(text))


def _inline(element) -> str:
    out = [element.text or ""]
    for child in element:
        if child.tag == "lb":
            out.append("\n")
        elif isinstance(child.tag, str):
            out.append(_inline(child))
        out.append(child.tail or "")
    return "".join(out)


def _collapse(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def _blocks(element, builder: TextBuilder) -> None:
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag in ("p", "item", "code", "quote") and not any(c.tag in ("p", "list", "item") for c in child):
            text = _collapse(_inline(child))
            if text and not is_residue(text):
                builder.block(text)
        elif tag == "head":
            text = _collapse(_inline(child))
            level = HEADING.match(child.get("rend", "") or "")
            if text and not is_residue(text):
                builder.block("#" * (int(level.group(1)) if level else 2) + " " + text.replace("\n", " "))
        elif tag == "row":
            cells = [_collapse(_inline(cell)).replace("\n", " ") for cell in child if cell.tag == "cell"]
            if any(cells):
                builder.block(" | ".join(cells))
        elif tag in ("comments", "graphic"):
            continue
        else:
            _blocks(child, builder)


def _words(xml: str | None) -> int:
    return len(re.sub(r"<[^>]+>", " ", xml or "").split())


class HtmlExtractor:
    name = "html"

    def version(self) -> str:
        return f"trafilatura {trafilatura.__version__}"

    def extract(self, data: bytes, filename: str, *, language: str = "", progress: Progress | None = None) -> Extracted:
        try:
            # Precision mode keeps the page's structure (headings, paragraphs) where the default
            # can fall back to one flat block; it is used unless it loses much of the text.
            options = dict(output_format="xml", with_metadata=True, include_comments=False, include_tables=True,
                           include_images=False, include_links=False, deduplicate=False)
            precise = trafilatura.extract(data, favor_precision=True, **options)
            default = trafilatura.extract(data, **options)
        except (ValueError, TypeError, etree.LxmlError, RecursionError) as exc:
            raise IngestError(filename, f"the web page cannot be read ({type(exc).__name__}: {exc})") from None
        xml = precise if precise and _words(precise) >= 0.8 * _words(default) else (default or precise)
        if not xml:
            raise IngestError(filename, "no readable text in the web page (no main content found)")
        root = parse_xml(xml.encode("utf-8"), filename, "extracted page")
        builder = TextBuilder()
        main = root.find("main")
        _blocks(main if main is not None else root, builder)
        text = builder.text()
        if not text.strip():
            raise IngestError(filename, "no readable text in the web page (no main content found)")
        meta = {}
        for key in ("title", "author"):
            value = " ".join((root.get(key) or "").split())
            if value:
                meta[key] = value
        date = (root.get("date") or "").strip()
        if re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", date):
            meta["date"] = date
        if root.get("source") or root.get("url"):
            meta["source"] = (root.get("url") or root.get("source") or "").strip()
        if root.get("language"):
            meta["language"] = root.get("language").split("-")[0].lower()[:20]
        return Extracted(text=text, format="html", extractor=self.name, extractor_version=self.version(), metadata=meta)
