"""Signals the archive sends where Django's own are not sent.

``documents_created`` (sender=Document, ``pks``): documents written in bulk by the loader, which
sends no ``post_save``; sent inside the loader's transaction, so that whoever keeps something in
step with documents (the search index's outbox) does it in the same transaction."""

from django.dispatch import Signal

documents_created = Signal()
