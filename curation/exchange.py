"""Exchange: annotations out as a W3C AnnotationCollection (JSON-LD) or CSV, records out as JSON or
CSV, and W3C JSON-LD annotations in (our own exports, Hypothesis, Recogito, ...).

Export respects visibility: scope ``public`` holds only approved public annotations (the archive's
published knowledge); scope ``all`` holds what the exporting user may see (a curator: every public
and group note, never someone else's private one; from the command line: every note but private
ones). Replies are not exported (they target annotations, not text). Only the whole-archive backup
(``curation.backup``) carries private notes.

Import matches each annotation's target to a document (by our URL, by a document's ``source`` URL,
or by slug), re-anchors it by its TextQuoteSelector (exact quote, prefix and suffix; a
TextPositionSelector is only a hint for choosing between occurrences), then checks it with the
same parser and service as the API (``schemas.parse_annotation``, ``services.create_annotation``).
By default a file with any invalid annotation is rejected whole, with the reason for each; with
``partial=True`` the valid ones are imported and the rest reported.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet

from annotations import anchoring, permissions, selectors, services, w3c
from annotations.models import Annotation
from annotations.schemas import MAX_QUOTE_CHARS, InputError, parse_annotation, parse_visibility, resolve_url
from archive_site.models import Document, Record
from archive_site.text import unencodable_at

from .inputs import has_nul

SCOPES = ("public", "all")
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ANNOTATIONS = 20_000
KNOWN_SELECTORS = {"TextPositionSelector", "TextQuoteSelector"}
WIKIDATA_ID = re.compile(r"(Q[1-9][0-9]*)/?$")
ANNOTATION_CSV_COLUMNS = [
    "id", "document", "start", "end", "quote", "prefix", "suffix", "comment", "tags", "entity_type",
    "record_ids", "record_keys", "record_labels", "motivation", "visibility", "status", "anchor_state",
    "creator", "created", "modified", "url",
]
RECORD_FIELDS = ["key", "kind", "label", "aliases", "description", "start_date", "end_date", "external_ids"]
RECORD_CSV_COLUMNS = ["id", *RECORD_FIELDS, "merged_into", "published_mentions", "url"]


class ExchangeError(ValueError):
    """The file as a whole cannot be read (not UTF-8, not JSON, not annotations)."""


# --- export -----------------------------------------------------------------------------------


def in_scope(qs: QuerySet[Annotation], *, user, scope: str, document: Document | None = None) -> QuerySet[Annotation]:
    """What an export of ``scope`` holds, for every export (annotations, relations, TEI):
    ``public`` the published notes, ``all`` what ``user`` may see; ``user`` None is the command
    line, which exports every note but private ones."""
    if scope not in SCOPES:
        raise ExchangeError(f"Unknown scope {scope!r}; use public or all.")
    if scope == "public":
        qs = qs.filter(permissions.published_q())
    elif user is not None:
        qs = qs.filter(permissions.visible_q(user))
    else:
        qs = qs.exclude(visibility=Annotation.Visibility.PRIVATE)
    if document is not None:
        qs = qs.filter(document=document)
    return qs


def export_queryset(*, user, document: Document | None = None, scope: str = "public") -> QuerySet[Annotation]:
    qs = in_scope(selectors.annotation_queryset().filter(reply_to__isnull=True), user=user, scope=scope,
                  document=document)
    return qs.order_by("document__slug", "target_start", "id")


def annotation_jsonld(annotation: Annotation, base: str) -> dict:
    """Our JSON-LD, with each record body carrying the record's stable ``key`` so that another copy
    of the archive (whose record ids differ) links the same record."""
    out = w3c.to_jsonld(annotation, base=base, with_context=False)
    keys = {base + r.get_absolute_url(): r.key for r in annotation.records.all()}
    for body in out.get("body", []):
        if body.get("type") == "SpecificResource" and body.get("source") in keys:
            body["recordKey"] = keys[body["source"]]
    return out


def collection_jsonld(annotations, *, base: str, collection_id: str, label: str) -> dict:
    items = [annotation_jsonld(a, base) for a in annotations]
    out = {
        "@context": w3c.ANNO_CONTEXT, "id": collection_id, "type": "AnnotationCollection", "label": label,
        "total": len(items),
    }
    if items:
        out["first"] = {"id": collection_id + "#page-0", "type": "AnnotationPage", "startIndex": 0, "items": items}
    return out


def _cell(value) -> str:
    """Text for a spreadsheet cell; a leading = + - @ (a formula to a spreadsheet) is quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(columns: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def annotations_csv(annotations, *, base: str) -> str:
    def rows():
        for a in annotations:
            records = list(a.records.all())
            yield {
                "id": a.pk, "document": a.document.slug, "start": a.target_start, "end": a.target_end,
                "quote": a.target_quote, "prefix": a.target_prefix, "suffix": a.target_suffix, "comment": a.comment,
                "tags": "|".join(t.name for t in a.tags.all()),
                "entity_type": a.entity_type.key if a.entity_type_id else "",
                "record_ids": "|".join(str(r.pk) for r in records), "record_keys": "|".join(r.key for r in records),
                "record_labels": "|".join(r.label for r in records), "motivation": a.motivation,
                "visibility": a.visibility_label, "status": a.status, "anchor_state": a.anchor_state,
                "creator": a.creator.get_username(), "created": w3c.iso(a.created), "modified": w3c.iso(a.modified),
                "url": w3c.annotation_url(a, base),
            }

    return _csv(ANNOTATION_CSV_COLUMNS, rows())


def records_queryset() -> QuerySet[Record]:
    return (
        Record.objects.select_related("merged_into")
        .annotate(published_mentions=Count("annotations", filter=permissions.published_q("annotations__")))
        .order_by("label", "id")
    )


def record_json(record: Record, base: str) -> dict:
    out = {"id": record.pk, **{name: getattr(record, name) for name in RECORD_FIELDS}}
    out["merged_into"] = record.merged_into.key if record.merged_into_id else None
    out["published_mentions"] = getattr(record, "published_mentions", None)
    out["url"] = base + record.get_absolute_url()
    return out


def records_json(records, *, base: str) -> dict:
    """``{"records": [...]}``: the shape of ``fixtures/records.json``, so ``load_archive`` reads it."""
    return {"records": [record_json(r, base) for r in records]}


def records_csv(records, *, base: str) -> str:
    def rows():
        for r in records:
            row = record_json(r, base)
            row["aliases"] = "|".join(r.aliases)
            row["external_ids"] = json.dumps(r.external_ids, ensure_ascii=False, sort_keys=True) if r.external_ids else ""
            row["merged_into"] = row["merged_into"] or ""
            yield row

    return _csv(RECORD_CSV_COLUMNS, rows())


# --- import -----------------------------------------------------------------------------------


@dataclass
class ImportReport:
    created: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    stored: bool = False
    total: int = 0

    def as_dict(self) -> dict:
        return {
            "stored": self.stored, "total": self.total, "created": self.created, "skipped": self.skipped,
            "errors": self.errors,
            "summary": self.summary(),
        }

    def summary(self) -> str:
        head = f"{len(self.created)} created, {len(self.skipped)} skipped, {len(self.errors)} invalid of {self.total}"
        if self.errors and not self.stored:
            return head + "; the file was rejected and nothing was stored (import the valid ones with partial)."
        return head + "."


def read_annotations(raw) -> list:
    """The annotations in a file: an AnnotationCollection (with embedded pages), an AnnotationPage,
    a list of annotations, or one annotation. ``raw``: bytes, str or already-parsed JSON."""
    data = raw
    if isinstance(raw, (bytes, bytearray)):
        if len(raw) > MAX_IMPORT_BYTES:
            raise ExchangeError(f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
        try:
            raw = bytes(raw).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ExchangeError(f"The file is not UTF-8 ({exc.reason} at byte {exc.start}).") from None
    if isinstance(raw, str):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ExchangeError(f"The file is not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno}).") from None
        except RecursionError:
            raise ExchangeError("The file's JSON is nested too deeply.") from None
    where = unencodable_at(data)
    if where is not None:
        raise ExchangeError(f"The file holds text that is not valid Unicode (a lone surrogate) at {where}.")
    items = _items(data)
    if len(items) > MAX_IMPORT_ANNOTATIONS:
        raise ExchangeError(f"The file holds {len(items)} annotations; at most {MAX_IMPORT_ANNOTATIONS} at a time.")
    return items


def _types(value) -> list:
    return value if isinstance(value, list) else [value]


def _items(data) -> list:
    if isinstance(data, list):
        return data
    if not isinstance(data, dict):
        raise ExchangeError("Expected a W3C AnnotationCollection, an AnnotationPage, a list or an Annotation.")
    types = _types(data.get("type"))
    if "AnnotationPage" in types or ("items" in data and "Annotation" not in types):
        items = data.get("items")
        if not isinstance(items, list):
            raise ExchangeError("The AnnotationPage has no items list.")
        return items + (_items(data["next"]) if isinstance(data.get("next"), dict) else [])
    if "AnnotationCollection" in types:
        first = data.get("first")
        if first is None:
            return []
        if not isinstance(first, dict):
            raise ExchangeError("The collection's pages must be embedded (first is a URL): export it with its items.")
        return _items(first)
    if "Annotation" in types or "target" in data:
        return [data]
    raise ExchangeError("Expected a W3C AnnotationCollection, an AnnotationPage, a list or an Annotation.")


def _document_for(source) -> Document | None:
    if not isinstance(source, str) or not source.strip():
        return None
    source = source.strip()
    resolved = resolve_url(source)
    if resolved and resolved[0] in ("document-detail", "api-document-detail"):
        found = Document.objects.filter(slug=resolved[1]["slug"]).first()
        if found:
            return found
    by_source = Document.objects.filter(source=source).first()
    if by_source:
        return by_source
    slug = urlsplit(source).path.rstrip("/").rsplit("/", 1)[-1] if "/" in source else source
    return Document.objects.filter(slug=slug).first() if slug else None


def _record_body(body: dict) -> dict:
    """A record link from another copy of the archive or another tool, pointed at our record: by
    ``recordKey``, by our record URL, or by a Wikidata id in the record's external ids."""
    key = body.get("recordKey")
    record = Record.objects.filter(key=key).first() if isinstance(key, str) and key else None
    source = body.get("source")
    if record is None and isinstance(source, str):
        resolved = resolve_url(source)
        if resolved and resolved[0] in ("record-detail", "api-record-detail"):
            return body
        match = WIKIDATA_ID.search(source)
        if match:
            record = Record.objects.filter(external_ids__wikidata=match.group(1)).first()
    if record is None:
        return body  # the parser names it as an unknown record
    return {**body, "source": record.get_absolute_url()}


def _selectors(target: dict) -> tuple[dict | None, dict | None]:
    position = quote = None
    for selector in _types(target.get("selector")):
        if not isinstance(selector, dict):
            continue
        if selector.get("type") == "TextPositionSelector" and position is None:
            position = selector
        elif selector.get("type") == "TextQuoteSelector" and quote is None:
            quote = selector
    return position, quote


def _int_or_none(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def prepare(item, *, visibility: str | None = None) -> tuple[dict | None, str]:
    """(payload for ``parse_annotation`` with a checked TextPositionSelector, "") or (None, why it
    is skipped). Raises ``InputError`` / ``AnchorError`` for an invalid annotation."""
    if not isinstance(item, dict):
        raise InputError({"annotation": "must be a JSON object."})
    if has_nul(item):
        raise InputError({"annotation": "contains NUL characters."})
    targets = item.get("target")
    targets = targets if isinstance(targets, list) else [targets]
    if len(targets) != 1 or targets[0] is None:
        raise InputError({"target": "exactly one target is needed."})
    target = targets[0]
    source = target if isinstance(target, str) else (target.get("source") or target.get("id")) if isinstance(target, dict) else None
    resolved = resolve_url(source)
    if resolved and resolved[0] == "annotation-detail":
        kind = "a relation" if item.get("motivation") == "linking" else "a reply"
        return None, f"{kind} (it targets an annotation): replies and relations are not imported"
    document = _document_for(source)
    if document is None:
        raise InputError({"target": f"No document matches {str(source)[:200]!r} (by URL, source or slug)."})
    position, quote = _selectors(target) if isinstance(target, dict) else (None, None)
    text = document.text
    if quote is not None:
        exact = quote.get("exact")
        if not isinstance(exact, str) or not exact:
            raise InputError({"target.selector.exact": "The TextQuoteSelector needs a non-empty exact."})
        if len(exact) > MAX_QUOTE_CHARS:
            raise InputError({"target.selector.exact": f"is longer than {MAX_QUOTE_CHARS} characters."})
        hint = _int_or_none((position or {}).get("start"))
        prefix, suffix = quote.get("prefix", ""), quote.get("suffix", "")
        found = anchoring.locate(
            text, quote=exact, prefix=prefix if isinstance(prefix, str) else "",
            suffix=suffix if isinstance(suffix, str) else "", hint=hint, threshold=1.0,
        )
        if found is None or not found.exact:
            raise anchoring.AnchorError(f"The quote {exact[:60]!r} does not occur in {document.slug}.")
        start, end = found.start, found.end
    elif position is not None:
        start, end = _int_or_none(position.get("start")), _int_or_none(position.get("end"))
        if start is None or end is None:
            raise InputError({"target.selector": "TextPositionSelector start and end must be integers."})
        anchoring.check_selector(text, start=start, end=end)
    else:
        raise InputError({"target.selector": "A TextQuoteSelector (or TextPositionSelector) is needed."})
    payload = {k: v for k, v in item.items() if k not in ("id", "@context", "target", "created", "modified", "creator")}
    if visibility and "visibility" not in payload:
        payload["visibility"] = visibility
    payload["target"] = {
        "source": document.get_absolute_url(),
        "selector": [
            {"type": "TextPositionSelector", "start": start, "end": end},
            {"type": "TextQuoteSelector", "exact": text[start:end]},
        ],
    }
    bodies = payload.get("body")
    if bodies is not None:
        bodies = bodies if isinstance(bodies, list) else [bodies]
        payload["body"] = [_record_body(b) if isinstance(b, dict) and "source" in b else b for b in bodies]
    return payload, ""


def _signature(document_id, start, end, data) -> tuple:
    return (
        document_id, start, end, data.comment, data.entity_type.pk if data.entity_type else None,
        frozenset(t.casefold() for t in data.tags), frozenset(r.pk for r in data.records),
    )


def _existing(data) -> int | None:
    """The id of an annotation already in the archive with the same passage and content."""
    candidates = Annotation.objects.filter(
        document=data.document, target_start=data.start, target_end=data.end, comment=data.comment,
        entity_type=data.entity_type, reply_to__isnull=True,
    ).prefetch_related("tags", "records")
    wanted = _signature(data.document.pk, data.start, data.end, data)
    for a in candidates:
        have = (
            a.document_id, a.target_start, a.target_end, a.comment, a.entity_type_id,
            frozenset(t.name.casefold() for t in a.tags.all()), frozenset(r.pk for r in a.records.all()),
        )
        if have == wanted:
            return a.pk
    return None


class _Rollback(Exception):
    pass


def check_visibility(value: str | None) -> str | None:
    """The default visibility for imported annotations that name none (else ``private``)."""
    if not value:
        return None
    try:
        parse_visibility(value)
    except InputError as exc:
        raise ExchangeError(f"{exc.errors['visibility']} Use private, public or group:<name>.") from None
    return value


def import_annotations(*, user, raw, partial: bool = False, visibility: str | None = None) -> ImportReport:
    """Import W3C JSON-LD annotations (curators). ``visibility``: for annotations that do not say
    (other tools' exports rarely do); else they are private to the importing curator. Returns the
    report; ``ExchangeError`` when the file as a whole cannot be read."""
    if not permissions.can_review(user):
        raise PermissionDenied("Only curators may import annotations.")
    visibility = check_visibility(visibility)
    items = read_annotations(raw)
    report = ImportReport(total=len(items))
    prepared = []
    for index, item in enumerate(items):
        ref = item.get("id") if isinstance(item, dict) else None
        try:
            payload, skip = prepare(item, visibility=visibility)
            if payload is None:
                report.skipped.append({"index": index, "id": ref, "reason": skip})
                continue
            data = parse_annotation(payload, visible_annotation=lambda pk: None)
        except (InputError, anchoring.AnchorError) as exc:
            report.errors.append({"index": index, "id": ref, "reason": str(exc)})
            continue
        prepared.append((index, ref, data))
    if report.errors and not partial:
        return report
    try:
        with transaction.atomic():
            _store(user, prepared, report, partial)
    except _Rollback:
        report.created = []
        report.stored = False
        return report
    report.stored = True
    return report


def _store(user, prepared, report: ImportReport, partial: bool) -> None:
    seen: dict[tuple, int] = {}
    for index, ref, data in prepared:
        signature = _signature(data.document.pk, data.start, data.end, data)
        duplicate = seen.get(signature) or _existing(data)
        if duplicate:
            report.skipped.append({"index": index, "id": ref, "reason": f"already in the archive (annotation {duplicate})"})
            continue
        try:
            with transaction.atomic():
                annotation = services.create_annotation(user=user, data=data)
        except (InputError, anchoring.AnchorError, PermissionDenied, ValidationError) as exc:
            report.errors.append({"index": index, "id": ref, "reason": str(exc)})
            if not partial:
                raise _Rollback from exc
            continue
        seen[signature] = annotation.pk
        report.created.append({
            "index": index, "id": ref, "annotation": annotation.pk, "document": data.document.slug,
            "start": annotation.target_start, "end": annotation.target_end, "quote": annotation.target_quote[:200],
        })
