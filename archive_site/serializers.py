from __future__ import annotations

from rest_framework import serializers

from .models import Document, Record


class DocumentListSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    year = serializers.IntegerField(read_only=True, allow_null=True)
    length = serializers.SerializerMethodField(help_text="Length of the text in code points.")

    class Meta:
        model = Document
        fields = ["slug", "url", "title", "author", "date", "year", "kind", "source", "language", "checksum", "length"]

    def get_url(self, obj: Document) -> str:
        request = self.context.get("request")
        url = obj.get_absolute_url()
        return request.build_absolute_uri(url) if request else url

    def get_length(self, obj: Document) -> int:
        # The list query defers the text; the detail serializer has it.
        return obj.text_length if hasattr(obj, "text_length") else len(obj.text)


class DocumentDetailSerializer(DocumentListSerializer):
    class Meta(DocumentListSerializer.Meta):
        fields = [*DocumentListSerializer.Meta.fields, "text"]


class RecordSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Record
        fields = ["id", "key", "url", "kind", "label", "aliases", "description", "start_date", "end_date", "external_ids"]

    def get_url(self, obj: Record) -> str:
        request = self.context.get("request")
        url = obj.get_absolute_url()
        return request.build_absolute_uri(url) if request else url
