"""The reading room: which annotations a reader sees on a document, and how the text is cut into
segments at every annotation boundary so that overlapping highlights can be drawn without
JavaScript.

Offsets are Python ``str`` indices into ``Document.text`` (code points, half-open), as everywhere.
Every rendered piece of text carries its ``data-start`` so that the browser code can map a DOM
selection back to these offsets.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from archive_site.models import Document
from archive_site.views import paragraphs

from . import presenters, selectors
from .models import Annotation as AnnotationModel
from .models import AnnotationGroup, EntityType
from .permissions import can_create, is_curator, visible_q

MAX_TAG_SUGGESTIONS = 1000


def visible_annotations(document: Document, user) -> QuerySet[AnnotationModel]:
    """Top-level annotations on ``document`` that ``user`` may see, with their replies."""
    replies = AnnotationModel.objects.filter(visible_q(user)).select_related("creator").order_by("created", "id")
    return (
        AnnotationModel.objects.filter(document=document, reply_to__isnull=True, relation_source__isnull=True)
        .filter(visible_q(user))
        .select_related("creator", "entity_type", "group")
        .prefetch_related("tags", "records", Prefetch("replies", queryset=replies, to_attr="visible_replies"))
        .order_by("target_start", "target_end", "id")
    )


SCOPES = {"mine", "group", "public"}
FILTER_KEYS = ("q", "scope", "entity", "tag", "creator", "record", "status")
MAX_FILTER_TEXT = 200


def fold(text: str) -> str:
    """Text as the side list's search box compares it: accents dropped, lower case (the page's
    script folds the same way, so the list filtered with and without JavaScript agrees)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def searchable_text(view: dict) -> str:
    """What the side list's search box looks in: the quote, comment, tags, entity type, creator,
    linked records and replies of one annotation."""
    parts = [view["quote"] or "", view["comment"] or "", *view["tags"], view["creator"]]
    if view["entity_type"]:
        parts.append(view["entity_type"]["label"])
    parts += [r["label"] for r in view["records"]]
    parts += [f'{reply["creator"]} {reply["comment"]}' for reply in view["replies"]]
    return fold("\n".join(parts))


def matches_filters(view: dict, *, q: str = "", scope: str = "", entity: str = "", tag: str = "", creator: str = "",
                    record: str = "", status: str = "") -> bool:
    """The side list's filters: words (every one must occur), scope (mine / group / public),
    entity type key, tag, creator, linked record id, status."""
    if scope == "mine" and not view["mine"]:
        return False
    if scope in {"group", "public"} and view["visibility_kind"] != scope:
        return False
    if entity and (view["entity_type"] or {}).get("key", "none") != entity:
        return False
    if tag and tag not in view["tags"]:
        return False
    if creator and view["creator"] != creator:
        return False
    if record and not any(str(r["id"]) == record for r in view["records"]):
        return False
    if status and view["status"] != status:
        return False
    haystack = searchable_text(view) if q else ""
    return all(word in haystack for word in fold(q).split())


def first_line(text: str) -> str:
    """The first line of a comment that has any text (the side list shows it under the quote)."""
    return next((line.strip() for line in (text or "").splitlines() if line.strip()), "")


def filter_choices(views: list[dict]) -> dict:
    """The values the side list's tag, creator and record filters offer: those of the annotations
    listed (each with how many carry it)."""
    tags: dict[str, int] = {}
    creators: dict[str, int] = {}
    records: dict[str, dict] = {}
    for view in views:
        for tag in view["tags"]:
            tags[tag] = tags.get(tag, 0) + 1
        creators[view["creator"]] = creators.get(view["creator"], 0) + 1
        for r in view["records"]:
            entry = records.setdefault(str(r["id"]), {"id": str(r["id"]), "label": r["label"], "count": 0})
            entry["count"] += 1
    return {
        "tags": [{"value": t, "count": n} for t, n in sorted(tags.items(), key=lambda x: fold(x[0]))],
        "creators": [{"value": c, "count": n} for c, n in sorted(creators.items(), key=lambda x: fold(x[0]))],
        "records": sorted(records.values(), key=lambda r: fold(r["label"])),
    }


@dataclass
class Segment:
    start: int
    text: str
    ann_ids: list[int] = field(default_factory=list)
    entity: str = ""
    label: str = ""  # what the highlight is, as its hover/focus label says ("Person", "Note · 2 notes")
    first_of: list[int] = field(default_factory=list)  # annotations whose highlight begins here
    is_break: bool = False
    style: str = ""  # "md" for Markdown syntax kept in the text, "strong" / "em" for what it marks

    @property
    def ids(self) -> str:
        return " ".join(str(i) for i in self.ann_ids)


@dataclass
class Block:
    start: int
    end: int
    heading: int
    segments: list[Segment]

    @property
    def tag(self) -> str:
        return f"h{self.heading}" if self.heading else "p"


HEADING_MARK = re.compile(r"#{1,6} ")
STRONG = re.compile(r"(\*\*)(?=\S)(.+?)(?<=\S)(\*\*)")
EMPHASIS = re.compile(r"(?<![*\w])(\*)(?=[^\s*])(.+?)(?<=[^\s*])(\*)(?![*\w])")


def markdown_styles(text: str, start: int, end: int, heading: int) -> list[tuple[int, int, str]]:
    """Ranges of the Markdown the sources keep (heading marks, **strong**, *emphasis*), so the page
    can show the syntax quietly and style what it marks; the characters stay in the text."""
    styles = []
    if heading:
        mark = HEADING_MARK.match(text, start)
        if mark:
            styles.append((start, mark.end(), "md"))
    for pattern, style in ((STRONG, "strong"), (EMPHASIS, "em")):
        for m in pattern.finditer(text, start, end):
            if "\n\n" in m.group(0):
                continue
            if any(a <= m.start() < b for a, b, s in styles if s != "md"):
                continue
            styles += [(m.start(1), m.end(1), "md"), (m.start(2), m.end(2), style), (m.start(3), m.end(3), "md")]
    return styles


def annotated_blocks(text: str, annotations: list[AnnotationModel]) -> list[Block]:
    """The text's paragraphs, each cut at every annotation boundary and line break. A segment
    covered by several annotations lists them all (innermost first) and takes the entity type
    of the innermost one."""
    spans = [
        (a.target_start, a.target_end, a)
        for a in annotations
        if a.target_start is not None and a.target_end is not None and a.target_end > a.target_start
        and a.anchor_state == AnnotationModel.AnchorState.ANCHORED and a.target_end <= len(text)
    ]
    spans.sort(key=lambda s: (s[0], s[1]))
    seen: set[int] = set()
    blocks = []
    for para in paragraphs(text):
        b_start, b_end = para["start"], para["end"]
        inside = [s for s in spans if s[0] < b_end and s[1] > b_start]
        cuts = {b_start, b_end}
        for s, e, _ in inside:
            cuts.add(max(s, b_start))
            cuts.add(min(e, b_end))
        styles = markdown_styles(text, b_start, b_end, para["heading"])
        for a, b, _ in styles:
            cuts.update((a, b))
        offset = text.find("\n", b_start, b_end)
        while offset != -1:
            cuts.update((offset, offset + 1))
            offset = text.find("\n", offset + 1, b_end)
        points = sorted(cuts)
        segments = []
        for a, b in zip(points, points[1:], strict=False):
            piece = text[a:b]
            if piece == "\n":
                segments.append(Segment(start=a, text=piece, is_break=True))
                continue
            covering = sorted((s for s in inside if s[0] <= a and s[1] >= b), key=lambda s: (s[1] - s[0], s[2].pk))
            ids = [s[2].pk for s in covering]
            entity = label = ""
            if covering:
                innermost = covering[0][2]
                entity = innermost.entity_type.key if innermost.entity_type_id else "none"
                label = innermost.entity_type.label if innermost.entity_type_id else "Note"
                if len(covering) > 1:
                    label += f" · {len(covering)} notes"
            first = [i for i in ids if i not in seen]
            seen.update(first)
            style = next((st for x, y, st in styles if x <= a and y >= b), "")
            segments.append(Segment(start=a, text=piece, ann_ids=ids, entity=entity, label=label, first_of=first,
                                    style=style))
        blocks.append(Block(start=b_start, end=b_end, heading=para["heading"], segments=segments))
    return blocks


def read_filters(params) -> dict:
    """The side list's filters from a query string, unknown values dropped."""
    scope = params.get("scope", "")
    entity = params.get("type", "")
    status = params.get("status", "")
    record = params.get("record", "")
    return {
        "q": " ".join(params.get("q", "").split())[:MAX_FILTER_TEXT],
        "scope": scope if scope in SCOPES else "",
        "entity": entity if entity == "none" or EntityType.objects.filter(key=entity).exists() else "",
        "tag": params.get("tag", "").strip()[:MAX_FILTER_TEXT],
        "creator": params.get("creator", "").strip()[:MAX_FILTER_TEXT],
        "record": record if record.isdigit() and len(record) < 19 else "",
        "status": status if status in AnnotationModel.Status.values else "",
    }


def reading_room_context(document: Document, user, filters: dict | None = None) -> dict:
    """Everything the annotated-text include needs."""
    filters = {key: (filters or {}).get(key, "") for key in FILTER_KEYS}
    annotations = list(visible_annotations(document, user))
    views = [presenters.card(a, user=user, replies=a.visible_replies) for a in annotations]
    for view in views:
        view["listed"] = matches_filters(view, **filters)
        view["first_line"] = first_line(view["comment"])
    entity_types = list(EntityType.objects.all())
    groups = list(AnnotationGroup.objects.filter(members=user).order_by("name")) if user.is_authenticated else []
    signed_in = bool(user.is_authenticated)
    config = {
        "slug": document.slug,
        "document_url": document.get_absolute_url(),
        "text_length": len(document.text),
        "user": user.get_username() if signed_in else None,
        "can_create": can_create(user),
        "is_curator": is_curator(user),
        "entity_types": [{"key": e.key, "label": e.label} for e in entity_types],
        "groups": [g.name for g in groups],
        "tags": list(selectors.visible_tags(user).values_list("name", flat=True)[:MAX_TAG_SUGGESTIONS])
        if signed_in else [],
        "annotations": views,
    }
    used_types = {v["entity_type"]["key"] for v in views if v["entity_type"]}
    return {
        "document": document,
        "blocks": annotated_blocks(document.text, annotations),
        "annotations": views,
        "orphaned": [v for v in views if not v["anchored"]],
        "entity_types": entity_types,
        "used_types": used_types,
        "groups": groups,
        "config": config,
        "signed_in": signed_in,
        "filters": filters,
        "more_filters": any(filters[key] for key in FILTER_KEYS if key != "q"),
        "choices": filter_choices(views),
        "statuses": AnnotationModel.Status.choices,
        "listed_count": sum(1 for v in views if v["listed"]),
    }
