"""Where the benchmarks meet the search app: its schema and analyzer (so that plain Whoosh does the
same work as ours), how a workload query becomes API parameters, and a direct backend call.

Everything imported from ``search`` is imported lazily and optional, so that the harness runs (and
says what it skipped) before and after the search app exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PAGE_SIZE = 10


def search_app_schema() -> Any | None:
    """The Whoosh schema the search app indexes with, or None when it does not expose one."""
    for module, names in (("search.backends.whoosh.schema", ("make_schema",)),
                          ("search.backends.whoosh_schema", ("build_schema", "get_schema", "SCHEMA", "schema")),
                          ("search.backends.whoosh", ("build_schema", "get_schema", "SCHEMA", "schema")),
                          ("search.backends.whoosh_backend", ("build_schema", "get_schema", "SCHEMA", "schema"))):
        try:
            mod = __import__(module, fromlist=["*"])
        except ImportError:
            continue
        for name in names:
            obj = getattr(mod, name, None)
            if obj is None:
                continue
            return obj() if callable(obj) and not hasattr(obj, "names") else obj
    return None


def fallback_schema():
    """Our fields built by hand (only when the search app cannot be imported): stemmed, accent-folded
    text stored for highlighting, plus the filter fields."""
    from whoosh import fields
    from whoosh.analysis import CharsetFilter, StemmingAnalyzer
    from whoosh.support.charset import accent_map

    analyzer = StemmingAnalyzer() | CharsetFilter(accent_map)
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        slug=fields.ID(stored=True),
        title=fields.TEXT(analyzer=analyzer, stored=True, field_boost=2.0),
        text=fields.TEXT(analyzer=analyzer, stored=True, chars=True),
        kind=fields.ID(stored=True),
        year=fields.NUMERIC(int, stored=True),
    )


def schema_fields(schema) -> set[str]:
    return set(schema.names())


def doc_fields(schema, number: int, entry: dict, text: str) -> dict:
    """The fields plain Whoosh adds for one manifest entry: through the search app's own
    IndexEntry -> fields step when it has one, else matched by name to the schema's fields."""
    year = int(entry["date"][:4]) if entry.get("date") else None
    try:
        from search.backends.base import IndexEntry
        from search.backends.whoosh.schema import to_fields
    except ImportError:
        pass
    else:
        return to_fields(IndexEntry(
            type="document", pk=number, stamp="", title=entry["title"], body=text, author=entry.get("author") or "",
            kind=entry.get("kind") or "", date=entry.get("date") or "", year=year, slug=entry["slug"],
        ))
    candidates = {
        "id": f"archive_site.document.{number}", "pk": str(number), "doc_id": str(number), "type": "document",
        "slug": entry["slug"], "title": entry["title"], "author": entry.get("author") or "",
        "kind": entry.get("kind") or "", "text": text, "content": text, "body": text,
        "year": year, "date": entry.get("date") or "", "language": entry.get("language") or "en",
    }
    names = schema_fields(schema)
    return {k: v for k, v in candidates.items() if k in names and v is not None}


def plain_parser(schema):
    """Whoosh's own query parser, configured as the search app configured it before it had a
    parser of its own (the same default fields, field names and plugins), so that plain Whoosh
    parses the workload as the app does; a default one for a schema without those fields."""
    from whoosh import qparser

    names = schema.names()
    if {"title", "body", "names", "author"} <= set(names):
        user_fields = {"title": "title", "text": "body", "body": "body", "author": "author", "kind": "kind",
                       "year": "year", "tag": "names", "tags": "names", "alias": "names", "name": "names"}
        parser = qparser.MultifieldParser(["title", "body", "names", "author"], schema, group=qparser.AndGroup)
        parser.remove_plugin_class(qparser.FieldsPlugin)
        expr = r"(?P<text>" + "|".join(sorted(user_fields, key=len, reverse=True)) + r"):"
        parser.add_plugin(qparser.FieldsPlugin(expr=expr, remove_unknown=True))
        aliases: dict[str, list[str]] = {}
        for typed, real in user_fields.items():
            if typed != real:
                aliases.setdefault(real, []).append(typed)
        parser.add_plugin(qparser.FieldAliasPlugin(aliases))
        parser.add_plugin(qparser.FuzzyTermPlugin())
        parser.remove_plugin_class(qparser.BoostPlugin)
        return parser
    fields = [f for f in ("title", "text", "body") if f in names]
    parser = qparser.MultifieldParser(fields, schema, group=qparser.AndGroup)
    parser.add_plugin(qparser.FuzzyTermPlugin())
    return parser


def plain_filter(schema, query: dict):
    """The Whoosh filter for a workload query's kind / year (documents only)."""
    try:
        from search.backends.base import SearchFilters, SearchQuery
        from search.backends.whoosh.query import combined_filter
    except ImportError:
        from whoosh.query import And, NumericRange, Term

        parts = []
        if query.get("kind") and "kind" in schema.names():
            parts.append(Term("kind", query["kind"]))
        if query.get("year") and "year" in schema.names():
            parts.append(NumericRange("year", query["year"], query["year"]))
        return And(parts) if parts else None
    filters = SearchFilters(kind=query.get("kind") or None, year=query.get("year") or None)
    try:
        from search.parser import parse
    except ImportError:  # a tree whose SearchQuery still took the text
        return combined_filter(SearchQuery(text=query["q"], filters=filters))
    return combined_filter(SearchQuery(tree=parse(query["q"]).tree, filters=filters))


def api_params(query: dict, page: int = 1) -> dict:
    params = {"q": query["q"], "page": page}
    if query.get("kind"):
        params["kind"] = query["kind"]
    if query.get("year"):
        params["year"] = query["year"]
    return params


def direct_search() -> Callable[[dict], int] | None:
    """A function running one workload query through the backend (with snippets and facets, as
    the API asks for them) and returning the number of hits, or None without a search app: through
    ``search.services.find`` (parse, record-name expansion, the search policy, the backend; no
    rows loaded) when the app has it, else through ``get_search_backend().search`` with the query
    built the way the API's service builds it (alias expansions included)."""
    try:
        from search.services import find
    except ImportError:
        find = None
    if find is not None:
        from search.backends.base import SearchFilters

        def run_find(query: dict) -> int:
            filters = SearchFilters(kind=query.get("kind") or None, year=query.get("year") or None)
            return find(user=None, text=query["q"], filters=filters, page_size=PAGE_SIZE).total

        return run_find
    try:
        from search.backends import get_search_backend
        from search.backends.base import SearchFilters, SearchQuery
    except ImportError:
        return None
    backend = get_search_backend()
    build = _service_query_builder()
    try:  # the record-alias expansions the API's service adds to every query
        from search.services import alias_expansions as expansions
    except ImportError:
        expansions = None

    def run(query: dict) -> int:
        if build is not None:
            sq = build(query)
        else:
            filters = SearchFilters(kind=query.get("kind") or None, year=query.get("year") or None)
            sq = SearchQuery(text=query["q"], filters=filters, page_size=PAGE_SIZE,
                             expansions=expansions(query["q"]) if expansions else {})
        return backend.search(sq).total

    return run


def _service_query_builder() -> Callable[[dict], Any] | None:
    """``search.services``' own request -> SearchQuery step, if it has one we can call."""
    try:
        from search import services
    except ImportError:
        return None
    for name in ("build_query", "make_query", "parse_request", "search_query"):
        fn = getattr(services, name, None)
        if callable(fn):
            def build(query: dict, fn=fn):
                from django.contrib.auth.models import AnonymousUser

                params = {k: str(v) for k, v in api_params(query).items()}
                try:
                    return fn(params=params, user=AnonymousUser())
                except TypeError:
                    return fn(params, AnonymousUser())
            return build
    return None
