"""Carrying offsets from one version of a text to the next (a curator's correction of OCR text):
page boundaries and OCR word boxes stay on the same words.

The edit is found cheaply: the common prefix and suffix are cut off first (a correction changes a
few words), then what is left is compared line by line and, inside each changed group of lines,
character by character when it is small. Positions inside a replaced stretch are spread over its
replacement in proportion."""

from __future__ import annotations

import bisect
from difflib import SequenceMatcher

CHAR_DIFF_LIMIT = 4000  # characters on each side above which only lines are compared


class OffsetMap:
    def __init__(self, old: str, new: str):
        self.old_length, self.new_length = len(old), len(new)
        # (i1, i2, j1, j2, equal) with old[i1:i2] -> new[j1:j2], covering old and new in order.
        self.ops: list[tuple[int, int, int, int, bool]] = []
        prefix = _common_prefix(old, new)
        suffix = _common_suffix(old[prefix:], new[prefix:])
        if prefix:
            self.ops.append((0, prefix, 0, prefix, True))
        self._middle(old, new, prefix, len(old) - suffix, prefix, len(new) - suffix)
        if suffix:
            self.ops.append((len(old) - suffix, len(old), len(new) - suffix, len(new), True))
        self._starts = [op[0] for op in self.ops]

    def _middle(self, old: str, new: str, i1: int, i2: int, j1: int, j2: int) -> None:
        if i1 == i2 and j1 == j2:
            return
        if (i2 - i1) <= CHAR_DIFF_LIMIT and (j2 - j1) <= CHAR_DIFF_LIMIT:
            self._chars(old, new, i1, i2, j1, j2)
            return
        old_lines = old[i1:i2].splitlines(keepends=True)
        new_lines = new[j1:j2].splitlines(keepends=True)
        old_at = _line_starts(old_lines, i1)
        new_at = _line_starts(new_lines, j1)
        matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
        for tag, a1, a2, b1, b2 in matcher.get_opcodes():
            oa, ob, na, nb = old_at[a1], old_at[a2], new_at[b1], new_at[b2]
            if tag == "equal":
                self.ops.append((oa, ob, na, nb, True))
            elif (ob - oa) <= CHAR_DIFF_LIMIT and (nb - na) <= CHAR_DIFF_LIMIT:
                self._chars(old, new, oa, ob, na, nb)
            else:
                self.ops.append((oa, ob, na, nb, False))

    def _chars(self, old: str, new: str, i1: int, i2: int, j1: int, j2: int) -> None:
        matcher = SequenceMatcher(None, old[i1:i2], new[j1:j2], autojunk=False)
        for tag, a1, a2, b1, b2 in matcher.get_opcodes():
            self.ops.append((i1 + a1, i1 + a2, j1 + b1, j1 + b2, tag == "equal"))

    def _op(self, position: int) -> tuple[int, int, int, int, bool] | None:
        k = bisect.bisect_right(self._starts, position) - 1
        return self.ops[k] if k >= 0 else None

    def map(self, position: int) -> int:
        """Where ``position`` of the old text is in the new one."""
        if position >= self.old_length:
            return self.new_length + (position - self.old_length)
        op = self._op(position)
        if op is None:
            return position
        i1, i2, j1, j2, equal = op
        if equal:
            return j1 + (position - i1)
        return j1 + round((position - i1) * (j2 - j1) / (i2 - i1)) if i2 > i1 else j1

    def changed(self, start: int, end: int) -> bool:
        """Whether old[start:end] was edited (an insertion touching it counts)."""
        for i1, i2, _j1, _j2, equal in self.ops:
            if i1 > end:
                break
            if not equal and (i1 < end and i2 > start or i1 == i2 and start <= i1 <= end):
                return True
        return False


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    lo, hi = 0, n
    while lo < hi:  # binary search on slices: fast in C for long texts
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid :] == b[len(b) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _line_starts(lines: list[str], base: int) -> list[int]:
    starts = [base]
    for line in lines:
        starts.append(starts[-1] + len(line))
    return starts
