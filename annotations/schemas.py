"""Input validation: W3C Web Annotation JSON-LD (as POSTed or PUT) → a typed ``AnnotationInput``.

Everything a client sends passes through ``parse_annotation`` before any service runs; it raises
``InputError`` (a 400 with a field → message map) for anything it cannot accept. Whether the
selector fits the text is checked by the service through ``annotations.anchoring`` (one rule).

Accepted shapes (see README "Annotations API"):

- ``target``: ``{"source": <document URL>, "selector": [TextPositionSelector, TextQuoteSelector]}``
  (either selector alone is enough: a quote alone is looked up in the text), or, for a reply, the
  parent annotation's URL (string or ``{"source"|"id": url}``). A one-element list is accepted.
- ``body`` / ``bodyValue``: TextualBody with purpose ``commenting`` (or none) → comment; ``tagging``
  → a tag; ``classifying`` → entity type key (or label); ``SpecificResource`` (or a bare URL) with
  purpose ``identifying``/``linking`` whose ``source`` is a record URL → a record link.
- ``visibility``: ``private`` (default) | ``public`` | ``group:<name>``; ``status`` (curators only).
- A **relation** (motivation ``linking``): ``target`` is the annotation it starts from (its URL),
  a ``SpecificResource`` body whose ``source`` is the annotation it points to, and a
  ``classifying`` TextualBody naming the relation type (key or label); a commenting body is its
  comment.
- ``task``: the annotation task (its id or ``/api/tasks/<id>/`` URL) an assignee annotates for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.urls import Resolver404, resolve

from archive_site.models import Document, Record
from archive_site.text import storable

from .models import Annotation, AnnotationGroup, AnnotationTask, EntityType, RelationType

MAX_COMMENT_CHARS = 10_000
MAX_TAGS = 50
MAX_TAG_CHARS = 100
MAX_RECORDS = 50
MAX_BODIES = 120
MAX_QUOTE_CHARS = 20_000
MAX_JSON_BYTES = 64 * 1024

MOTIVATIONS = {
    "assessing", "bookmarking", "classifying", "commenting", "describing", "editing", "highlighting",
    "identifying", "linking", "moderating", "questioning", "replying", "tagging",
}
VISIBILITY_HELP = 'Use "private", "public" or "group:<name>".'


class InputError(ValueError):
    """The request body cannot be turned into an annotation; ``errors`` maps field → message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class AnnotationInput:
    document: Document
    start: int | None = None
    end: int | None = None
    quote: str | None = None
    prefix: str = ""
    suffix: str = ""
    comment: str = ""
    tags: list[str] = field(default_factory=list)
    entity_type: EntityType | None = None
    records: list[Record] = field(default_factory=list)
    visibility: str = Annotation.Visibility.PRIVATE
    group: AnnotationGroup | None = None
    status: str | None = None
    motivation: str | None = None
    reply_to: Annotation | None = None
    relation_source: Annotation | None = None
    relation_target: Annotation | None = None
    relation_type: RelationType | None = None
    task: AnnotationTask | None = None
    classifying: str | None = None  # the classifying body as sent: an entity type, or a relation's type

    @property
    def is_relation(self) -> bool:
        return self.relation_source is not None


def resolve_url(value) -> tuple[str, dict] | None:
    """(url name, kwargs) for one of this site's URLs (any host: an exported annotation posted to
    another copy of the archive still resolves), or None."""
    if not isinstance(value, str) or not value:
        return None
    path = urlsplit(value).path or "/"
    if not path.endswith("/"):
        path += "/"
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.url_name, match.kwargs


def _err(name: str, message: str) -> InputError:
    return InputError({name: message})


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _string(value, name: str, *, max_chars: int) -> str:
    if not isinstance(value, str):
        raise _err(name, "must be a string.")
    if len(value) > max_chars:
        raise _err(name, f"is longer than {max_chars} characters.")
    return storable(value)


def _purposes(body: dict) -> list[str]:
    return [p for p in _as_list(body.get("purpose")) if isinstance(p, str)]


def parse_annotation(payload, *, visible_annotation) -> AnnotationInput:
    """Parse W3C JSON-LD. ``visible_annotation(pk)`` returns the annotation the caller may see, or
    None (used for replies, so a reply cannot reveal or attach to an invisible annotation)."""
    if not isinstance(payload, dict):
        raise _err("non_field_errors", "The body must be a JSON object (a W3C Web Annotation).")
    if "type" in payload and "Annotation" not in _as_list(payload.get("type")):
        raise _err("type", 'must be "Annotation".')
    if "body" in payload and "bodyValue" in payload:
        raise _err("body", "An annotation must not have both body and bodyValue.")

    data = _parse_target(payload.get("target"), visible_annotation)
    _parse_bodies(payload, data, visible_annotation)
    _parse_motivation(payload.get("motivation"), data)
    _parse_relation(data)
    _parse_visibility(payload.get("visibility", "private"), data)
    if payload.get("task") is not None:
        data.task = _task(payload["task"])
    status = payload.get("status")
    if status is not None:
        if status not in Annotation.Status.values:
            raise _err("status", f"Unknown status {status!r}; use one of {', '.join(Annotation.Status.values)}.")
        data.status = status
    return data


def _parse_target(target, visible_annotation) -> AnnotationInput:
    targets = _as_list(target)
    if not targets:
        raise _err("target", "is required: the document (with selectors) or, for a reply, the annotation.")
    if len(targets) > 1:
        raise _err("target", "Only one target is supported.")
    target = targets[0]
    if isinstance(target, str):
        source, selectors = target, []
    elif isinstance(target, dict):
        source = target.get("source", target.get("id"))
        selectors = _as_list(target.get("selector"))
    else:
        raise _err("target", "must be a URL or an object with source and selector.")
    resolved = resolve_url(source)
    if resolved is None:
        raise _err("target", f"Unknown target {source!r}: use a document URL (/documents/<slug>/) or an annotation URL.")
    name, kwargs = resolved
    if name == "annotation-detail":
        parent = visible_annotation(kwargs["pk"])
        if parent is None:
            raise _err("target", f"Unknown annotation {source!r}.")
        if selectors:
            raise _err("target", "A reply targets the whole annotation: no selectors.")
        return AnnotationInput(document=parent.document, reply_to=parent)
    if name not in ("document-detail", "api-document-detail"):
        raise _err("target", f"{source!r} is neither a document nor an annotation.")
    document = Document.objects.filter(slug=kwargs["slug"]).first()
    if document is None:
        raise _err("target", f"Unknown document {kwargs['slug']!r}.")
    data = AnnotationInput(document=document)
    if not selectors:
        raise _err("target.selector", "A TextPositionSelector and/or TextQuoteSelector is required.")
    for selector in selectors:
        if not isinstance(selector, dict):
            raise _err("target.selector", "Each selector must be an object.")
        kind = selector.get("type")
        if kind == "TextPositionSelector":
            start, end = selector.get("start"), selector.get("end")
            for key, value in (("start", start), ("end", end)):
                if not isinstance(value, int) or isinstance(value, bool):
                    raise _err(f"target.selector.{key}", "must be an integer (a code point offset).")
            data.start, data.end = start, end
        elif kind == "TextQuoteSelector":
            data.quote = _string(selector.get("exact"), "target.selector.exact", max_chars=MAX_QUOTE_CHARS)
            data.prefix = _string(selector.get("prefix", ""), "target.selector.prefix", max_chars=1000)
            data.suffix = _string(selector.get("suffix", ""), "target.selector.suffix", max_chars=1000)
        else:
            raise _err("target.selector", f"Unsupported selector type {kind!r}; use TextPositionSelector and TextQuoteSelector.")
    return data


def _parse_bodies(payload: dict, data: AnnotationInput, visible_annotation) -> None:
    comments: list[str] = []
    if "bodyValue" in payload:
        comments.append(_string(payload["bodyValue"], "bodyValue", max_chars=MAX_COMMENT_CHARS))
    bodies = _as_list(payload.get("body"))
    if len(bodies) > MAX_BODIES:
        raise _err("body", f"Too many bodies (at most {MAX_BODIES}).")
    for body in bodies:
        if isinstance(body, str):
            body = {"type": "SpecificResource", "source": body, "purpose": "identifying"}
        if not isinstance(body, dict):
            raise _err("body", "Each body must be an object or a record URL.")
        kind = body.get("type")
        purposes = _purposes(body)
        if kind == "TextualBody" or (kind is None and "value" in body):
            value = _string(body.get("value"), "body.value", max_chars=MAX_COMMENT_CHARS)
            if "tagging" in purposes:
                tag = " ".join(value.split())
                if not tag:
                    raise _err("body", "A tag must not be empty.")
                if len(tag) > MAX_TAG_CHARS:
                    raise _err("body", f"A tag is longer than {MAX_TAG_CHARS} characters.")
                if tag.casefold() not in {t.casefold() for t in data.tags}:
                    data.tags.append(tag)
            elif "classifying" in purposes:
                if data.classifying is not None:
                    raise _err("body", "Only one classifying body (an entity type, or a relation's type) is allowed.")
                data.classifying = value
            else:
                comments.append(value)
        elif kind in ("SpecificResource", None) and "source" in body:
            resolved = resolve_url(body.get("source"))
            if resolved is not None and resolved[0] == "annotation-detail":
                if data.relation_target is not None:
                    raise _err("body", "A relation links to one annotation (one annotation body).")
                linked = visible_annotation(resolved[1]["pk"])
                if linked is None:  # never used, or not one the sender may see: the same answer
                    raise _err("body", f"Unknown annotation {body.get('source')!r}.")
                data.relation_target = linked
                continue
            if resolved is None or resolved[0] not in ("record-detail", "api-record-detail"):
                raise _err("body", f"Unknown record {body.get('source')!r}: use a record URL (/records/<id>/).")
            record = Record.objects.filter(pk=resolved[1]["pk"]).first()
            if record is None:
                raise _err("body", f"Unknown record {body.get('source')!r}.")
            if record.merged_into_id:
                record = Record.objects.get(pk=record.merged_into_id)
            if record.pk not in {r.pk for r in data.records}:
                data.records.append(record)
        else:
            raise _err("body", f"Unsupported body {kind!r}: use TextualBody or a SpecificResource whose source is a record.")
    if len(data.tags) > MAX_TAGS:
        raise _err("body", f"Too many tags (at most {MAX_TAGS}).")
    if len(data.records) > MAX_RECORDS:
        raise _err("body", f"Too many record links (at most {MAX_RECORDS}).")
    if len(comments) > 1:
        raise _err("body", "At most one comment (commenting TextualBody) is allowed.")
    data.comment = comments[0] if comments else ""


def _parse_relation(data: AnnotationInput) -> None:
    """A relation (an annotation body) turns the annotation target into the relation's source, and
    its classifying body into the relation's type; otherwise the classifying body is an entity type."""
    linking = data.motivation == "linking"
    if data.relation_target is None:
        if linking and data.reply_to is not None:
            raise _err("body", "A relation (motivation linking) needs a body whose source is the annotation it points to.")
        if data.classifying is not None:
            data.entity_type = _entity_type(data.classifying)
        return
    if data.reply_to is None:
        raise _err("target", "A relation's target is the annotation it starts from (its URL), not a passage.")
    if data.motivation not in (None, "linking"):
        raise _err("motivation", 'A relation (an annotation body) has motivation "linking".')
    if data.records:
        raise _err("body", "A relation links two annotations; link records on the annotations themselves.")
    if data.classifying is None:
        known = ", ".join(RelationType.objects.values_list("key", flat=True))
        raise _err("body", f"Say the relation's type in a classifying TextualBody; one of: {known}.")
    data.relation_source, data.reply_to = data.reply_to, None
    data.relation_type = _relation_type(data.classifying)
    data.motivation = "linking"


def _relation_type(value: str) -> RelationType:
    key = value.strip()
    candidate = key.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    found = RelationType.objects.filter(key__iexact=candidate).first() or RelationType.objects.filter(label__iexact=key).first()
    if found is None:
        known = ", ".join(RelationType.objects.values_list("key", flat=True))
        raise _err("body", f"Unknown relation type {value[:100]!r}; use one of: {known}.")
    return found


def _task(value) -> AnnotationTask:
    """A task by id (an integer or digits) or by its API URL (``/api/tasks/<id>/``)."""
    pk = None
    if isinstance(value, int) and not isinstance(value, bool):
        pk = value
    elif isinstance(value, str):
        if value.isascii() and value.isdigit() and len(value) < 12:
            pk = int(value)
        else:
            resolved = resolve_url(value)
            if resolved is not None and resolved[0] == "task-detail":
                pk = resolved[1]["pk"]
    task = AnnotationTask.objects.filter(pk=pk).first() if pk is not None and 0 < pk < 2**31 else None
    if task is None:
        raise _err("task", f"Unknown task {str(value)[:100]!r}.")
    return task


def _entity_type(value: str) -> EntityType:
    key = value.strip()
    # Accept a key ("person"), a label ("Person") or a URL ending in the key.
    candidate = key.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    found = EntityType.objects.filter(key__iexact=candidate).first() or EntityType.objects.filter(label__iexact=key).first()
    if found is None:
        known = ", ".join(EntityType.objects.values_list("key", flat=True))
        raise _err("body", f"Unknown entity type {value!r}; use one of: {known}.")
    return found


def _parse_motivation(value, data: AnnotationInput) -> None:
    motivations = _as_list(value)
    for m in motivations:
        if not isinstance(m, str):
            raise _err("motivation", "must be a string.")
        m = m.rsplit("#", 1)[-1]
        if m not in MOTIVATIONS:
            raise _err("motivation", f"Unknown motivation {m!r}.")
    data.motivation = motivations[0].rsplit("#", 1)[-1] if motivations else None


def parse_visibility(value, *, field: str = "visibility") -> tuple[str, AnnotationGroup | None]:
    """The one reading of a visibility as the API spells it (``private``, ``public`` or
    ``group:<name>`` of an existing group): (visibility, group). ``InputError`` otherwise."""
    if not isinstance(value, str):
        raise _err(field, VISIBILITY_HELP)
    if value in (Annotation.Visibility.PRIVATE, Annotation.Visibility.PUBLIC):
        return value, None
    if value.startswith("group:") and value[6:]:
        name = value[6:]
        group = AnnotationGroup.objects.filter(name=name).first() if name.isprintable() and "\x00" not in name else None
        if group is None:
            raise _err(field, f"Unknown group {name[:100]!r}.")
        return Annotation.Visibility.GROUP, group
    raise _err(field, f"Unknown visibility {value[:100]!r}. {VISIBILITY_HELP}")


def _parse_visibility(value, data: AnnotationInput) -> None:
    data.visibility, data.group = parse_visibility(value)
