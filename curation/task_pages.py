"""The curators' pages for teamwork: a batch reviewed as one item of the queue, annotation tasks
(set one, follow it), agreement per document and entity type, and adjudication side by side.
Thin: read a form, call ``annotations.assignments`` / ``curation.agreement`` / ``review``,
render or redirect with a message."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from annotations import assignments
from annotations.models import AnnotationBatch, AnnotationTask, EntityType
from annotations.schemas import InputError, parse_visibility
from archive_site.models import Document

from . import agreement, review
from .pages import _back, _int, curator_required


def _error_text(error: InputError) -> str:
    return " ".join(error.errors.values())


@curator_required
@require_POST
def batch_review(request, pk: int):
    """Approve or reject every pending annotation of a batch from the review queue."""
    batch = get_object_or_404(AnnotationBatch, pk=pk)
    action = request.POST.get("action", "")
    try:
        done = review.review_batch(user=request.user, batch=batch, status=action,
                                   reason=request.POST.get(f"reason-batch-{batch.pk}", ""))
    except InputError as error:
        messages.error(request, f"Batch {batch.pk}: {_error_text(error)}")
    else:
        messages.success(request, f"Batch {batch.pk}: {len(done)} annotation{'s' if len(done) != 1 else ''} marked {action}.")
    return _back(request, reverse("curate-review"))


# --- tasks ----------------------------------------------------------------------------------------


def _users(raw: str) -> list:
    names = [n.strip() for n in raw.replace("\n", ",").split(",") if n.strip()]
    found = {u.get_username(): u for u in get_user_model().objects.filter(username__in=names, is_active=True)}
    missing = [n for n in names if n not in found]
    if missing:
        raise InputError({"assignees": f"No user called {', '.join(repr(n[:60]) for n in missing[:5])}."})
    return list(found.values())


@curator_required
@require_http_methods(["GET", "POST"])
def tasks(request):
    values = {"title": "", "description": "", "assignees": "", "publish": "public", "documents": [], "entity_types": []}
    status = 200
    if request.method == "POST":
        values = {
            "title": request.POST.get("title", ""), "description": request.POST.get("description", ""),
            "assignees": request.POST.get("assignees", ""), "publish": request.POST.get("publish", "public"),
            "documents": request.POST.getlist("documents"), "entity_types": request.POST.getlist("entity_types"),
        }
        try:
            visibility, group = parse_visibility(values["publish"], field="publish")
            task = assignments.create_task(
                user=request.user, title=values["title"], description=values["description"],
                documents=list(Document.objects.filter(slug__in=values["documents"])),
                entity_types=list(EntityType.objects.filter(key__in=values["entity_types"])),
                assignees=_users(values["assignees"]), publish_visibility=visibility, publish_group=group,
            )
        except InputError as error:
            messages.error(request, _error_text(error))
            status = 400
        else:
            messages.success(request, f"Task {task.title!r} set for {task.assignments.count()} annotators.")
            return redirect("curate-task", pk=task.pk)
    return render(request, "curation/tasks.html", {
        "section": "tasks", "tasks": AnnotationTask.objects.prefetch_related("assignments__user", "documents"),
        "documents": Document.objects.order_by("title").only("slug", "title"),
        "entity_types": EntityType.objects.all(), "values": values,
    }, status=status)


@curator_required
def task_detail(request, pk: int):
    task = get_object_or_404(AnnotationTask, pk=pk)
    rows = []
    for result in agreement.task_agreement(task):
        open_count = len(agreement.disagreements(task, result.document)) if result.annotators >= 2 else 0
        rows.append({"result": result, "open": open_count})
    return render(request, "curation/task_detail.html", {
        "section": "tasks", "task": task, "assignments": task.assignments.select_related("user"),
        "rows": rows, "keys": sorted(task.entity_types.values_list("key", flat=True)),
    })


@curator_required
@require_POST
def task_close(request, pk: int):
    task = get_object_or_404(AnnotationTask, pk=pk)
    assignments.close_task(user=request.user, task=task)
    messages.success(request, f"Task {task.title!r} closed: no more task annotations can be made.")
    return redirect("curate-task", pk=task.pk)


@curator_required
@require_http_methods(["GET", "POST"])
def adjudicate(request, pk: int, slug: str):
    task = get_object_or_404(AnnotationTask, pk=pk)
    document = get_object_or_404(task.documents, slug=slug)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "agreed":
                done = agreement.accept_agreed(user=request.user, task=task, document=document)
                messages.success(request, f"{done} agreed passage{'s' if done != 1 else ''} accepted.")
            else:
                ids = [_int(v) for v in request.POST.get("ids", "").split(",")]
                if None in ids or not ids:
                    raise InputError({"ids": "The passage's annotations are missing: reload the page."})
                accept = request.POST.get("accept", "")
                group = agreement.adjudicate(user=request.user, task=task, document=document, ids=ids, accept=accept)
                who = f"{accept}'s version" if accept else "no version"
                messages.success(request, f"{group.text[:60]!r}: {who} accepted.")
        except InputError as error:
            messages.error(request, _error_text(error))
        except PermissionDenied as error:
            messages.error(request, str(error))
        return redirect("curate-adjudicate", pk=task.pk, slug=document.slug)
    users = agreement.finished_assignees(task)
    all_groups = agreement.groups(task, document, users)
    return render(request, "curation/adjudicate.html", {
        "section": "tasks", "task": task, "document": document, "users": users,
        "result": agreement.document_agreement(task, document, users),
        "disagreements": [g for g in all_groups if not g.agreed and not g.resolved],
        "agreed": sum(1 for g in all_groups if g.agreed and not g.resolved),
        "resolved": sum(1 for g in all_groups if g.resolved),
        "keys": sorted(task.entity_types.values_list("key", flat=True)),
    })
