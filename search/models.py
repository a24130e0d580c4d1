"""Tables of the PostgreSQL search backend (``SEARCH_BACKEND=postgres``).

The Whoosh backend keeps its index in files and uses none of this. The tables exist on every
database so that migrations are the same everywhere, but their full-text columns (``vector``,
``kind_vector``: ``tsvector``) and their GIN / trigram indexes are created on PostgreSQL only
(see the migration); the backend reads and writes them with SQL of its own."""

from __future__ import annotations

from django.db import models


class SearchEntry(models.Model):
    """One indexed document, record or annotation (``search.backends.base.IndexEntry``)."""

    entry_type = models.CharField(max_length=12)
    object_id = models.BigIntegerField()
    stamp = models.CharField(max_length=64, blank=True, default="")
    title = models.TextField(blank=True, default="")
    body = models.TextField(blank=True, default="")
    names = models.TextField(blank=True, default="")
    author = models.TextField(blank=True, default="")
    kind = models.TextField(blank=True, default="")
    date = models.CharField(max_length=10, blank=True, default="")
    year = models.IntegerField(null=True, blank=True)
    slug = models.CharField(max_length=300, blank=True, default="")
    document_id = models.BigIntegerField(null=True, blank=True)
    record_ids = models.JSONField(default=list, blank=True)
    entity_types = models.JSONField(default=list, blank=True)
    visibility = models.CharField(max_length=12, default="public")
    creator_id = models.BigIntegerField(null=True, blank=True)
    group_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=12, blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry_type", "object_id"], name="search_entry_unique")]

    def __str__(self) -> str:
        return f"{self.entry_type}:{self.object_id}"


class SearchTerm(models.Model):
    """Every indexed word form (folded and stemmed, as in the tsvectors): the vocabulary that
    fuzzy terms, wildcards and "did you mean" look up (pg_trgm / levenshtein)."""

    term = models.CharField(max_length=200, primary_key=True)

    def __str__(self) -> str:
        return self.term
