"""TEI P5 out and in.

**Out** (``export_tei``): a document with its annotations inline, as a digital editor expects:
``persName``, ``placeName``, ``orgName``, ``date``, ``rs`` (other entity types, or a record link
without a type) and ``seg type="annotation"`` (a note with neither), each with ``@ref`` to the
linked records' URLs and ``@key`` the first record's stable key; the header names the document,
its source and language, and lists the linked records (``listPerson``, ``listPlace``,
``listOrg``). Which annotations: the caller's choice through ``exchange.export_queryset`` (the
public export holds only published ones: ``permissions.published_q``).

The text is exact: ``<text xml:space="preserve">``, one ``<p>`` per blank-line-separated paragraph
and ``<lb/>`` for a line break, so importing the file gives back the same text, character for
character. Annotations that cannot nest (one crosses a paragraph break or another annotation) are
split into parts joined by ``@next`` / ``@prev``; an annotation's comment is a ``<note>`` in the
back pointing at it. Approved annotations carry ``ana="#approved"`` (a category of the header).
Relations with an end in the document (``export_relations``, by the same scope and read rule as
the relations' own exports) are a ``listRelation`` in the header's ``sourceDesc``: one
``<relation name="TYPE" active="..." passive="...">`` each, pointing at the inline element of an
end in this document (``#a12``) or at the passage's URL for an end elsewhere.

**In** (``annotate_entities``, the receiver of ``archive_site.sources.entities_extracted``): the
names a TEI source marks become annotations through ``annotations.services``: linked to a record
when what they point at (``@ref``/``@key``: our record URLs, record keys, Wikidata ids) is one;
otherwise proposed for review (pending, public), as suggestions are.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet
from django.dispatch import receiver
from lxml import etree

from annotations import permissions, services
from annotations.models import Annotation, EntityType
from annotations.schemas import AnnotationInput, resolve_url
from archive_site.models import Document, Record
from archive_site.sources import entities_extracted

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
NSMAP = {None: TEI_NS}
APPLICATION = "purge-archive"
ELEMENTS = {"person": "persName", "place": "placeName", "organisation": "orgName", "date": "date"}
LISTS = {"person": ("listPerson", "person", "persName"), "place": ("listPlace", "place", "placeName"),
         "organisation": ("listOrg", "org", "orgName")}
WIKIDATA_ID = re.compile(r"(?:^|[/:#])(Q[1-9][0-9]*)/?$")
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _t(name: str) -> str:
    return f"{{{TEI_NS}}}{name}"


def _xml(name: str) -> str:
    return f"{{{XML_NS}}}{name}"


def _safe(text: str) -> str:
    """Characters XML 1.0 cannot hold become U+FFFD (the only change an export makes to a text)."""
    return XML_INVALID.sub("\ufffd", text)


# --- out --------------------------------------------------------------------------------------------


@dataclass(order=True)
class _Part:
    start: int
    neg_end: int
    order: int
    annotation: Annotation = field(compare=False)

    @property
    def end(self) -> int:
        return -self.neg_end


@dataclass
class _Node:
    start: int
    end: int
    annotation: Annotation | None
    children: list[_Node] = field(default_factory=list)
    element: etree._Element | None = None


def _paragraphs(text: str) -> list[tuple[int, int]]:
    out, position = [], 0
    for chunk in text.split("\n\n"):
        out.append((position, position + len(chunk)))
        position += len(chunk) + 2
    return out


def _forest(start: int, end: int, spans: list[tuple[int, int, int, Annotation]]) -> _Node:
    """The annotations inside one paragraph as a tree; one that would cross another's end is cut
    there and the rest goes on after it (a part of the same annotation)."""
    root = _Node(start, end, None)
    heap = [_Part(max(s, start), -min(e, end), order, a) for s, e, order, a in spans if max(s, start) < min(e, end)]
    heapq.heapify(heap)
    stack = [root]
    while heap:
        part = heapq.heappop(heap)
        while len(stack) > 1 and part.start >= stack[-1].end:
            stack.pop()
        top = stack[-1]
        part_end = part.end
        if part_end > top.end:
            heapq.heappush(heap, _Part(top.end, -part_end, part.order, part.annotation))
            part_end = top.end
        if part_end <= part.start:
            continue
        node = _Node(part.start, part_end, part.annotation)
        top.children.append(node)
        stack.append(node)
    return root


def _append_text(element: etree._Element, text: str) -> None:
    """Text at the end of ``element``, each newline as <lb/>."""
    for k, piece in enumerate(text.split("\n")):
        if k:
            etree.SubElement(element, _t("lb"))
        if piece:
            piece = _safe(piece)
            if len(element):
                element[-1].tail = (element[-1].tail or "") + piece
            else:
                element.text = (element.text or "") + piece


def _element_for(parent: etree._Element, annotation: Annotation, base: str) -> etree._Element:
    entity = annotation.entity_type.key if annotation.entity_type_id else ""
    records = list(annotation.records.all())
    if entity in ELEMENTS:
        element = etree.SubElement(parent, _t(ELEMENTS[entity]))
    elif entity or records:
        element = etree.SubElement(parent, _t("rs"))
        if entity:
            element.set("type", entity)
    else:
        element = etree.SubElement(parent, _t("seg"), type="annotation")
    if records and element.tag != _t("date"):
        element.set("ref", " ".join(base + r.get_absolute_url() for r in records))
        element.set("key", records[0].key)
    if annotation.status == Annotation.Status.APPROVED:
        element.set("ana", "#approved")
    return element


def _render(element: etree._Element, node: _Node, text: str, base: str, parts: dict[int, list[etree._Element]]) -> None:
    position = node.start
    for child in node.children:
        _append_text(element, text[position:child.start])
        child.element = _element_for(element, child.annotation, base)
        parts.setdefault(child.annotation.pk, []).append(child.element)
        _render(child.element, child, text, base, parts)
        position = child.end
    _append_text(element, text[position:node.end])


def _relations(source_desc: etree._Element, relations, ids: set[int], base: str) -> None:
    """The relations as a ``listRelation``: each end is its inline element (``#a<id>``) when the
    export holds it, else the URL of its passage."""
    from annotations import presenters

    def pointer(end: Annotation) -> str:
        return f"#a{end.pk}" if end.pk in ids else base + presenters.link(end)

    rows = list(relations)
    if not rows:
        return
    listing = etree.SubElement(source_desc, _t("listRelation"))
    for relation in rows:
        item = etree.SubElement(listing, _t("relation"), name=_safe(relation.relation_type.key)[:80] or "related",
                                active=pointer(relation.relation_source), passive=pointer(relation.relation_target))
        item.set(_xml("id"), f"r{relation.pk}")
        item.set("ref", base + relation.get_absolute_url())
        if relation.status == Annotation.Status.APPROVED:
            item.set("ana", "#approved")
        if relation.comment:
            etree.SubElement(item, _t("desc")).text = _safe(relation.comment)


def _header(document: Document, records: list[Record], base: str,
            relations=(), ids: set[int] = frozenset()) -> etree._Element:
    header = etree.Element(_t("teiHeader"))
    file_desc = etree.SubElement(header, _t("fileDesc"))
    title_stmt = etree.SubElement(file_desc, _t("titleStmt"))
    etree.SubElement(title_stmt, _t("title")).text = _safe(document.title)
    if document.author:
        etree.SubElement(title_stmt, _t("author")).text = _safe(document.author)
    publication = etree.SubElement(file_desc, _t("publicationStmt"))
    etree.SubElement(publication, _t("publisher")).text = "Purge Archive"
    etree.SubElement(publication, _t("idno"), type="URI").text = base + document.get_absolute_url()
    today = date.today().isoformat()
    etree.SubElement(publication, _t("date"), when=today).text = today
    source_desc = etree.SubElement(file_desc, _t("sourceDesc"))
    bibl = etree.SubElement(source_desc, _t("bibl"))
    etree.SubElement(bibl, _t("title")).text = _safe(document.title)
    if document.author:
        etree.SubElement(bibl, _t("author")).text = _safe(document.author)
    if document.date:
        etree.SubElement(bibl, _t("date"), when=document.date).text = document.date
    if document.source:
        if re.match(r"^https?://\S+$", document.source):
            etree.SubElement(bibl, _t("idno"), type="URI").text = _safe(document.source)
        else:
            etree.SubElement(bibl, _t("note")).text = _safe(document.source)
    for kind, (list_name, item_name, name_name) in LISTS.items():
        chosen = [r for r in records if r.kind == kind]
        if not chosen:
            continue
        listing = etree.SubElement(source_desc, _t(list_name))
        for record in chosen:
            item = etree.SubElement(listing, _t(item_name))
            item.set(_xml("id"), f"rec-{record.key}")
            etree.SubElement(item, _t(name_name)).text = _safe(record.label)
            etree.SubElement(item, _t("idno"), type="URI").text = base + record.get_absolute_url()
            for scheme, value in sorted(record.external_ids.items()):
                if value:
                    etree.SubElement(item, _t("idno"), type=_safe(str(scheme))[:60] or "id").text = _safe(str(value))
    _relations(source_desc, relations, ids, base)
    encoding = etree.SubElement(header, _t("encodingDesc"))
    app_info = etree.SubElement(encoding, _t("appInfo"))
    application = etree.SubElement(app_info, _t("application"), ident=APPLICATION, version="1")
    etree.SubElement(application, _t("label")).text = "Purge Archive"
    class_decl = etree.SubElement(encoding, _t("classDecl"))
    taxonomy = etree.SubElement(class_decl, _t("taxonomy"))
    taxonomy.set(_xml("id"), "status")
    category = etree.SubElement(taxonomy, _t("category"))
    category.set(_xml("id"), "approved")
    etree.SubElement(category, _t("catDesc")).text = "Approved by the archive's curators"
    profile = etree.SubElement(header, _t("profileDesc"))
    lang_usage = etree.SubElement(profile, _t("langUsage"))
    etree.SubElement(lang_usage, _t("language"), ident=document.language or "en").text = document.language or "en"
    if document.kind:
        keywords = etree.SubElement(etree.SubElement(profile, _t("textClass")), _t("keywords"))
        etree.SubElement(keywords, _t("term"), type="kind").text = _safe(document.kind)
    etree.indent(header, space="  ", level=1)
    return header


def export_tei(document: Document, annotations, *, base: str, relations=()) -> bytes:
    """The document and ``annotations`` (anchored top-level ones on it; others are left out) as a
    TEI P5 file (UTF-8 bytes), with ``relations`` (``export_relations``) in the header."""
    text = document.text
    chosen = [a for a in annotations
              if a.document_id == document.pk and a.reply_to_id is None and a.target_start is not None
              and a.target_end is not None and a.target_start < a.target_end <= len(text)
              and a.anchor_state == Annotation.AnchorState.ANCHORED]
    spans = [(a.target_start, a.target_end, order, a) for order, a in enumerate(chosen)]
    records = list({r.pk: r for a in chosen for r in a.records.all()}.values())
    root = etree.Element(_t("TEI"), nsmap=NSMAP)
    root.set(_xml("lang"), document.language or "en")
    header = _header(document, records, base)
    root.append(header)
    text_element = etree.SubElement(root, _t("text"))
    text_element.set(_xml("space"), "preserve")
    body = etree.SubElement(text_element, _t("body"))
    parts: dict[int, list[etree._Element]] = {}
    for start, end in _paragraphs(text):
        paragraph = etree.SubElement(body, _t("p"))
        _render(paragraph, _forest(start, end, spans), text, base, parts)
    for annotation in chosen:
        elements = parts.get(annotation.pk, [])
        for k, element in enumerate(elements):
            element.set(_xml("id"), f"a{annotation.pk}" if k == 0 else f"a{annotation.pk}.{k + 1}")
        for first, second in zip(elements, elements[1:], strict=False):
            first.set("next", "#" + second.get(_xml("id")))
            second.set("prev", "#" + first.get(_xml("id")))
    if relations:  # the header is written last: a relation points at the elements' ids
        root.replace(header, _header(document, records, base, relations, {pk for pk, els in parts.items() if els}))
    commented = [a for a in chosen if a.comment and parts.get(a.pk)]
    if commented:
        back = etree.SubElement(text_element, _t("back"))
        notes = etree.SubElement(back, _t("div"), type="annotations")
        for annotation in commented:
            note = etree.SubElement(notes, _t("note"), target=f"#a{annotation.pk}")
            note.text = _safe(annotation.comment)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def export_annotations(*, user, document: Document, scope: str) -> QuerySet[Annotation]:
    from .exchange import export_queryset

    return export_queryset(user=user, document=document, scope=scope)


def export_relations(*, user, document: Document, scope: str) -> QuerySet[Annotation]:
    """The relations with an end in ``document``, by the relation exports' scope and read rule."""
    from django.db.models import Q

    from .relation_export import relations_queryset

    return relations_queryset(user=user, scope=scope).filter(
        Q(relation_source__document=document) | Q(relation_target__document=document))


# --- in ---------------------------------------------------------------------------------------------


def match_records(identifiers: list[str]) -> list[Record]:
    """The records an entity points at, in order: our record URLs (any host), record keys, or
    Wikidata ids a record lists. A merged record leads to the record it was merged into."""
    found: dict[int, Record] = {}
    for value in identifiers:
        record = _match_one(value)
        if record is not None:
            found.setdefault(record.pk, record)
    return list(found.values())


def _match_one(value: str) -> Record | None:
    record = None
    resolved = resolve_url(value) if "/" in value else None
    if resolved and resolved[0] in ("record-detail", "api-record-detail"):
        record = Record.objects.filter(pk=resolved[1]["pk"]).first()
    if record is None and re.fullmatch(r"[-a-z0-9_]+", value):
        record = Record.objects.filter(key=value).first()
    if record is None:
        wikidata = WIKIDATA_ID.search(value)
        if wikidata:
            record = Record.objects.filter(external_ids__wikidata=wikidata.group(1)).first()
    seen: set[int] = set()
    while record is not None and record.merged_into_id and record.pk not in seen:
        seen.add(record.pk)
        record = Record.objects.filter(pk=record.merged_into_id).first()
    return record


@receiver(entities_extracted, dispatch_uid="curation-tei-entities")
def annotate_entities(sender, document: Document, entities, user, report=None, **kwargs) -> None:
    """Annotations for the names a source marks (see the module's docstring), in the caller's
    transaction: if one cannot be made, the document is not added either."""
    if user is None or not permissions.can_curate(user):
        if report is not None:
            report.warnings.append(
                f"{document.slug}: {len(entities)} marked name(s) not annotated (load with --as CURATOR to make them annotations)")
        return
    types = {t.key: t for t in EntityType.objects.all()}
    for entity in entities:
        if entity.end <= entity.start:
            continue
        records = match_records(entity.identifiers)
        entity_type = types.get(entity.kind) or (types.get("other") if entity.kind else None)
        approved = bool(records) or entity.approved
        data = AnnotationInput(
            document=document, start=entity.start, end=entity.end, quote=document.text[entity.start:entity.end],
            comment=entity.comment[:10_000], entity_type=entity_type, records=records[:50],
            visibility=Annotation.Visibility.PUBLIC,
            status=Annotation.Status.APPROVED if approved else Annotation.Status.PENDING,
        )
        services.create_annotation(user=user, data=data)
