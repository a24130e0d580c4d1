"""``manage.py import_annotations FILE --as USERNAME [--partial] [--visibility public]``: import W3C
JSON-LD annotations
(our exports, Hypothesis, Recogito, ...) as the given curator. By default a file with any invalid
annotation is rejected whole (nothing stored) and the reasons are printed; ``--partial`` imports
the valid ones and reports the rest. Exit status 1 when the file was rejected."""

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from annotations.permissions import can_review
from curation import exchange


class Command(BaseCommand):
    help = "Import W3C JSON-LD annotations."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--as", dest="username", required=True, help="The curator the annotations are created by.")
        parser.add_argument("--partial", action="store_true", help="Import the valid annotations, report the others.")
        parser.add_argument("--json", dest="as_json", action="store_true", help="Print the report as JSON.")
        parser.add_argument(
            "--visibility", help="private, public or group:<name>, for annotations whose file does not say (default private)."
        )

    def handle(self, *args, path, username, partial, as_json=False, visibility=None, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if not can_review(user):
            raise CommandError(f"{username} is not a curator (manage.py grant_curator {username}).")
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from None
        try:
            report = exchange.import_annotations(user=user, raw=raw, partial=partial, visibility=visibility)
        except exchange.ExchangeError as exc:
            raise CommandError(f"{path}: {exc}") from None
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            for label, rows in (("invalid", report.errors), ("skipped", report.skipped)):
                for row in rows:
                    self.stdout.write(f"{label} #{row['index']}{' ' + row['id'] if row.get('id') else ''}: {row['reason']}")
            self.stdout.write(report.summary())
        if not report.stored:
            raise CommandError("The file was rejected; nothing was stored.")

