"""Relations out: a CSV edge list (source record, relation, target record, evidence passage URLs)
and W3C JSON-LD (linking annotations), each holding only what the scope and the read rule allow;
and relations in an annotation export are skipped on import, saying why."""

from __future__ import annotations

import csv
import io

import pytest

from annotations.models import Annotation, RelationType
from tests.factories import AnnotationFactory, DocumentFactory, RecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(user):
    yezhov, bukharin, moscow = (RecordFactory(label=n) for n in ("Nikolai Yezhov", "Nikolai Bukharin", "Moscow"))
    document = DocumentFactory(slug="trial", text="Yezhov had Bukharin shot in Moscow.")
    a = AnnotationFactory(document=document, creator=user, target_start=0, target_end=6, status="approved")
    a.records.add(yezhov)
    b = AnnotationFactory(document=document, creator=user, target_start=11, target_end=19, status="approved")
    b.records.add(bukharin)
    c = AnnotationFactory(document=document, creator=user, target_start=28, target_end=34, status="approved")
    c.records.add(moscow)
    accused = RelationType.objects.get(key="accused")
    executed = RelationType.objects.get(key="executed-at")

    def relation(source, target, kind, **fields):
        return Annotation.objects.create(document=document, creator=user, relation_source=source, relation_target=target,
                                         relation_type=kind, motivation="linking", **fields)

    published = relation(a, b, accused, visibility="public", status="approved", comment="=HYPERLINK(x)")
    pending = relation(b, c, executed, visibility="public", status="pending")
    private = relation(c, a, accused, visibility="private", status="approved")
    return published, pending, private


def rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_csv_edge_list_has_source_record_relation_target_record_and_evidence(curator_api, network):
    published, pending, private = network
    response = curator_api.get("/api/annotations/relations/export/?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    [row] = rows(response)  # public scope: approved and public, both ends too
    assert (row["source_label"], row["relation"], row["target_label"]) == ("Nikolai Yezhov", "accused", "Nikolai Bukharin")
    assert row["source_record"].startswith("http://testserver/records/")
    assert row["source_passage"] == "http://testserver/documents/trial/#pos=0-6"
    assert row["target_passage"] == "http://testserver/documents/trial/#pos=11-19"
    assert row["relation_url"] == f"http://testserver/api/annotations/{published.pk}/"
    assert row["comment"] == "'=HYPERLINK(x)"  # a formula is quoted, never run by a spreadsheet
    every = rows(curator_api.get("/api/annotations/relations/export/?format=csv&scope=all"))
    # The curator sees public and group notes, never another person's private one... nor here.
    assert sorted(r["relation"] for r in every) == ["accused", "executed-at"]


def test_an_end_that_is_not_published_keeps_the_relation_out_of_the_public_export(curator_api, network):
    published, *_ = network
    Annotation.objects.filter(pk=published.relation_target_id).update(status="pending")
    assert rows(curator_api.get("/api/annotations/relations/export/?format=csv")) == []


def test_the_json_ld_export_holds_linking_annotations(curator_api, network):
    published, *_ = network
    body = curator_api.get("/api/annotations/relations/export/?format=jsonld").json()
    [item] = body["first"]["items"]
    assert item["motivation"] == "linking"
    assert item["target"] == f"http://testserver/api/annotations/{published.relation_source_id}/"
    assert {"type": "SpecificResource", "purpose": "linking",
            "source": f"http://testserver/api/annotations/{published.relation_target_id}/"} in item["body"]
    # The whole-archive W3C export carries them too, and importing it skips them, saying why.
    export = curator_api.get("/api/annotations/export/?format=jsonld").json()
    assert any(i["motivation"] == "linking" for i in export["first"]["items"])
    report = curator_api.post("/api/annotations/import/?partial=1", export, format="json").json()
    assert any("relations are not imported" in s["reason"] for s in report["skipped"])


def test_bad_export_parameters_are_a_400_and_non_curators_a_403(curator_api, user_api, network):
    assert curator_api.get("/api/annotations/relations/export/?format=xml").status_code == 400
    assert curator_api.get("/api/annotations/relations/export/?scope=everyone").status_code == 400
    assert curator_api.get("/api/annotations/relations/export/?document=nope").status_code == 404
    assert user_api.get("/api/annotations/relations/export/").status_code == 403
