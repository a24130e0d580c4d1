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
|         | a relation only while both annotations it links are visible (and itself is)            |
|         | a task annotation: shared with the task's group, which an assignee joins only when     |
|         | they finish (``annotations.assignments``): until then only its creator and curators    |
| edit    | the creator; curators (for what they may see)                                        |
| delete  | the creator; curators (for what they may see)                                        |
| review  | curators (approve / reject, merge records, restore deleted)                          |
| curate  | curators (the /curate/ pages, records, documents, import / export, history)          |
| create  | any signed-in, active user                                                           |
| reason  | why an annotation was rejected: its creator and the curators                         |
| relate  | anyone who may see both ends; a relation is never seen by more people than either end |
|         | (``relation_within``; the write service narrows it when an end narrows)              |
| undo    | a batch: its creator and the curators; what others have changed in it is kept         |

What counts as *published* (search facets, record pages' published counts, the public export):
public and approved (``published_q`` / ``is_published``); a relation only when both its ends are too.
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
    the annotation itself, for a reply every annotation up its thread, and for a relation both
    annotations it links (they are top-level annotations, never replies or relations: the write
    service refuses others)."""
    clauses = reader_clauses(user)
    q = _admitted_q(clauses, prefix)
    # Innermost first: ancestor k is checked only where ancestor k-1 is a reply.
    chain = Q()
    for depth in range(MAX_REPLY_DEPTH, 0, -1):
        ancestor = prefix + "reply_to__" * depth
        parent_link = prefix + "reply_to__" * (depth - 1) + "reply_to__isnull"
        chain = Q(**{parent_link: True}) | (_admitted_q(clauses, ancestor) & chain)
    ends = Q(**{f"{prefix}relation_source__isnull": True}) | (
        _admitted_q(clauses, f"{prefix}relation_source__") & _admitted_q(clauses, f"{prefix}relation_target__")
    )
    return q & chain & ends


def can_view(user, annotation) -> bool:
    clauses = reader_clauses(user)
    node, depth = annotation, 0
    while node is not None and depth <= MAX_REPLY_DEPTH:
        if not any(clause.admits(node) for clause in clauses):
            return False
        node = node.reply_to if node.reply_to_id else None
        depth += 1
    if annotation.relation_source_id is not None:
        ends = (annotation.relation_source, annotation.relation_target)
        return all(any(clause.admits(end) for clause in clauses) for end in ends)
    return True


def can_view_version(user, version) -> bool:
    """Whether ``user`` could see this version of an annotation (a history row): the read rule
    applied to the version's own visibility, status, creator and group; for a version of a
    relation, also to each end (as it is now, or as it was last when it has been deleted)."""
    clauses = reader_clauses(user)
    if not any(clause.admits(version) for clause in clauses):
        return False
    if getattr(version, "relation_source_id", None) is None:
        return True
    from .models import Annotation  # the models import nothing from here; kept local all the same

    for end_id in (version.relation_source_id, version.relation_target_id):
        end = Annotation.objects.filter(pk=end_id).first() or (
            Annotation.history.filter(id=end_id).order_by("-history_date", "-history_id").first()
        )
        if end is None or not any(clause.admits(end) for clause in clauses):
            return False
    return True


# --- how widely a relation may be seen ------------------------------------------------------------

_BREADTH = {PRIVATE: 0, GROUP: 1, PUBLIC: 2}


def relation_within(visibility: str, group_id: int | None, end) -> bool:
    """Whether a relation with this visibility (and group) is seen by nobody who may not see
    ``end`` by its visibility: public fits any end; a group relation fits a public end or an end
    of the same group; a private relation (its creator only) fits any end its creator may see."""
    if visibility == PRIVATE or end.visibility == PUBLIC:
        return True
    if end.visibility == GROUP:
        return visibility == GROUP and group_id == end.group_id
    return False


def widest_relation_visibility(ends) -> tuple[str, int | None]:
    """The widest visibility (and group) a relation between ``ends`` may have: what a relation is
    narrowed to when an end narrows."""
    if all(end.visibility == PUBLIC for end in ends):
        return PUBLIC, None
    groups = {end.group_id for end in ends if end.visibility == GROUP}
    if len(groups) == 1 and all(end.visibility in (GROUP, PUBLIC) for end in ends):
        return GROUP, groups.pop()
    return PRIVATE, None


# --- what is published ---------------------------------------------------------------------------


def _own_published_q(prefix: str) -> Q:
    return Q(**{f"{prefix}visibility": PUBLIC, f"{prefix}status": APPROVED})


def published_q(prefix: str = "") -> Q:
    """Approved public annotations (a relation: with both ends approved and public too): what
    search facets, record pages and the public export count."""
    ends = Q(**{f"{prefix}relation_source__isnull": True}) | (
        _own_published_q(f"{prefix}relation_source__") & _own_published_q(f"{prefix}relation_target__")
    )
    return _own_published_q(prefix) & ends


def is_published(annotation) -> bool:
    own = annotation.visibility == PUBLIC and annotation.status == APPROVED
    if not own or annotation.relation_source_id is None:
        return own
    return all(end.visibility == PUBLIC and end.status == APPROVED
               for end in (annotation.relation_source, annotation.relation_target))


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


def can_undo_batch(user, batch) -> bool:
    """A batch ("link all occurrences") is undone by its creator or a curator."""
    return _signed_in(user) and (batch.creator_id == user.pk or is_curator(user))


def can_manage_tasks(user) -> bool:
    """Annotation tasks (assignees, documents, agreement, adjudication) are the curators'."""
    return is_curator(user)


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
