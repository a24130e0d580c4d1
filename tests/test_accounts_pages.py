"""The accounts pages as a newcomer meets them: private pages (the API token above all) are never
stored by a browser or a shared cache."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def assert_not_stored(response, what: str) -> None:
    cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert {"no-store", "private"} <= cache_control, (what, response.get("Cache-Control"))


def test_the_token_page_and_its_actions_are_never_cached(user):
    client = Client()
    client.force_login(user)
    created = client.post("/accounts/profile/token/", {"action": "create"})
    assert created.status_code == 302
    assert_not_stored(created, "token create")
    page = client.get("/accounts/profile/")
    assert page.status_code == 200 and user.auth_token.key in page.content.decode()
    assert_not_stored(page, "profile")
    assert_not_stored(client.post("/accounts/profile/token/", {"action": "regenerate"}), "token regenerate")
    assert_not_stored(client.post("/accounts/profile/token/", {"action": "revoke"}), "token revoke")
    assert_not_stored(client.post("/accounts/profile/groups/", {"name": "readers"}), "group create")


def test_sign_in_and_sign_up_pages_are_never_cached(client, user):
    assert_not_stored(client.get("/accounts/login/"), "sign-in page")
    assert_not_stored(client.post("/accounts/login/", {"username": "alice", "password": "wrong"}), "failed sign-in")
    assert_not_stored(client.get("/accounts/signup/"), "sign-up page")
    refused = client.post("/accounts/signup/", {"username": "alice", "password1": "x", "password2": "x"})
    assert refused.status_code == 400
    assert_not_stored(refused, "refused sign-up")


def test_public_pages_stay_cacheable(client):
    response = client.get("/records/")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
