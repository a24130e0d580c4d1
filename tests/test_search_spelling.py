""""Did you mean" draws only on what the reader may see: words of entries of the searched type that
pass the reader's access filter, never of deleted entries, so that it never tells anyone which
words someone's private notes hold. Every test runs on each backend (postgres when DATABASE_URL is
PostgreSQL): Whoosh keeps a deleted entry's words in its word lists until a merge, and the
postgres vocabulary table keeps every word ever indexed."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from annotations.models import AnnotationGroup
from annotations.signals import annotation_changed
from archive_site.models import Record
from search import services
from search.backends import reset_search_backend

from .factories import AnnotationFactory, UserFactory

BACKENDS = ["whoosh", "postgres"]


@pytest.fixture(params=BACKENDS)
def seeded(request, settings, seed_archive, search_index):
    if request.param == "postgres" and connection.vendor != "postgresql":
        pytest.skip("the postgres backend needs DATABASE_URL=postgres://...")
    settings.SEARCH_BACKEND = request.param
    reset_search_backend()
    call_command("rebuild_index", "--no-progress", stdout=open("/dev/null", "w"))
    yield request.param
    reset_search_backend()


def annotate(**fields):
    annotation = AnnotationFactory(**fields)
    annotation_changed.send(sender=type(annotation), annotation=annotation, deleted=False)
    return annotation


def suggestion(user, text: str, type: str = "document") -> str:
    return services.search(user=user, text=text, type=type).results.suggestion or ""


@pytest.mark.django_db
def test_a_private_note_s_words_are_never_offered_to_other_users(seeded, user, other_user):
    annotate(creator=user, visibility="private", comment="The Zanzibar telegram, my private theory")
    for reader in (other_user, None, UserFactory(username="dora")):
        offered = suggestion(reader, "Kamenevv OR Zanzibr")
        assert offered.startswith("Kamenev OR"), offered  # spelling still corrects what they may see
        assert "zanzibar" not in offered.lower(), offered
        assert "zanzibar" not in suggestion(reader, "Zanzibr", type="annotation").lower()
    # Its creator may see it, and is offered its words when searching annotations.
    assert suggestion(user, "Zanzibr", type="annotation") == "Zanzibar"


@pytest.mark.django_db
def test_a_group_note_s_words_are_offered_to_its_members_only(seeded, user, other_user):
    group = AnnotationGroup.objects.create(name="readers")
    group.members.add(other_user)
    annotate(creator=user, visibility="group", group=group, comment="Quillmark code names")
    assert suggestion(other_user, "Quilmark", type="annotation") == "Quillmark"
    assert suggestion(UserFactory(username="dora"), "Quilmark", type="annotation") == ""


@pytest.mark.django_db
def test_a_deleted_note_s_words_are_never_offered(seeded, user):
    note = annotate(creator=user, visibility="public", status="approved", comment="The Zanzibar telegram")
    assert suggestion(user, "Zanzibr", type="annotation") == "Zanzibar"
    note.delete()
    assert "zanzibar" not in suggestion(user, "Kamenevv OR Zanzibr").lower()
    assert "zanzibar" not in suggestion(user, "Kamenevv OR Zanzibr", type="annotation").lower()


@pytest.mark.django_db
def test_spelling_draws_on_the_searched_type_only(seeded, user):
    Record.objects.create(key="test-quill", kind="person", label="Ivan Quillmarkov",
                          description="A courier of the Quillmark network.")
    annotate(creator=user, visibility="public", status="approved", comment="Wolkenheim, a word of my own")
    assert suggestion(None, "Quilmark", type="record") == "Quillmark"
    for kind in ("document", "annotation"):
        assert "quillmark" not in suggestion(None, "Kamenevv OR Quilmark", type=kind).lower()
    assert suggestion(None, "Wolkenhaim", type="annotation") == "Wolkenheim"
    assert "wolkenheim" not in suggestion(None, "Kamenevv OR Wolkenhaim").lower()
