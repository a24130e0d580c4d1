"""Searching, as the pages and the API use it: parse the query (``search.parser``), rewrite it
for ranking (``search.ranking``: each word's forms and weights, the other names of the records
it names from ``search.names`` / ``search.expansion``, words side by side), build a SearchQuery
with the user's read rule and the limits, run it through the search policy (``search.policy``)
on the configured backend, then load the rows for the hits in one query per type and attach
URLs, titles, deep links and how each hit matched (``search.matching``).

Annotation hits are loaded through the read rule again (the index may lag behind the database)
and their snippets are cut from the comment as loaded, not from the index's copy."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from annotations import presenters, selectors
from annotations.models import EntityType
from annotations.permissions import reader_clauses
from archive_site.models import Document, Record

from . import analysis, matching, names, policy, ranking
from . import snippets as core_snippets
from .backends import get_search_backend
from .backends.base import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    MAX_QUERY_LENGTH,
    FacetValue,
    Hit,
    SearchFilters,
    SearchQuery,
    SearchResults,
)
from .limits import Limits
from .parser import parse
from .tree import Node, Parsed


@dataclass
class ResultItem:
    type: str
    id: int
    title: str
    url: str
    score: float
    snippets: list[dict]
    slug: str = ""
    kind: str = ""
    author: str = ""
    date: str = ""
    extra: dict = field(default_factory=dict)
    matched_as: list[dict] = field(default_factory=list)


@dataclass
class SearchPage:
    query: str
    type: str
    results: SearchResults
    items: list[ResultItem]
    facets: dict[str, list[FacetValue]]
    corrected_from: str | None = None  # the query as typed, when these are a correction's results

    @property
    def count(self) -> int:
        return self.results.total

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.results.total // self.results.page_size))


def _snippets(snippets, base_url: str | None) -> list[dict]:
    out = []
    for s in snippets:
        item = {"html": s.html, "start": s.start, "end": s.end}
        if base_url:
            item["url"] = f"{base_url}#pos={s.start}-{s.end}"
        out.append(item)
    return out


def _load_items(results: SearchResults, entry_type: str, user, max_snippets: int = 3) -> list[ResultItem]:
    """The rows for the hits, in one query per type. Annotations are loaded through the read rule
    again (``annotations.selectors``): the index may be behind the database (a note made private a
    moment ago), and what the reader may see now decides; their snippets are cut from the comment
    as loaded (``results.highlight``: the words the query matched)."""
    hits: tuple[Hit, ...] = results.hits
    ids = [h.pk for h in hits]
    items = []
    if entry_type == "document":
        rows = Document.objects.only("id", "slug", "title", "author", "kind", "date").in_bulk(ids)
        for h in hits:
            d = rows.get(h.pk)
            if d is None:
                continue  # deleted since it was indexed; the index task will catch up
            url = d.get_absolute_url()
            items.append(ResultItem("document", d.pk, d.title, url, h.score, _snippets(h.snippets, url), slug=d.slug,
                                    kind=d.kind, author=d.author, date=d.date))
    elif entry_type == "record":
        rows = Record.objects.only("id", "label", "kind", "start_date").in_bulk(ids)
        for h in hits:
            r = rows.get(h.pk)
            if r is not None:
                items.append(ResultItem("record", r.pk, r.label, r.get_absolute_url(), h.score,
                                        _snippets(h.snippets, None), kind=r.kind))
    else:
        rows = selectors.visible_annotations(user).in_bulk(ids)
        for h in hits:
            a = rows.get(h.pk)
            if a is None:
                continue  # gone, or no longer visible to this reader: the index is catching up
            snippets = core_snippets.make(a.comment, results.highlight, max_snippets, results.phrases)
            items.append(ResultItem(
                "annotation", a.pk, a.target_quote or a.comment[:80], presenters.link(a), h.score,
                _snippets(snippets, None), slug=a.document.slug, kind=a.entity_type.key if a.entity_type_id else "",
                extra=presenters.summary(a),
            ))
    return items


def _label_facets(facets: dict[str, tuple[FacetValue, ...]]) -> dict[str, list[FacetValue]]:
    out = {name: list(values) for name, values in facets.items()}
    if out.get("record"):
        ids = [int(v.value) for v in out["record"] if v.value.isdigit()]
        labels = dict(Record.objects.filter(pk__in=ids).values_list("pk", "label"))
        out["record"] = [FacetValue(v.value, v.count, labels.get(int(v.value), v.value)) for v in out["record"]
                         if v.value.isdigit()]
    if out.get("entity_type"):
        labels = dict(EntityType.objects.values_list("key", "label"))
        out["entity_type"] = [FacetValue(v.value, v.count, labels.get(v.value, v.value)) for v in out["entity_type"]]
    if out.get("decade"):
        out["decade"] = [FacetValue(v.value, v.count, f"{v.value}s") for v in out["decade"]]
    return out


class Prepared:
    """A parsed query and everything the search of it needs (``prepare``)."""

    def __init__(self, parsed: Parsed, sq: SearchQuery, rewrite, words: list[ranking.Word]) -> None:
        self.parsed, self.sq, self.rewrite, self.words = parsed, sq, rewrite, words


def prepare(*, user, text: str, type: str = "document", filters: SearchFilters | None = None, page: int = 1,
            page_size: int = DEFAULT_PAGE_SIZE) -> Prepared:
    """The parsed query and the SearchQuery for the backend, its tree rewritten for ranking.
    Raises QueryError / QueryTooExpensive for queries that cannot be read or would cost too much."""
    limits = Limits.from_settings()
    budget = limits.budget()
    parsed = parse(text[:MAX_QUERY_LENGTH], limits)
    lexicon = names.lexicon()

    def rewrite(tree: Node) -> Node:
        return ranking.rewrite(tree, lexicon).tree

    rewritten = ranking.rewrite(parsed.tree, lexicon)
    sq = SearchQuery(
        tree=rewritten.tree, text=parsed.text, type=type,
        filters=filters or SearchFilters(), access=reader_clauses(user), page=max(1, page),
        page_size=max(1, min(page_size, MAX_PAGE_SIZE)), highlight=type != "annotation", limits=limits,
        budget=budget,
    )
    return Prepared(parsed, sq, rewrite, rewritten.words)


def find(*, user, text: str, **options) -> SearchResults:
    """The backend's answer through the search policy (ids, scores, facets, suggestion), without
    loading rows."""
    backend = get_search_backend()  # index writes still waiting are written before the search's clock starts
    p = prepare(user=user, text=text, **options)
    return policy.run(backend, p.parsed, p.sq, p.rewrite)


def count(*, user, text: str, type: str) -> int:
    """How many entries of ``type`` the query finds as typed (for the page's tabs): one backend
    call, no retry, no suggestion, no facets."""
    backend = get_search_backend()
    p = prepare(user=user, text=text, type=type, page_size=1)
    return backend.search(replace(p.sq, highlight=False, facets=False)).total


def search(*, user, text: str, type: str = "document", filters: SearchFilters | None = None,
           page: int = 1, page_size: int = DEFAULT_PAGE_SIZE, correct: bool = False) -> SearchPage:
    """Raises search.errors.QueryError (QueryTooExpensive included) for queries that cannot be
    read or would cost too much: the views answer 400. ``correct``: when the query finds nothing
    and "did you mean" has a correction, the correction's results (``SearchPage.corrected_from``
    then holds the query as typed)."""
    backend = get_search_backend()  # index writes still waiting are written before the search's clock starts
    p = prepare(user=user, text=text, type=type, filters=filters, page=page, page_size=page_size)
    results = policy.run(backend, p.parsed, p.sq, p.rewrite)
    if correct and results.total == 0 and results.suggestion:
        fixed = search(user=user, text=results.suggestion, type=type, filters=filters, page=page,
                       page_size=page_size)
        if fixed.count:
            fixed.corrected_from = p.parsed.text
            return fixed
    items = _load_items(results, type, user, p.sq.max_snippets)
    phonetic = any(w.startswith(analysis.PHONETIC) for w in results.highlight)  # the search fell back to sound
    for item in items:
        item.matched_as = matching.matched_as(p.words, item.snippets, item.title, phonetic=phonetic)
    dropped = len(results.hits) - len(items)
    if dropped:  # hits the index still had but the reader may no longer see are not counted either
        results = replace(results, total=max(0, results.total - dropped))
    return SearchPage(query=p.parsed.text, type=type, results=results, items=items,
                      facets=_label_facets(results.facets))
