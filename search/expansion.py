"""Record-name expansion on the neutral tree: a query word that names a person or place record
also searches the record's other names (Holtzman finds Goltsman).

``search.services.alias_expansions`` looks the names up (it knows the records); ``expand`` here
applies them: each word of the default or text fields whose indexed form is a key becomes an OR
of itself and the other names (a one-word name as a term, a longer one as a phrase)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from . import analysis
from .tree import DEFAULT_FIELDS, And, AndMaybe, Node, Not, Or, Phrase, Term, walk

MAX_ALTERNATIVES = 16  # other spellings added for one word


def words(tree: Node) -> list[str]:
    """The words as typed (of terms and phrases the user wrote), for looking names up."""
    out: list[str] = []
    for node, negated in walk(tree):
        if negated:
            continue
        if isinstance(node, Term) and node.typed:
            out.append(node.typed)
        elif isinstance(node, Phrase):
            out.extend(node.typed)
    return out


def _alternatives(expansions: Mapping[str, Iterable[str]]) -> dict[str, list[tuple[str, ...]]]:
    """indexed form of a word -> the indexed forms of its other names (each a tuple of words)."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for word, others in expansions.items():
        key = analysis.fold_word(word)
        for other in others:
            folded = tuple(analysis.fold_text(other))
            if folded and folded != (key,) and folded not in out.setdefault(key, []):
                out[key].append(folded)
    return {k: v[:MAX_ALTERNATIVES] for k, v in out.items() if v}


def expand(tree: Node, expansions: Mapping[str, Iterable[str]]) -> Node:
    """``tree`` with each term that has other spellings replaced by an OR of them all."""
    alternatives = _alternatives(expansions)
    if not alternatives:
        return tree

    def visit(node: Node) -> Node:
        if isinstance(node, Term):
            if (node.field is None or node.field in DEFAULT_FIELDS) and node.text in alternatives:
                alts: list[Node] = [node]
                for other in alternatives[node.text]:
                    alts.append(Term(other[0], node.field) if len(other) == 1 else Phrase(other, node.field))
                return Or(tuple(alts))
            return node
        if isinstance(node, And):
            return And(tuple(visit(c) for c in node.items))
        if isinstance(node, Or):
            return Or(tuple(visit(c) for c in node.items), any_word=node.any_word)
        if isinstance(node, Not):
            return Not(visit(node.item))
        if isinstance(node, AndMaybe):
            return AndMaybe(visit(node.required), visit(node.optional))
        return node

    return visit(tree)
