"""What one search may cost: the one place for the limits every backend and the core obey.

A query is refused with 400 ("query too expensive: ...", ``QueryTooExpensive``) rather than run
when it would exceed them:

- the parser (``search.parser``): at most ``max_words`` words, ``max_clauses`` nodes and
  ``max_depth`` nested parentheses; a fuzzy word (``word~N``) at most ``max_fuzzy_length``
  letters, its distance silently capped at ``max_fuzzy_distance``; a wildcard word must begin
  with ``min_wildcard_prefix`` letters (a leading ``*`` or ``?`` means reading the whole
  vocabulary);
- the backends, when they expand a prefix, wildcard or fuzzy term into the indexed words it
  stands for: at most ``max_expansions_per_term`` words for one term and
  ``max_expansions_per_query`` for the whole query;
- spelling ("did you mean"): at most ``spelling_words`` unknown words are corrected, each by a
  word within ``spelling_distance`` edits that keeps its first ``spelling_prefix`` letters, within
  ``spelling_seconds`` (when that runs out the search is answered without a suggestion);
- time: the whole search (every backend call the policy makes for it) has ``time_budget``
  seconds; ``Budget.check`` raises when they are spent, and backends call it inside their long
  loops (expansion, matching) so that the bound holds whatever the index size.

``Limits.from_settings()`` reads ``settings.SEARCH_LIMITS`` (a dict with any of the field names
below) over the defaults.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields, replace

from .errors import QueryTooExpensive


@dataclass(frozen=True)
class Limits:
    max_words: int = 64
    max_clauses: int = 128
    max_depth: int = 8
    max_fuzzy_distance: int = 2
    max_fuzzy_length: int = 40
    min_wildcard_prefix: int = 1
    max_expansions_per_term: int = 128
    max_expansions_per_query: int = 512
    spelling_words: int = 8
    spelling_distance: int = 2
    spelling_prefix: int = 1
    spelling_seconds: float = 0.25
    time_budget: float = 1.0

    @classmethod
    def from_settings(cls) -> Limits:
        from django.conf import settings

        overrides = getattr(settings, "SEARCH_LIMITS", None) or {}
        known = {f.name: f.type for f in fields(cls)}
        unknown = set(overrides) - set(known)
        if unknown:
            raise ValueError(f"SEARCH_LIMITS has unknown keys: {', '.join(sorted(unknown))}")
        base = cls()
        return replace(base, **{k: type(getattr(base, k))(v) for k, v in overrides.items()})

    def budget(self) -> Budget:
        return Budget(self.time_budget)


DEFAULT_LIMITS = Limits()

ADVICE = ("use fewer words, fewer wildcards (*, ?) and fuzzy terms (~), longer beginnings before a * "
          "and smaller distances after a ~")


class Budget:
    """A deadline for one search. ``check()`` raises ``QueryTooExpensive`` once it has passed;
    ``part(seconds)`` is a budget for one step that ends no later than this one."""

    __slots__ = ("seconds", "deadline", "what")

    def __init__(self, seconds: float, *, deadline: float | None = None, what: str = "the search") -> None:
        self.seconds = seconds
        self.deadline = deadline if deadline is not None else time.monotonic() + seconds
        self.what = what

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.deadline

    def check(self) -> None:
        if time.monotonic() >= self.deadline:
            raise QueryTooExpensive(f"{self.what} needs more than {self.seconds:g} s of server time; {ADVICE}.")

    def part(self, seconds: float, what: str) -> Budget:
        return Budget(seconds, deadline=min(self.deadline, time.monotonic() + seconds), what=what)


def unlimited() -> Budget:
    """For work outside a request (tests, commands) that must not be cut short."""
    return Budget(float("inf"), deadline=float("inf"))
