from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from archive_site.loader import LoadError, load_archive


class Command(BaseCommand):
    help = (
        "Load a folder of UTF-8 texts plus its manifest.json (default: fixtures/) and its records.json. "
        "Idempotent; loads nothing if any file is bad."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(settings.BASE_DIR / "fixtures"))
        parser.add_argument("--records", help="records JSON file (default: records.json in the folder, if any)")
        parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")

    def handle(self, *args, path, records=None, no_progress=False, **options):
        try:
            report = load_archive(
                Path(path),
                records_path=Path(records) if records else None,
                show_progress=not no_progress and options["verbosity"] > 0,
            )
        except LoadError as exc:
            raise CommandError(f"Nothing was loaded. {exc}") from exc
        self.stdout.write(report.summary())
