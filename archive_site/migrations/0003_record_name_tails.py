"""The autocomplete lookup table: each record name from each word start on, indexed (see
``archive_site.models.RecordNameTail``), filled here for the records that already exist."""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "archive_site_record_name_tail_cover"


def create_index(apps, schema_editor):
    """The autocomplete index, covering what the lookup reads. PostgreSQL: LIKE 'prefix%' needs
    varchar_pattern_ops (a range under the database's locale collation is not a prefix match);
    elsewhere (SQLite) a plain index serves the code-point range."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {INDEX} ON archive_site_recordnametail (tail varchar_pattern_ops) "
            "INCLUDE (live, kind, label, record_id)"
        )
    else:
        schema_editor.execute(f"CREATE INDEX {INDEX} ON archive_site_recordnametail (tail, live, kind, label, record_id)")


def drop_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


def fill_tails(apps, schema_editor):
    from archive_site.models import name_tails

    record_model = apps.get_model("archive_site", "Record")
    tail_model = apps.get_model("archive_site", "RecordNameTail")
    batch = []
    rows = record_model.objects.values_list("pk", "label", "aliases", "kind", "merged_into_id")
    for pk, label, aliases, kind, merged_into_id in rows.iterator(chunk_size=2000):
        names = [label, *[a for a in aliases or [] if a]]
        batch.extend(tail_model(record_id=pk, tail=t, label=label, kind=kind, live=merged_into_id is None)
                     for t in sorted(name_tails(names)))
        if len(batch) >= 5000:
            tail_model.objects.bulk_create(batch)
            batch = []
    tail_model.objects.bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ('archive_site', '0002_record_search_names_trgm'),
    ]

    operations = [
        migrations.CreateModel(
            name="RecordNameTail",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("tail", models.CharField(max_length=200)),
                ("label", models.CharField(max_length=300)),
                ("kind", models.CharField(max_length=20)),
                ("live", models.BooleanField(default=True)),
                ("record", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                             related_name="name_tail_rows", to="archive_site.record")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("record", "tail"), name="record_name_tail_unique")],
            },
        ),
        migrations.RunPython(create_index, drop_index),
        migrations.RunPython(fill_tails, migrations.RunPython.noop, elidable=True),
    ]
