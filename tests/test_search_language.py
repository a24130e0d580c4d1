"""The query language as ``search.parser`` reads it into the neutral tree (no index needed): words
analysed as the index analyses them, operators and their precedence, fields, phrases, prefixes,
wildcards, fuzzy terms, ranges, and what is lenient, refused or too expensive."""

from __future__ import annotations

import pytest

from search.errors import QueryError, QueryTooExpensive
from search.parser import parse
from search.tree import And, AndMaybe, Fuzzy, Not, Or, Phrase, Prefix, Term, Wildcard, YearRange


def tree(text: str):
    return parse(text).tree


def test_words_are_analysed_as_the_index_analyses_them_and_all_must_match():
    assert tree("Pyatakov Blücher trials") == And((Term("piatakov"), Term("blucher"), Term("trial")))
    term = tree("Yezhov")
    assert (term.text, term.typed, term.span) == ("ezhov", "Yezhov", (0, 6))


def test_or_binds_tighter_than_words_side_by_side_and_not_tightest():
    assert tree("Stalin Trotsky OR Bukharin") == And((Term("stalin"), Or((Term("trotski"), Term("bukharin")))))
    assert tree("a AND b OR c") == Or((And((Term("a"), Term("b"))), Term("c")))
    assert tree("Stalin NOT Trotsky") == tree("Stalin -Trotsky") == tree("Stalin ANDNOT Trotsky")
    assert tree("Stalin -Trotsky") == And((Term("stalin"), Not(Term("trotski"))))
    assert tree("+Stalin +Trotsky") == tree("Stalin Trotsky")
    assert tree("Stalin ANDMAYBE Trotsky") == AndMaybe(Term("stalin"), Term("trotski"))
    assert tree("NOT NOT Stalin") == Term("stalin")


def test_explicit_logic_is_never_relaxed_to_any_word():
    assert parse("Stalin Zanzibarovich").relaxable
    for text in ("Stalin AND Zanzibarovich", "(Stalin Zanzibarovich)", "+Stalin +Zanzibarovich", "Stalin -Trotsky",
                 "Stalin OR Trotsky", "Stalin"):
        assert not parse(text).relaxable, text
    assert parse("Stalin Trotsky", any_word=True).tree == Or((Term("stalin"), Term("trotski")), any_word=True)


def test_fields_apply_to_the_next_word_phrase_or_group():
    assert tree("title:purges Stalin") == And((Term("purg", "title"), Term("stalin")))
    assert tree("tag:trial author:Williams text:kulaks") == And(
        (Term("trial", "names"), Term("william", "author"), Term("kulak", "body")))
    assert tree('title:"Great Purge"') == Phrase(("great", "purg"), "title")
    assert tree("kind:(worksheet OR lecture)") == Or((Term("worksheet", "kind"), Term("lectur", "kind")))
    assert tree("Title:Purges") == Term("purg", "title")
    assert tree("note:Stalin") == Phrase(("note", "stalin"))  # not a field: plain text


def test_phrases_slop_and_words_that_analyse_into_several():
    assert tree('"Trial of the Sixteen"') == Phrase(("trial", "of", "the", "sixteen"))
    assert tree('"Stalin Trotsky"~5') == Phrase(("stalin", "trotski"), slop=5)
    # an apostrophe standing for a soft sign: the phrase of the parts, or the word they spell
    assert tree("Zinov’ev") == Or((Term("zinovev"), Phrase(("zinov", "ev"))))
    assert tree("Kirov's") == Phrase(("kirov", "s"))  # an English clitic: the phrase only
    assert tree("1936-38") == Phrase(("1936", "38"))
    assert tree('"Zinov’ev"') == Phrase(("zinov", "ev"))  # quoted: as typed
    assert tree('"unclosed phrase') == Phrase(("unclos", "phrase"))
    assert tree('"Bukharin"') == Term("bukharin")


def test_prefixes_wildcards_and_question_marks():
    assert tree("Zinov*") == Prefix("zinov")
    assert tree("Yezh*") == Prefix("ezh")  # folded, not stemmed
    assert tree("Zin?viev") == Wildcard("zin?vev")
    assert tree("Zin**ev") == Wildcard("zin*ev")
    assert tree("Who was Yezhov?") == And((Term("who"), Term("wa"), Term("ezhov")))  # a question mark


def test_fuzzy_terms_and_their_capped_distance():
    assert tree("Tukachevsky~") == Fuzzy("tukachevski", 1)
    assert tree("Tukachevsky~2/3") == Fuzzy("tukachevski", 2, 3)
    assert tree("Tukhachevsky~5") == Fuzzy("tukhachevski", 2)  # Limits.max_fuzzy_distance
    assert tree("Tukhachevsky~0") == Term("tukhachevski")


def test_year_fields_and_ranges():
    assert tree("year:1937") == YearRange(1937, 1937)
    assert tree("year:[1936 TO 1938]") == YearRange(1936, 1938)
    assert tree("year:{1936 TO 1938}") == YearRange(1937, 1937)
    assert tree("year:[1936 TO]") == YearRange(1936, None)
    assert tree("year:(1936 OR 1937)") == Or((YearRange(1936, 1936), YearRange(1937, 1937)))
    for text in ("year:[a TO b]", "year:abc", "[1936 TO 1938]", "title:[a TO c]"):
        with pytest.raises(QueryError):
            parse(text)


def test_lenient_where_a_reading_is_obvious():
    assert tree("(Stalin Trotsky") == And((Term("stalin"), Term("trotski")))
    assert tree("Stalin)") == Term("stalin")
    assert tree("Stalin AND") == And((Term("stalin"), Term("and")))  # an operator with nothing to act on
    assert tree("title: Stalin") == Term("stalin")


@pytest.mark.parametrize("text", ["", "   ", "((", ")", "title:", "!!!", "\x00\x07"])
def test_nothing_to_search_for_is_a_query_error(text):
    with pytest.raises(QueryError) as error:
        parse(text)
    assert str(error.value)


@pytest.mark.parametrize("text, reason", [
    ("*a*", "begins with a wildcard"),
    ("?*?*?*", "begins with a wildcard"),
    ("(" * 9 + "Stalin", "parentheses inside each other"),
    (" ".join(f"w{i}" for i in range(65)), "at most 64 are searched at once"),
    ("x" * 41 + "~", "longer than 40 letters"),
])
def test_what_would_cost_too_much_is_refused_before_any_search(text, reason):
    with pytest.raises(QueryTooExpensive) as error:
        parse(text)
    assert str(error.value).startswith("query too expensive: ") and reason in str(error.value)
