"""``manage.py grant_curator USERNAME [--revoke]``: give (or take away) the curator role, i.e.
membership of the ``curators`` group, whose permissions the annotations app's migrations set."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from annotations.permissions import CURATOR_GROUP


class Command(BaseCommand):
    help = "Grant (or with --revoke, take away) the curator role."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--revoke", action="store_true", help="Take the role away instead.")
        parser.add_argument("--staff", action="store_true", help="Also let the user into the Django admin (is_staff).")

    def handle(self, *args, username, revoke, staff, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        group, _ = Group.objects.get_or_create(name=CURATOR_GROUP)
        if revoke:
            user.groups.remove(group)
            if staff and not user.is_superuser:
                user.is_staff = False
                user.save(update_fields=["is_staff"])
            self.stdout.write(f"{username} is no longer a curator.")
            return
        user.groups.add(group)
        if staff and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        self.stdout.write(f"{username} is now a curator{' (with admin access)' if staff else ''}.")
