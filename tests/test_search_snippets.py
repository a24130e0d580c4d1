"""Snippet marks are read from the index's stored character offsets, not by analysing the text
again; they must be exactly the words analysing the text would mark (``search.snippets``), at the
same str offsets."""

import pytest

from search import analysis, snippets
from search.backends import get_search_backend, reset_search_backend
from search.backends.base import IndexEntry, SearchQuery
from search.backends.whoosh import query as q_mod
from search.backends.whoosh import results as r_mod
from search.parser import parse

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
    results = backend.search(SearchQuery(tree=parse(text).tree))
    assert results.hits
    searcher = backend._searcher()
    assert len(searcher.reader().leaf_readers()) > 1
    terms = results.highlight
    for hit in results.hits:
        body = BODIES[hit.pk]
        assert hit.snippets == snippets.make(body, terms, 3, results.phrases)  # the same as re-analysing the text
        assert hit.snippets
        phrase_words = {w for phrase, _ in results.phrases for w in phrase}
        for snippet in hit.snippets:
            for start, end in snippet.marks:
                assert snippet.start <= start < end <= snippet.end
                assert set(analysis.forms(body[start:end])) & (terms | phrase_words)


def test_marked_words_lists_every_occurrence_in_text_order(several_segments):
    searcher = several_segments._searcher()
    compiled = q_mod.compile_tree(searcher.reader(), SearchQuery(tree=parse("Pyatakov").tree))
    results = searcher.search(compiled.query, limit=None)
    by_pk = {hit["pk"]: hit.docnum for hit in results}
    marks = r_mod.marked_words(searcher.reader(), by_pk.values(), {analysis.fold_word("Pyatakov")})
    body = BODIES[1]
    assert [body[s:e] for s, e in marks[by_pk[1]]] == ["Pyatakov", "Piatakoff"]
    assert marks[by_pk[1]] == sorted(marks[by_pk[1]])
    assert [BODIES[2][s:e] for s, e in marks[by_pk[2]]] == ["Pyatakov"]


# --- annotation hits: snippets of the comment as the reader may see it now -----------------------


@pytest.fixture(params=["whoosh", "postgres"])
def either_backend(request, settings, search_index):
    from django.db import connection

    if request.param == "postgres" and connection.vendor != "postgresql":
        pytest.skip("the postgres backend needs DATABASE_URL=postgres://...")
    settings.SEARCH_BACKEND = request.param
    reset_search_backend()
    yield request.param
    reset_search_backend()


@pytest.mark.django_db
def test_annotation_snippets_are_cut_from_the_current_comment_not_the_index_copy(either_backend, user):
    from annotations.models import Annotation
    from annotations.signals import annotation_changed
    from search import services

    from .factories import AnnotationFactory

    note = AnnotationFactory(creator=user, visibility="private", comment="Zeppelin sighting over the Kremlin")
    annotation_changed.send(sender=Annotation, annotation=note, deleted=False)
    before = services.search(user=user, text="zeppelin", type="annotation").items
    assert [i.id for i in before] == [note.pk] and "Kremlin" in before[0].snippets[0]["html"]
    # Edited without the index being told (its worker stopped): a bare UPDATE.
    Annotation.objects.filter(pk=note.pk).update(comment="Zeppelin: the airship theory, <b>revised</b>")
    items = services.search(user=user, text="zeppelin", type="annotation").items
    assert [i.id for i in items] == [note.pk]
    (snippet,) = items[0].snippets
    assert snippet["html"] == "<mark>Zeppelin</mark>: the airship theory, &lt;b&gt;revised&lt;/b&gt;"
    assert (snippet["start"], snippet["end"]) == (0, len("Zeppelin: the airship theory, <b>revised</b>"))
    assert "Kremlin" not in str(items[0].snippets)
