"""Agreement between the annotators of a task, and adjudication of their disagreements.

**Agreement** is Krippendorff's alpha (the ``krippendorff`` package), nominal, on tokens: the
units are the words of the document (``\\w+`` runs), each annotator who has finished codes each
word with the entity type of their task annotation covering it ("none" where none does). Per
document and entity type the coding is binary (this type or not); per document over all the
task's types it has one category per type. Alpha is undefined (shown as such, with why) when
fewer than two annotators have finished or nobody used more than one value.

**Disagreements** are found passage by passage: the finished annotators' task annotations are
grouped where they overlap; a group is agreed when every finished annotator has exactly the same
spans with the same types and records there, and a disagreement otherwise (someone marked
nothing, a different span, another type or another record). A curator adjudicates a group by
accepting one annotator's version (or none): the accepted annotations become approved, shared
as the task says (``publish_visibility``); the others are rejected with the reason. Every change
goes through ``annotations.services.record_change`` (a history row, an index task).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

import krippendorff
import numpy as np
from django.core.exceptions import PermissionDenied
from django.db import transaction

from annotations import permissions, services
from annotations.models import Annotation, AnnotationTask
from annotations.schemas import InputError
from archive_site.models import Document

TOKEN = re.compile(r"\w+")
CONTEXT = 80


def finished_assignees(task: AnnotationTask) -> list:
    return [a.user for a in task.assignments.select_related("user").filter(finished__isnull=False)
            .order_by("user__username")]


def task_annotations(task: AnnotationTask, document: Document, users) -> list[Annotation]:
    return list(
        Annotation.objects.filter(task=task, document=document, creator__in=users, target_start__isnull=False)
        .select_related("creator", "entity_type").prefetch_related("records").order_by("target_start", "target_end", "pk")
    )


# --- agreement ------------------------------------------------------------------------------------


@dataclass
class Alpha:
    value: float | None
    note: str = ""


@dataclass
class DocumentAgreement:
    document: Document
    annotators: int
    units: int
    overall: Alpha
    by_type: dict[str, Alpha] = field(default_factory=dict)


def _codes(starts: list[int], ends: list[int], annotations: list[Annotation], users, category) -> np.ndarray:
    """users × tokens: the category index of each token for each annotator (0: none)."""
    row_of = {u.pk: i for i, u in enumerate(users)}
    codes = np.zeros((len(users), len(starts)), dtype=np.int16)
    for a in annotations:
        value = category(a)
        if not value:
            continue
        first = bisect.bisect_right(ends, a.target_start)  # first token ending after the span starts
        last = bisect.bisect_left(starts, a.target_end)  # tokens starting before the span ends
        if first < last:
            codes[row_of[a.creator_id], first:last] = value
    return codes


def _alpha(codes: np.ndarray, annotators: int) -> Alpha:
    if annotators < 2:
        return Alpha(None, f"needs two finished annotators ({annotators} so far)")
    if codes.size == 0:
        return Alpha(None, "the document has no words")
    if len(np.unique(codes)) < 2:
        return Alpha(None, "nobody marked anything" if not codes.any() else "everyone marked every word alike")
    value = float(krippendorff.alpha(reliability_data=codes, level_of_measurement="nominal"))
    return Alpha(round(value, 4))


def document_agreement(task: AnnotationTask, document: Document, users=None) -> DocumentAgreement:
    users = finished_assignees(task) if users is None else users
    tokens = [m.span() for m in TOKEN.finditer(document.text)]
    starts, ends = [s for s, _ in tokens], [e for _, e in tokens]
    annotations = task_annotations(task, document, users)
    keys = sorted(task.entity_types.values_list("key", flat=True))
    index = {key: i + 1 for i, key in enumerate(keys)}
    overall = _codes(starts, ends, annotations, users,
                     lambda a: index.get(a.entity_type.key, 0) if a.entity_type_id else 0)
    result = DocumentAgreement(document=document, annotators=len(users), units=len(tokens),
                               overall=_alpha(overall, len(users)))
    for key in keys:
        result.by_type[key] = _alpha((overall == index[key]).astype(np.int8), len(users))
    return result


def task_agreement(task: AnnotationTask) -> list[DocumentAgreement]:
    users = finished_assignees(task)
    return [document_agreement(task, d, users) for d in task.documents.order_by("title", "pk")]


# --- disagreements ----------------------------------------------------------------------------------


@dataclass
class Version:
    user: object
    annotations: list[Annotation]

    def signature(self) -> tuple:
        return tuple((a.target_start, a.target_end, a.entity_type_id, tuple(sorted(r.pk for r in a.records.all())))
                     for a in self.annotations)


@dataclass
class Group:
    start: int
    end: int
    annotations: list[Annotation]
    versions: list[Version]
    text: str = ""
    prefix: str = ""
    suffix: str = ""

    @property
    def ids(self) -> list[int]:
        return sorted(a.pk for a in self.annotations)

    @property
    def key(self) -> str:
        return "-".join(str(i) for i in self.ids)

    @property
    def agreed(self) -> bool:
        signatures = {v.signature() for v in self.versions}
        return len(signatures) == 1 and bool(self.versions[0].annotations)

    @property
    def resolved(self) -> bool:
        return all(a.status != Annotation.Status.PENDING for a in self.annotations)


def groups(task: AnnotationTask, document: Document, users=None) -> list[Group]:
    """The finished annotators' task annotations on ``document``, grouped where they overlap."""
    users = finished_assignees(task) if users is None else users
    annotations = task_annotations(task, document, users)
    found: list[list[Annotation]] = []
    end = -1
    for a in annotations:  # sorted by start: a group runs while the next one starts before its end
        if found and a.target_start < end:
            found[-1].append(a)
            end = max(end, a.target_end)
        else:
            found.append([a])
            end = a.target_end
    text = document.text
    out = []
    for members in found:
        start, stop = min(a.target_start for a in members), max(a.target_end for a in members)
        versions = [Version(u, [a for a in members if a.creator_id == u.pk]) for u in users]
        out.append(Group(start=start, end=stop, annotations=members, versions=versions, text=text[start:stop],
                         prefix=text[max(0, start - CONTEXT):start], suffix=text[stop:stop + CONTEXT]))
    return out


def disagreements(task: AnnotationTask, document: Document) -> list[Group]:
    return [g for g in groups(task, document) if not g.agreed and not g.resolved]


# --- adjudication -----------------------------------------------------------------------------------


def _publish(task: AnnotationTask, annotation: Annotation, user) -> None:
    annotation.status, annotation.reviewed_by, annotation.review_reason = Annotation.Status.APPROVED, user, ""
    annotation.visibility = task.publish_visibility
    annotation.group_id = task.publish_group_id if task.publish_visibility == Annotation.Visibility.GROUP else None
    services.record_change(annotation, user=user, reason=f"adjudicated in task {task.pk}: accepted")
    services.relations_follow(annotation, user)


def _reject(task: AnnotationTask, annotation: Annotation, user, reason: str) -> None:
    annotation.status, annotation.reviewed_by, annotation.review_reason = Annotation.Status.REJECTED, user, reason
    services.record_change(annotation, user=user, reason=f"adjudicated in task {task.pk}: not accepted")


@transaction.atomic
def adjudicate(*, user, task: AnnotationTask, document: Document, ids: list[int], accept: str) -> Group:
    """Settle the group of ``ids`` (as the curator saw it) by accepting ``accept``'s version (a
    username; "" for none). Refused (400) when the group has changed or was settled meanwhile."""
    if not permissions.can_manage_tasks(user):
        raise PermissionDenied("Only curators adjudicate annotation tasks.")
    current = {g.key: g for g in groups(task, document)}
    key = "-".join(str(i) for i in sorted(set(ids)))
    group = current.get(key)
    if group is None:
        raise InputError({"ids": "These annotations are not one passage of the task any more (the page is out of "
                                 "date): reload it."})
    if group.resolved:
        raise InputError({"ids": "This passage has been adjudicated already."})
    version = next((v for v in group.versions if v.user.get_username() == accept), None)
    if accept and version is None:
        raise InputError({"accept": f"{accept[:150]!r} is not a finished annotator of this task."})
    locked = {a.pk: a for a in Annotation.objects.select_for_update(of=("self",)).filter(pk__in=group.ids)}
    accepted = {a.pk for a in version.annotations} if version else set()
    reason = (f"Adjudicated: {accept}'s version was accepted." if accept
              else "Adjudicated: no annotation was accepted for this passage.")
    for pk in group.ids:
        if pk in accepted:
            _publish(task, locked[pk], user)
        else:
            _reject(task, locked[pk], user, reason)
    return group


@transaction.atomic
def accept_agreed(*, user, task: AnnotationTask, document: Document) -> int:
    """Every passage all finished annotators marked alike: accept the one version (the first
    annotator's annotations approved, the identical copies rejected as duplicates)."""
    if not permissions.can_manage_tasks(user):
        raise PermissionDenied("Only curators adjudicate annotation tasks.")
    done = 0
    for group in groups(task, document):
        if group.agreed and not group.resolved:
            first = group.versions[0]
            adjudicate(user=user, task=task, document=document, ids=group.ids, accept=first.user.get_username())
            done += 1
    return done
