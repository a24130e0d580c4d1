"""Relations between annotations: the rules a new or edited relation must meet, and the reads that
list them (an annotation's relations, a record's network across the archive).

A relation is an ``Annotation`` with motivation ``linking`` whose ``relation_source`` (the W3C
target) and ``relation_target`` (the W3C body) are two other annotations, with a ``RelationType``
from the curators' vocabulary (the classifying body). It is stored, reviewed, historied, indexed
and deleted like any annotation (``annotations.services``); who may see it is the read rule
(``permissions.visible_q``: the relation and both its ends); how widely it may be shared is
``permissions.relation_within`` (never wider than either end).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from . import permissions, selectors
from .models import Annotation, RelationType
from .schemas import AnnotationInput, InputError

MAX_NETWORK_RELATIONS = 2000


def check_relation(user, data: AnnotationInput) -> None:
    """Refuse (``InputError``, a 400 naming the field) a relation that links an annotation to
    itself, links a reply or a relation, or would be seen more widely than either end. That the
    sender may see both ends, and that the type is known, the parser has checked already."""
    source, target = data.relation_source, data.relation_target
    if source is None or target is None or data.relation_type is None:
        raise InputError({"body": "A relation needs the annotation it starts from, the one it points to and a type."})
    if source.pk == target.pk:
        raise InputError({"body": "A relation cannot link an annotation to itself."})
    for name, end in (("target", source), ("body", target)):
        if end.reply_to_id is not None:
            raise InputError({name: f"Annotation {end.pk} is a reply: relate the annotations it answers."})
        if end.relation_source_id is not None:
            raise InputError({name: f"Annotation {end.pk} is itself a relation: relate annotations of passages."})
    for end in (source, target):
        if not permissions.relation_within(data.visibility, data.group.pk if data.group else None, end):
            widest, group_id = permissions.widest_relation_visibility([source, target])
            allowed = widest if widest != permissions.GROUP else f"group:{_group_name(source, target, group_id)}"
            raise InputError({"visibility": (
                f"A relation cannot be seen more widely than the annotations it links: annotation {end.pk} is "
                f"{end.visibility_label}, so the relation may be at most {allowed}."
            )})


def _group_name(source: Annotation, target: Annotation, group_id) -> str:
    end = source if source.group_id == group_id else target
    return end.group.name


def relation_queryset() -> QuerySet[Annotation]:
    """Relations with their type and both ends (and the ends' records and documents) loaded."""
    return (
        selectors.annotation_queryset()
        .filter(relation_source__isnull=False)
        .select_related("relation_type", "relation_source__document", "relation_target__document",
                        "relation_source__entity_type", "relation_target__entity_type",
                        "relation_source__creator", "relation_target__creator")
        .defer("relation_source__document__text", "relation_target__document__text")
        .prefetch_related("relation_source__records", "relation_target__records")
    )


def visible_relations(user) -> QuerySet[Annotation]:
    return relation_queryset().filter(permissions.visible_q(user))


def relations_of(user, annotation: Annotation) -> tuple[list[Annotation], list[Annotation]]:
    """(outgoing, incoming): the relations ``user`` may see that start from / point to ``annotation``."""
    rows = list(visible_relations(user).filter(Q(relation_source=annotation) | Q(relation_target=annotation))
                .order_by("created", "id"))
    return ([r for r in rows if r.relation_source_id == annotation.pk],
            [r for r in rows if r.relation_target_id == annotation.pk])


# --- a record's network ---------------------------------------------------------------------------


@dataclass
class Network:
    """Plain rows (read with ``values_list``: a record's network can hold thousands of relations,
    and the page draws it while loading): ``nodes`` id -> {kind, label, ...}; ``edges`` (source
    node, type key, target node) -> {"type": RelationType, "relations": [(relation id, source
    end, target end)]}, where an end is {id, slug, start, end, quote, anchored}."""

    record: object
    nodes: dict[str, dict] = field(default_factory=dict)
    edges: dict[tuple, dict] = field(default_factory=dict)
    relations: int = 0
    truncated: bool = False


def record_network(user, record, *, limit: int = MAX_NETWORK_RELATIONS) -> Network:
    """The relations ``user`` may see that touch an annotation linked to ``record``, across the
    archive, as a graph: nodes are records (or, for an end linked to no record, its passage),
    edges are (source node, relation type, target node) with every relation as evidence."""
    from archive_site.models import Record

    network = Network(record=record)
    linked = Annotation.records.through.objects.filter(record=record).values("annotation_id")
    rows = list(
        Annotation.objects.filter(permissions.visible_q(user), relation_source__isnull=False)
        .filter(Q(relation_source__in=linked) | Q(relation_target__in=linked))
        .order_by("id").values_list("pk", "relation_source_id", "relation_target_id", "relation_type_id")[: limit + 1]
    )
    if len(rows) > limit:
        network.truncated, rows = True, rows[:limit]
    network.relations = len(rows)
    end_ids = {pk for _, s, t, _ in rows for pk in (s, t)}
    ends = {pk: {"id": pk, "slug": slug, "start": start, "end": end, "quote": quote, "anchored": state == "anchored"}
            for pk, slug, start, end, quote, state in Annotation.objects.filter(pk__in=end_ids).values_list(
                "pk", "document__slug", "target_start", "target_end", "target_quote", "anchor_state")}
    records_of: dict[int, list[int]] = defaultdict(list)
    for annotation_id, record_id in (Annotation.records.through.objects.filter(annotation_id__in=end_ids)
                                     .order_by("record_id").values_list("annotation_id", "record_id")):
        records_of[annotation_id].append(record_id)
    records = {pk: {"label": label, "record_kind": kind} for pk, label, kind in
               Record.objects.filter(pk__in={r for rs in records_of.values() for r in rs})
               .values_list("pk", "label", "kind")}
    types = {t.pk: t for t in RelationType.objects.all()}

    def nodes_of(end_id: int) -> list[str]:
        ids = [f"record:{r}" for r in records_of.get(end_id, ()) if r in records]
        for r in records_of.get(end_id, ()):
            network.nodes.setdefault(f"record:{r}", {"kind": "record", "record_id": r, **records.get(r, {})})
        if ids:
            return ids
        end = ends[end_id]
        network.nodes.setdefault(f"annotation:{end_id}", {"kind": "passage", "end": end})
        return [f"annotation:{end_id}"]

    for pk, source, target, type_id in rows:
        relation_type = types[type_id]
        for s in nodes_of(source):
            for t in nodes_of(target):
                edge = network.edges.setdefault((s, relation_type.key, t), {
                    "source": s, "target": t, "type": relation_type, "relations": []})
                edge["relations"].append((pk, ends[source], ends[target]))
    return network


def edge_list(relations) -> list[dict]:
    """One row per (source record, relation type, target record) pair of each relation: what the
    CSV edge list exports. An end linked to no record gives one row with no record on that side."""
    rows = []
    for relation in relations:
        sources = list(relation.relation_source.records.all()) or [None]
        targets = list(relation.relation_target.records.all()) or [None]
        for s in sources:
            for t in targets:
                rows.append({"relation": relation, "source_record": s, "target_record": t})
    return rows


def counts_by_type(relations) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for relation in relations:
        out[relation.relation_type.key] += 1
    return dict(out)
