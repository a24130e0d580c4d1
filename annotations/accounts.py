"""Account services behind the profile page: API tokens and annotation groups.

Writes are small atomic functions with keyword-only arguments; the pages only translate forms to
these calls and back.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.db.models import Count
from rest_framework.authtoken.models import Token

from . import selectors
from .models import Annotation, AnnotationGroup, AnnotationTask
from .permissions import is_curator


def get_token(*, user) -> Token | None:
    return Token.objects.filter(user=user).first()


@transaction.atomic
def issue_token(*, user) -> tuple[Token, bool]:
    """A fresh API token for ``user``, and whether it replaced one (which then stops working)."""
    replaced, _ = Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user), bool(replaced)


@transaction.atomic
def revoke_token(*, user) -> None:
    Token.objects.filter(user=user).delete()


def can_manage_group(user, group: AnnotationGroup) -> bool:
    """Who may add members to a group: its creator, its members, curators. An annotation task's
    group holds the assignees who have finished (``annotations.assignments``): only curators."""
    if not user.is_authenticated:
        return False
    if AnnotationTask.objects.filter(group=group).exists():
        return is_curator(user)
    return group.created_by_id == user.pk or is_curator(user) or group.members.filter(pk=user.pk).exists()


@transaction.atomic
def create_group(*, user, name: str) -> AnnotationGroup:
    name = name.strip().lower()
    validate_slug(name)
    if AnnotationGroup.objects.filter(name=name).exists():
        raise ValidationError(f"A group called {name!r} already exists.")
    group = AnnotationGroup.objects.create(name=name, created_by=user)
    group.members.add(user)
    return group


@transaction.atomic
def add_member(*, user, group: AnnotationGroup, username: str) -> None:
    if not can_manage_group(user, group):
        raise PermissionDenied("Only the group's members can add members to it.")
    member = get_user_model().objects.filter(username=username.strip(), is_active=True).first()
    if member is None:
        raise ValidationError(f"There is no user called {username.strip()!r}.")
    group.members.add(member)


def is_task_group(group: AnnotationGroup) -> bool:
    return AnnotationTask.objects.filter(group=group).exists()


def can_remove_members(user, group: AnnotationGroup) -> bool:
    """Who may take other people out of a group: whoever made it, and curators (a task's group:
    curators only). Anyone may leave a group (``leave_group``) but a task's."""
    if not user.is_authenticated:
        return False
    if is_task_group(group):
        return is_curator(user)
    return group.created_by_id == user.pk or is_curator(user)


@transaction.atomic
def remove_member(*, user, group: AnnotationGroup, username: str) -> None:
    """Take ``username`` out of ``group`` (yourself: the same as leaving it)."""
    member = group.members.filter(username=username).first()
    if member is not None and member.pk == user.pk:
        leave_group(user=user, group=group)
        return
    if not can_remove_members(user, group):
        raise PermissionDenied("Only the group's creator or a curator can remove its members.")
    if member is None:
        raise ValidationError(f"{username!r} is not a member of {group.name}.")
    group.members.remove(member)


@transaction.atomic
def leave_group(*, user, group: AnnotationGroup) -> None:
    """Leave ``group``: its notes are no longer shown to you (yours stay visible to its members)."""
    if not group.members.filter(pk=user.pk).exists():
        raise ValidationError(f"You are not a member of {group.name}.")
    if is_task_group(group):
        raise PermissionDenied(f"{group.name} belongs to an annotation task: ask a curator to take you out of it.")
    group.members.remove(user)


PROFILE_PAGE_SIZE = 25


def my_annotations(*, user, status: str = ""):
    """The annotations ``user`` made (replies too), newest change first, through the read rule
    (which always lets a creator see their own), optionally of one status; with how many of each."""
    mine = selectors.visible_annotations(user).filter(creator=user).select_related("reply_to", "reviewed_by")
    counts = dict(mine.order_by().values_list("status").annotate(n=Count("pk")))
    if status in Annotation.Status.values:
        mine = mine.filter(status=status)
    return mine.order_by("-modified", "-pk"), counts
