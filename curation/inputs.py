"""Reading curators' form and JSON values: ids, and text the database could not store."""

from __future__ import annotations

MAX_ID = 2**63 - 1  # ids are BigAutoField: larger numbers name nothing (and the database refuses them)


def parse_id(value) -> int | None:
    """An id from a form, query string or JSON value (an int or a string of digits), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit()) or len(value) > 19:
            return None
        value = int(value)
    if not isinstance(value, int) or not 0 < value <= MAX_ID:
        return None
    return value


def has_nul(value) -> bool:
    """Whether a string anywhere in ``value`` (nested lists and dicts too) holds a NUL character,
    which PostgreSQL refuses to store or compare: such input is rejected as a 400 before any query."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False
