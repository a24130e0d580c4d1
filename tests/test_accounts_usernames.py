"""Look-alike user names: sign-up refuses a name confusable with an existing one (Cyrillic or Greek
letters for Latin ones, case, separators, I/l/1, 0/O), names mixing alphabets and names beginning
or ending with punctuation, and says which; all-Cyrillic (or all-Greek) names stay welcome."""

from __future__ import annotations

import unicodedata

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import UsernameSkeleton
from accounts.usernames import scripts, skeleton

from .factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "kommunarka-1937"


def sign_up(client, username: str):
    return client.post("/accounts/signup/", {"username": username, "password1": PASSWORD, "password2": PASSWORD})


@pytest.mark.parametrize("look_alike", [
    "\u0430lice",        # Cyrillic а
    "\u0410LICE",        # Cyrillic А, the rest in capitals
    "alic\u0435",        # Cyrillic е at the end
    "al\u0456ce",        # Cyrillic і
    "\u03b1lice",        # Greek α
    "alice.",            # trailing dot
    "a.lice",
    "a_lice",
    "al-ice",
    "Alice",
    "aIice",             # capital i for l
    "a1ice",             # digit one for l
    "ａｌｉｃｅ",            # fullwidth (NFKC makes it "alice")
])
def test_sign_up_refuses_a_name_that_looks_like_an_existing_one(client, look_alike):
    UserFactory(username="alice")
    response = sign_up(client, look_alike)
    assert response.status_code == 400
    html = response.content.decode()
    assert ("looks too much like the name of an existing account" in html
            or "mixes letters of different alphabets" in html
            or "must begin and end with a letter or a digit" in html
            or "already exists" in html), html
    assert list(User.objects.values_list("username", flat=True)) == ["alice"]


def test_each_refusal_says_what_is_wrong(client):
    UserFactory(username="alice")
    mixed = sign_up(client, "\u0430nna").content.decode()  # Cyrillic а + Latin nna; no "anna" exists
    assert "mixes letters of different alphabets (Cyrillic and Latin)" in mixed
    dotted = sign_up(client, "anna.").content.decode()
    assert "must begin and end with a letter or a digit, not “.”" in dotted
    underscored = sign_up(client, "_anna").content.decode()
    assert "not “_”" in underscored
    confusable = sign_up(client, "a.lice").content.decode()
    assert "“a.lice” looks too much like the name of an existing account" in confusable
    assert not User.objects.exclude(username="alice").exists()


def test_a_cyrillic_name_made_only_of_latin_look_alikes_is_refused_too(client):
    UserFactory(username="cop")
    response = sign_up(client, "\u0441\u043e\u0440")  # Cyrillic с о р
    assert response.status_code == 400
    assert "looks too much like the name of an existing account" in response.content.decode()


@pytest.mark.parametrize("name", ["историк", "Историк_1937", "Ежов.архив", "Σωκράτης", "alice-1937", "ﾀﾛｳ", "山田太郎", "やまだ太郎"])
def test_single_script_names_are_welcome(client, name):
    UserFactory(username="alice")
    response = sign_up(client, name)
    assert response.status_code == 302, response.content.decode()
    assert User.objects.filter(username=unicodedata.normalize("NFKC", name)).exists()  # as Django stores it


def test_two_look_alikes_cannot_both_be_made_even_past_the_form(db):
    """The unique skeleton digest is the guard, not only the form's check: an account made between
    the check and the insert (another sign-up at the same moment) still stops the second."""
    services.create_account(username="alice", password=PASSWORD)
    with pytest.raises(ValidationError):
        services.create_account(username="\u0430lice", password=PASSWORD)
    assert list(User.objects.values_list("username", flat=True)) == ["alice"]


def test_every_account_holds_its_skeleton_whoever_made_it(db):
    made_by_admin = User.objects.create_user("curator.one", password=PASSWORD)
    assert UsernameSkeleton.objects.filter(user=made_by_admin).exists()
    made_by_admin.username = "curator.two"
    made_by_admin.save()
    assert UsernameSkeleton.objects.count() == 1
    with pytest.raises(ValidationError):  # the new name is held, the old one free again
        services.create_account(username="curator_two", password=PASSWORD)
    assert services.create_account(username="curatorone", password=PASSWORD).username == "curatorone"


def test_signing_in_does_not_rewrite_the_skeleton(client, django_assert_num_queries):
    user = UserFactory(username="alice")
    from django.contrib.auth.models import update_last_login

    with django_assert_num_queries(1):  # the UPDATE of last_login only
        update_last_login(None, user)


def test_skeletons_equal_for_look_alikes_and_differ_otherwise():
    same = {"alice", "ALICE", "\u0430lice", "a.l_i-ce", "aIice", "a1ice", "\u03b1lice", "ａｌｉｃｅ"}
    assert {skeleton(name) for name in same} == {skeleton("alice")}
    assert skeleton("rnary") == skeleton("mary")
    assert skeleton("bob0") == skeleton("bobo")
    assert skeleton("alicé") != skeleton("alice")  # an accent is visible
    assert skeleton("иван") != skeleton("ivan")
    assert skeleton("Ёж") == skeleton("ёж")


def test_scripts_of_a_name():
    assert scripts("\u0430lice") == ["CYRILLIC", "LATIN"]
    assert scripts("историк_1937") == ["CYRILLIC"]
    assert scripts("やまだ太郎") == ["HIRAGANA", "HAN"]
    assert scripts("1937") == []
