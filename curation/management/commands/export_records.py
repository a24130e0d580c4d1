"""``manage.py export_records [--format json|csv] [-o FILE]``: every record (the JSON has the shape
of ``fixtures/records.json``, so ``load_archive`` can read it back)."""

import json

from django.core.management.base import BaseCommand

from annotations import w3c
from curation import exchange


class Command(BaseCommand):
    help = "Export records as JSON or CSV."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("-o", "--output", help="Write to this file instead of standard output.")

    def handle(self, *args, format, output=None, **options):
        records = exchange.records_queryset()
        base = w3c.default_base()
        if format == "csv":
            content = exchange.records_csv(records, base=base)
        else:
            content = json.dumps(exchange.records_json(records, base=base), ensure_ascii=False, indent=2) + "\n"
        if output:
            with open(output, "w", encoding="utf-8", newline="") as f:
                f.write(content)
            self.stderr.write(f"{records.count()} record(s) written to {output}.")
        else:
            self.stdout.write(content, ending="")
