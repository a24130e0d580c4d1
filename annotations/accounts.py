"""Account services behind the profile page: API tokens and annotation groups.

Writes are small atomic functions with keyword-only arguments; the pages only translate forms to
these calls and back.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from rest_framework.authtoken.models import Token

from .models import AnnotationGroup, AnnotationTask
from .permissions import is_curator


def get_token(*, user) -> Token | None:
    return Token.objects.filter(user=user).first()


@transaction.atomic
def issue_token(*, user) -> Token:
    """A fresh API token for ``user``; any earlier one stops working."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


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
