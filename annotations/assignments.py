"""Annotation tasks: several annotators annotate the same documents independently.

A curator makes a task (documents, entity types, assignees). An assignee annotates a task's
document for the task (``"task": <id>`` in the JSON-LD): such an annotation must be classified
with one of the task's entity types, and is shared with the task's own group, which holds only
the assignees who have finished. So until an assignee finishes, nobody but the curators (and the
annotation's creator) sees their task annotations, and they see nobody else's; when they finish
they join the group and see the others' work (the read rule, ``permissions``, by group
membership: the search index's filter follows without knowing about tasks). Finishing is final:
a finished assignee adds and changes no more task annotations. Agreement and adjudication are
the curators' (``curation.agreement``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from . import permissions
from .models import Annotation, AnnotationGroup, AnnotationTask, TaskAssignment
from .schemas import AnnotationInput, InputError

MAX_TITLE_CHARS = 200


def _group_name(title: str) -> str:
    stem = "task-" + (slugify(title)[:40].strip("-") or "annotation")
    name, n = stem, 1
    while AnnotationGroup.objects.filter(name=name).exists():
        n += 1
        name = f"{stem}-{n}"
    return name


@transaction.atomic
def create_task(*, user, title: str, documents, entity_types, assignees, description: str = "",
                publish_visibility: str = permissions.PUBLIC, publish_group=None) -> AnnotationTask:
    """A new task (curators). ``documents``, ``entity_types``, ``assignees``: non-empty lists."""
    if not permissions.can_manage_tasks(user):
        raise PermissionDenied("Only curators may set annotation tasks.")
    errors = {}
    title = (title or "").strip()
    if not title or len(title) > MAX_TITLE_CHARS:
        errors["title"] = f"A title of 1-{MAX_TITLE_CHARS} characters is required."
    if not documents:
        errors["documents"] = "Choose at least one document."
    if not entity_types:
        errors["entity_types"] = "Choose at least one entity type."
    if len({u.pk for u in assignees}) < 2:
        errors["assignees"] = "Agreement needs at least two annotators."
    if publish_visibility == permissions.GROUP and publish_group is None:
        errors["publish_visibility"] = "Name the group the adjudicated annotations are shared with."
    if errors:
        raise InputError(errors)
    group = AnnotationGroup.objects.create(name=_group_name(title), created_by=None)
    task = AnnotationTask.objects.create(
        title=title, description=description or "", created_by=user, group=group,
        publish_visibility=publish_visibility,
        publish_group=publish_group if publish_visibility == permissions.GROUP else None,
    )
    task.documents.set(documents)
    task.entity_types.set(entity_types)
    TaskAssignment.objects.bulk_create([TaskAssignment(task=task, user=u) for u in {u.pk: u for u in assignees}.values()])
    return task


def assignment_of(user, task: AnnotationTask) -> TaskAssignment | None:
    if user is None or not user.is_authenticated:
        return None
    return TaskAssignment.objects.filter(task=task, user=user).first()


def _open_assignment(user, task: AnnotationTask) -> TaskAssignment:
    assignment = assignment_of(user, task)
    if assignment is None:
        raise PermissionDenied(f"You are not an annotator of the task {task.title!r}.")
    if task.closed is not None:
        raise PermissionDenied(f"The task {task.title!r} is closed.")
    if assignment.finished is not None:
        raise PermissionDenied(f"You have finished the task {task.title!r}: its annotations can no longer change.")
    return assignment


def prepare_task_annotation(user, data: AnnotationInput) -> None:
    """Check a new task annotation (an open assignment, the task's document and entity types) and
    share it with the task's group, whatever visibility was asked for."""
    task = data.task
    _open_assignment(user, task)
    if data.reply_to is not None or data.relation_source is not None:
        raise InputError({"task": "Only annotations of passages belong to a task."})
    if not task.documents.filter(pk=data.document.pk).exists():
        raise InputError({"task": f"The document {data.document.slug!r} is not one of the task's."})
    keys = sorted(task.entity_types.values_list("key", flat=True))
    if data.entity_type is None or data.entity_type.key not in keys:
        raise InputError({"body": f"A task annotation is classified with one of the task's entity types: {', '.join(keys)}."})
    data.visibility, data.group = Annotation.Visibility.GROUP, task.group


def check_task_edit(user, annotation: Annotation, data: AnnotationInput) -> None:
    """An edit of a task annotation: by its creator while their assignment is open (curators
    change task annotations by adjudicating them); it stays in its task and its group."""
    if data.task is not None and data.task.pk != annotation.task_id:
        raise InputError({"task": "An annotation cannot be moved into or out of a task."})
    if annotation.task_id is None:
        return
    if annotation.creator_id != getattr(user, "pk", None):
        raise PermissionDenied("Task annotations are changed by their annotator; curators adjudicate them.")
    data.task = annotation.task
    prepare_task_annotation(user, data)


def check_task_delete(user, annotation: Annotation) -> None:
    """A finished annotator's task annotations are final: they delete none of them (curators
    settle them by adjudicating)."""
    if annotation.task_id is None or annotation.creator_id != getattr(user, "pk", None):
        return
    assignment = assignment_of(user, annotation.task)
    if assignment is not None and assignment.finished is not None:
        raise PermissionDenied(f"You have finished the task {annotation.task.title!r}: its annotations can no longer change.")


@transaction.atomic
def finish_task(*, user, task: AnnotationTask) -> TaskAssignment:
    """The assignee is done: their task annotations are final, and they now see the others'."""
    assignment = _open_assignment(user, task)
    assignment.finished = timezone.now()
    assignment.save(update_fields=["finished"])
    task.group.members.add(user)
    return assignment


@transaction.atomic
def close_task(*, user, task: AnnotationTask) -> AnnotationTask:
    if not permissions.can_manage_tasks(user):
        raise PermissionDenied("Only curators may close annotation tasks.")
    task.closed = timezone.now()
    task.save(update_fields=["closed"])
    return task


def tasks_of(user):
    """The tasks ``user`` is an annotator of, with their assignment."""
    return TaskAssignment.objects.filter(user=user).select_related("task").order_by("-task__created")
