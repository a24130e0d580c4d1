"""Input and output serializers of the search API."""

from __future__ import annotations

from rest_framework import serializers

from .backends.base import DEFAULT_PAGE_SIZE, ENTRY_TYPES, MAX_PAGE_SIZE, MAX_QUERY_LENGTH, SearchFilters

MAX_PAGE = 1000


def _no_control_chars(value: str) -> str:
    return "".join(ch if ch.isprintable() else " " for ch in value)


class SearchInputSerializer(serializers.Serializer):
    q = serializers.CharField(max_length=MAX_QUERY_LENGTH, trim_whitespace=True,
                              help_text="The query: words (all must match), \"phrases\", OR/NOT/(), title: author: kind: year:1937, year:[1936 TO 1938], prefix*, fuzzy~")
    type = serializers.ChoiceField(choices=ENTRY_TYPES, default="document")
    kind = serializers.CharField(required=False, max_length=100)
    author = serializers.CharField(required=False, max_length=300)
    year = serializers.IntegerField(required=False, min_value=0, max_value=9999)
    decade = serializers.IntegerField(required=False, min_value=0, max_value=9990)
    record = serializers.IntegerField(required=False, min_value=1)
    entity_type = serializers.CharField(required=False, max_length=40)
    page = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE, default=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE)

    def validate_q(self, value: str) -> str:
        value = _no_control_chars(value).strip()
        if not value:
            raise serializers.ValidationError("The query is empty.")
        return value

    def filters(self) -> SearchFilters:
        d = self.validated_data
        return SearchFilters(kind=d.get("kind") or None, author=d.get("author") or None, year=d.get("year"),
                             decade=d.get("decade"), record=d.get("record"), entity_type=d.get("entity_type") or None)


class SnippetSerializer(serializers.Serializer):
    html = serializers.CharField(help_text="Escaped text with the matched words in <mark>")
    start = serializers.IntegerField(help_text="Code-point offset into the document text (inclusive)")
    end = serializers.IntegerField(help_text="Code-point offset (exclusive)")
    url = serializers.CharField(required=False, help_text="/documents/<slug>/#pos=START-END")


class ResultSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.IntegerField()
    slug = serializers.CharField(allow_blank=True)
    title = serializers.CharField()
    url = serializers.CharField()
    score = serializers.FloatField()
    kind = serializers.CharField(allow_blank=True)
    author = serializers.CharField(allow_blank=True)
    date = serializers.CharField(allow_blank=True)
    snippets = SnippetSerializer(many=True)
    extra = serializers.DictField(required=False)


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class SearchOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    num_pages = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = ResultSerializer(many=True)
    facets = serializers.DictField(child=FacetValueSerializer(many=True))
    suggestion = serializers.CharField(allow_null=True)
    any_word = serializers.BooleanField(help_text="True when no entry had every word and entries with some are shown")
