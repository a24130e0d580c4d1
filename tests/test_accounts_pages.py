"""The accounts pages as a newcomer meets them: private pages (the API token above all) are never
stored by a browser or a shared cache; the header offers "Sign up"; signing out says so; and the
site has a favicon of its own."""

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


def test_the_header_offers_sign_up_while_it_is_open(client, settings):
    html = client.get("/records/").content.decode()
    assert 'href="/accounts/signup/?next=/records/"' in html and ">Sign up</a>" in html
    assert 'href="/accounts/login/?next=/records/"' in html
    settings.ALLOW_SIGNUP = False
    assert ">Sign up</a>" not in client.get("/records/").content.decode()


def test_signed_in_header_has_no_sign_up_link(client, user):
    client.force_login(user)
    html = client.get("/records/").content.decode()
    assert ">Sign up</a>" not in html and "Sign out" in html


def test_signing_out_says_so(client, user):
    client.force_login(user)
    response = client.post("/accounts/logout/", follow=True)
    assert response.redirect_chain[-1] == ("/", 302)
    assert "You have signed out." in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert "You have signed out." not in client.get("/").content.decode()  # said once


def test_the_site_has_a_favicon(settings):
    settings.WHITENOISE_USE_FINDERS = settings.WHITENOISE_AUTOREFRESH = True  # as under DEBUG, without collectstatic
    client = Client()
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith(".ico")
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    body = b"".join(icon.streaming_content) if icon.streaming else icon.content
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "icon" in icon["Content-Type"]
