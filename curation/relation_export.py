"""Relations out: the W3C JSON-LD of the relations (an AnnotationCollection of ``linking``
annotations, as ``curation.exchange`` writes annotations) and a CSV edge list for network tools
(Gephi, networkx, a spreadsheet): one row per source record, relation, target record, with the
evidence passages' URLs.

What is exported follows the read rule (``annotations.permissions``): scope ``public`` holds the
published relations (approved and public, both ends too); ``all`` what the exporting user may see
(both ends included); from the command line (``user`` None) every relation but private ones.
"""

from __future__ import annotations

from django.db.models import QuerySet

from annotations import presenters, relations
from annotations.models import Annotation

from .exchange import _csv, in_scope

EDGE_COLUMNS = [
    "source_record", "source_label", "relation", "target_record", "target_label", "source_passage",
    "target_passage", "source_quote", "target_quote", "relation_url", "comment", "status", "visibility", "creator",
]


def relations_queryset(*, user, scope: str = "public", document=None) -> QuerySet[Annotation]:
    qs = in_scope(relations.relation_queryset(), user=user, scope=scope, document=document)
    return qs.order_by("relation_type__key", "id")


def edges_csv(rows, *, base: str) -> str:
    def lines():
        for row in relations.edge_list(rows):
            r, s, t = row["relation"], row["source_record"], row["target_record"]
            yield {
                "source_record": base + s.get_absolute_url() if s else "", "source_label": s.label if s else "",
                "relation": r.relation_type.key,
                "target_record": base + t.get_absolute_url() if t else "", "target_label": t.label if t else "",
                "source_passage": base + presenters.link(r.relation_source),
                "target_passage": base + presenters.link(r.relation_target),
                "source_quote": r.relation_source.target_quote, "target_quote": r.relation_target.target_quote,
                "relation_url": base + r.get_absolute_url(), "comment": r.comment, "status": r.status,
                "visibility": r.visibility_label, "creator": r.creator.get_username(),
            }

    return _csv(EDGE_COLUMNS, lines())
