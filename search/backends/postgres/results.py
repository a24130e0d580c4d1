"""Facet counts through SQL (GROUP BY over the matching entries).

Snippets are not made with ``ts_headline``: the stored text of each hit shown is re-analysed by
``search.snippets`` (``search.analysis``), so offsets are exact ``str`` indices into the text and
the marked words are exactly the ones that matched."""

from __future__ import annotations

from django.db import connection

from search.backends.base import FacetValue

# facet name -> SQL giving its value(s) per entry (one row per value)
FACET_SQL = {
    "kind": "SELECT 'kind', kind, count(*) FROM m WHERE kind <> '' GROUP BY kind",
    "author": "SELECT 'author', author, count(*) FROM m WHERE author <> '' GROUP BY author",
    "decade": "SELECT 'decade', (year / 10 * 10)::text, count(*) FROM m WHERE year IS NOT NULL GROUP BY 2",
    "year": "SELECT 'year', year::text, count(*) FROM m WHERE year IS NOT NULL GROUP BY 2",
    "entity_type": "SELECT 'entity_type', v, count(*) FROM m, jsonb_array_elements_text(m.entity_types) v GROUP BY v",
    "record": "SELECT 'record', v, count(*) FROM m, jsonb_array_elements_text(m.record_ids) v GROUP BY v",
}
FACETS = {
    "document": ("kind", "author", "decade", "year", "entity_type", "record"),
    "record": ("kind",),
    "annotation": ("entity_type", "record"),
}


def facet_counts(entry_type: str, where: str, params: list) -> dict[str, tuple[FacetValue, ...]]:
    names = FACETS.get(entry_type, ())
    if not names:
        return {}
    sql = (f"WITH m AS MATERIALIZED (SELECT e.kind, e.author, e.year, e.entity_types, e.record_ids "
           f"FROM search_searchentry e WHERE {where}) " + " UNION ALL ".join(FACET_SQL[n] for n in names))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    grouped: dict[str, list[FacetValue]] = {n: [] for n in names}
    for name, value, count in rows:
        if value not in (None, ""):
            grouped[name].append(FacetValue(value=str(value), count=int(count), label=str(value)))
    out = {}
    for name, values in grouped.items():
        if name in ("decade", "year"):
            values.sort(key=lambda v: v.value)
        else:
            values.sort(key=lambda v: (-v.count, v.value))
        out[name] = tuple(values)
    return out
