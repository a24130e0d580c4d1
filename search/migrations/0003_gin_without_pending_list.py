"""PostgreSQL only: GIN indexes of the postgres search backend without a pending list.

With ``fastupdate`` on, rows written by the index worker wait in the index's pending list until a
vacuum, and while it is long the planner prices the index too high and scans the whole table.
Index writes happen in background tasks, so paying the index update at write time is the better
trade (``rebuild_index`` still merges at the end)."""

from django.db import migrations

INDEXES = ("search_entry_vector_gin", "search_term_trgm")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"ALTER INDEX {name} SET (fastupdate = off)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"ALTER INDEX {name} RESET (fastupdate)")


class Migration(migrations.Migration):
    dependencies = [("search", "0002_postgres_fulltext")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
