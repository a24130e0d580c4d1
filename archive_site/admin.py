from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Document, Record


@admin.register(Document)
class DocumentAdmin(SimpleHistoryAdmin):
    list_display = ["title", "author", "kind", "date", "language", "slug"]
    list_filter = ["kind", "language"]
    search_fields = ["title", "author", "slug", "source"]
    readonly_fields = ["checksum", "created", "modified"]
    prepopulated_fields = {"slug": ["title"]}


@admin.register(Record)
class RecordAdmin(SimpleHistoryAdmin):
    list_display = ["label", "kind", "start_date", "end_date", "key"]
    list_filter = ["kind"]
    search_fields = ["label", "search_names", "description", "key"]
    readonly_fields = ["created", "modified"]
