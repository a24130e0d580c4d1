"""Pages of the annotations app: the profile (API token, groups), an annotation's history,
replies posted from a card, and "new record from this passage" for curators.

Thin views: they read a form, call a service, and redirect or answer JSON.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import accounts, history, presenters, selectors, services
from .models import Annotation, AnnotationGroup
from .permissions import is_curator
from .schemas import AnnotationInput, InputError


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@login_required
def profile(request):
    user = request.user
    groups = list(AnnotationGroup.objects.filter(members=user).prefetch_related("members").order_by("name"))
    for group in groups:
        group.can_remove = accounts.can_remove_members(user, group)
        group.can_add = accounts.can_manage_group(user, group)
        group.is_task = accounts.is_task_group(group)
    status = request.GET.get("status", "")
    status = status if status in Annotation.Status.values else ""
    mine, counts = accounts.my_annotations(user=user, status=status)
    page = Paginator(mine, accounts.PROFILE_PAGE_SIZE).get_page(request.GET.get("page"))
    def note(a):
        return {"annotation": a, "reason": presenters.review_reason_for(user, a), "link": presenters.link(a)}

    rejected = [] if status else [note(a) for a in mine.filter(status=Annotation.Status.REJECTED)[:5]]
    return render(request, "annotations/profile.html", {
        "token": accounts.get_token(user=user),
        "groups": groups,
        "is_curator": is_curator(user),
        "notes": [note(a) for a in page.object_list],
        "page": page,
        "rejected": rejected,
        "rejected_count": counts.get(Annotation.Status.REJECTED, 0),
        "status": status,
        "statuses": [(value, label, counts.get(value, 0)) for value, label in Annotation.Status.choices],
        "total": sum(counts.values()),
    })


@login_required
@require_POST
def token_action(request):
    if request.POST.get("action") == "revoke":
        accounts.revoke_token(user=request.user)
        messages.success(request, "Your API token was revoked.")
    else:
        _, replaced = accounts.issue_token(user=request.user)
        messages.success(request, "A new API token was made; the earlier one no longer works." if replaced
                         else "Your API token was made.")
    return redirect("profile")


@login_required
@require_POST
def group_create(request):
    try:
        group = accounts.create_group(user=request.user, name=request.POST.get("name", ""))
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"Group {group.name} created. Add members by username.")
    return redirect("profile")


@login_required
@require_POST
def group_add_member(request, name: str):
    group = get_object_or_404(AnnotationGroup, name=name)
    username = request.POST.get("username", "")
    try:
        accounts.add_member(user=request.user, group=group, username=username)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{username.strip()} is now a member of {group.name}.")
    return redirect("profile")


@login_required
@require_POST
def group_remove_member(request, name: str, username: str):
    group = get_object_or_404(AnnotationGroup, name=name)
    try:
        accounts.remove_member(user=request.user, group=group, username=username)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        if username == request.user.get_username():
            messages.success(request, f"You left {group.name}.")
        else:
            messages.success(request, f"{username} is no longer a member of {group.name}.")
    return redirect("profile")


@login_required
@require_POST
def group_leave(request, name: str):
    group = get_object_or_404(AnnotationGroup, name=name)
    try:
        accounts.leave_group(user=request.user, group=group)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"You left {group.name}; its notes are no longer shown to you.")
    return redirect("profile")


def annotation_history(request, pk: int):
    annotation = selectors.get_visible_annotation(request.user, pk)
    entries = history.annotation_history(request.user, annotation.pk) if annotation is not None else None
    if entries is None:
        raise Http404("No such annotation.")
    for entry in entries:
        entry["when"] = datetime.fromisoformat(entry["date"])
    return render(request, "annotations/history.html", {"annotation": annotation, "entries": entries})


@login_required
@require_POST
def annotation_reply(request, pk: int):
    parent = selectors.get_visible_annotation(request.user, pk)
    if parent is None:
        raise Http404("No such annotation.")
    comment = request.POST.get("comment", "").strip()
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    if not comment:
        if wants_json:
            return JsonResponse({"detail": "A reply needs some text."}, status=400)
        messages.error(request, "A reply needs some text.")
    else:
        # Who sees the reply is the service's rule (its parent's readers), not this page's.
        data = AnnotationInput(document=parent.document, reply_to=parent, comment=comment[:10_000])
        try:
            reply = services.create_annotation(user=request.user, data=data)
        except (PermissionDenied, InputError) as error:
            if wants_json:
                return JsonResponse({"detail": str(error)}, status=403 if isinstance(error, PermissionDenied) else 400)
            messages.error(request, str(error))
            return redirect(f"{parent.document.get_absolute_url()}#hl-{parent.pk}")
        if wants_json:
            return JsonResponse({"id": reply.pk}, status=201)
    return redirect(f"{parent.document.get_absolute_url()}#hl-{parent.pk}")
