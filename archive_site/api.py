"""The archive's read API: documents and records."""

from __future__ import annotations

from django.http import HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from . import history, selectors
from .models import Document, DocumentPage, Record
from .serializers import (
    DocumentDetailSerializer,
    DocumentListSerializer,
    PageSerializer,
    PageWordsSerializer,
    RecordSerializer,
)


class DocumentList(generics.ListAPIView):
    serializer_class = DocumentListSerializer

    def get_queryset(self):
        return selectors.document_list()


class DocumentDetail(generics.RetrieveAPIView):
    serializer_class = DocumentDetailSerializer
    lookup_field = "slug"
    queryset = Document.objects.all()


class DocumentPages(generics.ListAPIView):
    """``GET /api/documents/<slug>/pages/``: the document's pages (page breaks as offsets; for
    pages read from images, the image and the mean OCR confidence)."""

    serializer_class = PageSerializer
    pagination_class = None

    def get_queryset(self):
        document = get_object_or_404(Document, slug=self.kwargs["slug"])
        return DocumentPage.objects.filter(document=document).defer("words")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "slug": self.kwargs["slug"]}


class DocumentPageDetail(generics.RetrieveAPIView):
    """``GET /api/documents/<slug>/pages/<n>/``: one page with its OCR words and their boxes."""

    serializer_class = PageWordsSerializer

    def get_object(self):
        return get_object_or_404(DocumentPage, document__slug=self.kwargs["slug"], number=self.kwargs["number"])

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "slug": self.kwargs["slug"]}


@extend_schema(
    parameters=[
        OpenApiParameter("kind", str, enum=list(Record.Kind.values), description="Only records of this kind."),
        OpenApiParameter("q", str, description="Prefix of a word in the label or an alias (autocomplete)."),
    ]
)
class RecordList(generics.ListAPIView):
    serializer_class = RecordSerializer

    def get_queryset(self):
        kind = self.request.query_params.get("kind") or None
        if kind and kind not in Record.Kind.values:
            raise ValidationError({"kind": f"Unknown kind {kind!r}; use one of {', '.join(Record.Kind.values)}."})
        prefix = self.request.query_params.get("q")
        return selectors.record_list(kind=kind, prefix=prefix)


class RecordDetail(generics.RetrieveAPIView):
    """A merged record answers 301 to the record it was merged into (as its page does)."""

    serializer_class = RecordSerializer
    queryset = Record.objects.all()

    def get_object(self):
        return get_object_or_404(Record, pk=self.kwargs["pk"])

    def retrieve(self, request, *args, **kwargs):
        record = self.get_object()
        if record.merged_into_id:
            return HttpResponsePermanentRedirect(reverse("api-record-detail", kwargs={"pk": record.merged_into_id}))
        return super().retrieve(request, *args, **kwargs)


@extend_schema(responses=OpenApiTypes.OBJECT)
class RecordHistory(APIView):
    """``GET /api/records/<id>/history/``: every version of a record (records are public)."""

    def get(self, request, pk):
        record = get_object_or_404(Record, pk=pk)
        return Response({"id": record.pk, "history": history.present(history.versions(Record, record.pk))})
