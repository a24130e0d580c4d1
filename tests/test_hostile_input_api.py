"""Schemathesis against the OpenAPI schema (/api/schema/): generated requests to every operation
(valid and invalid by the schema; reads anonymous, writes with an API token) never get a 5xx.
Bounded (EXAMPLES per operation and mode) so that the run takes about a minute; in process,
through the WSGI application."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from annotations.models import AnnotationGroup
from archive_site.models import Document
from config.throttling import ArchiveRateThrottle
from tests.factories import AnnotationFactory, UserFactory

pytestmark = pytest.mark.django_db
EXAMPLES = 20
TOKEN = "f" * 40


@pytest.fixture
def api(seed_archive, settings, monkeypatch):
    settings.ALLOWED_HOSTS = ["*"]
    monkeypatch.setitem(ArchiveRateThrottle.THROTTLE_RATES, "write", "100000/min")
    monkeypatch.setitem(ArchiveRateThrottle.THROTTLE_RATES, "search", "100000/min")
    user = UserFactory(username="fuzzer")
    AnnotationGroup.objects.create(name="readers").members.add(user)
    document = Document.objects.order_by("pk").first()
    for owner in (user, UserFactory(username="someone")):  # small ids exist: generated ids hit real rows
        AnnotationFactory(creator=owner, document=document, visibility="private")
    Token.objects.create(user=user, key=TOKEN)
    # As Django's test client does: the raw WSGI handler would close the connection after each
    # request, which on PostgreSQL ends the test's transaction (SQLite's in-memory one survives).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_no_generated_request_to_any_operation_gets_a_server_error(api):
    tried: dict[str, int] = {}
    failures: list[str] = []
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 15, [op.label for op in operations]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def fuzz(case):
                headers = {} if case.method.upper() in ("GET", "HEAD") else {"Authorization": f"Token {TOKEN}"}
                response = case.call(headers=headers)
                tried[case.operation.label] = tried.get(case.operation.label, 0) + 1
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: "
                                    f"{response.text[:300]}")
                case.validate_response(response, checks=(not_a_server_error,))

            try:
                fuzz()
            except Unsatisfiable:  # nothing in this operation can be made invalid (no parameters)
                continue
            except Exception as exc:  # noqa: BLE001 - collected, reported together below
                if not failures:
                    failures.append(f"{operation.label} ({mode.value}): {str(exc)[:500]}")
    print(f"schemathesis: {len(operations)} operations, {sum(tried.values())} requests")
    assert not failures, "\n".join(failures)
    assert sum(tried.values()) >= 10 * len(operations), tried


# --- text no database can store --------------------------------------------------------------------

SURROGATE = '"\\ud800"'  # JSON for a lone UTF-16 surrogate: valid JSON, not valid Unicode


def test_a_lone_surrogate_is_a_400_on_every_write_route(seed_archive, curator):
    from django.test import Client

    from annotations.models import Annotation, EntityType
    from archive_site.models import Record

    annotation = AnnotationFactory(document=Document.objects.order_by("pk").first(), creator=curator,
                                   visibility="public")
    record = Record.objects.order_by("pk").first()
    before = (Annotation.objects.count(), EntityType.objects.count(), list(Annotation.objects.values_list("comment")))
    client = Client()
    client.force_login(curator)
    anno = (f'{{"type": "Annotation", "bodyValue": {SURROGATE}, "target": {{"source": '
            f'"/documents/{annotation.document.slug}/", "selector": {{"type": "TextQuoteSelector", "exact": "Stalin"}}}}}}')
    routes = [
        ("post", "/api/annotations/", anno),
        ("put", f"/api/annotations/{annotation.pk}/", anno),
        ("post", f"/api/annotations/{annotation.pk}/review/", f'{{"status": "rejected", "reason": {SURROGATE}}}'),
        ("post", "/api/annotations/review/",
         f'{{"ids": [{annotation.pk}], "status": "rejected", "reason": {SURROGATE}}}'),
        ("post", "/api/entity-types/", f'{{"key": "weapon", "label": {SURROGATE}}}'),
        ("post", "/api/annotations/import/", f"[{anno}]"),
        ("post", f"/api/records/{record.pk}/merge/", f'{{"into": {SURROGATE}}}'),
    ]
    for method, path, body in routes:
        for content_type in ("application/json", "application/ld+json"):
            response = getattr(client, method)(path, body, content_type=content_type)
            assert response.status_code == 400, (path, content_type, response.status_code, response.content[:300])
            assert "surrogate" in response.json()["detail"], response.json()
    upload = client.post("/api/annotations/import/", {"file": _file(f"[{anno}]")})
    assert upload.status_code == 400 and "surrogate" in upload.json()["detail"]
    after = (Annotation.objects.count(), EntityType.objects.count(), list(Annotation.objects.values_list("comment")))
    assert after == before  # nothing stored or half-written


def _file(content: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("annotations.jsonld", content.encode("utf-8"), content_type="application/ld+json")
