"""The accounts app: signing in, signing up, signing out and resetting a password, with the rules
that keep them safe (failed attempts counted in the database, device cookies, look-alike names).

Why an app of its own: these pages and their security rules are about people, not about the
archive's documents and records (``archive_site``) nor about annotations; and ``config/`` is the
project package (settings, URLs, middleware), not an app, so it cannot hold models or migrations,
which the shared attempt counters and the user-name skeletons need.
"""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import usernames

        usernames.connect_signals()
