"""The archive itself: source documents and the authority records annotations link to."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from .text import PARTIAL_DATE_RE, normalise_text, text_checksum, year_of

partial_date_validator = RegexValidator(
    PARTIAL_DATE_RE, "Use a full or partial ISO date: YYYY, YYYY-MM or YYYY-MM-DD."
)


def PartialDateField(verbose_name: str) -> models.CharField:  # noqa: N802 - reads like a field class
    """A date that may be known only to the year or month ("1937", "1937-06", "1937-06-11")."""
    return models.CharField(
        verbose_name, max_length=10, blank=True, default="", validators=[partial_date_validator]
    )


class Document(models.Model):
    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=500)
    author = models.CharField(max_length=300, blank=True, default="")
    date = PartialDateField("date")
    kind = models.CharField(
        max_length=100, blank=True, default="",
        help_text="lecture, encyclopedia article, worksheet, podcast transcript, blog post, ...",
    )
    source = models.CharField(max_length=1000, blank=True, default="")
    language = models.CharField(max_length=20, default="en")
    text = models.TextField(help_text="The stored text; offsets are Python str indices into it.")
    checksum = models.CharField(max_length=80, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["text"])

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.text = normalise_text(self.text)
        self.checksum = text_checksum(self.text)
        super().save(*args, **kwargs)

    @property
    def year(self) -> int | None:
        return year_of(self.date)

    def get_absolute_url(self) -> str:
        return reverse("document-detail", kwargs={"slug": self.slug})


class RecordQuerySet(models.QuerySet):
    def matching(self, prefix: str) -> RecordQuerySet:
        """Records whose label, or one of whose aliases, has a word starting with ``prefix``
        (case-insensitive), for autocomplete. Matching on ``search_names`` keeps it one indexed
        LIKE per word start instead of scanning JSON."""
        prefix = " ".join(prefix.lower().split())
        if not prefix:
            return self.none()
        return self.filter(
            Q(search_names__startswith=prefix) | Q(search_names__contains="|" + prefix)
            | Q(search_names__contains=" " + prefix)
        )


class Record(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        PLACE = "place", "Place"
        ORGANISATION = "organisation", "Organisation"
        EVENT = "event", "Event"
        OTHER = "other", "Other"

    key = models.SlugField(max_length=120, unique=True, help_text="Stable identifier used when loading.")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OTHER)
    label = models.CharField(max_length=300)
    aliases = models.JSONField(default=list, blank=True, help_text="Other spellings and transliterations.")
    description = models.TextField(blank=True, default="")
    start_date = PartialDateField("born / start")
    end_date = PartialDateField("died / end")
    external_ids = models.JSONField(default=dict, blank=True, help_text='e.g. {"wikidata": "Q855"}')
    # Lower-cased label and aliases joined by "|": derived on save, used only for prefix lookup.
    search_names = models.TextField(editable=False, default="", db_index=False)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_records",
        help_text="Set when this record was merged into another; its URL then redirects there.",
    )
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["search_names"])
    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label

    def all_names(self) -> list[str]:
        return [self.label, *[a for a in self.aliases if a]]

    def save(self, *args, **kwargs) -> None:
        self.aliases = list(dict.fromkeys(a.strip() for a in self.aliases if a and a.strip() and a.strip() != self.label))
        self.search_names = "|".join(name.lower() for name in self.all_names())
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("record-detail", kwargs={"pk": self.pk})
