"""Write the whole archive (documents, records, annotations, groups, history, the users they
name) to one JSON file; see ``annotations.backup``."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from curation.backup import export_archive


class Command(BaseCommand):
    help = "Export documents, records, annotations, groups, history and the users they refer to as JSON (.gz: compressed)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="file to write (e.g. archive-2026-01-31.json.gz)")

    def handle(self, *args, path, **options):
        counts = export_archive(path)
        summary = ", ".join(f"{n} {label.split('.')[-1]}" for label, n in counts.items() if n)
        self.stdout.write(self.style.SUCCESS(f"Exported to {path}: {summary}."))
