"""Entity suggestions: spans naming known records by label or alias (case, possessives,
transliteration variants the records list), longest match first, skipping annotated spans."""

from __future__ import annotations

import time

import pytest

from archive_site.models import Document, Record
from tests.factories import AnnotationFactory, DocumentFactory, RecordFactory

pytestmark = pytest.mark.django_db

TEXT = (
    "STALIN's orders reached Lev Davidovich Trotsky in exile; Trotzky replied. "
    "Stalin’s men met in Moscow.\n\nStalinism is not a name. Koba smiled."
)


@pytest.fixture
def records():
    stalin = RecordFactory(label="Joseph Stalin", aliases=["Stalin", "Koba"])
    trotsky = RecordFactory(label="Leon Trotsky", aliases=["Trotsky", "Lev Davidovich Trotsky", "Trotzky"])
    moscow = RecordFactory(label="Moscow", kind=Record.Kind.PLACE)
    return {"stalin": stalin, "trotsky": trotsky, "moscow": moscow}


def _get(client, document):
    response = client.get(f"/api/documents/{document.slug}/suggestions/")
    assert response.status_code == 200
    return response.json()["suggestions"]


def test_suggestions_find_labels_and_aliases_with_case_possessives_and_variants(api_client, records):
    document = DocumentFactory(text=TEXT)
    found = [(s["quote"], s["record"]["id"], s["entity_type"]) for s in _get(api_client, document)]
    assert found == [
        ("STALIN", records["stalin"].pk, "person"),
        ("Lev Davidovich Trotsky", records["trotsky"].pk, "person"),  # longest match wins over "Trotsky"
        ("Trotzky", records["trotsky"].pk, "person"),
        ("Stalin", records["stalin"].pk, "person"),  # Stalin’s with a typographic apostrophe
        ("Moscow", records["moscow"].pk, "place"),
        ("Koba", records["stalin"].pk, "person"),
    ]  # "Stalinism" is not "Stalin": word boundaries
    first = _get(api_client, document)[0]
    assert (first["start"], first["end"]) == (0, 6) and TEXT[first["start"] : first["end"]] == first["quote"]
    assert first["record"]["url"].endswith(f"/records/{records['stalin'].pk}/")
    assert first["record"]["label"] == "Joseph Stalin" and first["record"]["kind"] == "person"


def test_spans_already_annotated_by_visible_annotations_are_skipped(api_client, user, other_user, records):
    document = DocumentFactory(text=TEXT)
    moscow = TEXT.index("Moscow")
    AnnotationFactory(document=document, creator=user, visibility="private", target_start=moscow, target_end=moscow + 6)
    AnnotationFactory(document=document, creator=user, visibility="public", target_start=0, target_end=8)
    api_client.force_authenticate(user)
    mine = [s["quote"] for s in _get(api_client, document)]
    assert "Moscow" not in mine and "STALIN" not in mine
    api_client.force_authenticate(other_user)
    theirs = [s["quote"] for s in _get(api_client, document)]
    assert "Moscow" in theirs and "STALIN" not in theirs  # another user's private annotation does not hide it


def test_new_and_edited_records_are_picked_up(api_client, records):
    document = DocumentFactory(text=TEXT)
    assert "Stalinism" not in {s["quote"] for s in _get(api_client, document)}
    records["moscow"].aliases = ["Moskva"]
    records["moscow"].save()
    RecordFactory(label="Stalinism", kind=Record.Kind.OTHER)
    quotes = {s["quote"]: s for s in _get(api_client, document)}
    assert quotes["Stalinism"]["entity_type"] == "other"


def test_unknown_document_is_404(api_client):
    assert api_client.get("/api/documents/nope/suggestions/").status_code == 404


def test_suggestions_on_the_archive_are_fast_enough_for_page_load(api_client, seed_archive):
    longest = max(Document.objects.all(), key=lambda d: len(d.text))
    _get(api_client, longest)  # builds the matcher once
    started = time.perf_counter()
    found = _get(api_client, longest)
    elapsed = time.perf_counter() - started
    assert found and any(s["quote"].lower().startswith("stalin") for s in found)
    assert elapsed < 1.0, f"{elapsed:.2f}s for {len(longest.text)} characters"
