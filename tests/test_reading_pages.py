"""The reading room rendered by the server (no browser): highlights cut at annotation boundaries,
who sees what, the side list's filters, the profile page (token, groups), history and replies."""

from __future__ import annotations

import itertools
import json
import math
import re
from html import unescape
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from annotations.models import Annotation, AnnotationGroup, EntityType, Tag
from annotations.reading import annotated_blocks
from archive_site.models import Record

from .factories import AnnotationFactory, AnnotationGroupFactory, DocumentFactory, UserFactory

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
    assert (f'<mark class="hl et-person" data-start="{start}" data-ann-ids="{annotation.pk}" data-type="Person">'
            'Zinoviev</mark>') in html
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


# ---- the side list: what each entry shows, and its filters ----------------------------------------------


def listed_ids(client, document, query: str = "") -> set[int]:
    html = client.get(document.get_absolute_url() + query).content.decode()
    items = re.findall(r'<li class="ann-item" data-ann-id="(\d+)"[^>]*?( hidden)?>', html)
    return {int(pk) for pk, hidden in items if not hidden}


def side_entry(html: str, pk: int) -> str:
    return re.search(rf'<li class="ann-item" data-ann-id="{pk}".*?</summary>', html, re.S).group(0)


def test_each_side_list_entry_shows_the_comments_first_line_tags_creator_and_reply_count(client, document, user,
                                                                                         other_user):
    note = make(document, user, "Zinoviev", comment="\n  Shot 25 August 1936.\nSecond line stays in the card.",
                visibility="public", status="approved")
    note.tags.set([Tag.objects.create(name="defendant"), Tag.objects.create(name="<b>trial</b>")])
    for text in ("Kamenev too.", "See the Dewey Commission."):
        AnnotationFactory(document=document, creator=other_user, reply_to=note, comment=text, visibility="public",
                          status="approved", target_start=None, target_end=None, target_quote="",
                          target_prefix="", target_suffix="")
    entry = side_entry(client.get(document.get_absolute_url()).content.decode(), note.pk)
    assert '<span class="ann-excerpt">Shot 25 August 1936.</span>' in entry
    assert "Second line" not in entry
    assert '<span class="tag">defendant</span>' in entry and '<span class="tag">&lt;b&gt;trial&lt;/b&gt;</span>' in entry
    assert '<span class="by">alice</span>' in entry
    assert '<span class="replies">2 replies</span>' in entry


def test_side_list_filters_by_words_tag_creator_and_record_without_javascript(client, document, user, other_user):
    zinoviev = Record.objects.create(key="zinoviev", kind="person", label="Grigory Zinoviev")
    trial = Record.objects.create(key="trial", kind="event", label="Trial of the Sixteen")
    a = make(document, user, "Zinoviev", comment="Chief defendant, shot in Moscow.", visibility="public")
    a.tags.set([Tag.objects.create(name="defendant")])
    a.records.set([zinoviev])
    b = make(document, other_user, "Moscow Show Trial", comment="The Trial of the Sixteen (Moskva).",
             visibility="public", status="approved")
    b.tags.set([Tag.objects.create(name="trial")])
    b.records.set([trial])
    client.force_login(user)

    assert listed_ids(client, document) == {a.pk, b.pk}
    assert listed_ids(client, document, "?q=shot") == {a.pk}
    assert listed_ids(client, document, "?q=SIXTEEN+moskva") == {b.pk}  # every word, any case
    assert listed_ids(client, document, "?q=sixteen+defendant") == set()
    assert listed_ids(client, document, "?q=grigory") == {a.pk}  # the linked record's name
    assert listed_ids(client, document, "?q=bob") == {b.pk}  # the creator
    assert listed_ids(client, document, "?tag=defendant") == {a.pk}
    assert listed_ids(client, document, "?creator=bob") == {b.pk}
    assert listed_ids(client, document, f"?record={trial.pk}") == {b.pk}
    assert listed_ids(client, document, f"?record={trial.pk}&creator=alice") == set()
    assert listed_ids(client, document, "?record=abc&tag=&creator=") == {a.pk, b.pk}

    html = client.get(document.get_absolute_url() + "?creator=bob").content.decode()
    assert "Showing <span class=\"n\">1</span> of 2." in html
    for option in ('<option value="defendant">defendant (1)</option>', '<option value="trial">trial (1)</option>',
                   '<option value="alice">alice (1)</option>', f'<option value="{zinoviev.pk}">Grigory Zinoviev (1)</option>'):
        assert option in html
    assert '<option value="bob" selected>bob (1)</option>' in html


def test_the_words_filter_ignores_accents_and_case(client, document, user):
    note = make(document, user, "Zinoviev", comment="Blücher and Ежов", visibility="public", status="approved")
    assert listed_ids(client, document, "?q=BLUCHER") == {note.pk}
    assert listed_ids(client, document, "?q=ежов") == {note.pk}
    assert listed_ids(client, document, "?q=bluecher") == set()


def test_visitors_are_not_shown_the_suggested_entity_key(client, document, user):
    assert "Suggested entity" not in client.get(document.get_absolute_url()).content.decode()
    client.force_login(user)
    assert "Suggested entity" in client.get(document.get_absolute_url()).content.decode()


# ---- colours: distinct for colour-blind readers, a second cue, contrast ----------------------------------

SITE_CSS = Path(__file__).resolve().parent.parent / "archive_site" / "static" / "archive_site" / "site.css"
# Machado, Oliveira & Fernandes (2009), full severity, applied to linear RGB.
CVD = {
    "normal vision": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}


def css_colours() -> dict[str, str]:
    css = SITE_CSS.read_text()
    return dict(re.findall(r"--([a-z]+):\s*(#[0-9a-fA-F]{6})\b", css))


def linear(hex_colour: str) -> list[float]:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    return [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]


def luminance(hex_colour: str) -> float:
    r, g, b = linear(hex_colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def lab(hex_colour: str, vision: str) -> tuple[float, float, float]:
    rgb = linear(hex_colour)
    r, g, b = (min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb, strict=True)))) for row in CVD[vision])
    xyz = ((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047, 0.2126 * r + 0.7152 * g + 0.0722 * b,
           (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883)
    fx, fy, fz = (t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in xyz)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def ciede2000(lab1, lab2) -> float:
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar**7 / (c_bar**7 + 25**7)))
    a1, a2 = a1 * (1 + g), a2 * (1 + g)
    c1, c2 = math.hypot(a1, b1), math.hypot(a2, b2)
    h1, h2 = math.degrees(math.atan2(b1, a1)) % 360, math.degrees(math.atan2(b2, a2)) % 360
    dh = 0.0 if c1 * c2 == 0 else (h2 - h1 + 180) % 360 - 180
    d_l, d_c, d_h = l2 - l1, c2 - c1, 2 * math.sqrt(c1 * c2) * math.sin(math.radians(dh / 2))
    l_bar, c_bar2 = (l1 + l2) / 2, (c1 + c2) / 2
    if c1 * c2 == 0:
        h_bar = h1 + h2
    elif abs(h1 - h2) <= 180:
        h_bar = (h1 + h2) / 2
    else:
        h_bar = (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(h_bar - 30)) + 0.24 * math.cos(math.radians(2 * h_bar))
         + 0.32 * math.cos(math.radians(3 * h_bar + 6)) - 0.20 * math.cos(math.radians(4 * h_bar - 63)))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / math.sqrt(20 + (l_bar - 50) ** 2)
    s_c, s_h = 1 + 0.045 * c_bar2, 1 + 0.015 * c_bar2 * t
    r_t = (-math.sin(math.radians(60 * math.exp(-(((h_bar - 275) / 25) ** 2))))
           * 2 * math.sqrt(c_bar2**7 / (c_bar2**7 + 25**7)))
    return math.sqrt((d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_h / s_h) ** 2 + r_t * (d_c / s_c) * (d_h / s_h))


HIGHLIGHTS = ("person", "place", "organisation", "event", "date", "other", "none")


def closest_pair(colours: dict[str, str]) -> tuple[float, str]:
    """The smallest CIEDE2000 difference between two highlight colours, or a colour and the paper,
    under normal vision and each simulated deficiency."""
    worst = (math.inf, "")
    for vision in CVD:
        labs = {name: lab(colours[name], vision) for name in (*HIGHLIGHTS, "paper")}
        for x, y in itertools.combinations(labs, 2):
            worst = min(worst, (ciede2000(labs[x], labs[y]), f"{x}/{y} ({vision})"))
    return worst


def test_ciede2000_agrees_with_the_published_reference_pairs():
    # Sharma, Wu & Dalal (2005), table 1: pairs 1, 7 and 17.
    assert round(ciede2000((50, 2.6772, -79.7751), (50, 0, -82.7485)), 4) == 2.0425
    assert round(ciede2000((50, 0, 0), (50, -1, 2)), 4) == 2.3669
    assert round(ciede2000((50, 2.5, 0), (73, 25, -18)), 4) == 27.1492


def test_highlight_colours_stay_apart_for_colour_blind_readers_and_from_the_paper():
    colours = css_colours()
    difference, pair = closest_pair(colours)
    assert difference >= 10, f"{pair} differ by only {difference:.1f} (CIEDE2000)"
    # The palette of the first version failed: Person and "no entity type" were 0.7 apart for a
    # deuteranope (organisation/date).
    old = {"person": "#fde2a7", "place": "#c7ecd2", "organisation": "#cfe0fb", "event": "#f6cfe0",
           "date": "#e5d9fb", "other": "#e6e6e6", "none": "#ffe58a", "paper": colours["paper"]}
    assert closest_pair(old)[0] < 2


def test_text_keeps_wcag_aa_contrast_on_every_highlight_and_the_quiet_markdown_marks_too():
    colours = css_colours()
    for name in HIGHLIGHTS:
        assert contrast(colours["ink"], colours[name]) >= 7, name  # AAA for the text itself
    assert contrast(colours["md"], colours["paper"]) >= 4.5
    assert contrast("#9a948a", colours["paper"]) < 3  # (the marks' first grey: 2.9:1)
    # Inside a highlight the marks take the ink (>= 7:1 above); outside it the quiet colour.
    css = SITE_CSS.read_text()
    assert re.search(r"\.doc-text \.md \{[^}]*color: var\(--md\)", css)
    assert re.search(r"\.doc-text mark\.md \{[^}]*color: inherit", css)


def test_each_entity_type_has_a_cue_besides_colour(client, document, user):
    css = SITE_CSS.read_text()
    styles = dict(re.findall(r"\.et-([a-z]+) \{[^}]*--deco: (\w+);", css))
    assert set(styles) == {"person", "place", "organisation", "event", "date"}
    assert len(set(styles.values())) == len(styles)  # an underline of its own for each
    assert "content: attr(data-type)" in css  # and the highlight names its type on hover
    seeded = set(EntityType.objects.values_list("key", flat=True))
    assert seeded - set(styles) <= {"other"}  # "other" and "no entity type": no underline, named on hover
    make(document, user, "Moscow Show Trial", entity_type=EntityType.objects.get(key="event"), visibility="public",
         status="approved")
    make(document, user, "Show Trial opened", visibility="public", status="approved")
    html = client.get(document.get_absolute_url()).content.decode()
    assert 'data-type="Event">Moscow </mark>' in html
    assert 'data-type="Event · 2 notes">Show Trial</mark>' in html
    assert 'data-type="Note"> opened</mark>' in html


# ---- the profile: your annotations, tokens, groups ------------------------------------------------------


def test_the_first_token_does_not_speak_of_an_earlier_one(client, user):
    client.force_login(user)
    first = client.post("/accounts/profile/token/", {"action": "create"}, follow=True).content.decode()
    assert "Your API token was made." in first and "earlier" not in first
    second = client.post("/accounts/profile/token/", {"action": "regenerate"}, follow=True).content.decode()
    assert "the earlier one no longer works" in second


def test_the_profile_lists_my_annotations_with_status_and_the_reviewers_reason(client, document, user, other_user,
                                                                               curator):
    mine = make(document, user, "Zinoviev", comment="My pending note", visibility="public")
    rejected = make(document, user, "Moscow Show Trial", comment="My guess", visibility="public", status="rejected",
                    review_reason="Not <b>supported</b> by the text", reviewed_by=curator)
    private = make(document, user, "Show Trial opened", comment="Only for me", visibility="private")
    theirs = make(document, other_user, "August 19", comment="Bob's note", visibility="public", status="approved")
    client.force_login(user)
    html = client.get("/accounts/profile/").content.decode()
    ids = {int(pk) for pk in re.findall(r'<li class="my-note" data-annotation-id="(\d+)"', html)}
    assert ids == {mine.pk, rejected.pk, private.pk}
    assert theirs.pk not in ids and "Bob&#x27;s note" not in html
    assert "Not &lt;b&gt;supported&lt;/b&gt; by the text" in html and "(carol)" in html
    assert "All (3)" in html and "Pending (2)" in html and "Rejected (1)" in html

    only_rejected = client.get("/accounts/profile/?status=rejected").content.decode()
    assert {int(pk) for pk in re.findall(r'class="my-note" data-annotation-id="(\d+)"', only_rejected)} == {rejected.pk}
    assert client.get("/accounts/profile/?status=bogus&page=x").status_code == 200


def test_the_profile_pages_through_many_annotations(client, document, user):
    for _ in range(30):
        make(document, user, "Zinoviev", visibility="private")
    client.force_login(user)
    first = client.get("/accounts/profile/").content.decode()
    second = client.get("/accounts/profile/?page=2").content.decode()
    assert first.count('class="my-note"') == 25 and second.count('class="my-note"') == 5
    assert "Page 1 of 2" in first and client.get("/accounts/profile/?page=99").status_code == 200


def test_the_group_name_pattern_is_a_regular_expression_browsers_accept(client, user):
    client.force_login(user)
    html = client.get("/accounts/profile/").content.decode()
    pattern = unescape(re.search(r'id="group-name"[^>]*pattern="([^"]+)"', html).group(1))
    # Browsers compile the pattern with the "v" flag, where "-" must be escaped inside a class
    # unless it makes a range: the first version, [-a-zA-Z0-9_]+, was refused there.
    body = pattern[1:pattern.index("]")]
    assert not body.startswith("-") and re.sub(r"\\-|[a-zA-Z0-9]-[a-zA-Z0-9]", "", body).count("-") == 0
    assert re.fullmatch(pattern, "trial-readers_1") and not re.fullmatch(pattern, "no spaces")


def test_the_groups_creator_removes_a_member_and_others_cannot(client, user, other_user):
    third = UserFactory(username="dora")
    group = AnnotationGroupFactory(name="seminar", created_by=user)
    group.members.add(user, other_user, third)
    client.force_login(other_user)
    response = client.post("/accounts/profile/groups/seminar/members/dora/remove/", follow=True)
    assert "Only the group&#x27;s creator or a curator can remove its members." in response.content.decode()
    assert set(group.members.all()) == {user, other_user, third}
    client.force_login(user)
    response = client.post("/accounts/profile/groups/seminar/members/dora/remove/", follow=True)
    assert "dora is no longer a member of seminar." in response.content.decode()
    assert set(group.members.all()) == {user, other_user}
    response = client.post("/accounts/profile/groups/seminar/members/nobody/remove/", follow=True)
    assert "&#x27;nobody&#x27; is not a member of seminar." in response.content.decode()
    assert client.post("/accounts/profile/groups/nogroup/members/dora/remove/").status_code == 404
    assert client.get("/accounts/profile/groups/seminar/members/bob/remove/").status_code == 405


def test_a_member_leaves_a_group_and_no_longer_sees_its_notes(client, document, user, other_user):
    group = AnnotationGroupFactory(name="seminar", created_by=user)
    group.members.add(user, other_user)
    make(document, user, "Zinoviev", comment="For the seminar", visibility="group", group=group)
    client.force_login(other_user)
    assert "For the seminar" in client.get(document.get_absolute_url()).content.decode()
    response = client.post("/accounts/profile/groups/seminar/leave/", follow=True)
    assert "You left seminar" in response.content.decode()
    assert list(group.members.all()) == [user]
    assert "For the seminar" not in client.get(document.get_absolute_url()).content.decode()
    again = client.post("/accounts/profile/groups/seminar/leave/", follow=True)
    assert "You are not a member of seminar." in again.content.decode()
