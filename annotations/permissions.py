"""Who may do what with an annotation: the one place these rules live.

Reading is one rule, written once as data (``reader_clauses``) and rendered three ways: a queryset
filter (``visible_q``), an object check (``can_view``), and the search index's filter (search
renders the same clauses against the fields each entry carries). Every path that returns
annotations (API, pages, search hits, suggestions, history, exports, tag lists, spelling) goes
through one of them.

| action  | who                                                                                  |
|---------|--------------------------------------------------------------------------------------|
| view    | visitors: public and approved (the archive's published material);                     |
|         | signed-in users: also others' public proposals (pending), their own notes (any),      |
|         | their groups' notes (not rejected);                                                  |
|         | curators: every public and group note (any status) and their own; never another      |
|         | person's private note ("only me" means only me; only the whole-archive backup has it) |
|         | a reply only while the annotation it answers (and that one's parent ...) is visible    |
| edit    | the creator; curators (for what they may see)                                        |
| delete  | the creator; curators (for what they may see)                                        |
| review  | curators (approve / reject, merge records, restore deleted)                          |
| curate  | curators (the /curate/ pages, records, documents, import / export, history)          |
| create  | any signed-in, active user                                                           |
| reason  | why an annotation was rejected: its creator and the curators                         |

What counts as *published* (search facets, record pages' published counts, the public export):
public and approved (``published_q`` / ``is_published``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from rest_framework import permissions as drf_permissions

CURATOR_GROUP = "curators"
PUBLIC, GROUP, PRIVATE = "public", "group", "private"
APPROVED, PENDING, REJECTED = "approved", "pending", "rejected"
NOT_REJECTED = frozenset({APPROVED, PENDING})
# Replies may answer replies this deep (a reply to an annotation is depth 1); the read rule checks
# every ancestor up to it, so no reply is ever shown whose thread a reader may not see.
MAX_REPLY_DEPTH = 3


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


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated


def member_group_ids(user) -> frozenset[int]:
    """The annotation groups ``user`` belongs to (read each time: membership changes while a user
    object lives, e.g. a signed-in session adding members)."""
    if not _signed_in(user):
        return frozenset()
    return frozenset(user.annotation_groups.values_list("pk", flat=True))


# --- the read rule, as data --------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """One way a reader may see an annotation: every condition given must hold (None = any).
    A reader sees an annotation when any of their clauses admits it."""

    visibility: frozenset[str] | None = None
    statuses: frozenset[str] | None = None
    creator_id: int | None = None
    group_ids: frozenset[int] | None = None

    def q(self, prefix: str = "") -> Q:
        q = Q()
        if self.visibility is not None:
            q &= Q(**{f"{prefix}visibility__in": sorted(self.visibility)})
        if self.statuses is not None:
            q &= Q(**{f"{prefix}status__in": sorted(self.statuses)})
        if self.creator_id is not None:
            q &= Q(**{f"{prefix}creator_id": self.creator_id})
        if self.group_ids is not None:
            q &= Q(**{f"{prefix}group_id__in": sorted(self.group_ids)})
        return q

    def admits(self, annotation) -> bool:
        """For an annotation, a historical version of one, or anything with the same fields."""
        return (
            (self.visibility is None or annotation.visibility in self.visibility)
            and (self.statuses is None or annotation.status in self.statuses)
            and (self.creator_id is None or annotation.creator_id == self.creator_id)
            and (self.group_ids is None or annotation.group_id in self.group_ids)
        )


def reader_clauses(user) -> tuple[Clause, ...]:
    """The read rule for ``user`` (see the table above)."""
    if not _signed_in(user):
        return (Clause(visibility=frozenset({PUBLIC}), statuses=frozenset({APPROVED})),)
    own = Clause(creator_id=user.pk)
    if is_curator(user):
        return (Clause(visibility=frozenset({PUBLIC, GROUP})), own)
    clauses = [Clause(visibility=frozenset({PUBLIC}), statuses=NOT_REJECTED), own]
    groups = member_group_ids(user)
    if groups:
        clauses.append(Clause(visibility=frozenset({GROUP}), statuses=NOT_REJECTED, group_ids=groups))
    return tuple(clauses)


def _admitted_q(clauses: tuple[Clause, ...], prefix: str) -> Q:
    q = Q(pk__in=[])
    for clause in clauses:
        q |= clause.q(prefix)
    return q


def visible_q(user, prefix: str = "") -> Q:
    """A Q object selecting the annotations ``user`` may see (``prefix`` for related lookups):
    the annotation itself, and for a reply every annotation up its thread."""
    clauses = reader_clauses(user)
    q = _admitted_q(clauses, prefix)
    # Innermost first: ancestor k is checked only where ancestor k-1 is a reply.
    chain = Q()
    for depth in range(MAX_REPLY_DEPTH, 0, -1):
        ancestor = prefix + "reply_to__" * depth
        parent_link = prefix + "reply_to__" * (depth - 1) + "reply_to__isnull"
        chain = Q(**{parent_link: True}) | (_admitted_q(clauses, ancestor) & chain)
    return q & chain


def can_view(user, annotation) -> bool:
    clauses = reader_clauses(user)
    node, depth = annotation, 0
    while node is not None and depth <= MAX_REPLY_DEPTH:
        if not any(clause.admits(node) for clause in clauses):
            return False
        node = node.reply_to if node.reply_to_id else None
        depth += 1
    return True


def can_view_version(user, version) -> bool:
    """Whether ``user`` could see this version of an annotation (a history row): the read rule
    applied to the version's own visibility, status, creator and group."""
    return any(clause.admits(version) for clause in reader_clauses(user))


# --- what is published ---------------------------------------------------------------------------


def published_q(prefix: str = "") -> Q:
    """Approved public annotations: what search facets, record pages and the public export count."""
    return Q(**{f"{prefix}visibility": PUBLIC, f"{prefix}status": APPROVED})


def is_published(annotation) -> bool:
    return annotation.visibility == PUBLIC and annotation.status == APPROVED


# --- writing -----------------------------------------------------------------------------------


def can_create(user) -> bool:
    return bool(_signed_in(user) and user.is_active)


def can_edit(user, annotation) -> bool:
    if not _signed_in(user):
        return False
    return annotation.creator_id == user.pk or (is_curator(user) and can_view(user, annotation))


can_delete = can_edit


def can_review(user) -> bool:
    return is_curator(user)


def can_curate(user) -> bool:
    return is_curator(user)


def can_read_review_reason(user, annotation) -> bool:
    """Why an annotation was rejected is for its creator and the curators."""
    return _signed_in(user) and (annotation.creator_id == user.pk or is_curator(user))


def needs_review_after_edit(user) -> bool:
    """An edit by anyone but a curator sends an approved (or rejected) annotation back to review:
    what was approved is not what is published any more."""
    return not is_curator(user)


# The table the API's permission class reads: each action on an annotation, and its predicate.
PERMISSION_MAP = {
    "view": can_view,
    "edit": can_edit,
    "delete": can_delete,
}
ACTION_OF_METHOD = {"GET": "view", "HEAD": "view", "OPTIONS": "view", "PUT": "edit", "PATCH": "edit",
                    "DELETE": "delete"}


def has_permission(user, action: str, annotation) -> bool:
    return PERMISSION_MAP[action](user, annotation)


# --- the same rules as DRF permission classes ----------------------------------------------------


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
        return has_permission(request.user, ACTION_OF_METHOD.get(request.method, "edit"), obj)


class IsCurator(drf_permissions.BasePermission):
    message = "Only curators may do this."

    def has_permission(self, request, view) -> bool:
        return can_review(request.user)
