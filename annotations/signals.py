"""Signals the annotations app sends, so that other apps (search) can follow changes without
this app knowing them.

``annotation_changed`` is sent by the services at the end of each write, *inside* its transaction
and after tags and record links are set, so a receiver that enqueues work through the database
task backend stores it in the same transaction (an outbox).

Arguments: ``annotation`` (the instance; for a deletion, the instance as it was) and
``deleted`` (bool).
"""

from django.dispatch import Signal

annotation_changed = Signal()
