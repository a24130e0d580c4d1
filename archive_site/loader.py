"""Loading a folder of source texts (plus ``manifest.json``) and records into the archive.

Everything is read and validated before anything is written, and the writes happen in one
transaction: a bad manifest, a missing or non-UTF-8 file or an invalid record loads nothing.
Loading is idempotent: a document is matched by slug and a record by key, and an entry whose
content has not changed is left alone (reported as unchanged).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from .models import Document, Record
from .signals import documents_created
from .text import PARTIAL_DATE_RE, normalise_text, text_checksum

DOCUMENT_FIELDS = ("title", "author", "date", "kind", "source", "language")
RECORD_FIELDS = ("kind", "label", "aliases", "description", "start_date", "end_date", "external_ids")
MAX_TEXT_BYTES = 50 * 1024 * 1024


class LoadError(Exception):
    """The input cannot be loaded; the message names the file and what is wrong with it."""


@dataclass
class LoadReport:
    created: dict[str, list[str]] = field(default_factory=lambda: {"documents": [], "records": []})
    updated: dict[str, list[str]] = field(default_factory=lambda: {"documents": [], "records": []})
    unchanged: dict[str, list[str]] = field(default_factory=lambda: {"documents": [], "records": []})

    def counts(self, kind: str) -> tuple[int, int, int]:
        return len(self.created[kind]), len(self.updated[kind]), len(self.unchanged[kind])

    def summary(self) -> str:
        lines = []
        for kind in ("documents", "records"):
            created, updated, unchanged = self.counts(kind)
            lines.append(f"{kind}: {created} created, {updated} updated, {unchanged} unchanged")
        return "\n".join(lines)


def _check_partial_date(value: Any, where: str) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or not PARTIAL_DATE_RE.match(value):
        raise LoadError(f"{where}: date {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    return value


def _optional_str(entry: dict, key: str, where: str, default: str = "") -> str:
    value = entry.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise LoadError(f"{where}: '{key}' must be a string or null, not {type(value).__name__}")
    return value.strip()


def read_manifest(folder: Path) -> list[dict[str, Any]]:
    """Read ``manifest.json`` and the texts it names; return validated document specs."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise LoadError(f"{manifest_path}: no manifest.json in this folder")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise LoadError(f"{manifest_path}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise LoadError(f"{manifest_path}: not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})") from exc
    entries = manifest.get("documents") if isinstance(manifest, dict) else manifest
    if not isinstance(entries, list):
        raise LoadError(f"{manifest_path}: expected a 'documents' list")

    specs: list[dict[str, Any]] = []
    seen_slugs: dict[str, str] = {}
    for number, entry in enumerate(entries, start=1):
        where = f"{manifest_path}, document {number}"
        if not isinstance(entry, dict):
            raise LoadError(f"{where}: expected an object")
        file_name = entry.get("file")
        if not isinstance(file_name, str) or not file_name:
            raise LoadError(f"{where}: missing 'file'")
        text_path = (folder / file_name).resolve()
        if folder.resolve() not in text_path.parents:
            raise LoadError(f"{where}: file {file_name!r} is outside the folder")
        where = f"{manifest_path}, document {number} ({file_name})"
        title = _optional_str(entry, "title", where)
        if not title:
            raise LoadError(f"{where}: missing 'title'")
        slug = _optional_str(entry, "slug", where) or slugify(title)[:120].strip("-")
        if not slug or slugify(slug) != slug:
            raise LoadError(f"{where}: slug {slug!r} must be lowercase letters, digits and hyphens")
        if slug in seen_slugs:
            raise LoadError(f"{where}: slug {slug!r} is also used by {seen_slugs[slug]}")
        seen_slugs[slug] = file_name
        if not text_path.is_file():
            raise LoadError(f"{text_path}: file named in the manifest does not exist")
        raw = text_path.read_bytes()
        if len(raw) > MAX_TEXT_BYTES:
            raise LoadError(f"{text_path}: larger than {MAX_TEXT_BYTES} bytes")
        try:
            text = normalise_text(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise LoadError(f"{text_path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        if "\x00" in text:
            raise LoadError(f"{text_path}: contains NUL characters; not a text file")
        if not text.strip():
            raise LoadError(f"{text_path}: the text is empty")
        specs.append(
            {
                "slug": slug,
                "title": title[:500],
                "author": _optional_str(entry, "author", where)[:300],
                "date": _check_partial_date(entry.get("date"), where),
                "kind": _optional_str(entry, "kind", where)[:100],
                "source": _optional_str(entry, "source", where)[:1000],
                "language": _optional_str(entry, "language", where, "en")[:20] or "en",
                "text": text,
            }
        )
    return specs


def read_records(path: Path) -> list[dict[str, Any]]:
    """Read and validate a records JSON file (``{"records": [...]}`` or a bare list)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise LoadError(f"{path}: records file does not exist") from exc
    except UnicodeDecodeError as exc:
        raise LoadError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise LoadError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})") from exc
    entries = data.get("records") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise LoadError(f"{path}: expected a 'records' list")
    kinds = set(Record.Kind.values)
    specs = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        where = f"{path}, record {number}"
        if not isinstance(entry, dict):
            raise LoadError(f"{where}: expected an object")
        key = entry.get("key")
        if not isinstance(key, str) or not key or slugify(key) != key:
            raise LoadError(f"{where}: 'key' must be a slug (lowercase letters, digits, hyphens)")
        where = f"{path}, record {number} ({key})"
        if key in seen:
            raise LoadError(f"{where}: duplicate key")
        seen.add(key)
        if entry.get("kind") not in kinds:
            raise LoadError(f"{where}: kind {entry.get('kind')!r} is not one of {', '.join(sorted(kinds))}")
        label = _optional_str(entry, "label", where)
        if not label:
            raise LoadError(f"{where}: missing 'label'")
        aliases = entry.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise LoadError(f"{where}: 'aliases' must be a list of strings")
        external_ids = entry.get("external_ids") or {}
        if not isinstance(external_ids, dict):
            raise LoadError(f"{where}: 'external_ids' must be an object")
        specs.append(
            {
                "key": key,
                "kind": entry["kind"],
                "label": label,
                "aliases": list(dict.fromkeys(a.strip() for a in aliases if a.strip() and a.strip() != label)),
                "description": _optional_str(entry, "description", where),
                "start_date": _check_partial_date(entry.get("start_date"), where),
                "end_date": _check_partial_date(entry.get("end_date"), where),
                "external_ids": {str(k): str(v) for k, v in external_ids.items()},
            }
        )
    return specs


def _upsert(model, existing: dict[str, Any], lookup: dict, values: dict, report: LoadReport, kind: str, name: str) -> None:
    """Create, update or leave alone one row; ``existing`` maps the lookup value to the rows read
    up front (one query for the whole load instead of one per entry)."""
    obj = existing.get(name)
    if obj is None:
        model.objects.create(**lookup, **values)
        report.created[kind].append(name)
        return
    changed = {k: v for k, v in values.items() if getattr(obj, k) != v}
    if not changed:
        report.unchanged[kind].append(name)
        return
    for attr, value in changed.items():
        setattr(obj, attr, value)
    obj.save()
    report.updated[kind].append(name)


def _create_documents(new: list[tuple[str, dict]], report: LoadReport) -> None:
    """The load's new documents in bulk: their rows, their history rows and (through
    ``documents_created``) their index tasks, a few statements per 500 documents instead of three
    per document: loading 100,000 short documents cost more than a quarter of load + index."""
    rows = []
    for slug, values in new:
        document = Document(slug=slug, **values)
        document.prepare_text()  # bulk_create does not call save()
        rows.append(document)
    created = bulk_create_with_history(rows, Document, batch_size=500)
    documents_created.send(sender=Document, pks=[d.pk for d in created])
    report.created["documents"].extend(slug for slug, _ in new)


def _progress(items: list, label: str, show: bool) -> Iterable:
    if not show or len(items) < 50:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=label, unit="item")


def load_archive(
    path: Path | str,
    *,
    records_path: Path | str | None = None,
    show_progress: bool = False,
    log: Callable[[str], None] | None = None,
) -> LoadReport:
    """Load the folder at ``path`` (manifest + texts) and its records file in one transaction.

    ``records_path`` defaults to ``records.json`` in the folder when it exists.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise LoadError(f"{folder}: not a folder")
    document_specs = read_manifest(folder)
    if records_path is None and (folder / "records.json").is_file():
        records_path = folder / "records.json"
    record_specs = read_records(Path(records_path)) if records_path else []

    report = LoadReport()
    with transaction.atomic():
        # Existing rows in one query each; a document's text stays unread unless its checksum
        # says it changed (saving a changed document loads it then).
        slugs = [spec["slug"] for spec in document_specs]
        documents = Document.objects.only("id", "slug", "checksum", *DOCUMENT_FIELDS).in_bulk(slugs, field_name="slug")
        new: list[tuple[str, dict]] = []
        for spec in _progress(document_specs, "documents", show_progress):
            slug = spec.pop("slug")
            existing = documents.get(slug)
            if existing is None:
                new.append((slug, spec))
                continue
            if existing.checksum == text_checksum(spec["text"]):
                spec.pop("text")  # unchanged text: compare metadata only, do not reload it
            _upsert(Document, documents, {"slug": slug}, spec, report, "documents", slug)
        if new:
            _create_documents(new, report)
        keys = [spec["key"] for spec in record_specs]
        records = Record.objects.in_bulk(keys, field_name="key")
        for spec in _progress(record_specs, "records", show_progress):
            key = spec.pop("key")
            _upsert(Record, records, {"key": key}, spec, report, "records", key)
    if log:
        log(report.summary())
    return report
