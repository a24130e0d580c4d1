"""Export and import the whole archive as one JSON file (``export_archive`` / ``import_archive``).

It lives in ``curation`` because it carries the archive and the annotations, groups, tags and
their history (``archive_site`` must not know the annotations app: one-way dependencies); it is
the only export that carries private notes (keep backups private). The search index is not exported: an import announces itself with the
``archive_restored`` signal, on which ``search`` enqueues index tasks inside the import's
transaction (an outbox, like every other change).

What a file carries: documents (with their provenance and pages: which extractor made the text,
the original's checksum and path, page offsets, OCR word boxes), records, entity types, tags, relation types, annotation groups
(and their members), batches, annotation tasks (documents, entity types, assignments),
annotations (with tag and record links, replies, relations), every history row of documents,
records and annotations, and the users these refer to (creators, reviewers, group members, the
authors of history rows, with their password hashes and auth groups such as ``curators``).
The original files and page images themselves stay files under ``ARCHIVE_DATA_DIR`` (``originals/``,
by path and SHA-256): copy that folder beside the backup; a document whose file is missing still
reads and annotates, and its download answers 404 saying so. Ingest jobs are not carried (they are
the state of an upload in progress). Users are referred to by username, so an import into an archive that already has accounts maps
them by name; everything else keeps its id (ids are in public URLs).

File layout: ``{"format": FORMAT, "version": 1, "exported_at", "counts", "sha256", "data"}``
where ``sha256`` is the digest of the canonical JSON of ``data``: a truncated or edited file is
refused before anything is written. An import runs in one transaction: it writes everything or
nothing.
"""

from __future__ import annotations

import datetime
import decimal
import gzip
import hashlib
import json
import uuid
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from archive_site.signals import archive_restored

FORMAT = "purge-archive-backup"
VERSION = 1

# Tables in the order they are written (parents first) and cleared (in reverse).
TABLES = [
    "archive_site.Document",
    "archive_site.DocumentOrigin",
    "archive_site.DocumentPage",
    "archive_site.Record",
    "annotations.EntityType",
    "annotations.Tag",
    "annotations.RelationType",
    "annotations.AnnotationGroup",
    "annotations.AnnotationGroup_members",
    "annotations.AnnotationBatch",
    "annotations.AnnotationTask",
    "annotations.AnnotationTask_documents",
    "annotations.AnnotationTask_entity_types",
    "annotations.TaskAssignment",
    "annotations.Annotation",
    "annotations.Annotation_tags",
    "annotations.Annotation_records",
    "archive_site.HistoricalDocument",
    "archive_site.HistoricalRecord",
    "annotations.HistoricalAnnotation",
    "annotations.HistoricalAnnotation_tags",
    "annotations.HistoricalAnnotation_records",
]
# An archive with rows in any of these is "not empty" (entity types and unused tags are replaced).
VOCABULARIES = ("annotations.EntityType", "annotations.Tag", "annotations.RelationType")
CONTENT_TABLES = [t for t in TABLES if t not in VOCABULARIES]
USER_FIELDS = ["username", "email", "first_name", "last_name", "password", "is_active", "is_staff",
               "is_superuser", "date_joined", "last_login"]


class BackupError(Exception):
    """The file cannot be read or imported; nothing was written."""


class ArchiveNotEmpty(BackupError):
    pass


def _model(label: str):
    app_label, name = label.split(".")
    return apps.get_model(app_label, name)


def _user_fields(model) -> dict[str, str]:
    """attname -> name of the fields that point at a user."""
    user_model = get_user_model()
    return {f.attname: f.name for f in model._meta.concrete_fields if f.is_relation and f.related_model is user_model}


def _jsonable(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()  # full precision (Django's JSON encoder drops microseconds)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"Cannot export {type(value).__name__}")


def _canonical(data) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, default=_jsonable, separators=(",", ":")).encode()


# --- export ------------------------------------------------------------------------------------


def export_data() -> dict:
    """The archive as plain JSON-able data (see the module docstring)."""
    user_model = get_user_model()
    usernames = dict(user_model._base_manager.values_list("pk", "username"))
    needed: set[int] = set()
    data: dict[str, list] = {}
    for label in TABLES:
        model = _model(label)
        attnames = [f.attname for f in model._meta.concrete_fields]
        user_fks = _user_fields(model)
        rows = []
        for row in model._base_manager.order_by("pk").values(*attnames).iterator(chunk_size=1000):
            for attname in user_fks:
                if row[attname] is not None:
                    needed.add(row[attname])
                    row[attname] = usernames[row[attname]]
            rows.append(row)
        data[label] = rows
    users = []
    memberships = user_model.groups.through.objects.filter(user_id__in=needed).values_list("user_id", "group__name")
    groups_of: dict[int, list[str]] = {}
    for user_id, name in memberships:
        groups_of.setdefault(user_id, []).append(name)
    for user in user_model._base_manager.filter(pk__in=needed).order_by("username"):
        entry = {name: getattr(user, name) for name in USER_FIELDS}
        entry["groups"] = sorted(groups_of.get(user.pk, []))
        users.append(entry)
    data["users"] = users
    return json.loads(_canonical(data))


def export_archive(path: str | Path) -> dict[str, int]:
    """Write the archive to ``path`` (gzip-compressed when it ends in .gz); returns the counts."""
    with transaction.atomic():  # one consistent snapshot
        data = export_data()
    counts = {label: len(rows) for label, rows in data.items()}
    document = {
        "format": FORMAT, "version": VERSION, "exported_at": timezone.now().isoformat(),
        "counts": counts, "sha256": hashlib.sha256(_canonical(data)).hexdigest(), "data": data,
    }
    raw = json.dumps(document, ensure_ascii=False, indent=1).encode()
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    tmp.replace(path)  # never leave a half-written backup under the real name
    return counts


# --- import ------------------------------------------------------------------------------------


def read_backup(path: str | Path) -> dict:
    """The checked ``data`` of a backup file; BackupError when it is unreadable, truncated or altered."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        document = json.loads(raw.decode("utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"No such file: {path}") from exc
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
        raise BackupError(f"{path.name} is not a readable archive backup (truncated or corrupt?): {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError(f"{path.name} is not an archive backup (format {FORMAT!r} expected).")
    if document.get("version") != VERSION:
        raise BackupError(f"Backup version {document.get('version')!r} is not supported (expected {VERSION}).")
    data = document.get("data")
    if not isinstance(data, dict) or hashlib.sha256(_canonical(data)).hexdigest() != document.get("sha256"):
        raise BackupError(f"{path.name} is damaged: its content does not match its checksum.")
    unknown = set(data) - {*TABLES, "users"}
    if unknown:
        raise BackupError(f"Unknown tables in the backup: {', '.join(sorted(unknown))}.")
    for label in [*TABLES, "users"]:
        if not isinstance(data.get(label, []), list) or not all(isinstance(r, dict) for r in data.get(label, [])):
            raise BackupError(f"{label}: a list of rows was expected.")
    return data


def archive_is_empty() -> bool:
    return not any(_model(label)._base_manager.exists() for label in CONTENT_TABLES)


def _clear() -> None:
    """Remove the archive's content (not user accounts); deletions reach the index through the
    usual signals. History rows, including the deletion rows this writes, go last."""
    for label in ("annotations.Annotation", "archive_site.Record", "archive_site.Document"):
        model = _model(label)
        while model._base_manager.exists():  # replies first would be neater; cascades handle them
            model._base_manager.all().delete()
    for label in reversed(TABLES):
        _model(label)._base_manager.all().delete()


def _restore_users(users: list[dict]) -> dict[str, int]:
    """username -> id, creating accounts that do not exist yet (existing ones are left as they are)."""
    user_model = get_user_model()
    ids: dict[str, int] = {}
    for entry in users:
        if not isinstance(entry.get("username"), str) or not entry["username"]:
            raise BackupError("users: every user needs a username.")
        user = user_model._base_manager.filter(username=entry["username"]).first()
        if user is None:
            user = user_model(**{
                name: user_model._meta.get_field(name).to_python(entry[name]) for name in USER_FIELDS if name in entry
            })
            user.save()
            for name in entry.get("groups", []):
                user.groups.add(Group.objects.get_or_create(name=name)[0])
        ids[user.username] = user.pk
    return ids


def _restore_rows(label: str, rows: list[dict], user_ids: dict[str, int]) -> int:
    model = _model(label)
    fields = {f.attname: f for f in model._meta.concrete_fields}
    user_fks = _user_fields(model)
    for row in rows:
        unknown = set(row) - set(fields)
        if unknown:
            raise BackupError(f"{label}: unknown fields {', '.join(sorted(unknown))}.")
        values = {}
        for attname, value in row.items():
            if attname in user_fks and value is not None:
                if value not in user_ids:
                    raise BackupError(f"{label}: user {value!r} is not in the backup.")
                value = user_ids[value]
            values[attname] = fields[attname].to_python(value)
        # A raw save, as loaddata does: stored values (timestamps, checksums) are kept as they are,
        # no history row is written and no save logic reruns.
        model(**values).save_base(raw=True, force_insert=True)
    return len(rows)


def import_archive(path: str | Path, *, replace: bool = False) -> dict[str, int]:
    """Load a backup written by ``export_archive``. Refuses (ArchiveNotEmpty) when the archive
    already has content, unless ``replace``; then that content is removed first. One transaction."""
    data = read_backup(path)
    counts: dict[str, int] = {}
    try:
        with transaction.atomic():
            if not archive_is_empty():
                if not replace:
                    raise ArchiveNotEmpty(
                        "The archive is not empty: importing would mix two archives. Nothing was imported; "
                        "use --replace to remove the current documents, records, annotations and history first."
                    )
                _clear()
            else:
                for label in VOCABULARIES:  # e.g. the seeded entity and relation types
                    _model(label)._base_manager.all().delete()
            user_ids = _restore_users(data.get("users", []))
            counts["users"] = len(user_ids)
            for label in TABLES:
                counts[label] = _restore_rows(label, data.get(label, []), user_ids)
            statements = connection.ops.sequence_reset_sql(no_style(), [_model(label) for label in TABLES])
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
            archive_restored.send(sender=import_archive)
    except BackupError:
        raise
    except Exception as exc:  # a row that the database refuses: nothing was written
        raise BackupError(f"The backup could not be imported; nothing was written: {exc}") from exc
    return counts
