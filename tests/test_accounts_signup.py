"""Self-service accounts: a visitor creates an ordinary annotator account (not staff, not a
curator) and is signed in; the password rules apply; sign-up can be closed and is limited per
address."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from annotations.permissions import is_curator

pytestmark = pytest.mark.django_db

GOOD = {"username": "historian", "password1": "kommunarka-1937", "password2": "kommunarka-1937"}


def test_a_visitor_creates_an_account_and_is_signed_in(client):
    page = client.get("/accounts/login/")
    assert 'href="/accounts/signup/"' in page.content.decode()
    response = client.post("/accounts/signup/", {**GOOD, "next": "/documents/x/"})
    assert response.status_code == 302 and response["Location"] == "/documents/x/"
    user = User.objects.get(username="historian")
    assert user.check_password("kommunarka-1937")
    assert not user.is_staff and not user.is_superuser and not is_curator(user)
    assert client.get("/accounts/profile/").status_code == 200


def test_sign_up_refuses_weak_mismatched_or_taken_names_and_keeps_nothing(client):
    User.objects.create_user("taken", password="whatever-long-1")
    cases = [
        ({**GOOD, "password1": "12345678", "password2": "12345678"}, "entirely numeric"),
        ({**GOOD, "password2": "something-else-1"}, "didn’t match"),
        ({**GOOD, "username": "taken"}, "already exists"),
        ({**GOOD, "username": "<script>"}, "Enter a valid username"),
    ]
    for data, message in cases:
        response = client.post("/accounts/signup/", data)
        assert response.status_code == 400, data
        assert message in response.content.decode(), message
    assert set(User.objects.values_list("username", flat=True)) == {"taken"}


def test_sign_up_does_not_redirect_off_site(client):
    response = client.post("/accounts/signup/", {**GOOD, "next": "https://evil.example/"})
    assert response["Location"] == "/accounts/profile/"


def test_sign_up_can_be_closed(client, settings):
    settings.ALLOW_SIGNUP = False
    assert client.get("/accounts/signup/").status_code == 404
    assert client.post("/accounts/signup/", GOOD).status_code == 404
    assert 'href="/accounts/signup/"' not in client.get("/accounts/login/").content.decode()
    assert not User.objects.exists()


def test_sign_ups_are_limited_per_address(client, settings):
    settings.SIGNUP_LIMIT = 2
    for n in range(2):
        assert client.post("/accounts/signup/", {**GOOD, "username": f"user{n}"}).status_code == 302
        client.logout()
        cache.clear()  # another worker's memory: the count is in the database, which they all share
    response = client.post("/accounts/signup/", {**GOOD, "username": "user3"})
    assert response.status_code == 429 and 3500 <= int(response["Retry-After"]) <= 3600
    assert "Too many accounts were created from your address" in response.content.decode()
    assert User.objects.count() == 2
    assert Client(REMOTE_ADDR="10.30.0.1").post("/accounts/signup/", {**GOOD, "username": "user4"}).status_code == 302


def test_refused_sign_up_forms_do_not_use_up_the_limit(client, settings):
    settings.SIGNUP_LIMIT = 1
    for _ in range(3):
        assert client.post("/accounts/signup/", {**GOOD, "password2": "different-1"}).status_code == 400
    assert client.post("/accounts/signup/", GOOD).status_code == 302


def test_a_new_account_is_signed_in_on_a_trusted_browser(client, settings):
    client.post("/accounts/signup/", GOOD)
    assert settings.DEVICE_COOKIE_NAME in client.cookies


def test_sign_up_needs_csrf(db):
    response = Client(enforce_csrf_checks=True).post("/accounts/signup/", GOOD)
    assert response.status_code == 403
    assert not User.objects.exists()
