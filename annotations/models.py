"""Annotations: highlights, comments, tags, entity types and links to records on a document's text;
relations between annotations (an Annotation with motivation ``linking``), batches of annotations
made together ("link all occurrences") and annotation tasks (several annotators, the same
documents, agreement and adjudication)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from archive_site.models import Document, Record


class EntityType(models.Model):
    """The controlled list of named-entity types (curators can add to it)."""

    key = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=80)
    color = models.CharField(max_length=7, default="#fde68a", help_text="Highlight colour, #rrggbb")

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.label


class RelationType(models.Model):
    """The controlled list of relation types ("accused", "member of", ...), kept by curators like
    entity types. A relation's type is its classifying TextualBody in the W3C JSON-LD."""

    key = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=80)
    description = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.label


class AnnotationGroup(models.Model):
    """A named group of users who share annotations with visibility ``group:<name>``."""

    name = models.SlugField(max_length=80, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="annotation_groups", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AnnotationBatch(models.Model):
    """Annotations made together from one "link all occurrences": each points to its batch, so that
    the batch can be undone as a whole and reviewed as one item (``annotations.batches``)."""

    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="annotation_batches")
    record = models.ForeignKey(Record, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    entity_type = models.ForeignKey(EntityType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The document the occurrences were looked for in; empty for the whole archive.",
    )
    size = models.PositiveIntegerField(default=0, help_text="How many annotations the batch made.")
    created = models.DateTimeField(auto_now_add=True)
    undone = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.size})"


class AnnotationTask(models.Model):
    """Several annotators annotate the same documents independently (``annotations.assignments``).

    Their task annotations are shared with the task's own group (``group``), which an assignee
    joins only when they finish: until then nobody but curators sees another assignee's work (the
    read rule, ``annotations.permissions``, through group membership). Adjudication makes the
    accepted versions approved annotations with ``publish_visibility``."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    documents = models.ManyToManyField(Document, related_name="annotation_tasks")
    entity_types = models.ManyToManyField(EntityType, related_name="+")
    assignees = models.ManyToManyField(settings.AUTH_USER_MODEL, through="TaskAssignment", related_name="annotation_tasks")
    group = models.OneToOneField(AnnotationGroup, on_delete=models.PROTECT, related_name="task")
    publish_visibility = models.CharField(max_length=10, default="public")
    publish_group = models.ForeignKey(
        AnnotationGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.title


class TaskAssignment(models.Model):
    task = models.ForeignKey(AnnotationTask, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["task_id", "user__username"]
        constraints = [models.UniqueConstraint(fields=["task", "user"], name="task_assignment_unique")]

    def __str__(self) -> str:
        return f"{self.user} on {self.task}"


# Kept at module level so that the services can write one history row per logical change
# (``ANNOTATION_HISTORY.create_historical_record``) instead of one per save and per m2m change.
ANNOTATION_HISTORY = HistoricalRecords(m2m_fields=["tags", "records"])


class Annotation(models.Model):
    class Visibility(models.TextChoices):
        PRIVATE = "private", "Private"
        GROUP = "group", "Group"
        PUBLIC = "public", "Public"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    class AnchorState(models.TextChoices):
        ANCHORED = "anchored", "Anchored"
        ORPHANED = "orphaned", "Orphaned"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="annotations")
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies",
        help_text="Set for a reply; a reply targets its parent annotation rather than a text range.",
    )
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="annotations")

    # The target: [target_start, target_end) are str indices into document.text (see archive_site.text).
    target_start = models.PositiveIntegerField(null=True, blank=True)
    target_end = models.PositiveIntegerField(null=True, blank=True)
    target_quote = models.TextField(blank=True, default="")
    target_prefix = models.CharField(max_length=200, blank=True, default="")
    target_suffix = models.CharField(max_length=200, blank=True, default="")
    anchor_state = models.CharField(max_length=10, choices=AnchorState.choices, default=AnchorState.ANCHORED)

    motivation = models.CharField(max_length=40, default="highlighting")
    comment = models.TextField(blank=True, default="")
    tags = models.ManyToManyField(Tag, blank=True, related_name="annotations")
    entity_type = models.ForeignKey(EntityType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    records = models.ManyToManyField(Record, blank=True, related_name="annotations")

    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PRIVATE)
    group = models.ForeignKey(AnnotationGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="annotations")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    review_reason = models.TextField(blank=True, default="")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # A relation (motivation ``linking``): a directed, typed link from one annotation to another.
    # In the W3C model its target is ``relation_source`` and its body ``relation_target``.
    relation_source = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="relations_out",
        help_text="For a relation: the annotation it starts from (its W3C target).",
    )
    relation_target = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="relations_in",
        help_text="For a relation: the annotation it points to (its W3C body).",
    )
    relation_type = models.ForeignKey(RelationType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(AnnotationBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="annotations")
    task = models.ForeignKey(AnnotationTask, null=True, blank=True, on_delete=models.PROTECT, related_name="annotations")

    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    history = ANNOTATION_HISTORY

    class Meta:
        ordering = ["document_id", "target_start", "id"]
        indexes = [
            models.Index(fields=["document", "visibility", "status"]),
            models.Index(fields=["creator", "document"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(target_start__isnull=True) | models.Q(target_end__gte=models.F("target_start")),
                name="annotation_target_range_ordered",
            ),
            models.CheckConstraint(
                condition=~models.Q(visibility="group") | models.Q(group__isnull=False),
                name="annotation_group_visibility_has_group",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(relation_source__isnull=True, relation_target__isnull=True, relation_type__isnull=True)
                    | models.Q(relation_source__isnull=False, relation_target__isnull=False,
                               relation_type__isnull=False)
                ),
                name="annotation_relation_complete",
            ),
            models.CheckConstraint(
                condition=models.Q(relation_source__isnull=True) | ~models.Q(relation_source=models.F("relation_target")),
                name="annotation_relation_not_to_itself",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document.slug} [{self.target_start}:{self.target_end}] {self.target_quote[:40]}"

    def get_absolute_url(self) -> str:
        return reverse("annotation-detail", kwargs={"pk": self.pk})

    @property
    def is_relation(self) -> bool:
        return self.relation_source_id is not None

    @property
    def visibility_label(self) -> str:
        """The visibility as the API spells it: private, public or group:<name>."""
        if self.visibility == self.Visibility.GROUP and self.group_id:
            return f"group:{self.group.name}"
        return self.visibility
