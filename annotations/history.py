"""Which versions of an annotation's history a reader may see, and what of them.

The one rule (used by the history API, the history page and the curators' history page): a
reader sees a version only if the read rule (``permissions``) would have let them see the
annotation as it was then (a note that was private, or shared with a group they are not in, or
rejected, shows none of that version); versions are compared only with the previous version the
reader may see, so a diff never shows content from one they may not. Why it was rejected
(``review_reason``) is for the creator and the curators only.
"""

from __future__ import annotations

from archive_site import history as archive_history

from . import permissions
from .models import Annotation

REVIEW_FIELDS = frozenset({"review_reason"})


def readable_versions(user, rows) -> list:
    """The history rows (newest first) of one annotation that ``user`` may see."""
    return [row for row in rows if permissions.can_view_version(user, row)]


def annotation_history(user, pk: int) -> list[dict] | None:
    """What ``user`` may see of annotation ``pk``'s history, newest first; None when they may see
    no version of it (callers answer 404, as for an id never used)."""
    rows = readable_versions(user, archive_history.versions(Annotation, pk))
    if not rows:
        return None
    hidden = frozenset() if permissions.can_read_review_reason(user, rows[0]) else REVIEW_FIELDS
    return archive_history.present(rows, hidden_fields=hidden)
