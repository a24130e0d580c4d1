"""History as shown to people: each version of an annotation or record (who, when, what changed)."""

from __future__ import annotations

from .models import Annotation

HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
_SKIP = {"modified", "created"}


def _value(v):
    if isinstance(v, (list, tuple)):
        return [_value(x) for x in v]
    if isinstance(v, dict):
        # m2m diff values are {"annotation": id, "tag": id} rows: keep the related id
        return next((val for key, val in v.items() if key not in ("annotation", "id")), v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def history_entries(rows) -> list[dict]:
    """``rows``: historical rows of one object, newest first (a simple-history queryset)."""
    rows = list(rows)
    entries = []
    for index, row in enumerate(rows):
        older = rows[index + 1] if index + 1 < len(rows) else None
        changes = []
        if older is not None and row.history_type != "-":
            try:
                delta = row.diff_against(older)
            except Exception:  # noqa: BLE001 - a diff across schema versions must not break the page
                delta = None
            if delta is not None:
                changes = [
                    {"field": c.field, "old": _value(c.old), "new": _value(c.new)}
                    for c in delta.changes if c.field not in _SKIP
                ]
        entries.append({
            "history_id": row.history_id,
            "type": HISTORY_TYPES.get(row.history_type, row.history_type),
            "date": row.history_date.isoformat(),
            "user": row.history_user.get_username() if row.history_user_id else None,
            "reason": row.history_change_reason or "",
            "changes": changes,
        })
    return entries


def deleted_annotations(limit: int = 200) -> list[dict]:
    """Annotations whose last history row is a deletion (for curators to restore)."""
    historical = Annotation.history.model
    existing = Annotation.objects.values("pk")
    rows = (
        historical.objects.filter(history_type="-").exclude(id__in=existing)
        .select_related("history_user").order_by("-history_date")[: limit * 3]
    )
    seen: set[int] = set()
    out = []
    for row in rows:
        if row.id in seen:
            continue
        seen.add(row.id)
        out.append({
            "history_id": row.history_id, "id": row.id, "document_id": row.document_id,
            "quote": row.target_quote, "comment": row.comment,
            "deleted_by": row.history_user.get_username() if row.history_user_id else None,
            "deleted_at": row.history_date.isoformat(),
        })
        if len(out) >= limit:
            break
    return out
