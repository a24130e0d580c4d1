from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from archive_site.loader import LoadError, load_archive


class Command(BaseCommand):
    help = (
        "Load a folder of sources (default: fixtures/) and its records.json: PDF, Word (DOCX), OpenDocument "
        "(ODT), web pages, TEI, page images (OCR) and UTF-8 text, with or without a manifest.json. "
        "Idempotent; loads nothing if any file is bad."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(settings.BASE_DIR / "fixtures"))
        parser.add_argument("--records", help="records JSON file (default: records.json in the folder, if any)")
        parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")
        parser.add_argument(
            "--as", dest="username",
            help="the curator who makes the annotations for names a TEI source marks (without it they are not made)",
        )

    def handle(self, *args, path, records=None, no_progress=False, username=None, **options):
        user = None
        if username:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"No user {username!r}.")
        try:
            report = load_archive(
                Path(path),
                records_path=Path(records) if records else None,
                show_progress=not no_progress and options["verbosity"] > 0,
                user=user,
            )
        except LoadError as exc:
            raise CommandError(f"Nothing was loaded. {exc}") from exc
        self.stdout.write(report.summary())
