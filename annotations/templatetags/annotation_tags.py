"""Template tags that let archive_site's pages show annotations without importing this app.

``{% load annotation_tags %}{% record_mentions record %}``: the visible annotations linking to a
record, across documents, with the quoted passage (same visibility rule as the API), a page of
``MENTIONS_PER_PAGE`` at a time (``?mentions=N``): a record named 1,800 times made a 2-second page.

``{% record_teamwork record %}``: the record's network as a list of relations with their evidence
passages (the most evidenced first, a few passages each; the network API has the rest), which the
page script draws as a graph from the same data carried in the page,
and, for those who may annotate, "link all occurrences" with the entity types and the reader's
groups it offers.
"""

from __future__ import annotations

from django import template
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator

from .. import presenters, relations, selectors
from ..models import AnnotationGroup, EntityType
from ..permissions import can_create, published_q

register = template.Library()

MENTIONS_PER_PAGE = 50
PAGE_EDGES = 100  # relation types between two nodes listed on a record page, the most evidenced first
PAGE_EVIDENCE = 5  # evidence passages listed per relation type on a record page (the network API gives 20)


@register.inclusion_tag("annotations/record_mentions.html", takes_context=True)
def record_mentions(context, record):
    request = context.get("request")
    user = getattr(request, "user", None)
    mentions = selectors.record_annotations(user, record)
    page = Paginator(mentions, MENTIONS_PER_PAGE).get_page(request.GET.get("mentions") if request else None)
    return {"record": record, "page": page, "total": page.paginator.count,
            "published": mentions.filter(published_q()).count()}


@register.inclusion_tag("annotations/record_teamwork.html", takes_context=True)
def record_teamwork(context, record):
    request = context.get("request")
    user = getattr(request, "user", None) or AnonymousUser()
    may_annotate = can_create(user)
    config = {
        "record": {"id": record.pk, "label": record.label, "kind": record.kind},
        "can_create": may_annotate,
        "entity_types": [{"key": e.key, "label": e.label} for e in EntityType.objects.all()] if may_annotate else [],
        "groups": list(AnnotationGroup.objects.filter(members=user).order_by("name").values_list("name", flat=True))
        if may_annotate else [],
    }
    network = presenters.network(relations.record_network(user, record), base="")
    # The drawing needs no evidence: the list below it shows that (the API has all of it).
    config["network"] = {**network, "edges": [{k: v for k, v in e.items() if k != "evidence"} for e in network["edges"]]}
    nodes = {n["id"]: {**n, "name": n["label"] if n["kind"] == "record" else f"“{n['label']}” (a passage in {n['document']})"}
             for n in network["nodes"]}
    rows = [{"edge": e, "source": nodes[e["source"]], "target": nodes[e["target"]],
             "evidence": e["evidence"][:PAGE_EVIDENCE], "more": e["count"] - min(len(e["evidence"]), PAGE_EVIDENCE)}
            for e in sorted(network["edges"], key=lambda e: -e["count"])[:PAGE_EDGES]]
    return {"record": record, "config": config, "network": network, "rows": rows,
            "unlisted": len(network["edges"]) - len(rows), "csrf_token": context.get("csrf_token")}
