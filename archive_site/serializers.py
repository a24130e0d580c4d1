from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from .models import Document, DocumentOrigin, DocumentPage, Record


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


def _absolute(context, url: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(url) if request else url


class ProvenanceSerializer(serializers.ModelSerializer):
    """Where the text came from: the original file (download URL, checksum) and the extractor."""

    original_url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentOrigin
        fields = ["format", "file_name", "media_type", "size", "checksum", "original_url", "extractor",
                  "extractor_version", "ocr_confidence", "warnings"]

    def get_original_url(self, obj: DocumentOrigin) -> str | None:
        if not obj.has_file:
            return None
        return _absolute(self.context, reverse("document-original", kwargs={"slug": obj.document.slug}))


class PageSerializer(serializers.ModelSerializer):
    image_url = serializers.SerializerMethodField()
    words_url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentPage
        fields = ["number", "start", "end", "method", "confidence", "width", "height", "image_url", "words_url"]

    def get_image_url(self, obj: DocumentPage) -> str | None:
        if not obj.image:
            return None
        return _absolute(self.context, reverse("document-page-image", kwargs={"slug": self.context["slug"], "number": obj.number}))

    def get_words_url(self, obj: DocumentPage) -> str:
        return _absolute(self.context, reverse("api-document-page", kwargs={"slug": self.context["slug"], "number": obj.number}))


class PageWordsSerializer(PageSerializer):
    words = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="OCR words as [start, end, x, y, width, height, confidence]: offsets into the text, box in pixels of the page image.",
    )

    class Meta(PageSerializer.Meta):
        fields = [*PageSerializer.Meta.fields, "words"]


class DocumentDetailSerializer(DocumentListSerializer):
    provenance = serializers.SerializerMethodField()
    pages = serializers.SerializerMethodField(help_text="Page count (pages: /api/documents/<slug>/pages/).")

    class Meta(DocumentListSerializer.Meta):
        fields = [*DocumentListSerializer.Meta.fields, "provenance", "pages", "text"]

    def get_provenance(self, obj: Document) -> dict | None:
        origin = DocumentOrigin.objects.filter(document=obj).first()
        return ProvenanceSerializer(origin, context=self.context).data if origin else None

    def get_pages(self, obj: Document) -> int:
        return DocumentPage.objects.filter(document=obj).count()


class RecordSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Record
        fields = ["id", "key", "url", "kind", "label", "aliases", "description", "start_date", "end_date", "external_ids"]

    def get_url(self, obj: Record) -> str:
        request = self.context.get("request")
        url = obj.get_absolute_url()
        return request.build_absolute_uri(url) if request else url
