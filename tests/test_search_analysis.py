"""The one analysis definition: case/accent folding, transliteration folding, offsets."""

import pytest

from search import analysis

SPELLINGS = [
    ("Pyatakov", "Piatakov"), ("Pyatakov", "Piatakoff"), ("Zinoviev", "Zinovyev"), ("Yezhov", "Ezhov"),
    ("Yagoda", "Iagoda"), ("Tukhachevsky", "Tukhachevskii"), ("Tukhachevsky", "Tukhachevski"),
    ("Blyukher", "Bliukher"), ("Yevdokimov", "Evdokimov"), ("Blücher", "Blucher"), ("Nikolayevich", "Nikolaevich"),
]


@pytest.mark.parametrize(("one", "other"), SPELLINGS)
def test_transliteration_variants_fold_to_one_form(one, other):
    assert analysis.fold_word(one) == analysis.fold_word(other)


def test_case_and_accents_fold():
    assert analysis.fold_word("BLÜCHER") == analysis.fold_word("blucher")
    assert analysis.fold_word("Blu\u0308cher") == analysis.fold_word("Blucher")


def test_stemming_matches_english_forms():
    assert analysis.fold_word("trials") == analysis.fold_word("trial")


def test_different_names_stay_different():
    assert analysis.fold_word("Zinoviev") != analysis.fold_word("Kamenev")
    assert analysis.fold_word("Yagoda") != analysis.fold_word("Yezhov")


def test_token_offsets_are_code_point_indices_with_emoji_and_combining_marks():
    text = "😀 Blu\u0308cher met 👩‍👩‍👧 Pyatakov."
    tokens = list(analysis.analyze(text))
    for token in tokens:
        assert text[token.start:token.end] == token.original
    assert [t.original for t in tokens] == ["Blu\u0308cher", "met", "Pyatakov"]
