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
