"""Saving a Document or Record so that its history row says who changed it and why."""

from __future__ import annotations

from django.db import models


def save_with_history(instance: models.Model, *, user, reason: str) -> None:
    """Save ``instance``; django-simple-history's row records ``user`` (None for anonymous or
    scripts) and ``reason``. The reason is removed afterwards so a later save does not repeat it."""
    instance._history_user = user if (user is not None and user.is_authenticated) else None
    instance._change_reason = reason
    try:
        instance.save()
    finally:
        instance.__dict__.pop("_change_reason", None)
