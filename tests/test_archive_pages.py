import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from archive_site.models import Document, Record
from archive_site.views import names_query, paragraphs

from .factories import DocumentFactory

pytestmark = pytest.mark.django_db


def test_home_lists_the_five_documents(client, seed_archive):
    html = client.get("/").content.decode()
    for document in Document.objects.all():
        assert document.get_absolute_url() in html
    assert "Fred Williams" in html
    assert "encyclopedia article" in html


def test_document_page_shows_paragraphs_with_offsets(client, seed_archive):
    document = Document.objects.get(slug="end-of-the-purges")
    response = client.get(document.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<p data-start=") > 5
    for block in paragraphs(document.text):
        assert document.text[block["start"] : block["end"]] == block["text"]


def test_document_text_is_escaped(client):
    document = DocumentFactory(title="<script>alert(1)</script>", text="<img src=x onerror=alert(1)>")
    html = client.get(document.get_absolute_url()).content.decode()
    assert "<img src=x" not in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_markdown_headings_become_headings(client):
    document = DocumentFactory(text="## Part one\n\nSome text.")
    html = client.get(document.get_absolute_url()).content.decode()
    assert 'class="doc-heading"' in html and "Part one" in html


def test_record_page_shows_label_aliases_and_dates(client, seed_archive):
    record = Record.objects.exclude(aliases=[]).exclude(start_date="").first()
    html = client.get(record.get_absolute_url()).content.decode()
    assert record.label in html
    assert record.aliases[0] in html
    assert record.start_date in html


def test_merged_record_redirects_to_survivor(client, seed_archive):
    survivor, merged = Record.objects.all()[:2]
    merged.merged_into = survivor
    merged.save()
    response = client.get(merged.get_absolute_url())
    assert response.status_code == 301 and response["Location"] == survivor.get_absolute_url()


def test_unknown_pages_are_404(client, db):
    assert client.get("/documents/nope/").status_code == 404
    assert client.get("/records/12345/").status_code == 404


def test_record_page_links_to_a_search_for_every_spelling_of_its_name(client, seed_archive):
    record = Record.objects.get(key="holtzman-eduard")
    html = client.get(record.get_absolute_url()).content.decode()
    link = re.search(r'<p class="record-search"><a href="([^"]+)"', html).group(1)
    query = parse_qs(urlsplit(unescape(link)).query)["q"][0]
    assert '"Eduard Holtzman"' in query and '"Goltsman"' in query and " OR " in query
    results = client.get(unescape(link))
    assert results.status_code == 200
    assert Document.objects.get(slug="moscow-trials-dewey-commission").get_absolute_url() in results.content.decode()


def test_names_query_stays_within_the_search_limit():
    record = Record(label="A", aliases=[f"Alias number {n}" for n in range(100)])
    query = names_query(record)
    assert query.startswith('"A" OR "Alias number 0"')
    assert len(query) <= 500 and query.count('"') % 2 == 0


# ---- a record's page: the annotated mentions, then the passages nobody has annotated yet --------------

PASSAGE = re.compile(r'<li class="passage" data-document="([^"]+)" data-start="(\d+)" data-end="(\d+)">')
ZINOVIEV = re.compile(r"\bZinov(?:iev|yev|'ev|ev)\b")


def passages(html: str) -> list[tuple[str, int, int]]:
    return [(slug, int(s), int(e)) for slug, s, e in PASSAGE.findall(html)]


def heading_count(html: str, title: str) -> int:
    return int(re.search(rf"{title} <span class=\"count\">\((\d+)\)</span>", html).group(1))


def link_zinoviev(document, start, end, **fields):
    from annotations.models import Annotation

    annotation = Annotation.objects.create(
        document=document, target_start=start, target_end=end, target_quote=document.text[start:end], **fields)
    annotation.records.set([Record.objects.get(key="zinoviev-grigory")])
    return annotation


def test_a_record_page_lists_every_passage_naming_it_that_nobody_has_annotated(client, seed_index):
    record = Record.objects.get(key="zinoviev-grigory")
    html = client.get(record.get_absolute_url()).content.decode()
    found = passages(html)
    documents = {d.slug: d for d in Document.objects.all()}
    expected = sum(len(ZINOVIEV.findall(d.text)) for d in documents.values())
    assert expected >= 10 and heading_count(html, "Not annotated yet") == len(found) == expected
    names = {record.label, *record.aliases}
    for slug, start, end in found:
        quote = documents[slug].text[start:end]
        assert ZINOVIEV.search(quote) and " ".join(quote.split()) in names, quote
    assert heading_count(html, "Annotated mentions") == 0
    # Visitors may read them, and are offered to sign in rather than an "annotate" they cannot use.
    assert "annotate-link" not in html and "to annotate them" in html


def test_an_annotated_mention_leaves_the_list_but_an_unseen_private_note_does_not(client, seed_index, user, other_user):
    record = Record.objects.get(key="zinoviev-grigory")
    html = client.get(record.get_absolute_url()).content.decode()
    (slug, start, end), (slug2, start2, end2), *rest = passages(html)
    first, second = Document.objects.get(slug=slug), Document.objects.get(slug=slug2)
    link_zinoviev(first, start, end, creator=other_user, visibility="private")  # bob's own: alice never sees it
    link_zinoviev(second, start2 - 3 if start2 >= 3 else start2, end2, creator=other_user, visibility="public",
                  status="approved")
    client.force_login(user)
    html = client.get(record.get_absolute_url()).content.decode()
    now = passages(html)
    assert (slug, start, end) in now and (slug2, start2, end2) not in now
    assert len(now) == len(rest) + 1
    assert heading_count(html, "Annotated mentions") == 1
    annotate = f'href="{first.get_absolute_url()}#pos={start}-{end}&amp;annotate&amp;record={record.pk}"'
    assert annotate in html


def test_a_record_the_texts_never_name_has_no_passages(client, seed_index):
    record = Record.objects.create(key="nobody", kind="person", label="Xavier Quokkaman", aliases=["Quokkaman"])
    html = client.get(record.get_absolute_url()).content.decode()
    assert passages(html) == [] and heading_count(html, "Not annotated yet") == 0
    assert "The search finds no other passage naming Xavier Quokkaman." in html
