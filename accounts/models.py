"""The accounts app's two small tables.

``Attempt``: one row per counted sign-in, sign-up or password-reset attempt. Counters live in the
database, not in a process's memory, so that every gunicorn worker and every application server
sharing the database sees the same count (see ``accounts.attempts``).

``UsernameSkeleton``: the look-alike form of each user's name (see ``accounts.usernames``). Its
unique digest is what stops two sign-ups of confusable names from both succeeding, even at once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Attempt(models.Model):
    # What is counted ("login-address", "login-user", "login-device", "signup-address", ...).
    scope = models.CharField(max_length=32)
    # A keyed hash (HMAC with SECRET_KEY) of the scope and the counted value (an address, a user
    # name, a device cookie's nonce): fixed length, and no addresses or names kept in clear.
    key = models.CharField(max_length=64)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["key", "at"], name="accounts_attempt_key_at")]

    def __str__(self) -> str:
        return f"{self.scope} at {self.at:%Y-%m-%d %H:%M:%S}"


class UsernameSkeleton(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="username_skeleton")
    # SHA-256 of the name's skeleton: names whose skeletons match look alike.
    digest = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return f"skeleton of user {self.user_id}"
