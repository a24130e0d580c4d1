"""Snippet marks are read from the index's stored character offsets, not by analysing the text
again; they must be exactly the words analysing the text would mark, at the same str offsets."""

import pytest

from search import analysis
from search.backends import get_search_backend, reset_search_backend
from search.backends.base import IndexEntry, SearchQuery
from search.backends.whoosh import query as q_mod
from search.backends.whoosh import results as r_mod

BODIES = {
    1: "😀 Blu\u0308cher met Pyatakov at the trial. 👩‍👩‍👧 Later Blücher wrote to Piatakoff about the trials.",
    2: "The trial of the sixteen: Zinoviev, Kamenev. " + "Filler words between the marks. " * 20
       + "Zinovyev spoke last; Pyatakov was tried in January.",
    3: "Nothing here names anyone, but the trial is mentioned once.",
    4: "Ελληνικά and Blucher, then ещё Yezhov and Ezhov; a trial by 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 standards.",
}


@pytest.fixture
def several_segments(search_index, settings):
    """Each entry committed on its own (several segments), and entry 1 written twice so that an
    older segment holds a deleted copy of it. Always the Whoosh backend (whose snippet code this
    tests), also in the PostgreSQL run: it needs no database."""
    settings.SEARCH_BACKEND = "whoosh"
    reset_search_backend()
    backend = get_search_backend()
    for pk, body in [(1, "an older version of this document about Pyatakov"), *BODIES.items()]:
        backend.index([IndexEntry(type="document", pk=pk, stamp="", title=f"Document {pk}", body=body)])
    return backend


@pytest.mark.parametrize("text", ["Blucher", "Pyatakov", "trial*", '"Blücher wrote"', "Zinovyev~", "trial Ezhov"])
def test_snippet_marks_from_the_index_equal_those_of_analysing_the_text(several_segments, text):
    backend = several_segments
    results = backend.search(SearchQuery(text=text))
    assert results.hits
    searcher = backend._searcher()
    assert len(searcher.reader().leaf_readers()) > 1
    terms = q_mod.body_terms(q_mod.parse(searcher.schema, text), searcher.reader())
    for hit in results.hits:
        body = BODIES[hit.pk]
        assert hit.snippets == r_mod.snippets(body, terms, 3)  # the same as re-analysing the text
        assert hit.snippets
        for snippet in hit.snippets:
            for start, end in snippet.marks:
                assert snippet.start <= start < end <= snippet.end
                assert analysis.fold_word(body[start:end]) in terms or text.endswith("*")


def test_marked_words_lists_every_occurrence_in_text_order(several_segments):
    searcher = several_segments._searcher()
    results = searcher.search(q_mod.parse(searcher.schema, "Pyatakov"), limit=None)
    by_pk = {hit["pk"]: hit.docnum for hit in results}
    marks = r_mod.marked_words(searcher.reader(), by_pk.values(), {analysis.fold_word("Pyatakov")})
    body = BODIES[1]
    assert [body[s:e] for s, e in marks[by_pk[1]]] == ["Pyatakov", "Piatakoff"]
    assert marks[by_pk[1]] == sorted(marks[by_pk[1]])
    assert [BODIES[2][s:e] for s, e in marks[by_pk[2]]] == ["Pyatakov"]
