"""How source text becomes stored text, and the meaning of offsets into it.

The stored ``Document.text`` is the text a user reads and annotates. Offsets everywhere in the
project (selectors, snippets, deep links, exports) are Python ``str`` indices into it: Unicode
code points, half-open ``[start, end)``. JavaScript counts UTF-16 code units; the browser code
converts at that boundary.

Normalisation is deliberately small so that the stored text stays the source as received:
a UTF-8 byte-order mark is dropped, line endings become ``\\n`` and the text is put in Unicode
NFC (so that "é" typed by a user and "é" in the source are the same code points). Web-page
residue that the sources keep ("top of page", "??? " for lost Cyrillic) is *not* removed: it is
part of the historical source as received, removing it would silently change what is quoted,
and annotators can tag it like anything else.

NUL (U+0000) cannot be stored by PostgreSQL, so on every database it is stored as U+FFFD (the
replacement character): one code point for one, so offsets are unchanged. Text typed by users
(quotes, comments) gets the same treatment, so a quote copied with its NUL still matches.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

PARTIAL_DATE_RE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


def storable(text: str) -> str:
    return text.replace("\x00", "\ufffd")


def unencodable_at(value, path: str = "$") -> str | None:
    """Where in a parsed JSON value (nested lists and dicts) a string holds a lone surrogate, which
    UTF-8 cannot encode and so no database can store (JSON may spell one: "\\ud800"), as a
    path like ``$.body[0].value``; None when every string is storable."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = unencodable_at(key, path) or unencodable_at(item, f"{path}.{key}")
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = unencodable_at(item, f"{path}[{index}]")
            if found:
                return found
    return None


def normalise_text(raw: str) -> str:
    text = raw.removeprefix("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return storable(unicodedata.normalize("NFC", text))


def text_checksum(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def year_of(partial_date: str | None) -> int | None:
    """The year of a partial ISO date ("1937", "1937-06", "1937-06-11"), or None."""
    if partial_date and PARTIAL_DATE_RE.match(partial_date):
        return int(partial_date[:4])
    return None
