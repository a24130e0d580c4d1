"""Load a file written by ``export_archive``, in one transaction (all or nothing), then re-index
through the task queue; see ``annotations.backup``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from curation.backup import BackupError, import_archive


class Command(BaseCommand):
    help = (
        "Import an archive backup. Refuses when the archive already has content unless --replace; "
        "a damaged file is refused with nothing written."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument(
            "--replace", action="store_true",
            help="remove the current documents, records, annotations, groups and history first",
        )

    def handle(self, *args, path, replace=False, **options):
        try:
            counts = import_archive(path, replace=replace)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        summary = ", ".join(f"{n} {label.split('.')[-1]}" for label, n in counts.items() if n)
        self.stdout.write(self.style.SUCCESS(
            f"Imported {summary}. Index tasks are queued (the worker applies them; or run rebuild_index)."
        ))
