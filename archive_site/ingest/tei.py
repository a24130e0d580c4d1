"""TEI P5 XML (lxml, no entities, no DTDs, no network): the text of ``<text>`` (front, body and
back), paragraphs and headings as blocks, ``<lb/>`` as a line break, ``<pb/>`` as a page break;
metadata from the ``teiHeader``; ``persName``, ``placeName``, ``orgName``, ``date``, ``rs`` and
``name`` as entity spans with what they point at (``@ref``, ``@key``; a pointer to a header entry
brings that entry's ids and names), for curation to make into annotations.

White space is read as TEI means it: collapsed, unless ``xml:space="preserve"`` is in force (our
own export says so, so that importing it gives back the exact text). Elements split by the
export (an annotation that crosses a paragraph or another one) are joined again through
``@next`` / ``@prev``; a ``<note>`` whose ``@target`` points at a marked name is that name's
comment, not part of the text."""

from __future__ import annotations

import re

from lxml import etree

from .base import EntitySpan, Extracted, IngestError, Page, Progress, clean
from .guards import parse_xml

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XML_ID = f"{{{XML_NS}}}id"
XML_SPACE = f"{{{XML_NS}}}space"
XML_LANG = f"{{{XML_NS}}}lang"

BLOCKS = {
    "p", "head", "ab", "l", "item", "label", "speaker", "stage", "byline", "dateline", "salute", "signed",
    "docTitle", "titlePart", "docAuthor", "docImprint", "docDate", "trailer", "argument", "epigraph", "opener",
    "closer", "postscript", "bibl", "castItem", "row", "u", "seg_block",
}
SKIP = {"teiHeader", "fw", "figDesc", "facsimile", "standOff", "sourceDoc", "rdg", "sic", "orig", "abbr", "am"}
PREFERRED = {"choice": ("reg", "expan", "corr", "ex")}
ENTITIES = {"persName": "person", "placeName": "place", "geogName": "place", "orgName": "organisation",
            "date": "date", "rs": None, "name": None, "seg": None}
TYPE_KINDS = {
    "person": "person", "persname": "person", "pers": "person", "people": "person",
    "place": "place", "placename": "place", "location": "place", "geo": "place",
    "org": "organisation", "orgname": "organisation", "organisation": "organisation", "organization": "organisation",
    "date": "date", "time": "date", "event": "event",
}
DIVS = re.compile(r"^div\d?$")
PARTIAL_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


def local(element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


class _Open:
    def __init__(self, element, kind: str, name: str):
        self.element = element
        self.kind = kind
        self.name = name
        self.start: int | None = None


class Walker:
    """Emits the text with TEI's white space rules and remembers where entities and pages are."""

    def __init__(self, ids: dict[str, etree._Element], comments: dict[str, str]):  # comments: {target id: text}
        self.parts: list[str] = []
        self.length = 0
        self.blocks = 0
        self.block_open = False
        self.pending_space = False
        self.line_start = True
        self.open: list[_Open] = []
        self.spans: list[tuple[_Open, int]] = []
        self.page_breaks: list[int] = []
        self.ids = ids
        self.comments = comments

    # --- output -------------------------------------------------------------------------------

    def _out(self, piece: str, *, starts: bool = True) -> None:
        if piece:
            for entity in self.open if starts else ():
                if entity.start is None:
                    entity.start = self.length
            self.parts.append(piece)
            self.length += len(piece)

    def open_block(self) -> None:
        if not self.block_open:
            if self.blocks:
                self.parts.append("\n\n")
                self.length += 2
            self.blocks += 1
            self.block_open = True
            self.pending_space = False
            self.line_start = True

    def close_block(self) -> None:
        self.block_open = False
        self.pending_space = False

    def text(self, value: str | None, preserve: bool, in_block: bool) -> None:
        if not value:
            return
        value = clean(value)
        if not in_block and not value.strip():
            return  # white space between blocks
        if preserve:
            self.open_block()
            self._out(value)
            self.line_start = value.endswith("\n")
            return
        for piece in re.split(r"(\s+)", value):
            if not piece:
                continue
            if piece.isspace():
                if self.block_open and not self.line_start:
                    self.pending_space = True
                continue
            self.open_block()
            if self.pending_space:
                self._out(" ", starts=False)  # the space before a name is not part of it
                self.pending_space = False
            self._out(piece)
            self.line_start = False

    def line_break(self) -> None:
        if self.block_open:
            self.pending_space = False
            self._out("\n")
            self.line_start = True

    # --- walking ------------------------------------------------------------------------------

    def walk(self, element, preserve: bool, in_block: bool, depth: int) -> None:
        name = local(element)
        space = element.get(XML_SPACE)
        if space:
            preserve = space == "preserve"
        if name in SKIP or (name == "note" and self._is_comment(element)):
            return
        if name in ("lb", "cb"):
            if name == "lb":
                self.line_break()
            return
        if name == "pb":
            if self.blocks:
                self.close_block()
                self.page_breaks.append(self.length)
            else:
                self.page_breaks.append(0)
            return
        if name == "gap":
            self.text("[…]", False, True)
            return
        if name == "choice":
            self._choice(element, preserve, in_block, depth)
            return
        if name == "app":
            for child in element:
                if local(child) == "lem":
                    self.walk(child, preserve, in_block, depth)
            return
        entity = self._entity(element, name)
        is_block = name in BLOCKS and not any(local(c) in BLOCKS or DIVS.match(local(c)) for c in element)
        if is_block:
            self.close_block()
            if preserve:
                self.open_block()
            if name == "head" and depth:
                self.text("#" * min(depth, 6) + " ", False, True)
        if entity:
            self.open.append(entity)
        inside = in_block or is_block
        self.text(element.text, preserve, inside)
        child_depth = depth + 1 if DIVS.match(name) else depth
        for child in element:
            self.walk(child, preserve, inside, child_depth)
            if name == "row" and local(child) == "cell" and child.getnext() is not None:
                self.text(" | ", True, True)
            self.text(child.tail, preserve, inside)
        if entity:
            self.open.remove(entity)
            if entity.start is not None:
                self.spans.append((entity, self.length))
        if is_block:
            self.close_block()

    def _choice(self, element, preserve: bool, in_block: bool, depth: int) -> None:
        children = [c for c in element if local(c)]
        chosen = next((c for want in PREFERRED["choice"] for c in children if local(c) == want), None)
        if chosen is None and children:
            chosen = children[0]
        if chosen is not None:
            self.walk(chosen, preserve, in_block, depth)

    def _is_comment(self, note) -> bool:
        targets = (note.get("target") or "").split()
        return bool(targets) and all(t.startswith("#") and t[1:] in self.comments for t in targets)

    def _entity(self, element, name: str) -> _Open | None:
        if name not in ENTITIES:
            return None
        kind = ENTITIES[name]
        if kind is None:
            if name == "seg" and element.get("type") != "annotation":
                return None
            kind = TYPE_KINDS.get((element.get("type") or "").strip().lower(), "other" if name != "seg" else "")
        return _Open(element, kind, name)


def _identifiers(element, ids: dict[str, etree._Element]) -> tuple[list[str], list[str]]:
    """What an entity points at: its @ref/@key/@sameAs/@corresp values and, for '#id' pointers to
    entries elsewhere in the file (a header's listPerson), those entries' ids, idnos, links and names."""
    found: list[str] = []
    names: list[str] = []
    key = (element.get("key") or "").strip()
    if key:
        found.append(key)
    for attr in ("ref", "sameAs", "corresp"):
        for value in (element.get(attr) or "").split():
            if value.startswith("#") and value[1:] in ids:
                entry = ids[value[1:]]
                found.append(value[1:])
                for sub in ("key",):
                    if entry.get(sub):
                        found.append(entry.get(sub).strip())
                for attr2 in ("ref", "sameAs", "corresp"):
                    found.extend(v for v in (entry.get(attr2) or "").split() if not v.startswith("#"))
                for idno in entry.iter(f"{{{TEI_NS}}}idno", "idno"):
                    if (idno.text or "").strip():
                        found.append(idno.text.strip())
                for child in entry:
                    if local(child) in ("persName", "placeName", "orgName", "name", "label"):
                        text = " ".join("".join(child.itertext()).split())
                        if text:
                            names.append(text)
            elif value:
                found.append(value)
    return list(dict.fromkeys(found)), list(dict.fromkeys(names))


def _first_text(root, paths: list[str]) -> str:
    for path in paths:
        for node in root.iterfind(path, namespaces={"t": TEI_NS}):
            text = " ".join(" ".join(node.itertext()).split())
            if text:
                return text
    return ""


def _header_date(header) -> str:
    for path in (".//t:sourceDesc//t:date", ".//t:profileDesc/t:creation//t:date", ".//t:publicationStmt/t:date"):
        for node in header.iterfind(path, namespaces={"t": TEI_NS}):
            for value in (node.get("when"), node.get("when-iso"), " ".join("".join(node.itertext()).split())):
                if value and PARTIAL_DATE.match(value.strip()[:10]):
                    return value.strip()[:10]
    return ""


def metadata(root, text_element) -> dict[str, str]:
    header = root.find(f"{{{TEI_NS}}}teiHeader")
    meta: dict[str, str] = {}
    if header is None:
        return meta
    title = _first_text(header, [".//t:fileDesc/t:titleStmt/t:title[@type='main']", ".//t:fileDesc/t:titleStmt/t:title"])
    author = _first_text(header, [".//t:fileDesc/t:titleStmt/t:author", ".//t:sourceDesc//t:author"])
    source = ""
    for path in (".//t:sourceDesc/t:bibl//t:idno", ".//t:sourceDesc/t:biblStruct//t:idno", ".//t:sourceDesc/t:biblFull//t:idno"):
        for node in header.iterfind(path, namespaces={"t": TEI_NS}):
            if (node.get("type") or "").lower() in ("uri", "url") and (node.text or "").strip():
                source = source or node.text.strip()
    if not source:
        source = _first_text(header, [".//t:sourceDesc/t:bibl", ".//t:sourceDesc/t:p"])
    kind = _first_text(header, [".//t:profileDesc/t:textClass/t:keywords/t:term[@type='kind']"])
    language = (text_element.get(XML_LANG) or root.get(XML_LANG) or "").strip()
    if not language:
        node = header.find(".//t:profileDesc/t:langUsage/t:language", namespaces={"t": TEI_NS})
        language = (node.get("ident") or "").strip() if node is not None else ""
    values = {"title": title, "author": author, "date": _header_date(header), "source": source, "kind": kind,
              "language": language.split("-")[0].lower()[:20]}
    return {k: v for k, v in values.items() if v}


class TeiExtractor:
    name = "tei"

    def version(self) -> str:
        return f"lxml {etree.__version__}"

    def extract(self, data: bytes, filename: str, *, language: str = "", progress: Progress | None = None) -> Extracted:
        root = parse_xml(data, filename, "TEI")
        name = local(root)
        if name == "teiCorpus":
            raise IngestError(filename, "a teiCorpus holds several documents: load each TEI document on its own")
        if name != "TEI" or etree.QName(root).namespace not in (TEI_NS, None):
            raise IngestError(filename, f"not a TEI document (its root element is <{name}>, not <TEI> in the TEI namespace)")
        text_element = next((c for c in root if local(c) == "text"), None)
        if text_element is None:
            raise IngestError(filename, "the TEI document has no <text>")
        ids = {el.get(XML_ID): el for el in root.iter() if isinstance(el.tag, str) and el.get(XML_ID)}
        comments = self._comments(root)
        walker = Walker(ids, comments)
        walker.walk(text_element, False, False, 0)
        text = "".join(walker.parts)
        if not text.strip():
            raise IngestError(filename, "the TEI document's <text> has no text")
        entities = self._entities(walker, ids, comments)
        pages = self._pages(walker.page_breaks, len(text))
        return Extracted(text=text, format="tei", extractor=self.name, extractor_version=self.version(),
                         metadata=metadata(root, text_element), entities=entities, pages=pages)

    @staticmethod
    def _comments(root) -> dict[str, str]:
        """Notes whose @target points at elements of the text: {target id: note text}."""
        out: dict[str, str] = {}
        for note in root.iter(f"{{{TEI_NS}}}note", "note"):
            preserve = any(a.get(XML_SPACE) == "preserve" for a in note.iterancestors()) or note.get(XML_SPACE) == "preserve"
            preserve = note.get(XML_SPACE, "preserve" if preserve else "default") == "preserve"
            text = "".join(note.itertext()) if preserve else " ".join("".join(note.itertext()).split())
            for target in (note.get("target") or "").split():
                if target.startswith("#"):
                    out[target[1:]] = clean(text)
        return out

    @staticmethod
    def _entities(walker: Walker, ids, comments: dict[str, str]) -> list[EntitySpan]:
        by_element = {}
        spans = []
        for entity, end in walker.spans:
            element = entity.element
            identifiers, names = _identifiers(element, ids)
            span = EntitySpan(start=entity.start, end=end, kind=entity.kind, element=entity.name,
                              identifiers=identifiers, names=names, comment=comments.get(element.get(XML_ID) or "", ""),
                              approved="#approved" in (element.get("ana") or "").split())
            by_element[element] = span
            spans.append(span)
        # Parts of one name split by the export (@next / @prev) become one span again.
        merged = []
        for entity, _end in walker.spans:
            element = entity.element
            span = by_element[element]
            previous = element.get("prev")
            head = ids.get(previous[1:]) if previous and previous.startswith("#") else None
            if head is not None and head in by_element:
                while head.get("prev") and ids.get(head.get("prev")[1:]) in by_element:
                    head = ids[head.get("prev")[1:]]
                target = by_element[head]
                target.end = max(target.end, span.end)
                target.start = min(target.start, span.start)
                continue
            merged.append(span)
        merged.sort(key=lambda s: (s.start, -s.end))
        return merged

    @staticmethod
    def _pages(breaks: list[int], length: int) -> list[Page]:
        if not breaks:
            return []
        starts = sorted(set(breaks))
        if starts[0] != 0:
            starts.insert(0, 0)
        pages = []
        for number, start in enumerate(starts, start=1):
            end = starts[number] if number < len(starts) else length
            pages.append(Page(number=number, start=start, end=max(start, end)))
        return pages
