"""The search backends' contract: the same queries over the seed archive give the same top
documents, the same matches and the same permission filtering, whichever backend answers.

Every test runs once per backend (``backend`` parameter); the postgres backend needs the
database to be PostgreSQL (``DATABASE_URL=postgres://...``, as the second CI run does) and is
skipped otherwise. On PostgreSQL, ``test_backends_agree`` also runs each query on both backends
side by side and compares the answers."""

from __future__ import annotations

import html

import pytest
from django.core.management import call_command
from django.db import connection

from annotations.models import AnnotationGroup
from annotations.signals import annotation_changed
from archive_site.models import Document
from search import services
from search.backends import get_search_backend, reset_search_backend
from search.backends.base import SearchFilters

from .factories import AnnotationFactory, UserFactory

BACKENDS = ["whoosh", "postgres"]

# query -> the document that must come first
TOP_DOCUMENT = {
    "Hotel Bristol": "moscow-trials-dewey-commission",
    "deep battle": "stalins-great-purge",
    '"Trial of the Sixteen"': "moscow-trials-dewey-commission",
    "kind:worksheet": "end-of-the-purges",
    "year:[2020 TO 2022]": "stalins-great-purge",
    "Dewey Commission": "moscow-trials-dewey-commission",
    "Yezhov NKVD": "stalins-great-purge",
    # a word as typed counts more than a transliteration variant: the lecture is the one text that
    # spells "Pyatakov"; the encyclopedia article writes "Piatakov" (and is shorter)
    "Pyatakov": "moscow-trials-dewey-commission",
    "Piatakov": "great-purge",
    "Kamenev": "great-purges-podcast",
}
# queries whose set of matching documents must be the same on every backend
SAME_MATCHES = [
    "Stalin", "Pyatakov", "Piatakov", "Yezhov", "Ezhov", "Blücher", "Tukhachevsky", "Zinoviev OR Kamenev",
    "Stalin NOT Tukhachevsky", '"great purge"', "Zinov*", "Tukachevsky~", "author:Williams", "year:1937",
    "show trial", "Holtzman", "title:purges", "kulaks", "NKVD", "Bukharin Rykov", "deep battle",
]


def _use(settings, name: str) -> None:
    if name == "postgres" and connection.vendor != "postgresql":
        pytest.skip("the postgres backend needs DATABASE_URL=postgres://...")
    settings.SEARCH_BACKEND = name
    reset_search_backend()


@pytest.fixture(params=BACKENDS)
def backend(request, settings, search_index):
    _use(settings, request.param)
    yield request.param
    reset_search_backend()


@pytest.fixture
def seeded(backend, seed_archive):
    call_command("rebuild_index", "--no-progress", stdout=open("/dev/null", "w"))
    return backend


def run(text, user=None, **kw):
    return services.search(user=user, text=text, **kw)


def slugs(page):
    return [i.slug for i in page.items]


@pytest.mark.django_db
@pytest.mark.parametrize("text", sorted(TOP_DOCUMENT))
def test_contract_query_ranks_the_expected_document_first(seeded, text):
    assert slugs(run(text))[:1] == [TOP_DOCUMENT[text]]


@pytest.mark.django_db
def test_pyatakov_and_piatakov_find_the_same_documents_and_mark_the_text(seeded):
    with_y, with_i = run("Pyatakov", page_size=50), run("Piatakov", page_size=50)
    assert set(slugs(with_y)) == set(slugs(with_i))
    spelled = {d.slug for d in Document.objects.all() if "Piatakov" in d.text or "Pyatakov" in d.text}
    assert spelled and spelled <= set(slugs(with_y))
    item = next(i for i in with_y.items if i.slug == "great-purge")
    text = Document.objects.get(slug="great-purge").text
    assert any("<mark>Piatakov</mark>" in s["html"] for s in item.snippets)
    for s in item.snippets:
        plain = s["html"].replace("<mark>", "").replace("</mark>", "")
        assert html.unescape(plain) == text[s["start"]:s["end"]]


@pytest.mark.django_db
def test_phrase_needs_adjacent_words_in_order(seeded):
    assert slugs(run('"Trial of the Sixteen"')) == ["moscow-trials-dewey-commission"]
    assert run('"Sixteen the of Trial"').count == 0


@pytest.mark.django_db
def test_prefix_fuzzy_and_suggestion(seeded):
    assert run("Zinov*").count >= 3
    assert run("Tukachevsky~").count >= 3
    suggestion = run("Bukarin trial").results.suggestion
    assert suggestion and "bukharin" in suggestion.lower()
    # Corrections are shown as the texts write the word, not in the index's folded form ("trotski").
    assert run("Trostky").results.suggestion == "Trotsky"
    assert run("Bukarin trial").results.suggestion == "Bukharin trial"
    assert run("Yezov").results.suggestion == "Yezhov"  # the nearest word, not a frequent farther one


@pytest.mark.django_db
def test_facets_and_facet_filters(seeded):
    page = run("Stalin")
    kinds = {v.value: v.count for v in page.facets["kind"]}
    assert kinds.get("worksheet") == 1
    assert slugs(run("purge", filters=SearchFilters(kind="worksheet"))) == ["end-of-the-purges"]
    for value in page.facets.get("decade", []):
        assert run("Stalin", filters=SearchFilters(decade=int(value.value))).count == value.count


@pytest.mark.django_db
def test_plain_words_relax_to_any_word_but_explicit_logic_never_does(seeded):
    relaxed = run("Stalin Zanzibarovich")
    assert relaxed.results.any_word and relaxed.count >= 1
    with_trotsky = {d.slug for d in Document.objects.all() if "Trotsky" in d.text}
    assert with_trotsky
    for text in ("Stalin NOT Trotsky", "Stalin -Trotsky"):
        page = run(text)
        assert not page.results.any_word, text
        assert not set(slugs(page)) & with_trotsky, text
    for text in ("Stalin AND Zanzibarovich", "(Stalin Zanzibarovich)", "+Stalin +Zanzibarovich"):
        page = run(text)
        assert (page.count, page.results.any_word) == (0, False), text


@pytest.mark.django_db
def test_records_are_searched_by_any_spelling(seeded):
    found = run("Yezhov", type="record")
    assert found.count >= 1
    assert any("zhov" in item.title.lower() for item in found.items)


def _annotate(**kw):
    annotation = AnnotationFactory(**kw)
    annotation_changed.send(sender=type(annotation), annotation=annotation, deleted=False)
    return annotation


def _found(user, text):
    return sorted(i.id for i in services.search(user=user, text=text, type="annotation").items)


@pytest.mark.django_db
def test_permission_filtering_is_the_same_on_every_backend(backend, user, other_user, curator):
    group = AnnotationGroup.objects.create(name="readers")
    group.members.add(other_user)
    private = _annotate(creator=user, visibility="private", comment="quagmire private")
    shared = _annotate(creator=user, visibility="group", group=group, comment="quagmire shared")
    public = _annotate(creator=user, visibility="public", comment="quagmire public")
    published = _annotate(creator=user, visibility="public", status="approved", comment="quagmire published")
    everyone = [public.pk, published.pk]
    assert _found(user, "quagmire") == sorted([private.pk, shared.pk, *everyone])
    assert _found(other_user, "quagmire") == sorted([shared.pk, *everyone])
    assert _found(UserFactory(username="stranger"), "quagmire") == sorted(everyone)
    assert _found(None, "quagmire") == [published.pk]  # visitors: published material only
    assert _found(curator, "quagmire") == sorted([shared.pk, *everyone])  # "only me" means only me
    # private words never reach document search
    assert services.search(user=other_user, text="quagmire").count == 0


@pytest.mark.django_db
def test_backends_agree(settings, seed_archive, search_index):
    """On PostgreSQL: every contract query answered by both backends, compared."""
    if connection.vendor != "postgresql":
        pytest.skip("the postgres backend needs DATABASE_URL=postgres://...")
    answers = {}
    for name in BACKENDS:
        _use(settings, name)
        call_command("rebuild_index", "--no-progress", stdout=open("/dev/null", "w"))
        answers[name] = {text: slugs(run(text, page_size=50)) for text in [*TOP_DOCUMENT, *SAME_MATCHES]}
        assert get_search_backend().count("document") == Document.objects.count()
    whoosh, postgres = answers["whoosh"], answers["postgres"]
    for text in TOP_DOCUMENT:
        assert postgres[text][:1] == whoosh[text][:1], text
    for text in SAME_MATCHES:
        assert set(postgres[text]) == set(whoosh[text]), text
    reset_search_backend()
