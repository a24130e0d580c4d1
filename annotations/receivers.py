"""Keep annotations anchored when a document's text changes (connected in ``apps.ready``).

``pre_save`` notes the stored text when the checksum is about to change; ``post_save`` then
re-anchors the document's annotations in the same transaction as the save.
"""

from __future__ import annotations

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from archive_site.models import Document

_OLD_TEXT = "_annotations_old_text"


@receiver(pre_save, sender=Document, dispatch_uid="annotations-document-pre-save")
def remember_old_text(sender, instance: Document, raw: bool = False, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    old = Document.objects.filter(pk=instance.pk).values_list("checksum", "text").first()
    if old is not None and old[0] != instance.checksum:
        setattr(instance, _OLD_TEXT, old[1])


@receiver(post_save, sender=Document, dispatch_uid="annotations-document-post-save")
def reanchor_after_text_change(sender, instance: Document, created: bool, raw: bool = False, **kwargs) -> None:
    old_text = instance.__dict__.pop(_OLD_TEXT, None)
    if raw or created or old_text is None:
        return
    from .services import reanchor_document

    # The user who saved the document (set by archive_site.document_services and the admin's
    # history) is recorded as the author of the re-anchoring too.
    reanchor_document(instance, old_text, user=getattr(instance, "_history_user", None))
