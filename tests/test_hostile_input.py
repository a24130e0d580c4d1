"""Hostile input: property-based tests (Hypothesis) of the search query parser and of annotation
validation; size limits on bodies and queries; unusual Unicode (combining marks, right-to-left
text, astral characters, NUL) annotated and searched at the right code-point offsets; XSS
payloads in every user-writable field shown as text on every page and in every snippet."""

from __future__ import annotations

import html
import json
import re
import time

import pytest
from django.test import Client, override_settings
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from annotations.models import Annotation, AnnotationGroup, EntityType
from annotations.schemas import InputError, parse_annotation
from archive_site.models import Document, Record
from search import services
from search.errors import QueryError
from search.parser import parse
from tests.factories import AnnotationFactory, DocumentFactory, RecordFactory

pytestmark = pytest.mark.django_db
FIXTURE_SETTINGS = settings(max_examples=100, deadline=None,
                            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Text a hostile or careless user might type: the query language's own syntax, odd Unicode, controls.
QUERY_ALPHABET = st.sampled_from(list(
    'abcxyz Zinoviev"()*~:^[]{}<>-+!?/\\\'`&|=,.;_%$#@ TO AND OR NOT title:year:kind:author:'
)) | st.characters(codec="utf-8")
QUERIES = st.text(QUERY_ALPHABET, max_size=80) | st.text(max_size=40)
QUERY_EXAMPLES = ['"', "(", ")", "year:[", "title:", "*", "~", "a~99", "year:[1936 TO", "NOT", "AND OR",
                  "\x00", "\u0301", "\U0001F4DC*", "x" * 600, "kind:(", "title:\"", "[TO]", "a:b:c", "^2"]


def _with_examples(fn):
    for value in QUERY_EXAMPLES:
        fn = example(text=value)(fn)
    return fn


@given(text=QUERIES)
@_with_examples
@settings(max_examples=400, deadline=None)
def test_query_parser_accepts_or_refuses_with_a_message_never_crashes(text):
    try:
        parsed = parse(text)
    except QueryError as exc:
        assert str(exc)
    else:
        assert parsed.tree is not None


@given(text=QUERIES)
@_with_examples
@FIXTURE_SETTINGS
def test_search_api_answers_200_or_400_for_any_query(seed_index, text):
    response = APIClient().get("/api/search/", {"q": text, "type": "document"})
    assert response.status_code in (200, 400), (text, response.status_code)
    if response.status_code == 200:
        for item in response.json()["results"]:
            doc = Document.objects.get(slug=item["slug"])
            for snippet in item["snippets"]:
                plain = html.unescape(re.sub(r"</?mark>", "", snippet["html"]))
                assert plain == doc.text[snippet["start"]:snippet["end"]]


@given(text=QUERIES, kind=st.sampled_from(["record", "annotation"]))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_search_service_raises_only_query_errors(seed_index, text, kind):
    try:
        services.search(user=None, text=text, type=kind)
    except QueryError:
        pass


# --- annotation validation ---------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
SELECTOR = st.fixed_dictionaries({"type": st.sampled_from(["TextPositionSelector", "TextQuoteSelector", "X"])},
                                 optional={"start": JSON | st.integers(-5, 200), "end": JSON | st.integers(-5, 200),
                                           "exact": JSON | st.text(max_size=10), "prefix": JSON, "suffix": JSON})
BODY = st.fixed_dictionaries({}, optional={
    "type": st.sampled_from(["TextualBody", "SpecificResource", "Other"]) | JSON,
    "purpose": st.sampled_from(["commenting", "tagging", "classifying", "identifying", "linking"]) | JSON,
    "value": st.text(max_size=30) | JSON, "source": st.sampled_from(["http://testserver/records/1/", "/records/999999/",
                                                                     "javascript:alert(1)"]) | JSON})
VALID_TARGET = st.fixed_dictionaries({
    "source": st.just("http://testserver/documents/doc/"),
    "selector": st.lists(st.fixed_dictionaries({"type": st.just("TextPositionSelector"), "start": st.integers(0, 40),
                                                "end": st.integers(0, 80)}), min_size=1, max_size=1),
})
FIELDS = {
    "@context": st.just("http://www.w3.org/ns/anno.jsonld"),
    "type": st.sampled_from(["Annotation", "Other"]) | JSON,
    "target": st.fixed_dictionaries({"source": st.sampled_from(["http://testserver/documents/doc/", "/documents/none/",
                                                                "http://testserver/api/annotations/1/", ""]) | JSON},
                                    optional={"selector": st.lists(SELECTOR, max_size=3) | SELECTOR | JSON}) | JSON,
    "body": st.lists(BODY | JSON, max_size=4) | BODY | JSON,
    "bodyValue": st.text(max_size=30) | JSON,
    "motivation": st.sampled_from(["commenting", "tagging", "bogus"]) | JSON,
    "visibility": st.sampled_from(["private", "public", "group:readers", "group:", "group:none"]) | JSON,
    "status": st.sampled_from(["approved", "nope"]) | JSON,
}
# A valid target in a third of the cases, so that generated bodies, visibility and status are reached.
ANNOTATION = (st.fixed_dictionaries({"type": st.just("Annotation"), "target": VALID_TARGET},
                                    optional={k: v for k, v in FIELDS.items() if k not in ("type", "target")})
              | st.fixed_dictionaries({}, optional=FIELDS) | JSON)


_T = {"source": "http://testserver/documents/doc/", "selector": [{"type": "TextPositionSelector", "start": 0, "end": 3}]}
ANNOTATION_EXAMPLES = [  # shapes always tried, beside the generated ones
    {"type": "Annotation", "target": _T, "bodyValue": 5},
    {"type": "Annotation", "target": _T, "bodyValue": None},
    {"type": "Annotation", "target": _T, "body": {"type": "TextualBody", "value": ["x"]}},
    {"type": "Annotation", "target": _T, "body": [{"type": "TextualBody", "purpose": "tagging", "value": "  "}]},
    {"type": "Annotation", "target": _T, "body": [{"purpose": "classifying", "value": {}}]},
    {"type": "Annotation", "target": {"source": "http://testserver/documents/doc/",
                                      "selector": {"type": "TextQuoteSelector", "exact": 7}}},
    {"type": "Annotation", "target": {"source": "http://testserver/documents/doc/",
                                      "selector": {"type": "TextPositionSelector", "start": True, "end": 2.5}}},
    {"type": "Annotation", "target": _T, "visibility": ["public"]},
    {"type": "Annotation", "target": _T, "motivation": [None]},
    {"type": "Annotation", "target": _T, "status": {"x": 1}},
    {"type": "Annotation", "target": "http://testserver/api/annotations/999999/", "bodyValue": "reply?"},
]


def _with_annotation_examples(fn):
    for value in ANNOTATION_EXAMPLES:
        fn = example(payload=value)(fn)
    return fn


@pytest.fixture
def annotating(user):
    document = DocumentFactory(slug="doc")
    RecordFactory()
    AnnotationGroup.objects.create(name="readers").members.add(user)
    api = APIClient()
    api.force_authenticate(user)
    return {"document": document, "api": api, "user": user}


@given(payload=ANNOTATION)
@_with_annotation_examples
@FIXTURE_SETTINGS
def test_annotation_validation_accepts_or_refuses_with_field_errors(annotating, payload):
    try:
        data = parse_annotation(payload, visible_annotation=lambda pk: None)
    except InputError as exc:
        assert exc.errors and all(isinstance(v, str) for v in exc.errors.values())
    else:
        assert data.document is not None


@given(payload=ANNOTATION)
@_with_annotation_examples
@FIXTURE_SETTINGS
def test_annotation_api_never_answers_5xx(annotating, payload):
    before = Annotation.objects.count()
    response = annotating["api"].post("/api/annotations/", payload, format="json")
    assert response.status_code in (201, 400, 413), (payload, response.status_code, response.content[:300])
    assert Annotation.objects.count() == before + (response.status_code == 201)
    if response.status_code == 201:
        annotation = Annotation.objects.get(pk=response.json()["id"].rstrip("/").rsplit("/", 1)[-1])
        if annotation.reply_to_id is None:  # a reply targets its parent, not a range of the text
            text = annotation.document.text
            assert annotation.target_quote == text[annotation.target_start:annotation.target_end]


# --- Unicode offsets ---------------------------------------------------------------------------

# Combining marks (stored NFC where a precomposed form exists: ḉ; not where none exists: q̃),
# Hebrew and Arabic (RTL) with a bidi override, astral emoji (2 UTF-16 units each), a ZWJ
# sequence and a NUL.
UNICODE_TEXT = (
    "Start q\u0303uiet Zinov\u2019ev. "
    "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 \u202eevil\u202c "
    "\U0001F4DC scroll \U0001F468\u200d\U0001F469\u200d\U0001F467 family "
    "c\u0327\u0301 kamenev\x00null end \U00010348 gothic Kremlin."
)


def test_unusual_unicode_is_annotated_and_searched_at_code_point_offsets(user):
    document = Document.objects.create(slug="unicode", title="Unicode \U0001F4DC", text=UNICODE_TEXT)
    text = document.text
    api = APIClient()
    api.force_authenticate(user)
    # NUL is stored as U+FFFD on every database (PostgreSQL cannot store it): one code point for one.
    assert "kamenev\ufffdnull" in text and "\x00" not in text
    for word in ["q\u0303uiet", "\u05e9\u05dc\u05d5\u05dd", "\u0645\u0631\u062d\u0628\u0627", "\U0001F4DC scroll",
                 "\U0001F468\u200d\U0001F469\u200d\U0001F467", "\u1e09", "kamenev\x00null", "\U00010348 gothic", "Kremlin"]:
        stored = word.replace("\x00", "\ufffd")
        start = text.index(stored)
        end = start + len(stored)
        payload = {"type": "Annotation", "visibility": "public", "bodyValue": f"note on {word}",
                   "target": {"source": "http://testserver/documents/unicode/", "selector": [
                       {"type": "TextPositionSelector", "start": start, "end": end},
                       {"type": "TextQuoteSelector", "exact": word}]}}
        response = api.post("/api/annotations/", payload, format="json")
        assert response.status_code == 201, (word, response.content)
        body = response.json()
        position = next(s for s in body["target"]["selector"] if s["type"] == "TextPositionSelector")
        quote = next(s for s in body["target"]["selector"] if s["type"] == "TextQuoteSelector")
        assert (position["start"], position["end"]) == (start, end)
        assert quote["exact"] == stored == text[start:end]
    # A quote alone is found at the same code-point offsets.
    response = api.post("/api/annotations/", {"type": "Annotation", "target": {
        "source": "http://testserver/documents/unicode/",
        "selector": {"type": "TextQuoteSelector", "exact": "Kremlin"}}}, format="json")
    position = next(s for s in response.json()["target"]["selector"] if s["type"] == "TextPositionSelector")
    assert text[position["start"]:position["end"]] == "Kremlin" and position["start"] == text.index("Kremlin")
    # Offsets that would split a character sequence are still plain code points: end past the text is refused.
    bad = api.post("/api/annotations/", {"type": "Annotation", "target": {
        "source": "http://testserver/documents/unicode/",
        "selector": {"type": "TextPositionSelector", "start": 0, "end": len(text) + 1}}}, format="json")
    assert bad.status_code == 400

    # Search: every snippet's offsets index the stored text, also after astral characters.
    for query, expected in [("Kremlin", "Kremlin"), ("gothic", "gothic"), ("scroll", "scroll"), ("family", "family"),
                            ("Zinov\u2019ev", "Zinov")]:
        result = APIClient().get("/api/search/", {"q": query}).json()
        item = next(i for i in result["results"] if i["slug"] == "unicode")
        marks = [m for s in item["snippets"] for m in _marks(s)]
        assert marks, (query, item["snippets"])
        for snippet in item["snippets"]:
            plain = html.unescape(re.sub(r"</?mark>", "", snippet["html"]))
            assert plain == text[snippet["start"]:snippet["end"]]
        assert any(word.lower() == expected.lower() for word in marks), (query, marks)
    # ... and the document page shows the text around the astral characters unchanged.
    page = Client().get("/documents/unicode/").content.decode()
    assert "\U0001F468\u200d\U0001F469\u200d\U0001F467" in page and "\U00010348 gothic" in page


def _marks(snippet) -> list[str]:
    return [html.unescape(m) for m in re.findall(r"<mark>(.*?)</mark>", snippet["html"])]


def test_nul_and_controls_in_comments_and_queries_never_fail(user):
    document = DocumentFactory(slug="nul")
    api = APIClient()
    api.force_authenticate(user)
    response = api.post("/api/annotations/", {"type": "Annotation", "bodyValue": "a\x00b\x07c\u202e", "target": {
        "source": "http://testserver/documents/nul/", "selector": {"type": "TextPositionSelector", "start": 0, "end": 2}}},
        format="json")
    assert response.status_code in (201, 400)
    if response.status_code == 201:
        assert Annotation.objects.get().comment == "a\ufffdb\x07c\u202e"  # NUL is stored as U+FFFD
    for query in ["\x00", "a\x00b", "\x1b[31m", "\ud7ff", "\u202e"]:
        assert APIClient().get("/api/search/", {"q": query}).status_code in (200, 400)
        assert Client().get("/search/", {"q": query}).status_code in (200, 400)
    assert document.pk


# --- size limits -------------------------------------------------------------------------------


def test_an_oversized_annotation_is_refused_with_413_and_nothing_is_stored(user):
    DocumentFactory(slug="big")
    api = APIClient()
    api.force_authenticate(user)
    payload = {"type": "Annotation", "bodyValue": "x" * 70_000, "target": {
        "source": "http://testserver/documents/big/", "selector": {"type": "TextPositionSelector", "start": 0, "end": 2}}}
    assert api.post("/api/annotations/", payload, format="json").status_code == 413
    assert not Annotation.objects.exists()


@override_settings(MAX_REQUEST_BYTES=10_000)
def test_any_oversized_body_is_refused_before_the_view_on_pages_too(user):
    client = Client()
    client.force_login(user)
    response = client.post("/accounts/profile/groups/", {"name": "x" * 20_000})
    assert response.status_code == 413
    assert not AnnotationGroup.objects.exists()


def test_huge_and_deeply_nested_queries_are_cut_or_refused_quickly(seed_index):
    for query in ["Zinoviev " * 20_000, "(" * 5_000 + "a" + ")" * 5_000, '"' * 10_000, "a~ " * 3_000, "*a* " * 2_000]:
        started = time.monotonic()
        response = APIClient().get("/api/search/", {"q": query})
        assert response.status_code in (200, 400)
        assert time.monotonic() - started < 10, query[:30]
    nested = json.loads("[" * 50 + "]" * 50)
    assert APIClient().post("/api/search/", nested, format="json").status_code in (403, 405)


def test_deeply_nested_json_body_is_a_400_not_a_crash(user):
    api = APIClient()
    api.force_authenticate(user)
    body = '{"type": "Annotation", "body": ' + "[" * 5_000 + "]" * 5_000 + "}"
    response = api.post("/api/annotations/", body, content_type="application/json")
    assert response.status_code == 400


# --- XSS ---------------------------------------------------------------------------------------

PAYLOADS = [
    "<script>alert('x1')</script>",
    '"><img src=x onerror=alert("x2")>',
    "<svg onload=alert(3)>",
    "javascript:alert(4)//</title></textarea><iframe src=x>",
]
DANGEROUS = re.compile(r"<script>alert|<img src=x|<svg onload|<iframe src=x", re.I)


@pytest.fixture
def hostile_world(user, curator):
    text = "Hostile text begins. " + " marker ".join(PAYLOADS) + " Zinoviev marker ends."
    document = Document.objects.create(slug="hostile", title="Title " + PAYLOADS[0] + PAYLOADS[1], author=PAYLOADS[2],
                                       text=text)
    record = Record.objects.create(key="hostile-record", label="Rec " + PAYLOADS[1], kind="person",
                                   aliases=[PAYLOADS[0]], description="Zinoviev " + PAYLOADS[3])
    group = AnnotationGroup.objects.create(name="readers", created_by=user)
    group.members.add(user, curator)
    entity = EntityType.objects.order_by("pk").first()
    api = APIClient()
    api.force_authenticate(user)
    for n, payload in enumerate(PAYLOADS):
        start = text.index(payload)
        response = api.post("/api/annotations/", {
            "type": "Annotation", "visibility": ["public", "group:readers"][n % 2],
            "body": [{"type": "TextualBody", "purpose": "commenting", "value": "Zinoviev " + payload},
                     {"type": "TextualBody", "purpose": "tagging", "value": payload},
                     {"type": "TextualBody", "purpose": "classifying", "value": entity.key},
                     {"type": "SpecificResource", "purpose": "identifying",
                      "source": f"http://testserver/records/{record.pk}/"}],
            "target": {"source": "http://testserver/documents/hostile/", "selector": [
                {"type": "TextPositionSelector", "start": start, "end": start + len(payload)}]}}, format="json")
        assert response.status_code == 201, response.content
    annotation = Annotation.objects.order_by("pk").first()
    AnnotationFactory(document=document, creator=user, reply_to=annotation, visibility="public",
                      comment="reply " + PAYLOADS[0])
    return {"document": document, "record": record, "annotation": annotation}


def _get_routes(samples):
    from tests.test_access_control import _concrete, _patterns

    for route, _ in _patterns():
        path = _concrete(route, samples)
        if path is not None and not path.startswith("/admin/"):
            yield path


def test_xss_payloads_are_shown_as_text_on_every_page_and_in_every_snippet(hostile_world, user, curator):
    world = hostile_world
    samples = {"pk": str(world["annotation"].pk), "int": str(world["record"].pk), "slug": "hostile", "name": "readers",
               "history_id": "1", "str": "hostile"}
    pages = set(_get_routes(samples)) | {
        f"/records/{world['record'].pk}/", "/records/?kind=person", "/", "/documents/hostile/",
        "/search/?q=Zinoviev", "/search/?q=Zinoviev&type=record", "/search/?q=Zinoviev&type=annotation",
        "/search/?q=marker", "/search/?q=alert", f"/annotations/{world['annotation'].pk}/history/",
        "/admin/archive_site/document/", "/admin/archive_site/record/", "/admin/annotations/annotation/",
    }
    checked = 0
    for who in (user, curator):
        client = Client()
        client.force_login(who)
        if who is curator:
            who.is_staff = who.is_superuser = True
            who.save()
        for path in sorted(pages):
            response = client.get(path)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            body = response.content.decode()
            checked += 1
            assert not DANGEROUS.search(body), f"{path} shows a payload as HTML: {DANGEROUS.search(body).group(0)}"
    assert checked >= 15
    # Snippets: marked HTML whose text part is escaped (signed in: the notes are proposals, not published).
    reader = APIClient()
    reader.force_authenticate(user)
    for kind in ("document", "record", "annotation"):
        result = reader.get("/api/search/", {"q": "Zinoviev marker alert", "type": kind}).json()
        if kind != "record":
            assert result["results"], kind
        for item in result["results"]:
            for snippet in item["snippets"]:
                assert not DANGEROUS.search(snippet["html"]), snippet["html"]
    # The document page keeps the payloads as text, at their offsets.
    body = Client().get("/documents/hostile/").content.decode()
    assert html.escape(PAYLOADS[0], quote=False) in body or "&lt;script&gt;alert(&#x27;x1&#x27;)&lt;/script&gt;" in body
