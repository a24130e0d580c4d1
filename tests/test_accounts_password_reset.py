"""Password reset is offered only when outgoing mail is configured (EMAIL_HOST): without it its pages
answer 404 and the sign-in page says whom to ask; with it the mailed link sets a new password, and
requests are limited so that nobody can flood a mailbox."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from accounts.models import Attempt

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parent.parent
RESET_PATHS = ["/accounts/password_reset/", "/accounts/password_reset/done/", "/accounts/reset/MQ/set-password/",
               "/accounts/reset/done/"]


@pytest.fixture
def mail_configured(settings):
    settings.PASSWORD_RESET_BY_MAIL = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_without_mail_the_reset_pages_are_not_offered(client, user, settings):
    settings.PASSWORD_RESET_BY_MAIL = False
    for path in RESET_PATHS:
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"email": user.email}).status_code == 404, path
    assert mail.outbox == []
    page = client.get("/accounts/login/").content.decode()
    assert "/accounts/password_reset/" not in page
    assert "Forgot your password? Ask the archive&#x27;s administrators to set a new one." in page


def test_the_contact_named_on_the_sign_in_page_is_a_setting(client, settings):
    settings.PASSWORD_RESET_BY_MAIL = False
    settings.ACCOUNTS_HELP_CONTACT = "the reading room desk (desk@archive.example.org)"
    assert "Ask the reading room desk (desk@archive.example.org)" in client.get("/accounts/login/").content.decode()


def test_reset_by_mail_sets_a_new_password(client, user, mail_configured):
    page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/password_reset/"' in page
    response = client.post("/accounts/password_reset/", {"email": "alice@example.org"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.org"]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "New password" in form_page.content.decode()
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": "lubyanka-1938-x",
                                                         "new_password2": "lubyanka-1938-x"})
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"
    user.refresh_from_db()
    assert user.check_password("lubyanka-1938-x")
    assert Client().post("/accounts/login/", {"username": "alice", "password": "lubyanka-1938-x"}).status_code == 302


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, mail_configured):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []


def test_reset_requests_are_limited_per_mail_address(user, mail_configured, settings):
    settings.PASSWORD_RESET_LIMIT = 2
    statuses = [Client(REMOTE_ADDR=f"10.20.0.{n}").post("/accounts/password_reset/", {"email": "ALICE@example.org"})
                .status_code for n in range(3)]
    assert statuses == [302, 302, 429]
    assert len(mail.outbox) == 2


def test_a_reset_ends_the_lock_on_the_name(user, mail_configured, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 2
    for n in range(3):
        Client(REMOTE_ADDR=f"10.21.0.{n}").post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert Attempt.objects.filter(scope="login-user").exists()
    client = Client(REMOTE_ADDR="10.21.0.9")
    client.post("/accounts/password_reset/", {"email": "alice@example.org"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": "lubyanka-1938-x", "new_password2": "lubyanka-1938-x"})
    assert not Attempt.objects.filter(scope="login-user").exists()
    response = client.post("/accounts/login/", {"username": "alice", "password": "lubyanka-1938-x"})
    assert response.status_code == 302


def test_a_used_link_does_not_work_twice(client, user, mail_configured):
    client.post("/accounts/password_reset/", {"email": "alice@example.org"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": "lubyanka-1938-x", "new_password2": "lubyanka-1938-x"})
    again = Client().get(link, follow=True)
    assert "This link does not work" in again.content.decode()
    assert User.objects.get(username="alice").check_password("lubyanka-1938-x")


@pytest.mark.parametrize("email_host, offered", [("", False), ("smtp.example.org", True)])
def test_reset_is_offered_exactly_when_email_host_is_set(tmp_path, email_host, offered):
    env = {k: v for k, v in os.environ.items() if k not in {"EMAIL_HOST", "DATABASE_URL", "TASKS_BACKEND"}}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1", "SECRET_KEY": secrets.token_urlsafe(50),
                "ARCHIVE_DATA_DIR": str(tmp_path), "EMAIL_HOST": email_host})
    script = "from django.conf import settings; print(settings.PASSWORD_RESET_BY_MAIL, settings.EMAIL_HOST)"
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [str(offered), *([email_host] if email_host else [])]
