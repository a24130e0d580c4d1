"""Loading a folder of sources (and, optionally, its ``manifest.json``) and records into the archive.

The sources may be of any format ``archive_site.ingest`` takes (PDF, Word, OpenDocument, web
pages, TEI, page images, plain text). With a manifest, the files it names are loaded, and what an
entry does not give (title, author, date, language) is taken from the file; without one, every
file in the folder is loaded (except ``records.json``), its metadata from the file, with the file
name as the last resort for the title.

Everything is read, extracted and validated before anything is written, and the writes happen in
one transaction: a bad manifest, a missing, damaged or unreadable file or an invalid record loads
nothing (originals and page images written for the load are removed again). Loading is
idempotent: a document is matched by slug and a record by key, and an entry whose content has
not changed is left alone (reported as unchanged).
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

from . import ingest, sources
from .models import Document, DocumentOrigin, DocumentPage, Record
from .signals import documents_created
from .text import PARTIAL_DATE_RE, text_checksum

DOCUMENT_FIELDS = ("title", "author", "date", "kind", "source", "language")
RECORD_FIELDS = ("kind", "label", "aliases", "description", "start_date", "end_date", "external_ids")
MAX_TEXT_BYTES = 50 * 1024 * 1024
SKIPPED_FILES = {"manifest.json", "records.json"}


class LoadError(Exception):
    """The input cannot be loaded; the message names the file and what is wrong with it."""


@dataclass
class LoadReport:
    created: dict[str, list[str]] = field(default_factory=lambda: {"documents": [], "records": []})
    updated: dict[str, list[str]] = field(default_factory=lambda: {"documents": [], "records": []})
    unchanged: dict[str, list[str]] = field(default_factory=lambda: {"documents": [], "records": []})
    warnings: list[str] = field(default_factory=list)

    def counts(self, kind: str) -> tuple[int, int, int]:
        return len(self.created[kind]), len(self.updated[kind]), len(self.unchanged[kind])

    def summary(self) -> str:
        lines = []
        for kind in ("documents", "records"):
            created, updated, unchanged = self.counts(kind)
            lines.append(f"{kind}: {created} created, {updated} updated, {unchanged} unchanged")
        lines += [f"warning: {w}" for w in self.warnings]
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


@dataclass
class Reading:
    """What reading a folder's sources gave: the document specs (extracted and checked), and the
    files written for them (removed again when the load fails)."""

    specs: list[dict[str, Any]] = field(default_factory=list)
    batch: sources.FileBatch = field(default_factory=sources.FileBatch)
    warnings: list[str] = field(default_factory=list)


def _manifest_entries(folder: Path) -> list[tuple[Path, dict, str]] | None:
    """(file, entry, where) for each document the manifest names; None when there is no manifest."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        return None
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise LoadError(f"{manifest_path}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise LoadError(f"{manifest_path}: not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})") from exc
    entries = manifest.get("documents") if isinstance(manifest, dict) else manifest
    if not isinstance(entries, list):
        raise LoadError(f"{manifest_path}: expected a 'documents' list")
    out = []
    for number, entry in enumerate(entries, start=1):
        where = f"{manifest_path}, document {number}"
        if not isinstance(entry, dict):
            raise LoadError(f"{where}: expected an object")
        file_name = entry.get("file")
        if not isinstance(file_name, str) or not file_name:
            raise LoadError(f"{where}: missing 'file'")
        path = (folder / file_name).resolve()
        if folder.resolve() not in path.parents:
            raise LoadError(f"{where}: file {file_name!r} is outside the folder")
        out.append((path, entry, f"{manifest_path}, document {number} ({file_name})"))
    return out


def _folder_entries(folder: Path) -> list[tuple[Path, dict, str]]:
    """Every file of a folder without a manifest, by name (hidden files and records.json left out)."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and p.name not in SKIPPED_FILES)
    if not files:
        raise LoadError(f"{folder}: no manifest.json and no files to load in this folder")
    return [(path, {}, str(path)) for path in files]


def _file_progress(show: bool, name: str) -> tuple[Callable | None, Callable[[], None]]:
    """A progress bar for one file's long extraction (OCR pages), shown only when it takes pages."""
    if not show:
        return None, lambda: None
    from tqdm import tqdm

    bar: dict[str, Any] = {}

    def progress(done: int, total: int, what: str) -> None:
        if "bar" not in bar:
            if total < 2:
                return
            bar["bar"] = tqdm(total=total, desc=name[:40], unit="page")
        bar["bar"].total = max(bar["bar"].total or 0, total)
        bar["bar"].n = done
        bar["bar"].set_postfix_str(what.split(",")[0][:30], refresh=True)

    def close() -> None:
        if "bar" in bar:
            bar["bar"].close()

    return progress, close


def read_sources(folder: Path, *, show_progress: bool = False) -> Reading:
    """Read, extract and check every source the folder holds (see the module's docstring). Raises
    ``LoadError`` naming the file and the reason; nothing is left written then."""
    reading = Reading()
    try:
        _read_into(folder, reading, show_progress)
    except BaseException:
        reading.batch.discard()
        raise
    return reading


def _read_into(folder: Path, reading: Reading, show_progress: bool) -> None:
    entries = _manifest_entries(folder)
    explicit_slugs = entries is not None
    if entries is None:
        entries = _folder_entries(folder)
    seen_slugs: dict[str, str] = {}
    for path, entry, where in entries:
        title = _optional_str(entry, "title", where)
        slug = _optional_str(entry, "slug", where)
        if slug and slugify(slug) != slug:
            raise LoadError(f"{where}: slug {slug!r} must be lowercase letters, digits and hyphens")
        language = _optional_str(entry, "language", where)[:20]
        date = _check_partial_date(entry.get("date"), where)
        values = {name: _optional_str(entry, name, where) for name in ("author", "kind", "source")}
        if not path.is_file():
            raise LoadError(f"{path}: file named in the manifest does not exist")
        data = path.read_bytes()
        progress, done = _file_progress(show_progress, path.name)
        try:
            extracted = ingest.extract(data, str(path), language=language, progress=progress)
        except ingest.IngestError as exc:
            raise LoadError(str(exc)) from exc
        finally:
            done()
        with extracted:
            found = extracted.metadata
            title = title or found.get("title", "") or path.stem
            derived = slugify(title)[:120].strip("-") or slugify(path.stem)[:120].strip("-") or "document"
            if not slug:
                slug = derived
                if not explicit_slugs and slug in seen_slugs:  # two files of one title, no manifest
                    slug = _free_slug(slug, seen_slugs)
            if slug in seen_slugs:
                raise LoadError(f"{where}: slug {slug!r} is also used by {seen_slugs[slug]}")
            seen_slugs[slug] = path.name
            found_date = found.get("date", "")
            digest = sources.sha256(data)
            file_fields = sources.store_original(reading.batch, data, str(path), extracted.format)
            reading.specs.append({
                "slug": slug,
                "title": title[:500],
                "author": (values["author"] or found.get("author", ""))[:300],
                "date": date or (found_date if PARTIAL_DATE_RE.match(found_date) else ""),
                "kind": (values["kind"] or found.get("kind", ""))[:100],
                "source": (values["source"] or found.get("source", ""))[:1000],
                "language": (language or found.get("language", "") or "en")[:20],
                "text": extracted.text,
                "_origin": sources.origin_values(extracted, file_fields),
                "_pages": sources.store_pages(reading.batch, extracted, digest),
                "_entities": extracted.entities,
            })
            reading.warnings += [f"{path.name}: {w}" for w in extracted.warnings]


def _free_slug(slug: str, taken) -> str:
    n = 2
    while f"{slug[:115]}-{n}" in taken:
        n += 1
    return f"{slug[:115]}-{n}"


def read_manifest(folder: Path) -> list[dict[str, Any]]:
    """The folder's document specs (text and metadata) without their files' originals (kept for
    callers that only want the texts)."""
    reading = read_sources(folder)
    reading.batch.discard()
    return [{k: v for k, v in spec.items() if not k.startswith("_")} for spec in reading.specs]


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


def _create_documents(new: list[tuple[str, dict]], report: LoadReport, user) -> None:
    """The load's new documents in bulk: their rows, their history rows and (through
    ``documents_created``) their index tasks, a few statements per 500 documents instead of three
    per document: loading 100,000 short documents cost more than a quarter of load + index.
    Then their origins and pages, and (``entities_extracted``) the names their sources mark."""
    rows = []
    for slug, values in new:
        document = Document(slug=slug, **{k: v for k, v in values.items() if not k.startswith("_")})
        document.prepare_text()  # bulk_create does not call save()
        rows.append(document)
    created = bulk_create_with_history(rows, Document, batch_size=500)
    documents_created.send(sender=Document, pks=[d.pk for d in created])
    by_slug = {d.slug: d for d in created}
    origins, pages = [], []
    for slug, values in new:
        document = by_slug[slug]
        origins.append(DocumentOrigin(document=document, **values["_origin"]))
        for page in values["_pages"]:
            page.document = document
            pages.append(page)
    DocumentOrigin.objects.bulk_create(origins, batch_size=500)
    DocumentPage.objects.bulk_create(pages, batch_size=200)
    for slug, values in new:
        if values["_entities"]:
            sources.entities_extracted.send(sender=Document, document=by_slug[slug], entities=values["_entities"],
                                            user=user, report=report)
    report.created["documents"].extend(slug for slug, _ in new)


def _update_document(existing: Document, spec: dict, report: LoadReport) -> None:
    """An existing document: its fields as for any row (``_upsert``), and its origin and pages
    replaced when the file it came from changed (or it had none)."""
    origin, pages = spec.pop("_origin"), spec.pop("_pages")
    spec.pop("_entities")
    _upsert(Document, {existing.slug: existing}, {"slug": existing.slug}, spec, report, "documents", existing.slug)
    current = DocumentOrigin.objects.filter(document=existing).values_list("checksum", "extractor_version").first()
    if current != (origin.get("checksum", ""), origin.get("extractor_version", "")) or \
            existing.slug in report.updated["documents"]:
        sources.save_source(existing, origin, pages)


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
    user=None,
) -> LoadReport:
    """Load the folder at ``path`` (its sources, with or without a manifest) and its records file
    in one transaction.

    ``records_path`` defaults to ``records.json`` in the folder when it exists. ``user``: whom
    annotations made from names a source marks (TEI) are made by; without one they are reported
    and not made.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise LoadError(f"{folder}: not a folder")
    if records_path is None and (folder / "records.json").is_file():
        records_path = folder / "records.json"
    record_specs = read_records(Path(records_path)) if records_path else []
    reading = read_sources(folder, show_progress=show_progress)
    try:
        report = _write(reading, record_specs, show_progress, user)
    except BaseException:
        reading.batch.discard()
        raise
    if log:
        log(report.summary())
    return report


def _write(reading: Reading, record_specs: list[dict], show_progress: bool, user) -> LoadReport:
    document_specs = reading.specs

    report = LoadReport(warnings=list(reading.warnings))
    with transaction.atomic():
        # Records first, so that names a source marks (TEI) can link to records of the same load.
        keys = [spec["key"] for spec in record_specs]
        records = Record.objects.in_bulk(keys, field_name="key")
        for spec in _progress(record_specs, "records", show_progress):
            key = spec.pop("key")
            _upsert(Record, records, {"key": key}, spec, report, "records", key)
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
            _update_document(existing, spec, report)
        if new:
            _create_documents(new, report, user)
    return report
