"""``manage.py export_annotations [--document SLUG] [--scope public|all] [--format jsonld|csv] [-o FILE]``:
annotations as a W3C AnnotationCollection (JSON-LD) or CSV. ``public`` (default): approved public
annotations only; ``all``: every annotation."""

import json

from django.core.management.base import BaseCommand, CommandError

from annotations import w3c
from archive_site.models import Document
from curation import exchange


class Command(BaseCommand):
    help = "Export annotations as W3C JSON-LD or CSV."

    def add_arguments(self, parser):
        parser.add_argument("--document", help="Only this document's annotations (slug).")
        parser.add_argument("--scope", choices=exchange.SCOPES, default="public")
        parser.add_argument("--format", choices=["jsonld", "csv"], default="jsonld")
        parser.add_argument("-o", "--output", help="Write to this file instead of standard output.")

    def handle(self, *args, document=None, scope, format, output=None, **options):
        doc = None
        if document:
            doc = Document.objects.filter(slug=document).first()
            if doc is None:
                raise CommandError(f"No document {document!r}.")
        annotations = exchange.export_queryset(user=None, document=doc, scope=scope)
        base = w3c.default_base()
        if format == "csv":
            content = exchange.annotations_csv(annotations, base=base)
        else:
            collection_id = f"{base}/api/annotations/export/?scope={scope}" + (f"&document={doc.slug}" if doc else "")
            label = f"{'Approved public' if scope == 'public' else 'All'} annotations on {doc.title if doc else 'the archive'}"
            body = exchange.collection_jsonld(annotations, base=base, collection_id=collection_id, label=label)
            content = json.dumps(body, ensure_ascii=False, indent=2) + "\n"
        if output:
            with open(output, "w", encoding="utf-8", newline="") as f:
                f.write(content)
            self.stderr.write(f"{annotations.count()} annotation(s) written to {output}.")
        else:
            self.stdout.write(content, ending="")
