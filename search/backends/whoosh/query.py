"""From a SearchQuery to Whoosh query objects: parsing (with the shared analyzer), record-alias
expansion, facet filters and the visibility filter."""

from __future__ import annotations

import re

from whoosh import qparser, query
from whoosh.qparser import MultifieldParser

from search import analysis
from search.backends.base import Access, QueryError, SearchFilters, SearchQuery

DEFAULT_FIELDS = ["title", "body", "names", "author"]
# The field names a user may type ("title:..."); anything else before a colon is plain text.
USER_FIELDS = {"title": "title", "text": "body", "body": "body", "author": "author", "kind": "kind",
               "year": "year", "tag": "names", "tags": "names", "alias": "names", "name": "names"}
FIELD_EXPR = r"(?P<text>" + "|".join(sorted(USER_FIELDS, key=len, reverse=True)) + r"):"


_PLUS_MINUS = re.compile(r"(^|[\s(])([-+])(?=[\w\"(])")


def make_parser(schema, *, any_word: bool = False) -> MultifieldParser:
    group = qparser.OrGroup.factory(0.9) if any_word else qparser.AndGroup
    parser = MultifieldParser(DEFAULT_FIELDS, schema, group=group)
    parser.remove_plugin_class(qparser.FieldsPlugin)
    parser.add_plugin(qparser.FieldsPlugin(expr=FIELD_EXPR, remove_unknown=True))
    aliases: dict[str, list[str]] = {}
    for typed, real in USER_FIELDS.items():
        if typed != real:
            aliases.setdefault(real, []).append(typed)
    parser.add_plugin(qparser.FieldAliasPlugin(aliases))
    parser.add_plugin(qparser.FuzzyTermPlugin())
    parser.remove_plugin_class(qparser.BoostPlugin)  # "^" is rarely meant as a boost in prose
    return parser


def _errors(q) -> list[str]:
    found = []
    if getattr(q, "error", None):
        found.append(str(q.error))
    for child in q.children() if hasattr(q, "children") else ():
        found.extend(_errors(child))
    return found


def parse(schema, text: str, *, any_word: bool = False) -> query.Query:
    """Parse the user's query; QueryError (with a message for the user) when it cannot be read."""
    text = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    # Web-search habits: "-word" excludes, "+word" requires (words are required anyway).
    text = _PLUS_MINUS.sub(lambda m: m.group(1) + ("NOT " if m.group(2) == "-" else ""), text)
    if not text:
        raise QueryError("The query is empty.")
    try:
        q = make_parser(schema, any_word=any_word).parse(text)
    except Exception as exc:  # whoosh's parser raises assorted errors on odd input
        raise QueryError(f"The query could not be read: {exc}") from exc
    errors = _errors(q)
    if errors:
        raise QueryError("The query could not be read: " + "; ".join(errors))
    if q is query.NullQuery or isinstance(q, query.qcore._NullQuery):
        raise QueryError("The query has no words to search for.")
    return q


def expand(q: query.Query, expansions: dict[str, tuple[str, ...]]) -> query.Query:
    """Replace each term whose word has other spellings (record aliases) by an OR of them all."""
    if not expansions:
        return q
    folded: dict[str, list[list[str]]] = {}
    for word, alternatives in expansions.items():
        key = analysis.fold_word(word)
        for alt in alternatives:
            words = analysis.fold_text(alt)
            if words and words != [key]:
                folded.setdefault(key, [])
                if words not in folded[key]:
                    folded[key].append(words)
    if not folded:
        return q

    def visit(node):
        if type(node) is query.Term and node.fieldname in DEFAULT_FIELDS and node.text in folded:
            alts = [node]
            for words in folded[node.text]:
                if len(words) == 1:
                    alts.append(query.Term(node.fieldname, words[0], boost=node.boost))
                else:
                    alts.append(query.Phrase(node.fieldname, words, boost=node.boost))
            return query.Or(alts)
        return node.apply(visit)

    return visit(q)


def type_filter(entry_type: str) -> query.Query:
    return query.Term("type", entry_type)


def facet_filters(filters: SearchFilters) -> list[query.Query]:
    terms = []
    if filters.kind:
        terms.append(query.Term("kind_f", filters.kind))
    if filters.author:
        terms.append(query.Term("author_f", filters.author))
    if filters.year is not None:
        terms.append(query.Term("year_f", str(filters.year)))
    if filters.decade is not None:
        terms.append(query.Term("decade_f", str(filters.decade)))
    if filters.record is not None:
        terms.append(query.Term("records_f", str(filters.record)))
    if filters.entity_type:
        terms.append(query.Term("entity_f", filters.entity_type))
    return terms


def _any_of(fieldname: str, values) -> query.Query:
    return query.Or([query.Term(fieldname, str(v)) for v in sorted(values)])


def access_filter(access: Access) -> query.Query:
    """The reader's rule (``annotations.permissions``) as a filter on the index's fields."""
    allowed = []
    for clause in access:
        parts = []
        if clause.visibility is not None:
            parts.append(_any_of("visibility", clause.visibility))
        if clause.statuses is not None:
            parts.append(_any_of("status", clause.statuses))
        if clause.creator_id is not None:
            parts.append(query.Term("creator_f", str(clause.creator_id)))
        if clause.group_ids is not None:
            parts.append(_any_of("group_f", clause.group_ids))
        allowed.append(query.And(parts) if parts else query.Every())
    return query.Or(allowed) if allowed else query.NullQuery


def combined_filter(sq: SearchQuery) -> query.Query:
    parts = [type_filter(sq.type), *facet_filters(sq.filters)]
    if sq.type == "annotation":
        parts.append(access_filter(sq.access))
    return query.And(parts)


def body_terms(q: query.Query, reader) -> set[str]:
    """The indexed words (after expanding prefixes and fuzzy terms) the query matches in the text,
    for highlighting."""
    terms: set[str] = set()
    try:
        for fieldname, text in q.iter_all_terms(phrases=True):
            if fieldname == "body":
                terms.add(text.decode("utf-8") if isinstance(text, bytes) else text)
        for fieldname, text in q.existing_terms(reader, phrases=True, expand=True):
            if fieldname == "body":
                terms.add(text.decode("utf-8") if isinstance(text, bytes) else text)
    except Exception:  # noqa: BLE001 - highlighting is best effort; the hits stand without it
        return terms
    return terms
