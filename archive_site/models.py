"""The archive itself: source documents and the authority records annotations link to."""

from __future__ import annotations

import functools
import re
import unicodedata

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import connection, models
from django.db.models import Q
from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver
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
        self.prepare_text()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("document-detail", kwargs={"slug": self.slug})

    def prepare_text(self) -> None:
        """Normalise the text and set its checksum: on every save, and before a bulk insert."""
        self.text = normalise_text(self.text)
        self.checksum = text_checksum(self.text)

    @property
    def year(self) -> int | None:
        return year_of(self.date)


TAIL_CHARS = 200  # name tails are stored up to this length (longer prefixes scan search_names)


def normalise_prefix(prefix: str) -> str:
    """What autocomplete matches: lower case, single spaces."""
    return " ".join(prefix.lower().split())


def name_tails(names) -> set[str]:
    """Each lower-cased name from each of its word starts on (the start, and after every space):
    "Georgy Pyatakov" -> {"georgy pyatakov", "pyatakov"}, cut at TAIL_CHARS."""
    tails = set()
    for name in names:
        name = name.lower()
        tails.add(name[:TAIL_CHARS])
        at = name.find(" ")
        while at != -1:
            tails.add(name[at + 1 : at + 1 + TAIL_CHARS])
            at = name.find(" ", at + 1)
    tails.discard("")
    return tails


class RecordQuerySet(models.QuerySet):
    def matching(self, prefix: str) -> RecordQuerySet:
        """Records whose label, or one of whose aliases, has a word starting with ``prefix``
        (case-insensitive), for autocomplete: an index range scan of ``RecordNameTail`` (every
        name from each word start on), not a scan of every record's names."""
        prefix = normalise_prefix(prefix)
        if not prefix:
            return self.none()
        if len(prefix) > TAIL_CHARS:  # longer than the stored tails: scan the names
            return self.filter(
                Q(search_names__startswith=prefix) | Q(search_names__contains="|" + prefix)
                | Q(search_names__contains=" " + prefix)
            )
        return self.filter(pk__in=RecordNameTail.objects.starting_with(prefix).values("record_id"))


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

    def save(self, *args, **kwargs) -> None:
        self.aliases = list(dict.fromkeys(a.strip() for a in self.aliases if a and a.strip() and a.strip() != self.label))
        self.search_names = "|".join(name.lower() for name in self.all_names())
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("record-detail", kwargs={"pk": self.pk})

    def all_names(self) -> list[str]:
        return [self.label, *[a for a in self.aliases if a]]

    def name_tails(self) -> set[str]:
        return name_tails(self.all_names())


class RecordNameTailQuerySet(models.QuerySet):
    def starting_with(self, prefix: str) -> RecordNameTailQuerySet:
        """Tails that start with ``prefix`` (already lower-cased), through the index on ``tail``:
        on PostgreSQL a LIKE 'prefix%' (the index uses varchar_pattern_ops, so the locale's
        collation does not matter); elsewhere the range [prefix, next string after all its
        extensions), which compares code points as SQLite's BINARY collation does."""
        if connection.vendor == "postgresql" or ord(prefix[-1]) == 0x10FFFF:
            return self.filter(tail__startswith=prefix)
        return self.filter(tail__gte=prefix, tail__lt=prefix[:-1] + chr(ord(prefix[-1]) + 1))


class RecordNameTail(models.Model):
    """Derived from a record (``name_tails`` of its label and aliases, with copies of its label,
    kind and whether it is live, i.e. not merged), kept in step by the receivers below; only for
    autocomplete (``Record.objects.matching``, ``selectors.record_list``). The migration's
    index covers (tail, live, kind, label, record), so a prefix is answered, counted and
    ordered by label from the index alone; the records of one page are then read by id."""

    # No index of its own: the unique (record, tail) constraint's index starts with it.
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="name_tail_rows", db_index=False)
    tail = models.CharField(max_length=TAIL_CHARS)
    label = models.CharField(max_length=300)
    kind = models.CharField(max_length=20)
    live = models.BooleanField(default=True)

    objects = RecordNameTailQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "tail"], name="record_name_tail_unique")]

    def __str__(self) -> str:
        return self.tail

    @classmethod
    def rows_for(cls, record: Record) -> list[RecordNameTail]:
        live = record.merged_into_id is None
        return [cls(record_id=record.pk, tail=t, label=record.label, kind=record.kind, live=live)
                for t in sorted(record.name_tails())]


@receiver(post_save, sender=Record, dispatch_uid="archive-record-name-tails")
def sync_name_tails(sender, instance: Record, created: bool, raw: bool = False, **kwargs) -> None:
    """Bring the record's tail rows in line with it (also after raw saves: restores)."""
    wanted = RecordNameTail.rows_for(instance)
    if not created:
        have = set(RecordNameTail.objects.filter(record=instance).values_list("tail", "label", "kind", "live"))
        if have == {(r.tail, r.label, r.kind, r.live) for r in wanted}:
            return
        RecordNameTail.objects.filter(record=instance).delete()
    RecordNameTail.objects.bulk_create(wanted)


@receiver(pre_delete, sender=Record, dispatch_uid="archive-record-name-tails-unmerge")
def unmerge_name_tails(sender, instance: Record, **kwargs) -> None:
    """Records merged into one being deleted become live again (``merged_into`` is SET_NULL, an
    UPDATE that sends no signal), and so do their tails."""
    RecordNameTail.objects.filter(record__merged_into=instance).update(live=True)


# --- the records' names for search and entity suggestions ------------------------------------------

NAME_KEY_CHARS = 200  # lookup keys are cut at this length; the whole name is compared after the lookup


class RecordName(models.Model):
    """Derived: each name of a record (its label, then its aliases, position 0, 1, ...) as the
    search reads it: folded, unstemmed words (``search.analysis.fold_unstemmed``) joined by
    spaces. Written by ``search.names`` (its receivers keep the rows in step with the record, as
    ``RecordNameTail``'s do), read by record-name expansion a query's words at a time: a run of
    words through ``key`` (the whole name), a person's surname alone through ``surname``. The
    partial indexes cover only live (not merged) records' rows."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="name_rows", db_index=False)
    position = models.PositiveSmallIntegerField()
    text = models.TextField()  # the name as written
    words = models.TextField()  # folded, unstemmed words joined by " "
    key = models.CharField(max_length=NAME_KEY_CHARS)  # ``words`` cut at NAME_KEY_CHARS
    # The last word of a person's name of two or more words (more than two letters), else null.
    surname = models.CharField(max_length=NAME_KEY_CHARS, null=True, blank=True)  # noqa: DJ001 - null: left out of the partial index
    label = models.CharField(max_length=300)
    kind = models.CharField(max_length=20)
    live = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "position"], name="record_name_unique")]
        indexes = [
            models.Index(fields=["key", "record", "position"], condition=Q(live=True), name="record_name_key_live"),
            models.Index(fields=["surname", "record", "position"], condition=Q(live=True, surname__isnull=False),
                         name="record_name_surname_live"),
        ]

    def __str__(self) -> str:
        return self.text


class RecordNameWord(models.Model):
    """Derived with ``RecordName``: each word (folded, unstemmed, more than two letters) written
    with a capital in one of the record's names, once per record, so that a capitalised query word
    can be known for a name's word without reading every name."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="name_word_rows", db_index=False)
    word = models.CharField(max_length=NAME_KEY_CHARS)
    live = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "word"], name="record_name_word_unique")]
        indexes = [models.Index(fields=["word"], condition=Q(live=True), name="record_name_word_live")]

    def __str__(self) -> str:
        return self.word


@receiver(pre_delete, sender=Record, dispatch_uid="archive-record-names-unmerge")
def unmerge_names(sender, instance: Record, **kwargs) -> None:
    """Records merged into one being deleted become live again (``merged_into`` is SET_NULL, an
    UPDATE that sends no signal), and so do their names' rows."""
    merged = Record.objects.filter(merged_into=instance).values("pk")
    RecordName.objects.filter(record__in=merged).update(live=True)
    RecordNameWord.objects.filter(record__in=merged).update(live=True)
    RecordMatchKey.objects.filter(record__in=merged).update(live=True)


@functools.lru_cache(maxsize=65536)
def match_fold(token: str) -> str:
    """Entity suggestions' folding of a word token: case folded, accents removed (no
    transliteration: the variants are the aliases each record lists)."""
    decomposed = unicodedata.normalize("NFKD", token.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


MATCH_TOKEN = re.compile(r"\w+")
MATCH_SEPARATOR = "\x1f"  # between the tokens and gaps of a key
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "‐": "-", "‑": "-", "–": "-"})
MATCH_MAX_GAP = 3  # punctuation characters allowed between two tokens of one name


def match_gap(raw: str) -> str | None:
    """The punctuation between two tokens, whitespace dropped; None when the gap breaks a name
    (a paragraph break or too much punctuation)."""
    if raw.count("\n") > 1:
        return None
    gap = "".join(raw.split()).translate(_APOSTROPHES)
    return gap if len(gap) <= MATCH_MAX_GAP else None


@functools.lru_cache(maxsize=100_000)
def match_key(text: str) -> tuple[str, ...] | None:
    """(token, gap, token, gap, token...) for a name, or None when it has no usable token."""
    tokens = list(MATCH_TOKEN.finditer(text))
    if not tokens:
        return None
    key: list[str] = []
    for i, m in enumerate(tokens):
        if i:
            gap = match_gap(text[tokens[i - 1].end() : m.start()])
            if gap is None:
                return None
            key.append(gap)
        key.append(match_fold(m.group()))
    if len(key) == 1 and (len(key[0]) < 2 or key[0].isdigit()):
        return None
    return tuple(key)


class RecordMatchKey(models.Model):
    """Derived: each distinct name of a record as entity suggestions match it (``match_key``:
    folded tokens and the punctuation between them), kept in step by the receivers below. A
    document's text is matched through the index: which of its words begin a name (and how long
    the longest such name is), then the candidate spans' keys, never a scan of every record."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="match_key_rows", db_index=False)
    position = models.PositiveSmallIntegerField()
    key = models.CharField(max_length=NAME_KEY_CHARS)  # ``full`` cut at NAME_KEY_CHARS
    full = models.TextField()  # the key's parts joined by MATCH_SEPARATOR
    first = models.CharField(max_length=NAME_KEY_CHARS)  # the first token
    parts = models.PositiveSmallIntegerField()  # tokens and gaps in the key
    label = models.CharField(max_length=300)
    kind = models.CharField(max_length=20)
    live = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "position"], name="record_match_key_unique")]
        indexes = [
            models.Index(fields=["first", "parts"], condition=Q(live=True), name="record_match_first_live"),
            models.Index(fields=["key"], condition=Q(live=True), name="record_match_key_live"),
        ]

    def __str__(self) -> str:
        return self.full

    FIELDS = ("record_id", "position", "key", "full", "first", "parts", "label", "kind", "live")

    @classmethod
    def rows_for(cls, record_id: int, label: str, aliases, kind: str, live: bool) -> list[RecordMatchKey]:
        return [cls(**dict(zip(cls.FIELDS, v, strict=True))) for v in cls.values_for(record_id, label, aliases, kind, live)]

    @staticmethod
    def values_for(record_id: int, label: str, aliases, kind: str, live: bool) -> list[tuple]:
        """The values (FIELDS) of one record's rows."""
        rows, seen = [], set()
        for name in [label, *[a for a in aliases or [] if a]]:
            key = match_key(name)
            if key is None or key in seen:
                continue
            seen.add(key)
            full = MATCH_SEPARATOR.join(key)
            rows.append((record_id, len(rows), full[:NAME_KEY_CHARS], full, key[0][:NAME_KEY_CHARS],
                         min(len(key), 32767), label, kind, live))
        return rows


@receiver(post_save, sender=Record, dispatch_uid="archive-record-match-keys")
def sync_match_keys(sender, instance: Record, created: bool, raw: bool = False, **kwargs) -> None:
    """Bring the record's match-key rows in line with it (also after raw saves: restores)."""
    wanted = RecordMatchKey.rows_for(instance.pk, instance.label, instance.aliases, instance.kind,
                                     instance.merged_into_id is None)
    if not created:
        fields = ("position", "full", "label", "kind", "live")
        have = set(RecordMatchKey.objects.filter(record=instance).values_list(*fields))
        if have == {tuple(getattr(r, f) for f in fields) for r in wanted}:
            return
        RecordMatchKey.objects.filter(record=instance).delete()
    RecordMatchKey.objects.bulk_create(wanted)


# --- sources as they come (archive_site.ingest, archive_site.sources) ------------------------------


class DocumentOrigin(models.Model):
    """Where a document's text came from: the original file as it came (kept under
    ``ARCHIVE_DATA_DIR``, with its checksum) and which extractor made the text, its version and,
    for OCR, the mean confidence of the words it read. A document typed or pasted by a curator
    has no file."""

    document = models.OneToOneField(Document, on_delete=models.CASCADE, related_name="origin")
    file_name = models.CharField(max_length=255, blank=True, default="")
    format = models.CharField(max_length=20, help_text="pdf, docx, odt, html, tei, image or text")
    media_type = models.CharField(max_length=120, blank=True, default="")
    size = models.PositiveBigIntegerField(default=0)
    checksum = models.CharField(max_length=80, blank=True, default="", help_text="sha256 of the original file")
    path = models.CharField(max_length=300, blank=True, default="", help_text="Relative to ARCHIVE_DATA_DIR.")
    extractor = models.CharField(max_length=40)
    extractor_version = models.CharField(max_length=200, blank=True, default="")
    ocr_confidence = models.FloatField(null=True, blank=True, help_text="Mean OCR word confidence, 0-100.")
    warnings = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.document.slug}: {self.file_name or 'typed text'} ({self.extractor})"

    @property
    def has_file(self) -> bool:
        return bool(self.path)


class DocumentPage(models.Model):
    """A page of a document's source: [start, end) of its text and, for a page read from an image,
    the image (under ``ARCHIVE_DATA_DIR``) and its OCR words as rows
    ``[start, end, x, y, width, height, confidence]`` (offsets into the text, box in pixels)."""

    class Method(models.TextChoices):
        TEXT = "text", "Text layer"
        OCR = "ocr", "OCR"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveIntegerField()
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.TEXT)
    image = models.CharField(max_length=300, blank=True, default="", help_text="Relative to ARCHIVE_DATA_DIR.")
    media_type = models.CharField(max_length=40, blank=True, default="")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    words = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["document_id", "number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="document_page_unique")]

    def __str__(self) -> str:
        return f"{self.document_id} p. {self.number}"


class IngestJob(models.Model):
    """A file being read in the background (OCR, big files), with its progress for the browser."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    file_name = models.CharField(max_length=255)
    staged = models.CharField(max_length=300, help_text="The upload, relative to ARCHIVE_DATA_DIR, until it is read.")
    size = models.PositiveBigIntegerField(default=0)
    options = models.JSONField(default=dict, blank=True, help_text="slug and metadata given with the upload")
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True, default="")
    error = models.TextField(blank=True, default="")
    document = models.ForeignKey(Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0
