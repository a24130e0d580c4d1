"""Input and output serializers of the search API: the view validates with
``SearchInputSerializer`` and answers with ``SearchOutputSerializer`` (from a
``search.services.SearchPage``; the request in the context makes the absolute links)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
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
    url = serializers.CharField(required=False, help_text="/documents/<slug>/#pos=START-END (document hits)")


@extend_schema_field({"type": "string", "format": "uri"})
class AbsoluteURLField(serializers.CharField):
    """A site path as an absolute URL of the request's host."""

    def to_representation(self, value) -> str:
        return self.context["request"].build_absolute_uri(value)


# "as" is a Python keyword, so the class is built from a dict of its fields.
MatchSerializer = type("MatchSerializer", (serializers.Serializer,), {
    "__doc__": "How a hit matched one word of the query.",
    "word": serializers.CharField(help_text="A word of the query, as typed"),
    "as": serializers.ChoiceField(choices=["exact", "stem", "variant", "record", "phonetic"],
                                  help_text="How the hit matched it: as typed (after case and accent folding), a stem "
                                            "relative, a transliteration variant, another name of a record it names, "
                                            "or by sound (the last resort)"),
    "found": serializers.CharField(help_text="The word as the hit writes it (Yezhov for Ежов)"),
})


class ResultSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.IntegerField()
    slug = serializers.CharField(allow_blank=True)
    title = serializers.CharField()
    url = AbsoluteURLField()
    path = serializers.CharField(source="url", help_text="The same link as a path")
    score = serializers.FloatField()
    kind = serializers.CharField(allow_blank=True)
    author = serializers.CharField(allow_blank=True)
    date = serializers.CharField(allow_blank=True)
    snippets = SnippetSerializer(many=True)
    matched_as = MatchSerializer(many=True, help_text='How each query word matched: [{"word", "as", "found"}]')
    extra = serializers.DictField(required=False, help_text="Annotations: their document, creator and status")

    def to_representation(self, instance) -> dict:
        data = super().to_representation(instance)
        if not data.get("extra"):
            data.pop("extra", None)
        return data


class FacetValueSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


@extend_schema_field({"type": "string", "format": "uri", "nullable": True})
class PageLinkField(serializers.Field):
    """The URL of the next (``step=1``) or previous (``step=-1``) page, or None."""

    def __init__(self, step: int, **kwargs) -> None:
        super().__init__(source="*", read_only=True, **kwargs)
        self.step = step

    def to_representation(self, page) -> str | None:
        number = page.results.page + self.step
        if (self.step > 0 and number > page.num_pages) or number < 1:
            return None
        request = self.context["request"]
        params = request.GET.copy()
        params["page"] = str(number)
        return request.build_absolute_uri(request.path) + "?" + params.urlencode()


class SearchOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    page = serializers.IntegerField(source="results.page")
    page_size = serializers.IntegerField(source="results.page_size")
    num_pages = serializers.IntegerField()
    next = PageLinkField(step=1)
    previous = PageLinkField(step=-1)
    results = ResultSerializer(many=True, source="items")
    facets = serializers.DictField(child=FacetValueSerializer(many=True))
    suggestion = serializers.CharField(source="results.suggestion", allow_null=True,
                                       help_text='"Did you mean": a corrected query that finds more')
    any_word = serializers.BooleanField(source="results.any_word",
                                        help_text="True when no entry had every word and entries with some are shown")
