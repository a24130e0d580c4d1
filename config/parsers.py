"""The API's request parsers: JSON and JSON-LD that refuse what no database can store.

JSON may spell a lone UTF-16 surrogate (``"\\ud800"``); Python decodes it into a ``str`` that no
UTF-8 encoder accepts, so the first write (or the first log line) failed with a 500. It is the
client's error: refused here, for every route, as a 400 that says where it was.
"""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from archive_site.text import unencodable_at


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        where = unencodable_at(data)
        if where is not None:
            raise ParseError(f"The JSON body holds text that is not valid Unicode (a lone surrogate) at {where}.")
        return data


class JSONLDParser(JSONParser):
    media_type = "application/ld+json"
