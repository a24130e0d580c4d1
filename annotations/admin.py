from django.contrib import admin
from django.db import transaction
from simple_history.admin import SimpleHistoryAdmin

from .models import Annotation, AnnotationGroup, EntityType, Tag


@admin.register(Annotation)
class AnnotationAdmin(SimpleHistoryAdmin):
    list_display = ["id", "document", "target_quote", "creator", "visibility", "status", "anchor_state", "modified"]
    list_filter = ["status", "visibility", "anchor_state", "entity_type"]
    search_fields = ["target_quote", "comment", "creator__username", "document__slug"]
    raw_id_fields = ["document", "reply_to", "creator", "reviewed_by"]
    filter_horizontal = ["tags", "records"]
    readonly_fields = ["created", "modified"]


@admin.register(EntityType)
class EntityTypeAdmin(admin.ModelAdmin):
    list_display = ["key", "label", "color"]


@admin.register(AnnotationGroup)
class AnnotationGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "created_by", "created"]
    filter_horizontal = ["members"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


# --- curation actions (services do the work, with history and index tasks) -------------------


@admin.action(description="Approve the selected annotations")
def approve_annotations(modeladmin, request, queryset):
    from django.core.exceptions import PermissionDenied

    from .curation import bulk_review

    try:
        done = bulk_review(user=request.user, annotation_ids=list(queryset.values_list("pk", flat=True)), status="approved")
    except PermissionDenied as error:
        modeladmin.message_user(request, str(error), level="error")
        return
    modeladmin.message_user(request, f"{len(done)} annotation(s) approved.")


AnnotationAdmin.actions = [approve_annotations]


@admin.action(description="Merge the selected records into the first (lowest id) of them")
def merge_records_action(modeladmin, request, queryset):
    from django.core.exceptions import PermissionDenied

    from .record_curation import MergeError, merge_records

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


def _register_record_merge() -> None:
    from archive_site.models import Record

    record_admin = admin.site._registry.get(Record)
    if record_admin is not None and merge_records_action not in (record_admin.actions or []):
        record_admin.actions = [*(record_admin.actions or []), merge_records_action]


_register_record_merge()
