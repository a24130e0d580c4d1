from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Annotation,
    AnnotationBatch,
    AnnotationGroup,
    AnnotationTask,
    EntityType,
    RelationType,
    Tag,
    TaskAssignment,
)


@admin.register(Annotation)
class AnnotationAdmin(SimpleHistoryAdmin):
    list_display = ["id", "document", "target_quote", "creator", "visibility", "status", "anchor_state", "modified"]
    list_filter = ["status", "visibility", "anchor_state", "entity_type", "motivation", "relation_type"]
    search_fields = ["target_quote", "comment", "creator__username", "document__slug"]
    raw_id_fields = ["document", "reply_to", "creator", "reviewed_by", "relation_source", "relation_target", "batch",
                     "task"]
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


@admin.register(RelationType)
class RelationTypeAdmin(admin.ModelAdmin):
    list_display = ["key", "label", "description"]


@admin.register(AnnotationBatch)
class AnnotationBatchAdmin(admin.ModelAdmin):
    list_display = ["id", "creator", "record", "size", "created", "undone"]
    raw_id_fields = ["creator", "record", "document", "undone_by"]


class TaskAssignmentInline(admin.TabularInline):
    model = TaskAssignment
    raw_id_fields = ["user"]
    extra = 0


@admin.register(AnnotationTask)
class AnnotationTaskAdmin(admin.ModelAdmin):
    list_display = ["title", "created_by", "created", "closed"]
    filter_horizontal = ["documents", "entity_types"]
    raw_id_fields = ["group", "publish_group", "created_by"]
    inlines = [TaskAssignmentInline]
