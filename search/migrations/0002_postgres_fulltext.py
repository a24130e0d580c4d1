"""PostgreSQL only: the full-text columns and indexes of the postgres search backend.

- ``vector``: the entry's words as ``search.analysis`` folds and stems them, with weights
  A (title / label / quote), B (aliases, tags), C (author), D (text); GIN index.
- ``kind_vector``: the kind's words, for ``kind:`` queries.
- pg_trgm (trigram GIN index on the vocabulary) and fuzzystrmatch (``levenshtein``) for fuzzy
  terms and "did you mean".

On other databases nothing happens: the tables stay plain and the postgres backend refuses to start."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS fuzzystrmatch",
    "ALTER TABLE search_searchentry ADD COLUMN IF NOT EXISTS vector tsvector NOT NULL DEFAULT ''::tsvector",
    "ALTER TABLE search_searchentry ADD COLUMN IF NOT EXISTS kind_vector tsvector NOT NULL DEFAULT ''::tsvector",
    "CREATE INDEX IF NOT EXISTS search_entry_vector_gin ON search_searchentry USING gin (vector)",
    "CREATE INDEX IF NOT EXISTS search_entry_type_year ON search_searchentry (entry_type, year)",
    "CREATE INDEX IF NOT EXISTS search_entry_records_gin ON search_searchentry USING gin (record_ids jsonb_path_ops)",
    "CREATE INDEX IF NOT EXISTS search_term_trgm ON search_searchterm USING gin (term gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS search_term_trgm",
    "DROP INDEX IF EXISTS search_entry_records_gin",
    "DROP INDEX IF EXISTS search_entry_type_year",
    "DROP INDEX IF EXISTS search_entry_vector_gin",
    "ALTER TABLE search_searchentry DROP COLUMN IF EXISTS kind_vector",
    "ALTER TABLE search_searchentry DROP COLUMN IF EXISTS vector",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
