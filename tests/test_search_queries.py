"""Ranking, transliteration, phrases, filters, fuzzy terms, facets and snippets over the seed archive."""

import pytest

from archive_site.models import Document
from search import services
from search.backends.base import QueryError, SearchFilters


def run(text, **kw):
    return services.search(user=None, text=text, **kw)


def slugs(page):
    return [i.slug for i in page.items]


@pytest.mark.django_db
def test_hotel_bristol_ranks_the_lecture_first(seed_index):
    assert slugs(run("Hotel Bristol"))[0] == "moscow-trials-dewey-commission"


@pytest.mark.django_db
def test_deep_battle_ranks_the_blog_post_first(seed_index):
    assert slugs(run("deep battle"))[0] == "stalins-great-purge"


@pytest.mark.django_db
def test_pyatakov_finds_every_document_spelling_piatakov_and_marks_it(seed_index):
    page = run("Pyatakov", page_size=50)
    found = set(slugs(page))
    spelled = {d.slug for d in Document.objects.all() if "Piatakov" in d.text or "Pyatakov" in d.text}
    assert spelled <= found and "great-purge" in found
    item = next(i for i in page.items if i.slug == "great-purge")
    doc = Document.objects.get(slug="great-purge")
    assert any("<mark>Piatakov</mark>" in s["html"] for s in item.snippets)
    for s in item.snippets:
        assert s["url"] == f"/documents/great-purge/#pos={s['start']}-{s['end']}"
        plain = s["html"].replace("<mark>", "").replace("</mark>", "")
        import html
        assert html.unescape(plain) == doc.text[s["start"]:s["end"]]


@pytest.mark.django_db
def test_phrase_matches_only_adjacent_words(seed_index):
    assert slugs(run('"Trial of the Sixteen"')) == ["moscow-trials-dewey-commission"]
    assert run('"Sixteen the of Trial"').count == 0


@pytest.mark.django_db
def test_kind_filter_in_query_and_as_facet(seed_index):
    assert slugs(run("kind:worksheet")) == ["end-of-the-purges"]
    assert slugs(run("purge", filters=SearchFilters(kind="worksheet"))) == ["end-of-the-purges"]


@pytest.mark.django_db
def test_fuzzy_term_tolerates_a_typo(seed_index):
    assert run("Tukachevsky~").count >= 3


@pytest.mark.django_db
def test_year_range_and_prefix(seed_index):
    assert set(slugs(run("year:[2020 TO 2022]"))) == {"stalins-great-purge"}
    assert run("Zinov*").count >= 3


@pytest.mark.django_db
def test_boolean_operators(seed_index):
    both = run("Stalin")
    without = run("Stalin NOT Tukhachevsky")
    assert 0 < without.count < both.count
    assert run("Bristol OR Tukhachevsky").count > run("Bristol").count


@pytest.mark.django_db
def test_facet_counts_agree_with_filtered_counts(seed_index):
    page = run("Stalin")
    for name in ("kind", "author", "decade", "year"):
        for value in page.facets.get(name, []):
            filtered = run("Stalin", filters=SearchFilters(**{name: int(value.value) if name in ("decade", "year") else value.value}))
            assert filtered.count == value.count, (name, value)


@pytest.mark.django_db
def test_did_you_mean_offers_a_close_spelling(seed_index):
    page = run("Bukarin trial")
    assert page.results.suggestion and "bukharin" in page.results.suggestion.lower()


@pytest.mark.django_db
def test_record_alias_expansion_finds_other_spellings(seed_index):
    from archive_site.models import Record

    Record.objects.create(key="test-goltsman", kind="person", label="Eduard Goltsman", aliases=["Holtzman", "Goltsman"])
    doc = Document.objects.create(slug="t", title="T", text="Goltsman was tried in 1936.")
    assert doc.slug in slugs(run("Holtzman"))


@pytest.mark.django_db
@pytest.mark.parametrize("text", ['"unclosed', "((", "title:", "year:[a TO b]", "x" * 5000, "a\x00b\x07c", "AND OR NOT", ")"])
def test_malformed_queries_are_read_or_refused_cleanly(seed_index, text):
    try:
        run(text)
    except QueryError as exc:
        assert str(exc)
