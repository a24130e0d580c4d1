"""PostgreSQL only: a pattern index on the vocabulary, so that the postgres backend finds the words
a prefix or wildcard stands for (``term LIKE 'zinov%'``, counted against ``search.limits``) with an
index range instead of reading the whole vocabulary. The primary key's index serves LIKE only under
the C collation; ``varchar_pattern_ops`` serves it under any."""

from django.db import migrations

FORWARD = "CREATE INDEX IF NOT EXISTS search_term_pattern ON search_searchterm (term varchar_pattern_ops)"
BACKWARD = "DROP INDEX IF EXISTS search_term_pattern"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("search", "0003_gin_without_pending_list")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
