"""Access control: CSRF on every session-authenticated write (API and pages), revocable API tokens,
throttling of writes, searches and sign-ins, and no way to learn that someone's private annotation
exists (404 exactly as for an id that was never used: detail, history, replies, review, restore,
search)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from annotations.models import Annotation, AnnotationGroup
from config.throttling import ArchiveRateThrottle
from tests.factories import AnnotationFactory, DocumentFactory, RecordFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # throttle counters
    yield
    cache.clear()


# --- CSRF -----------------------------------------------------------------------------------------


def _patterns(resolvers=None, prefix=""):
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _concrete(route: str, samples: dict[str, str]) -> str | None:
    """A path for a route (``api/annotations/<int:pk>/``), filling converters from ``samples``."""
    if route.startswith("^") or "(?P" in route:  # admin's regex routes: covered by admin/<path>
        route = route.lstrip("^").rstrip("$")
        if "(?P" in route:
            return None
    path = route
    for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", route):
        value = samples.get(name) or samples.get(converter or "str")
        if value is None:
            return None
        path = re.sub(rf"<(?:\w+:)?{name}>", value, path, count=1)
    return "/" + path


@pytest.fixture
def world(user, other_user, curator):
    document = DocumentFactory(slug="trial")
    record = RecordFactory()
    group = AnnotationGroup.objects.create(name="readers", created_by=user)
    group.members.add(user)
    mine = AnnotationFactory(document=document, creator=user, visibility="public")
    secret = AnnotationFactory(document=document, creator=other_user, visibility="private", comment="bob's secret")
    return {"document": document, "record": record, "group": group, "mine": mine, "secret": secret}


def _snapshot():
    from django.apps import apps

    return {m._meta.label: m._base_manager.count() for m in apps.get_models() if m._meta.app_label != "sessions"}


def test_every_session_authenticated_write_without_a_csrf_token_is_refused(world, user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    history_id = str(Annotation.history.filter(id=world["mine"].pk).values_list("history_id", flat=True).first() or 1)
    samples = {"int": str(world["mine"].pk), "pk": str(world["mine"].pk), "slug": world["document"].slug,
               "name": world["group"].name, "history_id": history_id, "path": "auth/user/", "str": "x",
               "object_id": str(user.pk)}
    before = _snapshot()
    tried = 0
    for route, _pattern in _patterns():
        path = _concrete(route, samples)
        if path is None:
            continue
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(path, data="{}", content_type="application/json")
            tried += 1
            assert response.status_code == 403, f"{method.upper()} {path} answered {response.status_code} without a CSRF token"
    assert tried > 100
    assert _snapshot() == before


def test_writes_with_the_csrf_token_go_through(world, user, annotation_payload):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/accounts/profile/")
    token = client.cookies["csrftoken"].value
    response = client.post("/api/annotations/", annotation_payload(world["document"], 0, 5, comment="ok"),
                           content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201, response.content
    response = client.post("/accounts/profile/token/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302


# --- API tokens -------------------------------------------------------------------------------------


def test_a_revoked_api_token_answers_401(world, user, annotation_payload):
    browser = Client()
    browser.force_login(user)
    browser.post("/accounts/profile/token/")
    token = user.auth_token.key
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    created = api.post("/api/annotations/", annotation_payload(world["document"], 0, 5), format="json")
    assert created.status_code == 201
    browser.post("/accounts/profile/token/", {"action": "revoke"})
    refused = api.post("/api/annotations/", annotation_payload(world["document"], 0, 5), format="json")
    assert refused.status_code == 401
    assert api.get(created.json()["id"]).status_code == 401  # not silently treated as anonymous
    assert Annotation.objects.filter(creator=user).count() == 2  # the factory's + the first POST


def test_a_regenerated_token_replaces_the_old_one(world, user):
    browser = Client()
    browser.force_login(user)
    browser.post("/accounts/profile/token/")
    old = user.auth_token.key
    browser.post("/accounts/profile/token/")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert api.get("/api/annotations/").status_code == 401


# --- throttling -------------------------------------------------------------------------------------


@pytest.fixture
def low_rates(monkeypatch):
    monkeypatch.setitem(ArchiveRateThrottle.THROTTLE_RATES, "write", "3/min")
    monkeypatch.setitem(ArchiveRateThrottle.THROTTLE_RATES, "search", "3/min")


def test_writes_are_throttled_per_user(world, user, other_user, annotation_payload, low_rates):
    api = APIClient()
    api.force_authenticate(user)
    statuses = [api.post("/api/annotations/", annotation_payload(world["document"], 0, 5), format="json").status_code
                for _ in range(5)]
    assert statuses == [201, 201, 201, 429, 429]
    assert Annotation.objects.filter(creator=user).count() == 4  # the factory's + three
    other = APIClient()
    other.force_authenticate(other_user)
    assert other.post("/api/annotations/", annotation_payload(world["document"], 0, 5), format="json").status_code == 201


def test_searches_are_throttled(world, low_rates):
    api = APIClient()
    statuses = [api.get("/api/search/", {"q": "trial"}).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]


@override_settings(LOGIN_THROTTLE_ATTEMPTS=3)
def test_failed_sign_ins_for_one_name_are_throttled_from_any_address(user):
    for n in range(3):
        Client(REMOTE_ADDR=f"10.0.0.{n}").post("/accounts/login/", {"username": "alice", "password": "wrong"})
    response = Client(REMOTE_ADDR="10.0.0.99").post("/accounts/login/", {"username": "ALICE", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in response.wsgi_request.session


# --- private annotations do not leak through ids ----------------------------------------------------

NEVER_USED = 987654


def _probe(client, pk: int, *, api: bool = True) -> dict[str, int]:
    out = {
        "detail": client.get(f"/api/annotations/{pk}/").status_code,
        "put": client.put(f"/api/annotations/{pk}/", data="{}", content_type="application/json").status_code,
        "delete": client.delete(f"/api/annotations/{pk}/").status_code,
        "history": client.get(f"/api/annotations/{pk}/history/").status_code,
        "history_page": client.get(f"/annotations/{pk}/history/").status_code,
        "reply_page": client.post(f"/annotations/{pk}/replies/", {"comment": "hello?"}).status_code,
        "reply_api": client.post("/api/annotations/", data={"type": "Annotation", "target": f"http://testserver/api/annotations/{pk}/",
                                                             "bodyValue": "hello?"}, content_type="application/json").status_code,
        "review": client.post(f"/api/annotations/{pk}/review/", data={"status": "approved"},
                              content_type="application/json").status_code,
        "replies_filter": len(client.get("/api/annotations/", {"reply_to": pk, "page": 0}).json().get("items", [])),
    }
    return out


def test_someone_elses_private_annotation_looks_exactly_like_a_missing_one(world, user, curator):
    client = Client()
    client.force_login(user)
    secret = world["secret"]
    AnnotationFactory(document=world["document"], creator=secret.creator, reply_to=secret, visibility="private")
    seen_secret, seen_missing = _probe(client, secret.pk), _probe(client, NEVER_USED)
    assert seen_secret == seen_missing, (seen_secret, seen_missing)
    assert seen_secret["detail"] == 404 and seen_secret["history"] == 404 and seen_secret["reply_page"] == 404
    assert seen_secret["put"] == 404 and seen_secret["delete"] == 404
    assert Annotation.objects.filter(pk=secret.pk, comment="bob's secret").exists()
    # Restoring is for curators: for anyone else a real history entry and an invented one look the same.
    real = Annotation.history.filter(id=secret.pk).values_list("history_id", flat=True).first()
    assert (client.post(f"/api/annotations/history/{real}/restore/").status_code
            == client.post(f"/api/annotations/history/{NEVER_USED}/restore/").status_code)
    # ... and for a curator, an unknown history entry is a 404, not a 500.
    curator_client = Client()
    curator_client.force_login(curator)
    assert curator_client.post(f"/api/annotations/history/{NEVER_USED}/restore/").status_code == 404


def test_search_never_returns_or_counts_someone_elses_private_annotation(world, user, other_user, annotation_payload):
    bob = APIClient()
    bob.force_authenticate(other_user)
    created = bob.post("/api/annotations/", annotation_payload(
        world["document"], 0, 9, comment="bob's secret", records=[world["record"]]), format="json")
    assert created.status_code == 201  # through the service, so it is indexed
    assert bob.get("/api/search/", {"q": "secret", "type": "annotation"}).json()["count"] == 1  # its creator finds it
    api = APIClient()
    api.force_authenticate(user)
    body = api.get("/api/search/", {"q": "secret", "type": "annotation"}).json()
    assert body["count"] == 0 and body["results"] == []
    assert "secret" not in str(body["facets"])
    page = Client()
    page.force_login(user)
    assert "bob&#x27;s secret" not in page.get("/search/", {"q": "secret", "type": "annotation"}).content.decode()
    assert "bob's secret" not in page.get(f"/documents/{world['document'].slug}/").content.decode()
    assert "bob's secret" not in api.get(f"/api/records/{world['record'].pk}/annotations/").content.decode()
