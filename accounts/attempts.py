"""Attempt counters over a sliding window, kept in the database.

Failed sign-ins, sign-ups and password-reset mails are limited per address, per user name or per
device. The counters used to live in Django's cache, which is per process (LocMemCache): with four
gunicorn workers a client had four times the limit, and with several application servers more.
The database is the one thing every worker and server shares, so each counted attempt is a row of
``Attempt`` and a counter is the number of its rows younger than the window.

Admitting a request (``reserve``) inserts the request's rows first (each insert commits on its own:
views run in autocommit) and counts afterwards, its own rows included; above the limit it deletes
them again and refuses. Inserting before counting is what keeps the limit under concurrency without
a lock: of any ``limit + 1`` requests admitted at once, the one whose insert committed last would
have counted all the others' rows and been refused. A request that turns out not to count (a
successful sign-in, an invalid sign-up form) gives its rows back with ``release``.

Cost: nothing on ordinary requests. A counted POST costs one INSERT per counter, one COUNT over the
``(key, at)`` index and one DELETE of rows older than the longest window (pruning), plus one query
when it is refused (to say when to come back). Times are the application servers' clocks, which are
assumed to agree to within seconds (NTP); the windows are minutes long.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import Attempt

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Counter:
    """One thing counted: ``Counter("login-user", "alice")``."""

    scope: str
    value: str

    @property
    def key(self) -> str:
        return salted_hmac("accounts.attempts", f"{self.scope}\0{self.value}", algorithm="sha256").hexdigest()


class Throttled(Exception):
    """Refused: a counter is at its limit. ``retry_after`` is the number of seconds until it is not."""

    def __init__(self, *, scope: str, retry_after: int):
        super().__init__(f"too many attempts ({scope}); retry after {retry_after} s")
        self.scope = scope
        self.retry_after = retry_after


@dataclass
class Reservation:
    """The rows one admitted request added (to be kept if it counts, released if not)."""

    ids: list[int] = field(default_factory=list)


def reserve(counters: Iterable[Counter], *, limit: int, window: int) -> Reservation:
    """Count one attempt on each of ``counters``, or raise ``Throttled`` (and count nothing) if any
    of them already has ``limit`` attempts in the last ``window`` seconds."""
    counters = list(dict.fromkeys(counters))
    now = timezone.now()
    since = now - timedelta(seconds=window)
    ids = [Attempt.objects.create(scope=c.scope, key=c.key, at=now).pk for c in counters]
    counts = dict(
        Attempt.objects.filter(key__in=[c.key for c in counters], at__gt=since)
        .values("key").annotate(n=Count("pk")).values_list("key", "n")
    )
    over = [c for c in counters if counts.get(c.key, 0) > limit]
    if over:
        Attempt.objects.filter(pk__in=ids).delete()
        retry_after = max(_retry_after(c, limit=limit, window=window, now=now) for c in over)
        logger.info("refused an attempt: %s at its limit of %d in %d s", over[0].scope, limit, window)
        raise Throttled(scope=over[0].scope, retry_after=retry_after)
    prune(now=now, window=window)
    return Reservation(ids)


def release(reservation: Reservation) -> None:
    """The reserved attempt does not count after all (the sign-in succeeded, the form was invalid)."""
    if reservation.ids:
        Attempt.objects.filter(pk__in=reservation.ids).delete()
        reservation.ids = []


def forget(counters: Sequence[Counter]) -> None:
    """Start these counters again from zero (a password reset ends the lock on that user name)."""
    Attempt.objects.filter(key__in=[c.key for c in counters]).delete()


def count(counter: Counter, *, window: int) -> int:
    return Attempt.objects.filter(key=counter.key, at__gt=timezone.now() - timedelta(seconds=window)).count()


def longest_window() -> int:
    return max(settings.LOGIN_THROTTLE_WINDOW, settings.SIGNUP_WINDOW, settings.PASSWORD_RESET_WINDOW)


def prune(*, now: datetime | None = None, window: int = 0) -> int:
    """Delete the rows no window can count any more. Runs with each admitted attempt (sign-ins are
    rare, and the DELETE uses the index on ``at``); a failure here (two prunes deadlocking on
    PostgreSQL) only leaves the rows for the next one, it never fails the request."""
    cutoff = (now or timezone.now()) - timedelta(seconds=max(longest_window(), window))
    try:
        with transaction.atomic():
            deleted, _ = Attempt.objects.filter(at__lt=cutoff).delete()
    except DatabaseError:
        logger.warning("pruning old attempt rows failed; the next attempt will try again", exc_info=True)
        return 0
    return deleted


def _retry_after(counter: Counter, *, limit: int, window: int, now: datetime) -> int:
    """Seconds until fewer than ``limit`` attempts remain in the window: until the ``limit``-th
    newest of them (this request's own row is already gone) is older than the window."""
    times = list(
        Attempt.objects.filter(key=counter.key, at__gt=now - timedelta(seconds=window))
        .order_by("-at").values_list("at", flat=True)[:limit]
    )
    if len(times) < limit:
        return 1
    return max(1, math.ceil((times[-1] + timedelta(seconds=window) - now).total_seconds()))
