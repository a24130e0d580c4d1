import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/", "/records/", "/api/documents/", "/accounts/login/", "/api/docs/"])
def test_every_page_sends_security_headers(client, url):
    response = client.get(url)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_api_docs_load_nothing_from_a_cdn(client):
    html = client.get("/api/docs/").content.decode()
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


@override_settings(MAX_REQUEST_BYTES=1000)
def test_oversized_request_body_is_refused_with_413(client):
    response = client.post("/api/documents/", data="x" * 2000, content_type="application/json")
    assert response.status_code == 413
    assert "larger than the limit" in response.json()["detail"]


@override_settings(LOGIN_THROTTLE_ATTEMPTS=3)
def test_repeated_failed_sign_ins_are_throttled(client, user):
    from django.core.cache import cache

    cache.clear()
    for _ in range(3):
        response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
        assert response.status_code == 200
    response = client.post("/accounts/login/", {"username": "alice", "password": "correct horse battery staple"})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    cache.clear()
    response = client.post("/accounts/login/", {"username": "alice", "password": "correct horse battery staple"})
    assert response.status_code == 302
