from django.contrib import admin
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
