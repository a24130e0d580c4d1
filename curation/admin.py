"""Curators' actions in the Django admin: approve annotations, merge records (the same services as
the curators' pages, so history and index tasks follow)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction

from annotations.admin import AnnotationAdmin
from archive_site.models import Record

from .records import MergeError, merge_records
from .review import bulk_review


@admin.action(description="Approve the selected annotations")
def approve_annotations(modeladmin, request, queryset):
    try:
        done = bulk_review(user=request.user, annotation_ids=list(queryset.values_list("pk", flat=True)), status="approved")
    except PermissionDenied as error:
        modeladmin.message_user(request, str(error), level="error")
        return
    modeladmin.message_user(request, f"{len(done)} annotation(s) approved.")


@admin.action(description="Merge the selected records into the first (lowest id) of them")
def merge_records_action(modeladmin, request, queryset):
    selected = list(queryset.filter(merged_into__isnull=True).order_by("pk"))
    if len(selected) < 2:
        modeladmin.message_user(request, "Select at least two records that are not merged already.", level="warning")
        return
    survivor, moved = selected[0], 0
    try:
        with transaction.atomic():  # all or none
            for duplicate in selected[1:]:
                moved += merge_records(user=request.user, record=duplicate, into=survivor).moved_links
    except (PermissionDenied, MergeError) as error:
        modeladmin.message_user(request, str(error), level="error")
        return
    modeladmin.message_user(request, f"{len(selected) - 1} record(s) merged into {survivor.label}; {moved} link(s) moved.")


AnnotationAdmin.actions = [approve_annotations]
record_admin = admin.site._registry.get(Record)
if record_admin is not None:
    record_admin.actions = [*(record_admin.actions or []), merge_records_action]
