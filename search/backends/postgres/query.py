"""From the neutral tree (``search.tree``) to SQL: ``tsquery`` text for words, phrases and
prefixes (with weights for fields), SQL conditions for ``kind:`` and ``year:``; prefix, wildcard
and fuzzy terms looked up in the vocabulary table within ``search.limits`` (at most
``max_expansions_per_term`` words each, ``max_expansions_per_query`` in all, else
``QueryTooExpensive``). Also the facet filters and the visibility rule of
``annotations.permissions``. The tree's words are already folded and stemmed by
``search.analysis``, exactly as the tsvectors were written (``storage``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from search import tree as t
from search.backends.base import Access, SearchFilters, SearchQuery
from search.errors import QueryError, QueryTooExpensive
from search.limits import Limits

from .storage import WEIGHTS, quote_lexeme

ALL_WEIGHTS = "".join(WEIGHTS[f] for f in t.DEFAULT_FIELDS)
NEAR_MAX = 10  # a phrase with a slop up to this is words within that distance (<1> | ... | <slop>); beyond, all of them

__all__ = ["Compiled", "compile_query", "filter_sql"]


@dataclass
class Compiled:
    """A query as SQL: ``where`` (with ``params``) selects matching entries; ``rank`` the tsqueries
    for ts_rank_cd, each with its weight (the words that count for relevance, grouped by their
    ``boost``); ``highlight`` the indexed words it matches in the text and ``phrases`` the phrases,
    for snippets."""

    where: str
    params: list
    rank: list[tuple[float, str, bool]]  # (weight, tsquery, a phrase): the score is the weighted sum of their ts_rank_cd
    highlight: set[str] = field(default_factory=set)
    phrases: list[tuple[tuple[str, ...], int]] = field(default_factory=list)
    fell_back: bool = False  # a Fallback compiled its second part


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
    def __init__(self, limits: Limits):
        self.limits = limits
        self.rank_parts: list[tuple[float, str, bool]] = []  # (boost, tsquery, a phrase)
        self.highlight: set[str] = set()
        self.phrases: list[tuple[tuple[str, ...], int]] = []
        self.expanded = 0
        self.fell_back = False

    # --- leaves ------------------------------------------------------------------------------

    @staticmethod
    def _fields(node) -> tuple[str, ...]:
        return t.DEFAULT_FIELDS if node.field is None else (node.field,)

    def _word(self, fieldname: str, word: str, *, negated: bool, prefix: bool = False, boost: float = 1.0) -> _Ts | _Sql:
        if fieldname == "kind":
            return _Sql("e.kind_vector @@ %s::tsquery", [quote_lexeme(word) + (":*" if prefix else "")])
        weight = WEIGHTS.get(fieldname)
        if weight is None:
            return NOTHING
        text = f"{quote_lexeme(word)}:{'*' if prefix else ''}{weight}"
        if fieldname == "body" and not negated and not prefix:
            self.highlight.add(word)
        if not negated:
            self.rank_parts.append((boost, text, False))
        return _Ts(text)

    def _each_field(self, node, make) -> object:
        return self._combine("|", [make(f) for f in self._fields(node)])

    def _vocabulary(self, node, sql: str, params: list) -> list[str]:
        """The vocabulary words a prefix / wildcard / fuzzy node stands for, within the limits."""
        limit = self.limits.max_expansions_per_term
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT term FROM search_searchterm WHERE {sql} ORDER BY term LIMIT %s", [*params, limit + 1])
            words = [r[0] for r in cursor.fetchall()]
        if len(words) > limit:
            raise QueryTooExpensive(f"{_shown(node)} stands for more than {limit} indexed words; "
                                    "make it narrower (more letters before the *, a smaller ~ distance)")
        self.expanded += len(words)
        if self.expanded > self.limits.max_expansions_per_query:
            raise QueryTooExpensive(f"its wildcards and fuzzy terms stand for more than "
                                    f"{self.limits.max_expansions_per_query} indexed words; use fewer or narrower ones")
        return words

    def _any_of(self, node, words: list[str], negated: bool):
        """Any of ``words`` in the node's field (the default fields: any weight)."""
        if not words:
            return NOTHING
        if node.field is None:
            if not negated:
                self.highlight.update(words)
            text = "(" + " | ".join(f"{quote_lexeme(w)}:{ALL_WEIGHTS}" for w in words) + ")"
            if not negated:
                self.rank_parts.append((1.0, text, False))
            return _Ts(text)
        return self._combine("|", [self._word(node.field, w, negated=negated) for w in words])

    def _year(self, low, high) -> _Sql:
        parts, params = [], []
        if low is not None:
            parts.append("e.year >= %s")
            params.append(int(low))
        if high is not None:
            parts.append("e.year <= %s")
            params.append(int(high))
        return _Sql("(" + " AND ".join(parts or ["e.year IS NOT NULL"]) + ")", params)

    def _phrase(self, fieldname: str, node: t.Phrase, negated: bool):
        if fieldname == "kind":
            text = " <-> ".join(quote_lexeme(w) for w in node.words)
            return _Sql("e.kind_vector @@ %s::tsquery", [text])
        weight = WEIGHTS.get(fieldname)
        if weight is None:
            return NOTHING
        lexemes = [f"{quote_lexeme(w)}:{weight}" for w in node.words]
        if node.slop <= 1:
            text = "(" + " <-> ".join(lexemes) + ")"
        elif node.slop <= NEAR_MAX and len(lexemes) > 1:  # each word within ``slop`` of the one before
            text = "(" + " & ".join("(" + " | ".join(f"{a} <{k}> {b}" for k in range(1, node.slop + 1)) + ")"
                                    for a, b in zip(lexemes, lexemes[1:], strict=False)) + ")"
        else:
            text = "(" + " & ".join(lexemes) + ")"
        if fieldname == "body" and not negated:
            self.phrases.append((node.words, node.slop))
        if not negated:
            self.rank_parts.append((node.boost, text, True))
        return _Ts(text)

    # --- the tree ----------------------------------------------------------------------------

    def visit(self, node: t.Node, negated: bool = False):
        if isinstance(node, t.Term):
            return self._each_field(node, lambda f: self._word(f, node.text, negated=negated, boost=node.boost))
        if isinstance(node, t.Fallback):
            return self._fallback(node, negated)
        if isinstance(node, t.Phrase):
            return self._each_field(node, lambda f: self._phrase(f, node, negated))
        if isinstance(node, t.Prefix):
            words = self._vocabulary(node, "term LIKE %s", [_like_escape(node.text) + "%"])
            if not words:
                return NOTHING
            if not negated and any(f == "body" for f in self._fields(node)):
                self.highlight.update(words)
            return self._each_field(node, lambda f: self._word(f, node.text, negated=negated, prefix=True))
        if isinstance(node, t.Fuzzy):
            n, d = len(node.text), node.distance
            sql = "length(term) BETWEEN %s AND %s AND levenshtein_less_equal(term, %s, %s) <= %s"
            params = [n - d, n + d, node.text, d, d]
            if node.prefix:
                sql += " AND term LIKE %s"
                params.append(_like_escape(node.text[: node.prefix]) + "%")
            return self._any_of(node, self._vocabulary(node, sql, params), negated)
        if isinstance(node, t.Wildcard):
            pattern = "".join("%" if ch == "*" else "_" if ch == "?" else _like_escape(ch) for ch in node.pattern)
            return self._any_of(node, self._vocabulary(node, "term LIKE %s", [pattern]), negated)
        if isinstance(node, t.YearRange):
            return self._year(node.low, node.high)
        if isinstance(node, t.Not):
            return self._negate(self.visit(node.item, not negated))
        if isinstance(node, t.AndMaybe):  # the required part decides; the optional one only ranks
            required = self.visit(node.required, negated)
            self.visit(node.optional, negated)
            return required
        if isinstance(node, t.And):
            return self._combine("&", [self.visit(c, negated) for c in node.items])
        if isinstance(node, t.Or):
            return self._combine("|", [self.visit(c, negated) for c in node.items])
        raise QueryError("The query could not be read.")  # a node type this backend does not know

    def _fallback(self, node: t.Fallback, negated: bool):
        """The first part, unless no entry holds any of its words: then the second."""
        saved = (len(self.rank_parts), set(self.highlight), len(self.phrases))
        primary = self.visit(node.primary, negated)
        if primary is not NOTHING and not (isinstance(primary, _Ts) and not _any_entry(primary.text)):
            return primary
        del self.rank_parts[saved[0]:]
        del self.phrases[saved[2]:]
        self.highlight = saved[1]
        secondary = self.visit(node.secondary, negated)
        self.fell_back = self.fell_back or secondary is not NOTHING
        return secondary

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


def _shown(node) -> str:
    if isinstance(node, t.Fuzzy):
        return f"'{node.text}~{node.distance}'"
    return f"'{node.text}*'" if isinstance(node, t.Prefix) else f"'{node.pattern}'"


def like_prefix(text: str) -> str:
    """A LIKE pattern for words beginning with ``text``."""
    return _like_escape(text) + "%"


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _any_entry(tsquery: str) -> bool:
    """Whether any entry's vector matches ``tsquery`` (one probe of the GIN index)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM search_searchentry e WHERE e.vector @@ %s::tsquery)", [tsquery])
        return bool(cursor.fetchone()[0])


def _rank(parts: list[tuple[float, str, bool]], whole: str | None) -> list[tuple[float, str, bool]]:
    """The rank parts grouped by weight (and whether they are phrases). When the whole query is
    one tsquery it stands for the plain words (cover density then sees how close they are); the
    weighted forms and phrases add to it."""
    groups: dict[tuple[float, bool], list[str]] = {}
    for boost, text, phrase in parts:
        groups.setdefault((boost, phrase), []).append(text)
    out = [(1.0, whole, False)] if whole else []
    for (boost, phrase), texts in sorted(groups.items()):
        if whole and boost == 1.0 and not phrase:
            continue
        out.append((boost, " | ".join(dict.fromkeys(texts)), phrase))
    return out


def compile_query(tree: t.Node, limits: Limits) -> Compiled:
    compiler = _Compiler(limits)
    node = compiler.visit(tree)
    if isinstance(node, _Ts):
        return Compiled("e.vector @@ %s::tsquery", [node.text], _rank(compiler.rank_parts, node.text),
                        compiler.highlight, compiler.phrases, compiler.fell_back)
    return Compiled(node.sql, node.params, _rank(compiler.rank_parts, None), compiler.highlight, compiler.phrases,
                    compiler.fell_back)


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
