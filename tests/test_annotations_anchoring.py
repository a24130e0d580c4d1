"""Anchoring: a selector is checked against the text; after a text edit, annotations are found
again (exact, then nearest fuzzy match) or kept and marked orphaned, never dropped."""

from __future__ import annotations

import pytest

from annotations import anchoring, services
from annotations.models import Annotation
from annotations.signals import annotation_changed
from tests.factories import AnnotationFactory, DocumentFactory

TEXT = "In 1936 Zinoviev 🙂 and Kamenev were tried. Bukharin followed in 1938. Zinoviev had been Lenin's ally."


def test_check_selector_accepts_a_matching_quote_with_code_point_offsets():
    start = TEXT.index("and Kamenev")
    anchoring.check_selector(TEXT, start=start, end=start + 11, quote="and Kamenev")


@pytest.mark.parametrize(
    "start, end, quote, message",
    [
        (8, 16, "Kamenev!", "does not match"),
        (8, 4, None, "reversed"),
        (-2, 4, None, "negative"),
        (5, 5, None, "empty"),
        (90, 500, None, "outside the text"),
    ],
)
def test_check_selector_rejects_bad_ranges_with_a_clear_message(start, end, quote, message):
    with pytest.raises(anchoring.AnchorError, match=message):
        anchoring.check_selector(TEXT, start=start, end=end, quote=quote)


def test_locate_prefers_the_occurrence_whose_context_matches():
    second = TEXT.rindex("Zinoviev")
    prefix, suffix = anchoring.context(TEXT, second, second + 8)
    found = anchoring.locate(TEXT, quote="Zinoviev", prefix=prefix, suffix=suffix, hint=0)
    assert (found.start, found.end, found.exact) == (second, second + 8, True)


def test_locate_finds_a_slightly_edited_quote_by_fuzzy_match():
    edited = TEXT.replace("Bukharin followed", "Bukharin folowed")
    start = TEXT.index("Bukharin followed")
    prefix, suffix = anchoring.context(TEXT, start, start + 17)
    found = anchoring.locate(edited, quote="Bukharin followed", prefix=prefix, suffix=suffix, hint=start)
    assert found is not None and not found.exact
    assert edited[found.start : found.end] == "Bukharin folowed"


def test_locate_gives_up_when_the_passage_is_gone():
    assert anchoring.locate("Nothing about the trials here.", quote="Bukharin followed", prefix="x", suffix="y") is None


@pytest.mark.django_db
def test_editing_a_documents_text_reanchors_moves_and_orphans_never_drops():
    document = DocumentFactory(text=TEXT)

    def annotate(word, nth=0):
        start = TEXT.index(word) if nth == 0 else TEXT.rindex(word)
        return AnnotationFactory(document=document, target_start=start, target_end=start + len(word))

    first_zinoviev, bukharin, lenin, kamenev = annotate("Zinoviev"), annotate("Bukharin followed"), annotate("Lenin's ally"), annotate("Kamenev")
    second_zinoviev = annotate("Zinoviev", nth=1)
    seen = []
    annotation_changed.connect(lambda sender, annotation, deleted, **kw: seen.append(annotation.pk), weak=False, dispatch_uid="t")
    try:
        document.text = "PREFACE. " + TEXT.replace("Kamenev", "Kamenyev and others").replace("Lenin's ally", "a rival")
        document.save()
    finally:
        annotation_changed.disconnect(dispatch_uid="t")
    new = document.text
    assert Annotation.objects.count() == 5
    for a in (first_zinoviev, bukharin, second_zinoviev):
        a.refresh_from_db()
        assert a.anchor_state == "anchored"
        assert new[a.target_start : a.target_end] == a.target_quote
    assert first_zinoviev.target_start == new.index("Zinoviev")
    assert second_zinoviev.target_start == new.rindex("Zinoviev")
    kamenev.refresh_from_db()
    assert kamenev.anchor_state == "anchored" and kamenev.target_quote == "Kamenyev"  # nearest (fuzzy) match
    lenin.refresh_from_db()
    assert lenin.anchor_state == "orphaned" and lenin.target_quote == "Lenin's ally"
    assert lenin.target_start is None
    assert set(seen) == {first_zinoviev.pk, bukharin.pk, lenin.pk, kamenev.pk, second_zinoviev.pk}


@pytest.mark.django_db
def test_saving_a_document_without_a_text_change_touches_no_annotation():
    document = DocumentFactory(text=TEXT)
    a = AnnotationFactory(document=document, target_start=8, target_end=16)
    before, versions = a.modified, a.history.count()
    document.title = "New title"
    document.save()
    a.refresh_from_db()
    assert a.modified == before and a.history.count() == versions


@pytest.mark.django_db
def test_preview_reanchor_counts_without_writing():
    document = DocumentFactory(text=TEXT)
    AnnotationFactory(document=document, target_start=TEXT.index("Zinoviev"), target_end=TEXT.index("Zinoviev") + 8)
    start = TEXT.index("Bukharin")
    AnnotationFactory(document=document, target_start=start, target_end=start + 8)
    start = TEXT.index("Lenin's ally")
    AnnotationFactory(document=document, target_start=start, target_end=start + 12)
    new_text = TEXT.replace("In 1936 ", "").replace("Lenin's ally", "nobody")
    report = services.preview_reanchor(document, new_text)
    assert (report.kept, report.moved, report.orphaned) == (0, 2, 1)
    assert services.preview_reanchor(document, TEXT) == services.ReanchorReport(kept=3)
    assert not Annotation.objects.filter(anchor_state="orphaned").exists()


@pytest.mark.django_db
def test_orphaned_annotations_come_back_when_the_text_returns():
    document = DocumentFactory(text=TEXT)
    start = TEXT.index("Bukharin")
    a = AnnotationFactory(document=document, target_start=start, target_end=start + 8)
    document.text = "Something else entirely."
    document.save()
    a.refresh_from_db()
    assert a.anchor_state == "orphaned"
    document.text = TEXT
    document.save()
    a.refresh_from_db()
    assert (a.anchor_state, a.target_start) == ("anchored", start)
