"""TEI out: valid TEI P5 (checked with jing against ../shared/tei/tei_all.rng), the published
annotations inline with @ref to their records and the records listed in the header; importing
the export gives back the same text and the same annotations."""

from __future__ import annotations

import subprocess

import pytest
from django.core.management import call_command

from annotations import services
from annotations.models import Annotation, EntityType, RelationType
from annotations.schemas import AnnotationInput
from archive_site import document_services
from archive_site.models import Record
from curation import tei

from .ingest_samples import needs_jing

pytestmark = pytest.mark.django_db

TEXT = ("# The trial\n\nIn  August 1936 Zinoviev & <Kamenev> were tried in Moscow.\nStalin watched. 𝔊\n\n\n\n"
        "Last paragraph, with Stalin again.")


@pytest.fixture
def annotated(curator, user):
    stalin = Record.objects.create(key="stalin", kind="person", label="Joseph Stalin", external_ids={"wikidata": "Q855"})
    moscow = Record.objects.create(key="moscow", kind="place", label="Moscow")
    document = document_services.create_document(user=curator, title="The trial", text=TEXT, date="1936-08",
                                                  source="https://example.org/trial", kind="lecture")
    types = {t.key: t for t in EntityType.objects.all()}

    def note(by, first, last=None, **fields):
        start = document.text.index(first)
        end = document.text.index(last) + len(last) if last else start + len(first)
        return services.create_annotation(user=by, data=AnnotationInput(
            document=document, start=start, end=end, quote=document.text[start:end], visibility="public", **fields))

    in_moscow = note(curator, "Moscow", entity_type=types["place"], records=[moscow])
    stalin_note = note(curator, "Stalin", entity_type=types["person"], records=[stalin], comment="The  General Secretary")
    note(curator, "Zinoviev", "were", entity_type=types["event"])  # crosses the next one
    note(curator, "Kamenev", "tried in Mos")  # crosses into Moscow
    note(curator, "Stalin watched", "Last", comment="crosses two paragraph breaks")
    august = note(user, "August 1936", entity_type=types["date"])  # pending: not published
    relation_type = RelationType.objects.order_by("pk").first()
    document.published_relation = services.create_annotation(user=curator, data=AnnotationInput(
        document=document, start=None, end=None, quote="", relation_source=stalin_note, relation_target=in_moscow, relation_type=relation_type, comment="He ran it",
        visibility="public"))
    services.create_annotation(user=user, data=AnnotationInput(  # pending: not published
        document=document, start=None, end=None, quote="", relation_source=august, relation_target=in_moscow, relation_type=relation_type, visibility="public"))
    return document


def _key(annotation):
    return (annotation.target_start, annotation.target_end, annotation.entity_type.key if annotation.entity_type else None,
            tuple(sorted(r.key for r in annotation.records.all())), annotation.comment, annotation.status)


def test_the_export_is_valid_tei_p5(annotated, shared_dir, tmp_path):
    schema = needs_jing(shared_dir)
    path = tmp_path / "trial.xml"
    path.write_bytes(tei.export_tei(annotated, tei.export_annotations(user=None, document=annotated, scope="public"),
                                    base="http://testserver"))
    result = subprocess.run(["jing", str(schema), str(path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_export_marks_names_inline_and_lists_the_records(annotated, client):
    response = client.get(f"/api/documents/{annotated.slug}/tei/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/tei+xml")
    body = response.content.decode()
    stalin, moscow = Record.objects.get(key="stalin"), Record.objects.get(key="moscow")
    assert f'<persName ref="http://testserver/records/{stalin.pk}/" key="stalin"' in body
    assert f'<placeName ref="http://testserver/records/{moscow.pk}/" key="moscow"' in body
    assert '<rs type="event"' in body and '<person xml:id="rec-stalin">' in body and '<place xml:id="rec-moscow">' in body
    assert "<listPerson>" in body and "<listPlace>" in body and "Joseph Stalin" in body
    assert "<date" not in body.split("<text", 1)[1]  # the pending date note is not published
    relation = annotated.published_relation
    stalin_note, moscow_note = relation.relation_source, relation.relation_target
    assert body.count("<relation ") == 1  # the pending relation is not published either
    assert (f'<relation name="{relation.relation_type.key}" active="#a{stalin_note.pk}" passive="#a{moscow_note.pk}" '
            f'xml:id="r{relation.pk}"') in body
    assert f'xml:id="a{stalin_note.pk}"' in body and f'xml:id="a{moscow_note.pk}"' in body
    assert "<desc>He ran it</desc>" in body


def test_importing_the_export_gives_back_the_text_and_the_annotations(annotated, curator):
    exported = tei.export_tei(annotated, tei.export_annotations(user=None, document=annotated, scope="public"),
                              base="http://testserver")
    copy = document_services.create_document_from_file(user=curator, data=exported, filename="trial.xml", slug="copy")
    assert copy.text == annotated.text
    assert (copy.title, copy.date, copy.source, copy.kind, copy.language) == (
        "The trial", "1936-08", "https://example.org/trial", "lecture", "en")
    published = Annotation.objects.filter(document=annotated, status="approved", relation_source__isnull=True)
    assert sorted(map(_key, Annotation.objects.filter(document=copy))) == sorted(map(_key, published))


def test_the_command_and_scope_all(annotated, tmp_path, curator_api):
    out = tmp_path / "all.xml"
    call_command("export_tei", annotated.slug, "--scope", "all", "--output", str(out), stderr=open("/dev/null", "w"))
    assert "August 1936</date>" in out.read_text(encoding="utf-8")  # the pending note is in "all"
    assert curator_api.get(f"/api/documents/{annotated.slug}/tei/?scope=nope").status_code == 400
