"""The /search/ page: results with snippets, facets as links, pagination, no JavaScript needed."""

import pytest


@pytest.mark.django_db
def test_search_page_shows_results_snippets_and_facets(client, seed_index):
    r = client.get("/search/", {"q": "Pyatakov"})
    assert r.status_code == 200
    html = r.content.decode()
    assert "<mark>Piatakov</mark>" in html or "<mark>Pyatakov</mark>" in html
    assert "#pos=" in html and "?q=Pyatakov&amp;kind=" in html


@pytest.mark.django_db
def test_search_page_escapes_the_query_and_refuses_bad_input_without_500(client, seed_index):
    r = client.get("/search/", {"q": "<script>alert(1)</script>"})
    assert r.status_code == 200 and "<script>alert(1)" not in r.content.decode()
    assert client.get("/search/", {"q": "(("}).status_code in (200, 400)
    assert client.get("/search/").status_code == 200


@pytest.mark.django_db
def test_search_page_did_you_mean_links(client, seed_index):
    html = client.get("/search/", {"q": "Bukarin trial"}).content.decode()
    assert "Did you mean" in html
