"""Failed sign-ins are limited with counters every worker and server shares (rows in the database,
not a process's cache), correctly when requests race, and without letting a stranger lock an
owner out: a browser that has signed in as a user before (device cookie) is counted on its own."""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone

from accounts import attempts
from accounts.models import Attempt

from .factories import UserFactory

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"


def sign_in(client, username: str, password: str, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def signed_in(response) -> bool:
    return "_auth_user_id" in response.wsgi_request.session


# --- 1. shared counters -----------------------------------------------------------------------------


@override_settings(LOGIN_THROTTLE_ATTEMPTS=3)
def test_failed_sign_ins_are_counted_in_the_database_which_every_worker_shares(user):
    for n in range(3):
        assert sign_in(Client(REMOTE_ADDR=f"10.1.0.{n}"), "alice", "wrong").status_code == 200
    cache.clear()  # what another gunicorn worker's (or server's) own memory holds: nothing
    response = sign_in(Client(REMOTE_ADDR="10.1.0.9"), "alice", PASSWORD)
    assert response.status_code == 429 and not signed_in(response)
    assert Attempt.objects.filter(scope="login-user").count() == 3
    assert Attempt.objects.filter(scope="login-address").count() == 3


@override_settings(LOGIN_THROTTLE_ATTEMPTS=3)
def test_one_address_guessing_many_names_is_throttled(db):
    client = Client(REMOTE_ADDR="10.2.0.1")
    for name in ("ann", "ben", "cyd"):
        assert sign_in(client, name, "wrong").status_code == 200
    response = sign_in(client, "dora", "wrong")
    assert response.status_code == 429
    assert "from your address" in response.content.decode()
    assert sign_in(Client(REMOTE_ADDR="10.2.0.2"), "dora", "wrong").status_code == 200


@override_settings(LOGIN_THROTTLE_ATTEMPTS=3)
def test_successful_sign_ins_are_not_counted(user):
    client = Client(REMOTE_ADDR="10.3.0.1")
    for _ in range(5):
        response = sign_in(client, "alice", PASSWORD)
        assert response.status_code == 302 and signed_in(response)
        client.post("/accounts/logout/")
    assert not Attempt.objects.exists()


@override_settings(LOGIN_THROTTLE_ATTEMPTS=3, LOGIN_THROTTLE_WINDOW=300)
def test_the_lock_lifts_when_the_failures_leave_the_window_and_old_rows_are_pruned(user):
    for n in range(3):
        sign_in(Client(REMOTE_ADDR=f"10.4.0.{n}"), "alice", "wrong")
    refused = sign_in(Client(REMOTE_ADDR="10.4.0.9"), "alice", PASSWORD)
    assert refused.status_code == 429
    assert 290 <= int(refused["Retry-After"]) <= 300
    Attempt.objects.update(at=timezone.now() - timedelta(seconds=301))
    response = sign_in(Client(REMOTE_ADDR="10.4.0.9"), "alice", PASSWORD)
    assert response.status_code == 302 and signed_in(response)
    # The aged rows are still there (a sign-up window is an hour long), until no window counts them.
    Attempt.objects.update(at=timezone.now() - timedelta(seconds=attempts.longest_window() + 1))
    sign_in(Client(REMOTE_ADDR="10.4.0.9"), "alice", "wrong")
    assert Attempt.objects.count() == 2  # this failure's own two rows: the old ones were pruned


@override_settings(LOGIN_THROTTLE_ATTEMPTS=3)
def test_the_refusal_does_not_say_whether_the_password_was_right(user):
    for n in range(3):
        sign_in(Client(REMOTE_ADDR=f"10.5.0.{n}"), "alice", "wrong")
    right = sign_in(Client(REMOTE_ADDR="10.5.0.9"), "alice", PASSWORD)
    wrong = sign_in(Client(REMOTE_ADDR="10.5.0.9"), "alice", "wrong again")

    def page(response):
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())

    assert right.status_code == wrong.status_code == 429
    assert page(right) == page(wrong)
    assert "correct username and password" not in page(right)


# --- 1. across processes: two application servers on one database -----------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _browser():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())


def _http_sign_in(opener, base: str, username: str, password: str) -> int:
    page = opener.open(f"{base}/accounts/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    try:
        return opener.open(f"{base}/accounts/login/", data=data.encode(), timeout=10).status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def shared_database(transactional_db, tmp_path):
    """Environment for servers sharing one database holding the user alice: this test's
    PostgreSQL database, or on SQLite a fresh database file in a data dir of the test's own."""
    pytest.importorskip("gunicorn")
    env = {k: v for k, v in os.environ.items() if k not in {"TASKS_BACKEND", "DJANGO_ALLOW_ASYNC_UNSAFE",
                                                            "DATABASE_URL", "ARCHIVE_DATA_DIR"}}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1", "SECRET_KEY": secrets.token_urlsafe(50),
                "ALLOWED_HOSTS": "127.0.0.1", "LOGIN_THROTTLE_ATTEMPTS": "3", "WEB_CONCURRENCY": "1",
                "GUNICORN_LOG_LEVEL": "warning"})
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        env["SEARCH_BACKEND"] = "postgres"
        UserFactory(username="alice")
    else:
        env["ARCHIVE_DATA_DIR"] = str(tmp_path / "shared")
        for args in (["migrate", "--noinput", "-v0"],
                     ["shell", "-c", f"from django.contrib.auth.models import User; "
                                     f"User.objects.create_user('alice', password={PASSWORD!r})"]):
            done = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True,
                                  text=True, timeout=120)
            assert done.returncode == 0, done.stderr
    return env


@pytest.fixture
def start_server(shared_database, tmp_path):
    """``start_server(workers)``: a gunicorn (the production configuration) on the shared database;
    its base URL once it answers. Stopped at the end of the test."""
    from .test_two_servers import free_port

    processes = []

    def start(workers: int = 1) -> str:
        port, name = free_port(), f"server-{len(processes)}"
        env = {**shared_database, "WEB_CONCURRENCY": str(workers),
               "ARCHIVE_DATA_DIR": shared_database.get("ARCHIVE_DATA_DIR") or str(tmp_path / name)}
        log = tmp_path / f"{name}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
            cwd=REPO, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=2)
                return base
            except OSError:
                assert time.monotonic() < deadline, f"{base} did not answer: {log.read_text()[-3000:]}"
                time.sleep(0.2)

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.slow
def test_failed_sign_ins_on_one_server_count_on_the_other(start_server):
    first, second = start_server(), start_server()
    for _ in range(3):
        assert _http_sign_in(_browser(), first, "alice", "wrong") == 200
    assert _http_sign_in(_browser(), second, "alice", PASSWORD) == 429
    assert _http_sign_in(_browser(), first, "alice", PASSWORD) == 429


@pytest.mark.slow
def test_racing_failed_sign_ins_on_four_workers_never_get_past_the_limit(start_server):
    """Twenty wrong guesses at once through gunicorn's four worker processes: exactly the limit's
    worth (3) are checked and answered 200, every other one 429."""
    base = start_server(workers=4)
    prepared = []
    for _ in range(20):
        opener = _browser()
        page = opener.open(f"{base}/accounts/login/", timeout=10).read().decode()
        prepared.append((opener, re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)))
    barrier = threading.Barrier(len(prepared))
    statuses: list[int] = []

    def guess(opener, token: str, n: int) -> None:
        data = urllib.parse.urlencode({"username": "alice", "password": f"guess-{n}", "csrfmiddlewaretoken": token})
        barrier.wait()
        try:
            statuses.append(opener.open(f"{base}/accounts/login/", data=data.encode(), timeout=60).status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    threads = [threading.Thread(target=guess, args=(opener, token, n)) for n, (opener, token) in enumerate(prepared)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 3 + [429] * 17


# --- 2. strangers cannot lock the owner out -----------------------------------------------------------


@pytest.fixture
def owners_browser(user, settings):
    """Alice's browser: she has signed in with it before (and signed out)."""
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    browser = Client(REMOTE_ADDR="10.7.0.1")
    assert sign_in(browser, "alice", PASSWORD).status_code == 302
    browser.post("/accounts/logout/")
    return browser


def _lock_alice_from_many_addresses():
    for n in range(5):
        sign_in(Client(REMOTE_ADDR=f"10.8.0.{n}"), "alice", "wrong")


def test_strangers_failing_on_a_name_do_not_lock_its_owner_out_of_her_own_browser(owners_browser):
    _lock_alice_from_many_addresses()
    stranger = sign_in(Client(REMOTE_ADDR="10.8.0.99"), "alice", PASSWORD)
    assert stranger.status_code == 429 and not signed_in(stranger)  # a new browser: still throttled
    assert "browser you have signed in with before" in stranger.content.decode()
    response = sign_in(owners_browser, "alice", PASSWORD)
    assert response.status_code == 302 and signed_in(response)


def test_the_owners_browser_is_not_blocked_by_a_full_address_either(owners_browser):
    for name in ("ann", "ben", "cyd", "dora"):  # someone else behind the same address (a shared NAT)
        sign_in(Client(REMOTE_ADDR="10.7.0.1"), name, "wrong")
    assert sign_in(Client(REMOTE_ADDR="10.7.0.1"), "alice", PASSWORD).status_code == 429
    assert sign_in(owners_browser, "alice", PASSWORD).status_code == 302


def test_failures_in_the_owners_browser_lock_only_that_browser(owners_browser):
    for _ in range(3):
        assert sign_in(owners_browser, "alice", "wrong").status_code == 200
    response = sign_in(owners_browser, "alice", PASSWORD)
    assert response.status_code == 429 and "from this browser" in response.content.decode()
    assert Attempt.objects.filter(scope="login-user").count() == 0
    assert sign_in(Client(REMOTE_ADDR="10.9.0.1"), "alice", PASSWORD).status_code == 302


def test_a_device_cookie_counts_only_for_its_own_name_and_only_if_genuine(owners_browser, other_user, settings):
    _lock_alice_from_many_addresses()
    bobs = Client(REMOTE_ADDR="10.10.0.1")
    assert sign_in(bobs, "bob", PASSWORD).status_code == 302
    bobs.post("/accounts/logout/")
    assert sign_in(bobs, "alice", PASSWORD).status_code == 429  # bob's cookie does not vouch for alice
    forged = Client(REMOTE_ADDR="10.10.0.2")
    genuine = owners_browser.cookies[settings.DEVICE_COOKIE_NAME].value
    forged.cookies[settings.DEVICE_COOKIE_NAME] = genuine[:-3] + ("AAA" if not genuine.endswith("AAA") else "BBB")
    assert sign_in(forged, "alice", PASSWORD).status_code == 429
    assert sign_in(owners_browser, "alice", PASSWORD).status_code == 302


def test_one_browser_keeps_device_cookies_for_two_people(owners_browser, other_user):
    assert sign_in(owners_browser, "bob", PASSWORD).status_code == 302
    owners_browser.post("/accounts/logout/")
    _lock_alice_from_many_addresses()
    for n in range(5):
        sign_in(Client(REMOTE_ADDR=f"10.11.0.{n}"), "bob", "wrong")
    assert sign_in(owners_browser, "alice", PASSWORD).status_code == 302
    owners_browser.post("/accounts/logout/")
    assert sign_in(owners_browser, "bob", PASSWORD).status_code == 302


def test_device_cookie_is_http_only_and_lax(owners_browser, settings):
    assert settings.DEVICE_COOKIE_NAME in owners_browser.cookies
    cookie = owners_browser.cookies[settings.DEVICE_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) > 30 * 24 * 3600
    assert "alice" not in cookie.value  # signed and compressed, not readable at a glance


# --- the client address -------------------------------------------------------------------------------


@override_settings(LOGIN_THROTTLE_ATTEMPTS=2)
def test_behind_a_trusted_proxy_each_client_has_its_own_address_limit(db, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for name in ("ann", "ben"):  # the client puts a fake address at the left; the proxy appends the real one
        sign_in(Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"1.2.3.{len(name)}, 203.0.113.5"), name, "x")
    blocked = sign_in(Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.5"), "cyd", "x")
    assert blocked.status_code == 429
    other = sign_in(Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.6"), "cyd", "x")
    assert other.status_code == 200


@override_settings(LOGIN_THROTTLE_ATTEMPTS=2)
def test_an_ipv6_client_cannot_escape_the_address_limit_by_changing_its_host_bits(db):
    for n, name in enumerate(("ann", "ben")):
        sign_in(Client(REMOTE_ADDR=f"2001:db8:1:2::{n + 1}"), name, "x")
    assert sign_in(Client(REMOTE_ADDR="2001:db8:1:2:ffff::7"), "cyd", "x").status_code == 429
    assert sign_in(Client(REMOTE_ADDR="2001:db8:1:3::1"), "cyd", "x").status_code == 200


# --- no way around the limits -----------------------------------------------------------------------


def test_the_admin_sign_in_form_is_no_way_around_the_limits(user):
    user.is_staff = True
    user.save()
    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert not signed_in(response)  # the admin's form never checked the password
    to_admin = client.get("/admin/", follow=True)
    assert to_admin.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"
    signed = sign_in(client, "alice", PASSWORD, QUERY_STRING="next=/admin/")
    assert signed.status_code == 302 and signed["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
