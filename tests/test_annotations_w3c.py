"""The JSON-LD the server emits validates against the W3C Web Annotation model test suite's
schemas (../shared/w3c/, skipped when absent): every MUST assertion of annotationMusts.test for
annotations, collectionMusts.test for the container, pageMusts.test for a page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.factories import DocumentFactory, RecordFactory

pytestmark = pytest.mark.django_db


def _registry(w3c: Path) -> Registry:
    resources = []
    for path in w3c.rglob("*.json"):
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        resource = Resource.from_contents(schema, default_specification=DRAFT4)
        resources.append((path.name, resource))
        resources.append((path.relative_to(w3c).as_posix(), resource))
    return Registry().with_resources(resources)


def _failures(w3c: Path, test_file: str, instance: dict) -> list[str]:
    """Assertions of ``test_file`` whose 'must' outcome differs from its expectedResult."""
    registry = _registry(w3c)
    test = json.loads((w3c / test_file).read_text(encoding="utf-8"))
    failures = []
    for name in test["assertions"]:
        assertion = json.loads((w3c / name).read_text(encoding="utf-8"))
        if assertion.get("assertionType", "must") != "must":
            continue
        valid = Draft4Validator(assertion, registry=registry).is_valid(instance)
        expected = assertion.get("expectedResult", "valid") == "valid"
        if valid != expected:
            failures.append(f"{name}: {assertion.get('errorMessage', '')}")
    return failures


@pytest.fixture
def w3c(shared_dir) -> Path:
    return shared_dir / "w3c"


@pytest.fixture
def rich_annotation(api_client, user, annotation_payload):
    document = DocumentFactory(text="Emoji 🙂 first: Zinoviev and Kamenev were shot in August 1936.")
    record = RecordFactory(label="Grigory Zinoviev", aliases=["Zinoviev"])
    api_client.force_authenticate(user)
    start = document.text.index("Zinoviev")
    payload = annotation_payload(
        document, start, start + 8, comment="Executed 25 August 1936", tags=["trial", "old bolshevik"],
        entity_type="person", records=[record], visibility="public",
    )
    response = api_client.post("/api/annotations/", payload, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_runner_accepts_the_specs_correct_sample_and_rejects_an_incorrect_one(w3c):
    samples = w3c / "tools" / "samples"
    correct = json.loads((samples / "correct" / "anno1.json").read_text(encoding="utf-8"))
    assert _failures(w3c, "annotations/annotationMusts.test", correct) == []
    broken = dict(correct)
    broken.pop("target")
    assert _failures(w3c, "annotations/annotationMusts.test", broken)


def test_created_annotation_json_ld_meets_every_must_of_the_model(w3c, rich_annotation):
    assert _failures(w3c, "annotations/annotationMusts.test", rich_annotation) == []


def test_highlight_without_body_and_a_reply_meet_the_model(w3c, api_client, user, annotation_payload):
    document = DocumentFactory()
    api_client.force_authenticate(user)
    highlight = api_client.post("/api/annotations/", annotation_payload(document, 3, 9), format="json").json()
    assert "body" not in highlight
    assert highlight["motivation"] == "highlighting"
    assert _failures(w3c, "annotations/annotationMusts.test", highlight) == []
    reply = api_client.post(
        "/api/annotations/",
        {"type": "Annotation", "motivation": "replying", "target": highlight["id"], "bodyValue": "Agreed."},
        format="json",
    )
    assert reply.status_code == 201, reply.content
    assert _failures(w3c, "annotations/annotationMusts.test", reply.json()) == []


def test_container_and_page_meet_the_collection_musts(w3c, api_client, rich_annotation):
    container = api_client.get("/api/annotations/").json()
    assert _failures(w3c, "collections/collectionMusts.test", container) == []
    page = api_client.get("/api/annotations/?page=0").json()
    assert _failures(w3c, "collections/pages/pageMusts.test", page) == []
    for item in page["items"]:
        assert _failures(w3c, "annotations/annotationMusts.test", {"@context": "http://www.w3.org/ns/anno.jsonld", **item}) == []
