"""History: saving with who and why, reading an object's versions, and showing them to people.

django-simple-history keeps one row per version. ``versions(obj)`` is the one query for an
object's history (newest first, with the author); ``present(rows)`` turns rows into what the
pages and the API show: who, when, what changed, with related objects by name (a user by username,
a record by label), never by bare id. Apps whose history needs a reader rule (annotations) filter
the rows first and say which fields to leave out.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import models
from simple_history.models import DeletedObject

HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
UNSHOWN_FIELDS = frozenset({"modified", "created"})


def save_with_history(instance: models.Model, *, user, reason: str) -> None:
    """Save ``instance``; django-simple-history's row records ``user`` (None for anonymous or
    scripts) and ``reason``. The reason is removed afterwards so a later save does not repeat it."""
    instance._history_user = user if (user is not None and user.is_authenticated) else None
    instance._change_reason = reason
    try:
        instance.save()
    finally:
        instance.__dict__.pop("_change_reason", None)


def versions(model: type[models.Model], pk) -> models.QuerySet:
    """Every history row of object ``pk`` of ``model`` (also once it is deleted), newest first."""
    return model.history.filter(id=pk).select_related("history_user").order_by("-history_date", "-history_id")


def _name(value, own_model) -> object:
    """A related object as a person reads it: a user by username, anything else by its name;
    references to the object's own kind (a reply's parent) stay ids."""
    if isinstance(value, DeletedObject):
        return None if value.pk is None else f"{value.model._meta.verbose_name} {value.pk} (deleted)"
    if isinstance(value, get_user_model()):
        return value.get_username()
    if isinstance(value, own_model):
        return value.pk
    if isinstance(value, models.Model):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _values(value, own_model):
    if isinstance(value, list | tuple):
        return [_values(v, own_model) for v in value]
    if isinstance(value, dict):
        # an m2m snapshot row: {"annotation": <the object>, "tag": <Tag>} -> the tag's name
        others = [v for v in value.values() if not isinstance(v, own_model)]
        return _name(others[0], own_model) if others else value
    return _name(value, own_model)


def present(rows, *, hidden_fields: frozenset[str] = frozenset()) -> list[dict]:
    """``rows``: history rows of one object, newest first. Each version is compared with the one
    before it in ``rows``: leave a version out and the next shows what changed across both."""
    rows = list(rows)
    entries = []
    for index, row in enumerate(rows):
        older = rows[index + 1] if index + 1 < len(rows) else None
        own_model = row.instance_type
        changes = []
        if older is not None and row.history_type != "-":
            try:
                delta = row.diff_against(older, foreign_keys_are_objs=True)
            except Exception:  # noqa: BLE001 - a diff across schema versions must not break the page
                delta = None
            if delta is not None:
                changes = [
                    {"field": c.field, "old": _values(c.old, own_model), "new": _values(c.new, own_model)}
                    for c in delta.changes if c.field not in UNSHOWN_FIELDS | hidden_fields
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
