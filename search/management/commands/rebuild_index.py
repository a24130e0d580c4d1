"""Rebuild the search index from the database into a fresh directory and swap it in atomically."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from search import indexing, tasks
from search.backends import get_search_backend
from search.backends.base import ENTRY_TYPES, SearchError


class Command(BaseCommand):
    help = "Rebuild the search index from the database (built aside, then swapped in atomically)."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        # Index tasks already queued describe changes this rebuild reads: once it is in place they
        # need not run (see search.tasks.mark_covered).
        waiting = tasks.waiting_index_tasks()
        counts = indexing.counts()
        total = sum(counts.values())

        def entries():
            for entry_type in ENTRY_TYPES:
                yield from indexing.all_entries(entry_type)

        backend = get_search_backend()
        with tqdm(total=total, unit="entry", desc="Indexing", disable=options["no_progress"] or None,
                  file=self.stderr._out) as bar:
            try:
                written = backend.rebuild(entries(), progress=bar.update)
            except SearchError as exc:
                raise CommandError(str(exc)) from exc
        covered = tasks.mark_covered(waiting)
        self.stdout.write(self.style.SUCCESS(
            f"Indexed {written} entries: " + ", ".join(f"{counts[t]} {t}s" for t in ENTRY_TYPES)
            + (f" ({covered} queued index task{'s' if covered != 1 else ''} covered by it)" if covered else "")
        ))
