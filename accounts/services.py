"""Account writes: atomic functions with keyword-only arguments, called by the views."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from .usernames import record_skeleton


@transaction.atomic
def create_account(*, username: str, password: str):
    """An ordinary account (not staff, not a curator). Refused, with nothing kept, if another
    account took a look-alike name in the meantime: the skeleton digest is unique, so of two
    confusable sign-ups at the same moment only one can hold it."""
    user = get_user_model()(username=username)
    user.set_password(password)
    user.save()  # post_save records the name's skeleton
    if not record_skeleton(user):
        raise ValidationError(f"“{username}” looks too much like the name of an existing account; choose a name "
                              "nobody can mistake for another.", code="confusable_username")
    return user
