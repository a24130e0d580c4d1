from __future__ import annotations

from pathlib import Path

import pytest
from rest_framework.test import APIClient

from archive_site.loader import load_archive

from .factories import UserFactory

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
SHARED = REPO.parent / "shared"


@pytest.fixture
def seed_archive(db):
    """The archive's own five documents and records, loaded as `make run` loads them."""
    return load_archive(FIXTURES)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory(username="alice")


@pytest.fixture
def other_user(db):
    return UserFactory(username="bob")


@pytest.fixture
def curator(db):
    from django.contrib.auth.models import Group

    user = UserFactory(username="carol")
    user.groups.add(Group.objects.get_or_create(name="curators")[0])
    return user


@pytest.fixture
def curator_api(curator) -> APIClient:
    """An API client signed in as the curator."""
    client = APIClient()
    client.force_authenticate(curator)
    return client


@pytest.fixture
def user_api(user) -> APIClient:
    """An API client signed in as the ordinary user (alice)."""
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not present next to the repository")
    return SHARED


@pytest.fixture
def annotation_payload():
    """Build W3C Web Annotation JSON-LD for POST/PUT: annotation_payload(document, start, end, ...)."""

    def build(document, start, end, *, comment=None, tags=(), entity_type=None, records=(), visibility=None, **extra):
        body = []
        if comment is not None:
            body.append({"type": "TextualBody", "purpose": "commenting", "value": comment})
        body += [{"type": "TextualBody", "purpose": "tagging", "value": t} for t in tags]
        if entity_type:
            body.append({"type": "TextualBody", "purpose": "classifying", "value": entity_type})
        body += [{"type": "SpecificResource", "purpose": "identifying", "source": f"http://testserver/records/{r.pk}/"} for r in records]
        payload = {
            "@context": "http://www.w3.org/ns/anno.jsonld",
            "type": "Annotation",
            "target": {
                "source": f"http://testserver/documents/{document.slug}/",
                "selector": [
                    {"type": "TextPositionSelector", "start": start, "end": end},
                    {"type": "TextQuoteSelector", "exact": document.text[start:end]},
                ],
            },
        }
        if body:
            payload["body"] = body
        if visibility:
            payload["visibility"] = visibility
        payload.update(extra)
        return payload

    return build


@pytest.fixture(autouse=True)
def search_index(tmp_path_factory, settings):
    """Every test gets its own empty search index directory (removed with the tmp dir), and a
    fresh backend pointing at it."""
    from search.backends import reset_search_backend

    settings.SEARCH_INDEX_DIR = tmp_path_factory.mktemp("search") / "index"
    reset_search_backend()
    yield settings.SEARCH_INDEX_DIR
    reset_search_backend()


@pytest.fixture
def seed_index(seed_archive, search_index):
    """The seed archive, with the search index rebuilt from it (one optimized segment)."""
    from django.core.management import call_command

    call_command("rebuild_index", "--no-progress", stdout=open("/dev/null", "w"))
    return seed_archive
