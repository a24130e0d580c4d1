"""Signals the archive sends where Django's own are not sent.

``documents_created`` (sender=Document, ``pks``): documents written in bulk by the loader, which
sends no ``post_save``; sent inside the loader's transaction, so that whoever keeps something in
step with documents (the search index's outbox) does it in the same transaction.

``archive_restored`` (no arguments): a whole archive was imported from a backup
(``curation.backup``), inside the import's transaction, after every row is written; receivers
(search) re-index everything."""

from django.dispatch import Signal

documents_created = Signal()
archive_restored = Signal()
