"""Who may do what with an annotation: the one place these rules live.

Every reader of annotations (API, pages, exports, search) filters with ``visible_q`` /
``can_view``; every writer checks ``can_edit`` / ``can_delete`` / ``can_review``.

| action  | who                                                                          |
|---------|------------------------------------------------------------------------------|
| view    | anyone for public; the creator for private; group members for group; curators;  |
|         | once rejected, only the creator (who sees why) and curators                   |
| edit    | the creator; curators                                                        |
| delete  | the creator; curators                                                        |
| review  | curators (approve / reject, merge records, restore deleted)                  |
| curate  | curators (the /curate/ pages, records, documents, import / export, history)  |
| create  | any signed-in user                                                           |
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from rest_framework import permissions as drf_permissions

CURATOR_GROUP = "curators"


def is_curator(user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_is_curator_cache", None)
    if cached is None:
        cached = user.groups.filter(name=CURATOR_GROUP).exists()
        user._is_curator_cache = cached
    return cached


def visible_q(user, prefix: str = "") -> Q:
    """A Q object selecting the annotations ``user`` may see (prefix for related lookups)."""
    p = prefix
    not_rejected = ~Q(**{f"{p}status": "rejected"})
    public = Q(**{f"{p}visibility": "public"}) & not_rejected
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return public
    if is_curator(user):
        return Q()
    return (
        public
        | Q(**{f"{p}creator_id": user.pk})
        # A subquery, not a join, so that a user in several groups gets no duplicate rows.
        | (Q(**{f"{p}visibility": "group", f"{p}group_id__in": user.annotation_groups.values("pk")}) & not_rejected)
    )


def visible_group_ids(user) -> list[int]:
    """Groups whose annotations ``user`` may see (for search filters)."""
    if user is None or not user.is_authenticated:
        return []
    return list(user.annotation_groups.values_list("pk", flat=True))


def can_view(user, annotation) -> bool:
    if annotation.visibility == "public" and annotation.status != "rejected":
        return True
    if user is None or not user.is_authenticated:
        return False
    if is_curator(user) or annotation.creator_id == user.pk:
        return True
    if annotation.status == "rejected":
        return False
    if annotation.visibility == "group" and annotation.group_id:
        return annotation.group.members.filter(pk=user.pk).exists()
    return False


def can_create(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def can_edit(user, annotation) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return annotation.creator_id == user.pk or is_curator(user)


can_delete = can_edit


def can_review(user) -> bool:
    return is_curator(user)


def can_curate(user) -> bool:
    return is_curator(user)


def can_read_review_reason(user, annotation) -> bool:
    """Why an annotation was rejected is for its creator and the curators."""
    return can_edit(user, annotation)


PERMISSION_MAP = {
    "view": can_view,
    "edit": can_edit,
    "delete": can_delete,
}


def has_permission(user, action: str, annotation) -> bool:
    return PERMISSION_MAP[action](user, annotation)


# --- The same rules as DRF permission classes (used by annotations.views) ----------------------


class AnnotationAccess(drf_permissions.BasePermission):
    """Create needs a signed-in user; reading an object needs ``can_view`` (views answer 404 for
    annotations a user may not see, before this runs); PUT/PATCH need ``can_edit``, DELETE
    ``can_delete``."""

    message = "Only the creator or a curator may change this annotation."

    def has_permission(self, request, view) -> bool:
        if request.method in drf_permissions.SAFE_METHODS:
            return True
        return can_create(request.user)

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in drf_permissions.SAFE_METHODS:
            return can_view(request.user, obj)
        if request.method == "DELETE":
            return can_delete(request.user, obj)
        return can_edit(request.user, obj)


class IsCurator(drf_permissions.BasePermission):
    message = "Only curators may do this."

    def has_permission(self, request, view) -> bool:
        return can_review(request.user)
