"""A record's page and API list every visible annotation linking to it, across documents, with the
quoted passage and a deep link."""

from __future__ import annotations

import pytest

from tests.factories import AnnotationFactory, DocumentFactory, RecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mentions(user):
    record = RecordFactory(label="Lev Kamenev")
    first = DocumentFactory(title="Trial transcript", text="Kamenev pleaded guilty on the first day.")
    second = DocumentFactory(title="Memoir", text="Later, I saw Kamenev only once.")
    a = AnnotationFactory(document=first, creator=user, target_start=0, target_end=7, comment="The plea",
                          status="approved")
    start = second.text.index("Kamenev")
    b = AnnotationFactory(document=second, creator=user, target_start=start, target_end=start + 7, status="approved")
    hidden = AnnotationFactory(document=second, creator=user, visibility="private", target_start=0, target_end=5)
    unrelated = AnnotationFactory(document=first, creator=user, target_start=8, target_end=15)
    for annotation in (a, b, hidden):
        annotation.records.add(record)
    return {"record": record, "shown": [a, b], "hidden": hidden, "unrelated": unrelated}


def test_record_api_lists_annotations_across_documents_with_quotes(api_client, mentions):
    body = api_client.get(f"/api/records/{mentions['record'].pk}/annotations/").json()
    assert body["record"]["label"] == "Lev Kamenev" and body["total"] == 2
    assert {(m["document"]["title"], m["quote"]) for m in body["mentions"]} == {("Trial transcript", "Kamenev"), ("Memoir", "Kamenev")}
    memoir = next(m for m in body["mentions"] if m["document"]["title"] == "Memoir")
    assert memoir["link"].endswith(f"/documents/{memoir['document']['slug']}/#pos={memoir['start']}-{memoir['end']}")
    assert memoir["prefix"] == "Later, I saw "
    assert memoir["annotation"]["type"] == "Annotation"


def test_record_api_for_an_unknown_record_is_404(api_client):
    assert api_client.get("/api/records/424242/annotations/").status_code == 404


def test_record_page_shows_mentions_with_passages_and_deep_links(client, mentions):
    html = client.get(f"/records/{mentions['record'].pk}/").content.decode()
    assert "Trial transcript" in html and "Memoir" in html
    assert "<mark>Kamenev</mark>" in html
    assert "The plea" in html
    b = mentions["shown"][1]
    assert f"#pos={b.target_start}-{b.target_end}" in html
    assert f'data-annotation-id="{mentions["hidden"].pk}"' not in html
    assert f'data-annotation-id="{mentions["unrelated"].pk}"' not in html


def test_record_page_without_mentions_says_so(client):
    record = RecordFactory()
    assert "No annotations link to this record yet." in client.get(f"/records/{record.pk}/").content.decode()


def test_record_page_carries_the_network_section_and_what_link_all_offers_the_reader(client, user):
    import json
    import re

    from annotations.models import AnnotationGroup

    record = RecordFactory(label="Lev Kamenev", kind="person")
    group = AnnotationGroup.objects.create(name="trial-team")
    group.members.add(user)
    AnnotationGroup.objects.create(name="not-mine")

    def config(html: str) -> dict:
        found = re.search(r'<script id="record-teamwork-data" type="application/json">(.*?)</script>', html, re.S)
        return json.loads(found.group(1))

    visitor = client.get(record.get_absolute_url()).content.decode()
    assert 'id="network-title"' in visitor and f'href="/api/records/{record.pk}/network/"' in visitor
    seen = config(visitor)
    assert seen["network"]["edges"] == [] and "No relations link Lev Kamenev to other records yet." in visitor
    assert {k: v for k, v in seen.items() if k != "network"} == {
        "record": {"id": record.pk, "label": "Lev Kamenev", "kind": "person"}, "can_create": False, "entity_types": [],
        "groups": []}
    assert 'id="link-all-record"' not in visitor

    client.force_login(user)
    reader = client.get(record.get_absolute_url()).content.decode()
    seen = config(reader)
    assert seen["can_create"] is True and seen["groups"] == ["trial-team"]
    assert {"key": "person", "label": "Person"} in seen["entity_types"]
    assert 'id="link-all-record"' in reader and 'name="csrfmiddlewaretoken"' in reader


def test_record_page_lists_the_network_the_reader_may_see_without_a_script(client, user, user_api):
    from annotations.models import Annotation

    kamenev = RecordFactory(label="Lev Kamenev", kind="person")
    zinoviev = RecordFactory(label="Grigory Zinoviev", kind="person")
    document = DocumentFactory(slug="trial", text="Kamenev and Zinoviev stood together.")
    k = AnnotationFactory(document=document, creator=user, target_start=0, target_end=7, status="approved")
    k.records.add(kamenev)
    z = AnnotationFactory(document=document, creator=user, target_start=12, target_end=20, status="approved")
    z.records.add(zinoviev)
    body = [{"type": "SpecificResource", "source": f"http://testserver/api/annotations/{z.pk}/"},
            {"type": "TextualBody", "purpose": "classifying", "value": "related-to"}]
    made = user_api.post("/api/annotations/", {"type": "Annotation", "motivation": "linking", "visibility": "public", "body": body,
                                               "target": f"http://testserver/api/annotations/{k.pk}/"}, format="json")
    assert made.status_code == 201, made.content
    relation = Annotation.objects.get(relation_source=k)
    relation.status = "approved"
    relation.save()
    html = client.get(kamenev.get_absolute_url()).content.decode()
    assert (f'<li class="network-edge"><a href="/records/{kamenev.pk}/">Lev Kamenev</a> <span class="rel-type">related to</span> → '
            f'<a href="/records/{zinoviev.pk}/">Grigory Zinoviev</a><span class="muted small"> (1 relation)</span>') in html
    assert '<a href="/documents/trial/#pos=0-7">“Kamenev”</a><span class="muted"> (trial) → </span>' in html
    assert '<a href="/documents/trial/#pos=12-20">“Zinoviev”</a>' in html
    # Not to a reader who may not see it.
    Annotation.objects.filter(pk=relation.pk).update(status="pending")
    assert "network-edge" not in client.get(kamenev.get_absolute_url()).content.decode()


def test_record_page_lists_a_few_evidence_passages_per_relation_and_says_how_many_more(client, user, user_api):
    from annotations.models import Annotation

    kamenev = RecordFactory(label="Lev Kamenev", kind="person")
    zinoviev = RecordFactory(label="Grigory Zinoviev", kind="person")
    document = DocumentFactory(slug="trial", text="Kamenev and Zinoviev. " * 7)
    for i in range(7):
        at = 22 * i
        k = AnnotationFactory(document=document, creator=user, target_start=at, target_end=at + 7, status="approved")
        k.records.add(kamenev)
        z = AnnotationFactory(document=document, creator=user, target_start=at + 12, target_end=at + 20, status="approved")
        z.records.add(zinoviev)
        body = [{"type": "SpecificResource", "source": f"http://testserver/api/annotations/{z.pk}/"},
                {"type": "TextualBody", "purpose": "classifying", "value": "related-to"}]
        assert user_api.post("/api/annotations/", {"type": "Annotation", "motivation": "linking", "visibility": "public", "body": body,
                                                   "target": f"http://testserver/api/annotations/{k.pk}/"}, format="json").status_code == 201
    Annotation.objects.filter(relation_source__isnull=False).update(status="approved")
    html = client.get(kamenev.get_absolute_url()).content.decode()
    assert "(7 relations)" in html and html.count("(trial) → </span>") == 5 and "and 2 more (see the JSON below)" in html


def test_record_page_lists_mentions_a_page_at_a_time(client, user):
    from annotations.templatetags.annotation_tags import MENTIONS_PER_PAGE

    record = RecordFactory(label="Nikolai Yezhov")
    document = DocumentFactory(title="Long text", text="Yezhov. " * (MENTIONS_PER_PAGE + 10))
    made = []
    for n in range(MENTIONS_PER_PAGE + 10):
        annotation = AnnotationFactory(document=document, creator=user, target_start=8 * n, target_end=8 * n + 6,
                                       status="approved")
        annotation.records.add(record)
        made.append(annotation)
    first = client.get(f"/records/{record.pk}/").content.decode()
    assert f"Annotated mentions <span class=\"count\">({MENTIONS_PER_PAGE + 10})</span>" in first
    assert first.count('class="mention"') == MENTIONS_PER_PAGE
    assert f"{MENTIONS_PER_PAGE + 10} published" in first and '?mentions=2#mentions' in first
    second = client.get(f"/records/{record.pk}/?mentions=2").content.decode()
    assert second.count('class="mention"') == 10
    assert f'data-annotation-id="{made[-1].pk}"' in second and f'data-annotation-id="{made[-1].pk}"' not in first
    for wrong in ("0", "abc", "999"):  # a page that is not there: the nearest one, never an error
        response = client.get(f"/records/{record.pk}/?mentions={wrong}")
        assert response.status_code == 200 and 'class="mention"' in response.content.decode()
