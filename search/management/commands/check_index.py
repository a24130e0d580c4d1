"""Compare the search index with the database: entries missing, stale or extra."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from search import indexing
from search.backends import get_search_backend
from search.backends.base import ENTRY_TYPES


def compare() -> dict[str, dict[str, list[int]]]:
    backend = get_search_backend()
    report = {}
    for entry_type in ENTRY_TYPES:
        expected = {e.pk: e.stamp for e in indexing.all_entries(entry_type)}
        indexed = backend.stamps(entry_type)
        report[entry_type] = {
            "missing": sorted(set(expected) - set(indexed)),
            "stale": sorted(pk for pk in set(expected) & set(indexed) if expected[pk] != indexed[pk]),
            "extra": sorted(set(indexed) - set(expected)),
            "count": [len(expected)],
        }
    return report


class Command(BaseCommand):
    help = "Report documents, records and annotations missing, stale or extra in the search index; exit 1 if any."

    def handle(self, *args, **options):
        report = compare()
        problems = 0
        for entry_type, found in report.items():
            line = f"{entry_type}s: {found['count'][0]} in the database"
            for what in ("missing", "stale", "extra"):
                ids = found[what]
                problems += len(ids)
                if ids:
                    shown = ", ".join(map(str, ids[:20])) + (" ..." if len(ids) > 20 else "")
                    line += f"; {len(ids)} {what} ({shown})"
            self.stdout.write(line)
        if problems:
            self.stderr.write(f"The index is out of date: {problems} problem(s). Run `manage.py rebuild_index`.")
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS("The index matches the database."))
