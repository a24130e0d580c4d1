"""GET /api/search/: shape, filters, pagination, errors (never a 500) and the OpenAPI schema."""

import pytest


@pytest.mark.django_db
def test_search_api_returns_ranked_results_with_snippets_and_facets(api_client, seed_index):
    r = api_client.get("/api/search/", {"q": "Hotel Bristol"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"count", "results", "facets", "suggestion"}
    first = body["results"][0]
    assert first["slug"] == "moscow-trials-dewey-commission" and first["score"] > 0
    snippet = first["snippets"][0]
    assert "<mark>" in snippet["html"] and snippet["url"].endswith(f"#pos={snippet['start']}-{snippet['end']}")
    assert {f["value"] for f in body["facets"]["kind"]} >= {"lecture"}


@pytest.mark.django_db
def test_search_api_filters_and_pages(api_client, seed_index):
    body = api_client.get("/api/search/", {"q": "Stalin", "kind": "worksheet"}).json()
    assert [r["slug"] for r in body["results"]] == ["end-of-the-purges"]
    page1 = api_client.get("/api/search/", {"q": "Stalin", "page_size": 2}).json()
    assert len(page1["results"]) == 2 and page1["next"]
    page3 = api_client.get("/api/search/", {"q": "Stalin", "page_size": 2, "page": 3}).json()
    assert len(page3["results"]) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("q", ['"unclosed', "((", "title:", "x" * 5000, "a\x01\x02b", "", "year:[a TO b]", "NOT"])
def test_malformed_queries_never_500(api_client, seed_index, q):
    r = api_client.get("/api/search/", {"q": q})
    assert r.status_code in (200, 400), r.content
    if r.status_code == 400:
        assert r.json()["detail"]


@pytest.mark.django_db
def test_page_size_is_limited(api_client, seed_index):
    assert api_client.get("/api/search/", {"q": "Stalin", "page_size": 1000}).status_code == 400


@pytest.mark.django_db
def test_search_is_in_the_openapi_schema(api_client):
    r = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert "/api/search/" in r.content.decode()


@pytest.mark.django_db
def test_search_api_answers_exactly_what_its_schema_documents(api_client, seed_index):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["components"]["schemas"]
    body = api_client.get("/api/search/", {"q": "Stalin", "page_size": 2}).json()
    assert set(body) == set(schema["SearchOutput"]["properties"])
    result = body["results"][0]
    assert set(result) == set(schema["Result"]["properties"]) - {"extra"}
    assert result["url"] == "http://testserver" + result["path"] and body["next"].startswith("http://testserver/")
    assert set(result["snippets"][0]) == set(schema["Snippet"]["properties"])
    facet = body["facets"]["kind"][0]
    assert set(facet) == set(schema["FacetValue"]["properties"])
    note = api_client.get("/api/search/", {"q": "Stalin", "type": "record"}).json()
    assert all(set(r) <= set(schema["Result"]["properties"]) for r in note["results"])
