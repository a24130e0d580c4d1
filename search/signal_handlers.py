"""Model changes enqueue index tasks, inside the transaction that makes them (an outbox)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_delete

from annotations.models import Annotation
from annotations.signals import annotation_changed
from archive_site.models import Document, Record
from archive_site.signals import archive_restored, documents_created

from .indexing import documents_linking_record
from .tasks import enqueue_update


def _on_save(sender, instance, **kwargs):
    if kwargs.get("raw"):
        return
    enqueue_update(sender._meta.label_lower, instance.pk)


def _before_record_delete(sender, instance, **kwargs):
    instance._search_documents = documents_linking_record(instance.pk)


def _on_delete(sender, instance, **kwargs):
    enqueue_update(sender._meta.label_lower, instance.pk)
    for document_id in getattr(instance, "_search_documents", ()):
        enqueue_update("archive_site.document", document_id)


def _on_annotation_deleted(sender, instance, **kwargs):  # also when a document's deletion cascades
    enqueue_update("annotations.annotation", instance.pk, document_id=instance.document_id)


def _on_annotation_changed(sender, annotation, deleted=False, **kwargs):
    if deleted:  # post_delete (above) has enqueued its removal and its document's re-check
        return
    enqueue_update("annotations.annotation", annotation.pk, document_id=annotation.document_id)


def _on_documents_created(sender, pks, **kwargs):
    for pk in pks:
        enqueue_update("archive_site.document", pk)


def _on_archive_restored(sender, **kwargs):
    """A whole archive was imported: one index task per object, in the import's transaction."""
    for label, model in (("archive_site.document", Document), ("archive_site.record", Record),
                         ("annotations.annotation", Annotation)):
        for pk in list(model.objects.values_list("pk", flat=True)):
            enqueue_update(label, pk)


def connect() -> None:
    for model in (Document, Record):
        post_save.connect(_on_save, sender=model, dispatch_uid=f"search-save-{model._meta.label_lower}")
        post_delete.connect(_on_delete, sender=model, dispatch_uid=f"search-delete-{model._meta.label_lower}")
    pre_delete.connect(_before_record_delete, sender=Record, dispatch_uid="search-pre-delete-record")
    post_delete.connect(_on_annotation_deleted, sender=Annotation, dispatch_uid="search-delete-annotation")
    annotation_changed.connect(_on_annotation_changed, dispatch_uid="search-annotation-changed")
    archive_restored.connect(_on_archive_restored, dispatch_uid="search-archive-restored")
    documents_created.connect(_on_documents_created, dispatch_uid="search-documents-created")
