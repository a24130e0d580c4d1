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


@override_settings(MAX_REQUEST_BYTES=1000)
@pytest.mark.parametrize("path", ["/api/annotations/", "/accounts/login/", "/documents/x/"])
def test_refusals_before_any_view_still_forbid_framing(client, path):
    """The size limit answers before Django's XFrameOptionsMiddleware runs; its 413 (and the 400 for
    a Content-Length that is not a number) must still forbid framing and carry the other headers."""
    refusals = [(413, client.post(path, data="x" * 2000, content_type="application/json")),
                (400, client.post(path, data="x", content_type="application/json", CONTENT_LENGTH="many"))]
    for status, response in refusals:
        assert response.status_code == status
        assert response["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
        assert response["X-Content-Type-Options"] == "nosniff"


@override_settings(LOGIN_THROTTLE_ATTEMPTS=3)
def test_repeated_failed_sign_ins_are_throttled(client, user):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import Attempt

    for _ in range(3):
        response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
        assert response.status_code == 200
    response = client.post("/accounts/login/", {"username": "alice", "password": "correct horse battery staple"})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    Attempt.objects.update(at=timezone.now() - timedelta(minutes=6))  # the 5-minute window has passed
    response = client.post("/accounts/login/", {"username": "alice", "password": "correct horse battery staple"})
    assert response.status_code == 302


def _assert_headers(response, path):
    csp = response.get("Content-Security-Policy", "")
    script_src = next((part for part in csp.split(";") if part.strip().startswith("script-src")), "")
    assert script_src and "unsafe-inline" not in script_src and "unsafe-eval" not in script_src, (path, csp)
    assert "frame-ancestors 'none'" in csp, path
    assert response.get("X-Content-Type-Options") == "nosniff", path
    assert response.get("Referrer-Policy") == "same-origin", path
    assert response.get("X-Frame-Options") == "DENY", path


def test_every_route_sends_security_headers_whatever_the_answer(client, curator):
    """Every URL pattern (and 404s, refusals and the size limit's 413) for a visitor and a curator."""
    from tests.factories import AnnotationFactory, DocumentFactory, RecordFactory
    from tests.test_access_control import _concrete, _patterns

    document = DocumentFactory(slug="doc")
    annotation = AnnotationFactory(document=document, creator=curator, visibility="public")
    record = RecordFactory()
    curator.is_staff = curator.is_superuser = True
    curator.save()
    samples = {"pk": str(annotation.pk), "int": str(record.pk), "slug": "doc", "name": "readers", "history_id": "1",
               "str": "doc", "path": "archive_site/document/", "object_id": str(document.pk)}
    paths = {p for p in (_concrete(route, samples) for route, _ in _patterns()) if p}
    paths |= {"/no-such-page/", "/documents/missing/", "/api/annotations/999999/", "/search/?q=%22"}
    assert len(paths) > 30
    signed_in = type(client)()
    signed_in.force_login(curator)
    for who in (client, signed_in):
        for path in sorted(paths):
            _assert_headers(who.get(path), path)
    with override_settings(MAX_REQUEST_BYTES=10):
        _assert_headers(client.post("/api/annotations/", data="x" * 100, content_type="application/json"), "413")
