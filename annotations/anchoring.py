"""How a text selector is checked against a document's text, and found again after an edit.

The one place these rules live (DESIGN.md): the API, the services and the re-anchoring of a
document's annotations all call ``check_selector`` / ``locate``.

Offsets are Python ``str`` indices (code points), half-open ``[start, end)``.

Re-anchoring follows the usual client strategy of annotation tools: the quote is searched for
exactly first (the occurrence whose prefix/suffix context agrees best, then the one nearest the old
position wins); failing that, a bounded fuzzy search tries candidate spans suggested by the context
(text after an occurrence of the prefix, before an occurrence of the suffix) and by the quote's own
head and tail, and keeps the most similar span if it is similar enough (``difflib`` ratio).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

CONTEXT_LENGTH = 32  # characters of prefix / suffix stored with a selector
FUZZY_THRESHOLD = 0.75  # minimum difflib ratio for a fuzzy match
_PROBE = 12  # characters of prefix/suffix/quote-head/tail used to find candidate spans
_MAX_CANDIDATES = 400


class AnchorError(ValueError):
    """A selector does not fit the text; the message says why (shown to API clients)."""

    def __init__(self, message: str, *, field: str = "target"):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Anchor:
    start: int
    end: int
    exact: bool  # False when found by the fuzzy search


def context(text: str, start: int, end: int, length: int = CONTEXT_LENGTH) -> tuple[str, str]:
    """The prefix and suffix around ``[start, end)``."""
    return text[max(0, start - length) : start], text[end : end + length]


def check_selector(text: str, *, start: int, end: int, quote: str | None = None) -> None:
    """Raise ``AnchorError`` unless ``[start, end)`` is a non-empty range inside ``text`` whose
    characters are ``quote`` (when given).

    A client's prefix/suffix are context only: the server stores the context it reads from the
    text itself (``context``), so a client that trims or normalises context is not rejected."""
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) or isinstance(end, bool):
        raise AnchorError("start and end must be integers (code point offsets).")
    if start < 0 or end < 0:
        raise AnchorError(f"Offsets must not be negative (got start={start}, end={end}).")
    if end < start:
        raise AnchorError(f"The range is reversed: end ({end}) is before start ({start}).")
    if end == start:
        raise AnchorError("The range is empty: start and end are equal.")
    if end > len(text):
        raise AnchorError(f"The range [{start}, {end}) is outside the text, which has {len(text)} characters.")
    actual = text[start:end]
    if quote is not None and actual != quote:
        raise AnchorError(
            f"The quote does not match the text at [{start}, {end}): the text there is {_show(actual)}, "
            f"the quote is {_show(quote)}."
        )


def _show(s: str, limit: int = 60) -> str:
    return repr(s if len(s) <= limit else s[:limit] + "…")


def _occurrences(text: str, needle: str, limit: int = _MAX_CANDIDATES) -> list[int]:
    found: list[int] = []
    if not needle:
        return found
    i = text.find(needle)
    while i != -1 and len(found) < limit:
        found.append(i)
        i = text.find(needle, i + 1)
    return found


def _context_score(text: str, start: int, end: int, prefix: str, suffix: str) -> int:
    """How many characters of prefix (from its end) and suffix (from its start) agree."""
    score = 0
    before = text[max(0, start - len(prefix)) : start]
    for a, b in zip(reversed(before), reversed(prefix), strict=False):
        if a != b:
            break
        score += 1
    after = text[end : end + len(suffix)]
    for a, b in zip(after, suffix, strict=False):
        if a != b:
            break
        score += 1
    return score


def locate(
    text: str, *, quote: str, prefix: str = "", suffix: str = "", hint: int | None = None,
    threshold: float = FUZZY_THRESHOLD,
) -> Anchor | None:
    """Find ``quote`` in ``text``: exactly first, then the nearest fuzzy match; None if neither."""
    if not quote:
        return None
    hint = 0 if hint is None else hint
    exact = _occurrences(text, quote)
    if exact:
        best = max(exact, key=lambda i: (_context_score(text, i, i + len(quote), prefix, suffix), -abs(i - hint)))
        return Anchor(best, best + len(quote), True)
    return _fuzzy(text, quote=quote, prefix=prefix, suffix=suffix, hint=hint, threshold=threshold)


def _fuzzy(text: str, *, quote: str, prefix: str, suffix: str, hint: int, threshold: float) -> Anchor | None:
    n = len(quote)
    lo, hi = max(1, int(n * 0.6)), int(n * 1.5) + 5
    starts: set[int] = set()
    ends: set[int] = set()
    probe = min(_PROBE, n)
    if prefix:
        starts.update(i + len(prefix[-_PROBE:]) for i in _occurrences(text, prefix[-_PROBE:]))
    if suffix:
        ends.update(_occurrences(text, suffix[:_PROBE]))
    starts.update(_occurrences(text, quote[:probe]))
    ends.update(i + probe for i in _occurrences(text, quote[-probe:]))
    pairs: set[tuple[int, int]] = set()
    for s in starts:
        pairs.add((s, min(len(text), s + n)))
        pairs.add((s, _fit_end(text, s, quote, hi)))
        pairs.update((s, e) for e in ends if lo <= e - s <= hi)
    for e in ends:
        pairs.add((max(0, e - n), e))
        pairs.add((_fit_start(text, e, quote, hi), e))
    if not pairs:
        return None
    # Prefer candidates near the old position; bound the work.
    ranked = sorted(pairs, key=lambda p: abs(p[0] - hint))[:_MAX_CANDIDATES]
    best: tuple[float, int, int] | None = None
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(quote)
    for s, e in ranked:
        if e <= s:
            continue
        matcher.set_seq1(text[s:e])
        if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
            continue
        ratio = matcher.ratio() + 0.05 * min(1.0, _context_score(text, s, e, prefix, suffix) / max(1, len(prefix) + len(suffix)))
        if best is None or ratio > best[0] or (ratio == best[0] and abs(s - hint) < abs(best[1] - hint)):
            best = (ratio, s, e)
    if best is None or best[0] < threshold:
        return None
    return Anchor(best[1], best[2], False)


def _fit_end(text: str, start: int, quote: str, span: int) -> int:
    """End of the stretch after ``start`` that best lines up with ``quote`` (edits may have
    lengthened or shortened it)."""
    window = text[start : start + span]
    blocks = [b for b in difflib.SequenceMatcher(None, window, quote, autojunk=False).get_matching_blocks() if b.size]
    return start + (blocks[-1].a + blocks[-1].size if blocks else len(quote))


def _fit_start(text: str, end: int, quote: str, span: int) -> int:
    lo = max(0, end - span)
    blocks = [b for b in difflib.SequenceMatcher(None, text[lo:end], quote, autojunk=False).get_matching_blocks() if b.size]
    return lo + blocks[0].a if blocks else max(0, end - len(quote))


def reanchor(
    new_text: str, *, start: int | None, end: int | None, quote: str, prefix: str = "", suffix: str = ""
) -> Anchor | None:
    """Where an annotation's range lies in the edited text, or None when it cannot be placed.

    Unchanged position (same quote and context at the same offsets) is kept as is."""
    if start is not None and end is not None and new_text[start:end] == quote and quote:
        if _context_score(new_text, start, end, prefix, suffix) == len(prefix) + len(suffix):
            return Anchor(start, end, True)
    return locate(new_text, quote=quote, prefix=prefix, suffix=suffix, hint=start)
