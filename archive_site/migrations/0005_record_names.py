"""The records' names in indexed tables derived from the records (``RecordName``,
``RecordNameWord``: record-name expansion in search; ``RecordMatchKey``: entity suggestions), so
that a search or a document's suggestions look up only their own words, filled here for the
records that already exist."""

import django.db.models.deletion
from django.db import migrations, models

FIELDS = {
    "RecordName": ("record_id", "position", "text", "words", "key", "surname", "label", "kind", "live"),
    "RecordNameWord": ("record_id", "word", "live"),
    "RecordMatchKey": ("record_id", "position", "key", "full", "first", "parts", "label", "kind", "live"),
}


def fill_names(apps, schema_editor):
    from archive_site.models import RecordMatchKey
    from search.names import rows_for

    models_ = {name: apps.get_model("archive_site", name) for name in FIELDS}
    batches: dict[str, list] = {name: [] for name in FIELDS}

    def flush(size: int) -> None:
        for name, batch in batches.items():
            if len(batch) >= size:
                models_[name].objects.bulk_create(batch, batch_size=5000)
                batch.clear()

    def add(name: str, rows) -> None:
        batches[name].extend(models_[name](**{f: getattr(r, f) for f in FIELDS[name]}) for r in rows)

    record_model = apps.get_model("archive_site", "Record")
    rows = record_model.objects.order_by("pk").values_list("pk", "kind", "label", "aliases", "merged_into_id")
    for pk, kind, label, aliases, merged_into_id in rows.iterator(chunk_size=2000):
        live = merged_into_id is None
        found, words = rows_for(pk, kind, label, aliases, live)
        add("RecordName", found)
        add("RecordNameWord", words)
        add("RecordMatchKey", RecordMatchKey.rows_for(pk, label, aliases, kind, live))
        flush(5000)
    flush(1)


class Migration(migrations.Migration):

    dependencies = [
        ('archive_site', '0004_document_origin_pages_ingest_jobs'),
    ]

    operations = [
        migrations.CreateModel(
            name='RecordMatchKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField()),
                ('key', models.CharField(max_length=200)),
                ('full', models.TextField()),
                ('first', models.CharField(max_length=200)),
                ('parts', models.PositiveSmallIntegerField()),
                ('label', models.CharField(max_length=300)),
                ('kind', models.CharField(max_length=20)),
                ('live', models.BooleanField(default=True)),
                ('record', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='match_key_rows', to='archive_site.record')),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('live', True)), fields=['first', 'parts'], name='record_match_first_live'), models.Index(condition=models.Q(('live', True)), fields=['key'], name='record_match_key_live')],
                'constraints': [models.UniqueConstraint(fields=('record', 'position'), name='record_match_key_unique')],
            },
        ),
        migrations.CreateModel(
            name='RecordName',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField()),
                ('text', models.TextField()),
                ('words', models.TextField()),
                ('key', models.CharField(max_length=200)),
                ('surname', models.CharField(blank=True, max_length=200, null=True)),
                ('label', models.CharField(max_length=300)),
                ('kind', models.CharField(max_length=20)),
                ('live', models.BooleanField(default=True)),
                ('record', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='name_rows', to='archive_site.record')),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('live', True)), fields=['key', 'record', 'position'], name='record_name_key_live'), models.Index(condition=models.Q(('live', True), ('surname__isnull', False)), fields=['surname', 'record', 'position'], name='record_name_surname_live')],
                'constraints': [models.UniqueConstraint(fields=('record', 'position'), name='record_name_unique')],
            },
        ),
        migrations.CreateModel(
            name='RecordNameWord',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('word', models.CharField(max_length=200)),
                ('live', models.BooleanField(default=True)),
                ('record', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='name_word_rows', to='archive_site.record')),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('live', True)), fields=['word'], name='record_name_word_live')],
                'constraints': [models.UniqueConstraint(fields=('record', 'word'), name='record_name_word_unique')],
            },
        ),
        migrations.RunPython(fill_names, migrations.RunPython.noop, elidable=True),
    ]
