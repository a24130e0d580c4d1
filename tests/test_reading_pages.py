"""The reading room rendered by the server (no browser): highlights cut at annotation boundaries,
who sees what, the side list's filters, the profile page (token, groups), history and replies."""

from __future__ import annotations

import json
import re

import pytest
from rest_framework.authtoken.models import Token

from annotations.models import Annotation, AnnotationGroup, EntityType
from annotations.reading import annotated_blocks
from archive_site.models import Record

from .factories import AnnotationFactory, AnnotationGroupFactory, DocumentFactory

pytestmark = pytest.mark.django_db

TEXT = "## Heading\n\nOn August 19, 1936 \U0001f4dc the **first** Moscow Show Trial opened.\nZinoviev was shot.\n\nEnd."


def at(needle: str) -> tuple[int, int]:
    start = TEXT.index(needle)
    return start, start + len(needle)


@pytest.fixture
def document():
    return DocumentFactory(slug="trial", text=TEXT)


def make(document, user, needle, **fields):
    start, end = at(needle)
    return AnnotationFactory(document=document, creator=user, target_start=start, target_end=end, **fields)


def segment_texts(blocks):
    return [(seg.start, seg.text, seg.ann_ids) for block in blocks for seg in block.segments if not seg.is_break]


def test_every_segment_keeps_its_code_point_offset(document, user):
    a = make(document, user, "Moscow Show Trial")
    b = make(document, user, "Show Trial opened")
    for start, text, _ in segment_texts(annotated_blocks(TEXT, [a, b])):
        assert TEXT[start : start + len(text)] == text


def test_overlapping_annotations_split_into_segments_listing_both(document, user):
    a = make(document, user, "Moscow Show Trial", entity_type=EntityType.objects.get(key="event"))
    b = make(document, user, "Show Trial opened")
    covered = {text: ids for _, text, ids in segment_texts(annotated_blocks(TEXT, [a, b])) if ids}
    assert covered == {"Moscow ": [a.pk], "Show Trial": [a.pk, b.pk], " opened": [b.pk]}


def test_page_marks_visible_annotations_with_entity_class_and_ids(client, document, user):
    annotation = make(document, user, "Zinoviev", entity_type=EntityType.objects.get(key="person"), visibility="public",
                      status="approved")
    html = client.get(document.get_absolute_url()).content.decode()
    start, _ = at("Zinoviev")
    assert f'<mark class="hl et-person" data-start="{start}" data-ann-ids="{annotation.pk}">Zinoviev</mark>' in html
    assert f'id="hl-{annotation.pk}"' in html
    assert "<script>" not in html.replace('<script type="application/json"', "")


def test_markdown_marks_stay_in_the_text_but_are_styled(client, document):
    html = client.get(document.get_absolute_url()).content.decode()
    assert '<span class="md" data-start="0">## </span>' in html
    start, _ = at("first")
    assert f'<span class="strong" data-start="{start}">first</span>' in html


def test_private_annotation_is_invisible_to_other_users_and_anonymous(client, document, user, other_user):
    make(document, user, "Zinoviev", comment="secret note", visibility="private")
    assert "secret note" not in client.get(document.get_absolute_url()).content.decode()
    client.force_login(other_user)
    assert "secret note" not in client.get(document.get_absolute_url()).content.decode()
    client.force_login(user)
    assert "secret note" in client.get(document.get_absolute_url()).content.decode()


def test_group_annotation_is_visible_to_group_members(client, document, user, other_user):
    group = AnnotationGroupFactory(name="historians")
    group.members.add(user, other_user)
    make(document, user, "Zinoviev", comment="for the group", visibility="group", group=group)
    client.force_login(other_user)
    html = client.get(document.get_absolute_url() + "?scope=group").content.decode()
    assert "for the group" in html
    data = json.loads(re.search(r'id="reading-room-data" type="application/json">(.*?)</script>', html).group(1))
    assert data["annotations"][0]["visibility"] == "group:historians"
    assert data["groups"] == ["historians"]


def test_side_list_filters_by_scope_type_and_status(client, document, user, other_user):
    mine = make(document, user, "Zinoviev", entity_type=EntityType.objects.get(key="person"), visibility="public")
    theirs = make(document, other_user, "Moscow Show Trial", visibility="public", status="approved")
    client.force_login(user)

    def listed(query):
        html = client.get(document.get_absolute_url() + query).content.decode()
        items = re.findall(r'<li class="ann-item" data-ann-id="(\d+)"[^>]*?( hidden)?>', html)
        return {int(pk) for pk, hidden in items if not hidden}

    assert listed("") == {mine.pk, theirs.pk}
    assert listed("?scope=mine") == {mine.pk}
    assert listed("?type=person") == {mine.pk}
    assert listed("?type=none") == {theirs.pk}
    assert listed("?status=approved") == {theirs.pk}
    assert listed("?scope=bogus&type=bogus") == {mine.pk, theirs.pk}


def test_comment_with_html_is_escaped_on_the_page(client, document, user):
    make(document, user, "Zinoviev", comment="<img src=x onerror=alert(1)>", visibility="public", status="approved")
    html = client.get(document.get_absolute_url()).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_profile_needs_sign_in(client):
    response = client.get("/accounts/profile/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_profile_creates_regenerates_and_revokes_the_api_token(client, user):
    client.force_login(user)
    assert "You have no API token" in client.get("/accounts/profile/").content.decode()
    client.post("/accounts/profile/token/", {"action": "create"})
    first = Token.objects.get(user=user).key
    assert first in client.get("/accounts/profile/").content.decode()
    client.post("/accounts/profile/token/", {"action": "regenerate"})
    assert Token.objects.get(user=user).key != first
    client.post("/accounts/profile/token/", {"action": "revoke"})
    assert not Token.objects.filter(user=user).exists()


def test_profile_creates_a_group_and_adds_members_by_username(client, user, other_user):
    client.force_login(user)
    client.post("/accounts/profile/groups/", {"name": "Trial-Readers"})
    group = AnnotationGroup.objects.get(name="trial-readers")
    assert list(group.members.all()) == [user] and group.created_by == user
    client.post("/accounts/profile/groups/trial-readers/members/", {"username": "bob"})
    assert set(group.members.all()) == {user, other_user}
    response = client.post("/accounts/profile/groups/trial-readers/members/", {"username": "nobody"}, follow=True)
    assert "There is no user called" in response.content.decode()
    html = client.get("/accounts/profile/").content.decode()
    assert "trial-readers" in html and "bob" in html


def test_only_members_can_add_to_a_group(client, user, other_user):
    group = AnnotationGroupFactory(name="closed", created_by=user)
    group.members.add(user)
    client.force_login(other_user)
    client.post("/accounts/profile/groups/closed/members/", {"username": "bob"})
    assert list(group.members.all()) == [user]


def test_duplicate_or_invalid_group_names_are_refused(client, user):
    client.force_login(user)
    client.post("/accounts/profile/groups/", {"name": "dup"})
    response = client.post("/accounts/profile/groups/", {"name": "dup"}, follow=True)
    assert "already exists" in response.content.decode()
    client.post("/accounts/profile/groups/", {"name": "no spaces allowed"})
    assert list(AnnotationGroup.objects.values_list("name", flat=True)) == ["dup"]


def test_history_page_shows_versions_to_those_who_may_see_the_annotation(client, document, user, other_user):
    annotation = make(document, user, "Zinoviev", visibility="private")
    assert client.get(f"/annotations/{annotation.pk}/history/").status_code == 404
    client.force_login(user)
    response = client.get(f"/annotations/{annotation.pk}/history/")
    assert response.status_code == 200 and "History of an annotation" in response.content.decode()


def test_reply_from_the_card_shares_the_parents_readers(client, document, user, other_user):
    parent = make(document, user, "Zinoviev", visibility="public")
    client.force_login(other_user)
    response = client.post(f"/annotations/{parent.pk}/replies/", {"comment": "Shot 25 August 1936."})
    assert response.status_code == 302 and response["Location"].endswith(f"#hl-{parent.pk}")
    reply = Annotation.objects.get(reply_to=parent)
    assert reply.comment == "Shot 25 August 1936." and reply.visibility == "public" and reply.creator == other_user
    assert "Shot 25 August 1936." in client.get(document.get_absolute_url()).content.decode()


def test_cannot_reply_to_an_annotation_one_cannot_see(client, document, user, other_user):
    parent = make(document, user, "Zinoviev", visibility="private")
    client.force_login(other_user)
    assert client.post(f"/annotations/{parent.pk}/replies/", {"comment": "hi"}).status_code == 404
    assert not Annotation.objects.filter(reply_to=parent).exists()


def test_only_curators_make_records_from_a_passage(client, user, curator):
    client.force_login(user)
    assert client.post("/records/new-from-passage/", {"label": "Lev Kamenev", "kind": "person"}).status_code == 403
    client.force_login(curator)
    response = client.post("/records/new-from-passage/", {"label": "Lev  Kamenev", "kind": "person"})
    assert response.status_code == 201
    record = Record.objects.get(pk=response.json()["id"])
    assert (record.label, record.kind) == ("Lev Kamenev", "person")
    assert response.json()["url"] == record.get_absolute_url()
