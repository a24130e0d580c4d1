"""``manage.py export_tei SLUG [--output FILE] [--scope public|all] [--base URL]``: a document as
TEI P5 with its annotations inline (``curation.tei``). Scope ``public`` (default): published
annotations only; ``all``: every annotation but private ones."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from archive_site.models import Document
from curation import tei
from curation.exchange import SCOPES


class Command(BaseCommand):
    help = "Export a document as TEI P5 with its annotations inline."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")
        parser.add_argument("--scope", default="public", choices=SCOPES)
        parser.add_argument("--base", default="http://localhost:8000", help="the archive's address, for record URLs")

    def handle(self, *args, slug, output=None, scope="public", base="http://localhost:8000", **options):
        document = Document.objects.filter(slug=slug).first()
        if document is None:
            raise CommandError(f"No document {slug!r}.")
        body = tei.export_tei(document, tei.export_annotations(user=None, document=document, scope=scope),
                              base=base.rstrip("/"),
                              relations=tei.export_relations(user=None, document=document, scope=scope))
        if output:
            try:
                Path(output).write_bytes(body)
            except OSError as exc:
                raise CommandError(f"{output}: {exc.strerror}") from None
            self.stderr.write(f"Wrote {output} ({len(body):,} bytes).")
        else:
            sys.stdout.buffer.write(body)
