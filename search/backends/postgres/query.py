"""From a SearchQuery to SQL: the query language is read by the same parser as the Whoosh backend
(``search.backends.whoosh.query.parse``: pure Python, it needs no index, and its terms are already
folded and stemmed by ``search.analysis``), so both backends understand a query identically. The
parsed tree is then compiled here into ``tsquery`` text (words, phrases, prefixes, weights for
fields) and SQL conditions (``kind:``, ``year:``, fuzzy terms and wildcards looked up in the
vocabulary), plus the facet filters and the visibility rule of ``annotations.permissions``."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from whoosh import query as wq

from search.backends.base import Access, SearchFilters, SearchQuery
from search.backends.whoosh.query import expand, parse
from search.backends.whoosh.schema import make_schema

from .storage import WEIGHTS, quote_lexeme

SCHEMA = make_schema()
MAX_EXPANSIONS = 256  # vocabulary words one fuzzy term / wildcard / range may stand for

__all__ = ["Compiled", "compile_query", "expand", "filter_sql", "parse"]


@dataclass
class Compiled:
    """A query as SQL: ``where`` (with ``params``) selects matching entries; ``rank`` is a tsquery
    for ts_rank_cd (the words that count for relevance); ``body_words`` / ``body_prefixes`` are
    what snippets mark in the text."""

    where: str
    params: list
    rank: str | None
    body_words: set[str] = field(default_factory=set)
    body_prefixes: set[str] = field(default_factory=set)


class _Ts:
    """A node that is pure tsquery text."""

    def __init__(self, text: str):
        self.text = text


class _Sql:
    def __init__(self, sql: str, params: list):
        self.sql, self.params = sql, params


NOTHING = _Sql("FALSE", [])
EVERYTHING = _Sql("TRUE", [])


def _as_sql(node, column: str = "e.vector") -> _Sql:
    if isinstance(node, _Ts):
        return _Sql(f"{column} @@ %s::tsquery", [node.text])
    return node


class _Compiler:
    def __init__(self):
        self.rank_parts: list[str] = []
        self.body_words: set[str] = set()
        self.body_prefixes: set[str] = set()
        self._vocabulary_cache: dict[tuple, list[str]] = {}

    # --- leaves ------------------------------------------------------------------------------

    def _weight(self, fieldname: str) -> str | None:
        return WEIGHTS.get(fieldname)

    def _word(self, fieldname: str, word: str, *, negated: bool, prefix: bool = False) -> _Ts | _Sql:
        if fieldname == "kind":
            node = _Sql("e.kind_vector @@ %s::tsquery", [quote_lexeme(word) + (":*" if prefix else "")])
            return node
        weight = self._weight(fieldname)
        if weight is None:
            return NOTHING
        text = f"{quote_lexeme(word)}:{'*' if prefix else ''}{weight}"
        if fieldname == "body":
            (self.body_prefixes if prefix else self.body_words).add(word)
        if not negated:
            self.rank_parts.append(text)
        return _Ts(text)

    def _vocabulary(self, sql: str, params: list) -> list[str]:
        key = (sql, tuple(params))
        if key not in self._vocabulary_cache:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT term FROM search_searchterm WHERE {sql} ORDER BY term LIMIT {MAX_EXPANSIONS}",
                               params)
                self._vocabulary_cache[key] = [r[0] for r in cursor.fetchall()]
        return self._vocabulary_cache[key]

    def _any_of(self, fieldname: str, words: list[str], negated: bool):
        nodes = [self._word(fieldname, w, negated=negated) for w in words]
        return self._combine("|", nodes) if nodes else NOTHING

    def _year(self, low, high, low_excl=False, high_excl=False) -> _Sql:
        parts, params = [], []
        if low is not None:
            parts.append("e.year >" + ("" if low_excl else "=") + " %s")
            params.append(int(low))
        if high is not None:
            parts.append("e.year <" + ("" if high_excl else "=") + " %s")
            params.append(int(high))
        return _Sql("(" + " AND ".join(parts or ["e.year IS NOT NULL"]) + ")", params)

    # --- the tree ----------------------------------------------------------------------------

    def visit(self, q, negated: bool = False):
        t = type(q)
        if q is wq.NullQuery or isinstance(q, wq.qcore._NullQuery):
            return NOTHING
        if isinstance(q, wq.Every):
            return EVERYTHING
        if isinstance(q, wq.Not):
            return self._negate(self.visit(q.query, not negated))
        if isinstance(q, wq.AndNot):
            return self._combine("&", [self.visit(q.a, negated), self._negate(self.visit(q.b, not negated))])
        if isinstance(q, wq.AndMaybe):  # required part decides; the optional one only ranks
            required = self.visit(q.a, negated)
            self.visit(q.b, negated)
            return required
        if isinstance(q, wq.And):
            return self._combine("&", [self.visit(c, negated) for c in q.subqueries])
        if isinstance(q, wq.Or | wq.DisjunctionMax):
            return self._combine("|", [self.visit(c, negated) for c in q.subqueries])
        if isinstance(q, wq.NumericRange):
            if q.fieldname != "year":
                return NOTHING
            return self._year(q.start, q.end, q.startexcl, q.endexcl)
        if t is wq.Term:
            if q.fieldname == "year":
                year = SCHEMA["year"].from_bytes(q.text) if isinstance(q.text, bytes) else int(q.text)
                return self._year(year, year)
            return self._word(q.fieldname, q.text, negated=negated)
        if isinstance(q, wq.Phrase):
            if len(q.words) == 1:
                return self._word(q.fieldname, q.words[0], negated=negated)
            if q.fieldname == "kind":
                text = " <-> ".join(quote_lexeme(w) for w in q.words)
                return _Sql("e.kind_vector @@ %s::tsquery", [text])
            weight = self._weight(q.fieldname)
            if weight is None:
                return NOTHING
            glue = " <-> " if q.slop <= 1 else " & "
            text = "(" + glue.join(f"{quote_lexeme(w)}:{weight}" for w in q.words) + ")"
            if q.fieldname == "body":
                self.body_words.update(q.words)
            if not negated:
                self.rank_parts.append(text)
            return _Ts(text)
        if isinstance(q, wq.Prefix):
            return self._word(q.fieldname, q.text, negated=negated, prefix=True)
        if isinstance(q, wq.FuzzyTerm):
            n, d = len(q.text), q.maxdist
            sql = "length(term) BETWEEN %s AND %s AND levenshtein(term, %s) <= %s"
            params = [n - d, n + d, q.text, d]
            if q.prefixlength:
                sql += " AND term LIKE %s"
                params.append(_like_escape(q.text[: q.prefixlength]) + "%")
            words = self._vocabulary(sql, params)
            return self._any_of(q.fieldname, sorted(set(words) | {q.text}), negated)
        if isinstance(q, wq.Wildcard):
            pattern = "".join("%" if ch == "*" else "_" if ch == "?" else _like_escape(ch) for ch in q.text)
            return self._any_of(q.fieldname, self._vocabulary("term LIKE %s", [pattern]), negated)
        if isinstance(q, wq.TermRange):
            parts, params = [], []
            if q.start:
                parts.append("term >" + ("" if q.startexcl else "=") + " %s")
                params.append(q.start)
            if q.end:
                parts.append("term <" + ("" if q.endexcl else "=") + " %s")
                params.append(q.end)
            return self._any_of(q.fieldname, self._vocabulary(" AND ".join(parts or ["TRUE"]), params), negated)
        return NOTHING  # a query type the language cannot produce

    # --- combining ---------------------------------------------------------------------------

    @staticmethod
    def _negate(node):
        if isinstance(node, _Ts):
            return _Ts(f"!({node.text})")
        if node is EVERYTHING:
            return NOTHING
        if node is NOTHING:
            return EVERYTHING
        return _Sql(f"NOT ({node.sql})", node.params)

    @staticmethod
    def _combine(op: str, nodes: list):
        absorbing, neutral = (NOTHING, EVERYTHING) if op == "&" else (EVERYTHING, NOTHING)
        if any(n is absorbing for n in nodes):
            return absorbing
        nodes = [n for n in nodes if n is not neutral]
        if not nodes:
            return neutral
        if len(nodes) == 1:
            return nodes[0]
        if all(isinstance(n, _Ts) for n in nodes):
            return _Ts("(" + f" {op} ".join(n.text for n in nodes) + ")")
        # Keep the tsquery parts together (one index condition), SQL parts beside them.
        ts = [n for n in nodes if isinstance(n, _Ts)]
        parts = ([_as_sql(_Ts("(" + f" {op} ".join(n.text for n in ts) + ")"))] if ts else [])
        parts += [n for n in nodes if not isinstance(n, _Ts)]
        glue = " AND " if op == "&" else " OR "
        return _Sql("(" + glue.join(p.sql for p in parts) + ")", [x for p in parts for x in p.params])


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def compile_query(parsed) -> Compiled:
    compiler = _Compiler()
    node = compiler.visit(parsed)
    if isinstance(node, _Ts):
        # The whole query is one tsquery: rank with it (cover density then sees proximity).
        return Compiled("e.vector @@ %s::tsquery", [node.text], node.text, compiler.body_words, compiler.body_prefixes)
    rank = " | ".join(compiler.rank_parts) or None
    return Compiled(node.sql, node.params, rank, compiler.body_words, compiler.body_prefixes)


def filter_sql(sq: SearchQuery, *, with_facets: bool = True) -> tuple[str, list]:
    """Entry type, facet filters and (for annotations) the visibility rule, as SQL."""
    parts, params = ["e.entry_type = %s"], [sq.type]
    if with_facets:
        f_sql, f_params = facet_filter_sql(sq.filters)
        parts += f_sql
        params += f_params
    if sq.type == "annotation":
        a_sql, a_params = access_sql(sq.access)
        parts.append(a_sql)
        params += a_params
    return " AND ".join(parts), params


def facet_filter_sql(filters: SearchFilters) -> tuple[list[str], list]:
    parts, params = [], []
    if filters.kind:
        parts.append("e.kind = %s")
        params.append(filters.kind)
    if filters.author:
        parts.append("e.author = %s")
        params.append(filters.author)
    if filters.year is not None:
        parts.append("e.year = %s")
        params.append(filters.year)
    if filters.decade is not None:
        parts.append("e.year >= %s AND e.year < %s")
        params += [filters.decade, filters.decade + 10]
    if filters.record is not None:
        parts.append("e.record_ids @> %s::jsonb")
        params.append(f"[{int(filters.record)}]")
    if filters.entity_type:
        parts.append("e.entity_types @> jsonb_build_array(%s::text)")
        params.append(filters.entity_type)
    return parts, params


def access_sql(access: Access) -> tuple[str, list]:
    """The reader's rule (``annotations.permissions``) as SQL on the entry's columns."""
    allowed, params = [], []
    for clause in access:
        parts = []
        if clause.visibility is not None:
            parts.append("e.visibility = ANY(%s)")
            params.append(sorted(clause.visibility))
        if clause.statuses is not None:
            parts.append("e.status = ANY(%s)")
            params.append(sorted(clause.statuses))
        if clause.creator_id is not None:
            parts.append("e.creator_id = %s")
            params.append(clause.creator_id)
        if clause.group_ids is not None:
            parts.append("e.group_id = ANY(%s)")
            params.append(sorted(clause.group_ids))
        allowed.append("(" + " AND ".join(parts) + ")" if parts else "TRUE")
    return "(" + (" OR ".join(allowed) or "FALSE") + ")", params
