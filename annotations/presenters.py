"""How an annotation is shown to one reader: the W3C JSON-LD of the API and the cards of the pages
come from here, so what a reader is told (the reviewer's reason, whether they may edit, which
replies) is decided once.

``w3c`` is the model's mapping to the Web Annotation vocabulary; this module adds what depends on
who is reading. Expects annotations loaded with their relations
(``selectors.annotation_queryset`` / the reading room's queryset).
"""

from __future__ import annotations

from . import permissions, w3c
from .models import Annotation


def review_reason_for(user, annotation: Annotation) -> str:
    """The reviewer's reason, for those who may read it (its creator and the curators), else ""."""
    if annotation.review_reason and permissions.can_read_review_reason(user, annotation):
        return annotation.review_reason
    return ""


def jsonld(annotation: Annotation, *, user, base: str, with_context: bool = True) -> dict:
    """The annotation as W3C Web Annotation JSON-LD, as ``user`` may see it."""
    body = w3c.to_jsonld(annotation, base=base, with_context=with_context)
    reason = review_reason_for(user, annotation)
    if reason:
        body["reviewReason"] = reason
    return body


def link(annotation: Annotation) -> str:
    """The annotation's passage on its document's page (``#pos=`` deep link)."""
    url = annotation.document.get_absolute_url()
    if annotation.target_start is not None and annotation.anchor_state == Annotation.AnchorState.ANCHORED:
        url += f"#pos={annotation.target_start}-{annotation.target_end}"
    return url


def card(annotation: Annotation, *, user, replies=()) -> dict:
    """What a page (and its script) shows of one annotation: plain data, escaped on output.
    ``replies``: the replies ``user`` may see (the reading room loads them with the rule)."""
    entity = annotation.entity_type
    signed_in = bool(user is not None and user.is_authenticated)
    return {
        "id": annotation.pk,
        "start": annotation.target_start,
        "end": annotation.target_end,
        "quote": annotation.target_quote,
        "comment": annotation.comment,
        "tags": [tag.name for tag in annotation.tags.all()],
        "entity_type": {"key": entity.key, "label": entity.label} if entity else None,
        "records": [
            {"id": r.pk, "label": r.label, "kind": r.kind, "url": r.get_absolute_url()} for r in annotation.records.all()
        ],
        "creator": annotation.creator.get_username(),
        "mine": bool(signed_in and annotation.creator_id == user.pk),
        "visibility": annotation.visibility_label,
        "visibility_kind": annotation.visibility,
        "status": annotation.status,
        "review_reason": review_reason_for(user, annotation),
        "anchored": annotation.anchor_state == Annotation.AnchorState.ANCHORED,
        "created": annotation.created.isoformat(),
        "modified": annotation.modified.isoformat(),
        "can_edit": permissions.can_edit(user, annotation),
        "history_url": f"/annotations/{annotation.pk}/history/",
        "api_url": f"/api/annotations/{annotation.pk}/",
        "relations_url": f"/api/annotations/{annotation.pk}/relations/",
        "link": link(annotation),
        "replies": [
            {"id": reply.pk, "creator": reply.creator.get_username(), "comment": reply.comment,
             "status": reply.status, "created": reply.created.isoformat()}
            for reply in replies
        ],
    }


def mention(annotation: Annotation, *, user, base: str) -> dict:
    """An annotation linking to a record, with its passage (record pages and their API)."""
    document = annotation.document
    return {
        "annotation": jsonld(annotation, user=user, base=base, with_context=False),
        "document": {"slug": document.slug, "title": document.title, "url": base + document.get_absolute_url()},
        "quote": annotation.target_quote, "prefix": annotation.target_prefix, "suffix": annotation.target_suffix,
        "start": annotation.target_start, "end": annotation.target_end, "link": base + link(annotation),
    }


def summary(annotation: Annotation) -> dict:
    """A line about an annotation in a list of search results."""
    return {
        "comment": annotation.comment, "document": annotation.document.title,
        "creator": annotation.creator.get_username(), "visibility": annotation.visibility_label,
        "status": annotation.status, "api_url": f"/api/annotations/{annotation.pk}/",
    }


# --- relations, batches, tasks ------------------------------------------------------------------


def end_summary(annotation: Annotation, *, base: str) -> dict:
    """One end of a relation, as a relation list or a network's evidence shows it."""
    document = annotation.document
    return {
        "id": annotation.pk, "url": w3c.annotation_url(annotation, base), "quote": annotation.target_quote,
        "comment": annotation.comment,
        "document": {"slug": document.slug, "title": document.title},
        "link": base + link(annotation),
        "entity_type": annotation.entity_type.key if annotation.entity_type_id else None,
        "records": [{"id": r.pk, "label": r.label, "kind": r.kind, "url": base + r.get_absolute_url()}
                    for r in annotation.records.all()],
    }


def relation(annotation: Annotation, *, user, base: str) -> dict:
    """A relation as a card's relation list shows it: its type, both ends, and its JSON-LD."""
    relation_type = annotation.relation_type
    return {
        "id": annotation.pk, "url": w3c.annotation_url(annotation, base),
        "type": {"key": relation_type.key, "label": relation_type.label},
        "comment": annotation.comment, "creator": annotation.creator.get_username(),
        "visibility": annotation.visibility_label, "status": annotation.status,
        "can_edit": permissions.can_edit(user, annotation),
        "source": end_summary(annotation.relation_source, base=base),
        "target": end_summary(annotation.relation_target, base=base),
        "annotation": jsonld(annotation, user=user, base=base, with_context=False),
    }


def _passage_link(end: dict) -> str:
    url = f"/documents/{end['slug']}/"
    return url + (f"#pos={end['start']}-{end['end']}" if end["anchored"] and end["start"] is not None else "")


def network(graph, *, base: str, max_evidence: int = 20) -> dict:
    """A record's network (``relations.record_network``) as nodes and edges for drawing."""
    nodes = []
    for node_id, node in graph.nodes.items():
        if node["kind"] == "record":
            nodes.append({"id": node_id, "kind": "record", "label": node.get("label", ""),
                          "record_kind": node.get("record_kind", ""),
                          "url": f"{base}/records/{node['record_id']}/", "center": node["record_id"] == graph.record.pk})
        else:
            end = node["end"]
            nodes.append({"id": node_id, "kind": "passage", "label": end["quote"][:80], "document": end["slug"],
                          "url": base + _passage_link(end), "center": False})
    edges = []
    for edge in graph.edges.values():
        rows = edge["relations"]
        edges.append({
            "source": edge["source"], "target": edge["target"],
            "type": {"key": edge["type"].key, "label": edge["type"].label}, "count": len(rows),
            "evidence": [{"relation": f"{base}/api/annotations/{pk}/", "source_passage": base + _passage_link(s),
                          "source_quote": s["quote"], "source_document": s["slug"],
                          "target_passage": base + _passage_link(t), "target_quote": t["quote"],
                          "target_document": t["slug"]} for pk, s, t in rows[:max_evidence]],
        })
    record = graph.record
    return {
        "record": {"id": record.pk, "label": record.label, "kind": record.kind, "url": base + record.get_absolute_url()},
        "relations": graph.relations, "truncated": graph.truncated, "nodes": nodes, "edges": edges,
    }


def batch(b, *, base: str) -> dict:
    from django.urls import reverse

    return {
        "id": b.pk, "url": base + reverse("batch-detail", kwargs={"pk": b.pk}),
        "creator": b.creator.get_username(), "created": w3c.iso(b.created), "size": b.size,
        "record": {"id": b.record.pk, "label": b.record.label, "url": base + b.record.get_absolute_url()} if b.record_id else None,
        "entity_type": b.entity_type.key if b.entity_type_id else None,
        "document": b.document.slug if b.document_id else None,
        "undone": w3c.iso(b.undone) if b.undone else None,
    }
