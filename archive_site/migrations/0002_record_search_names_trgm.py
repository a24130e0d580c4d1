"""PostgreSQL only: a trigram GIN index on Record.search_names, so the autocomplete lookup
(``Record.objects.matching``: LIKE 'x%' / '%|x%' / '% x%') is an index scan rather than a scan of
every record; and a (label, id) index over unmerged records, so that a short prefix matching
thousands of records can walk the autocomplete's order and stop at the page size. Nothing happens on SQLite (its LIKE cannot use such an index; the table is small)."""

from django.db import migrations

INDEX = "archive_site_record_search_names_trgm"
ORDER_INDEX = "archive_site_record_label_id_live"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON archive_site_record USING gin (search_names gin_trgm_ops)"
    )
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {ORDER_INDEX} ON archive_site_record (label, id) WHERE merged_into_id IS NULL"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {ORDER_INDEX}")


class Migration(migrations.Migration):
    dependencies = [("archive_site", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
