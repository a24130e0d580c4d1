"""The API's exception handler: DRF's, plus one case DRF leaves as a 500.

A JSON body nested a few thousand levels deep makes Python's JSON decoder raise RecursionError,
which DRF's parsers do not catch (they turn only ValueError into a 400). Such a body is the
client's error, not the server's: it answers 400 like any other unreadable body. A
RecursionError raised anywhere else is still a server error.
"""

from __future__ import annotations

import traceback

from rest_framework import exceptions, views


def _raised_while_parsing(exc: BaseException) -> bool:
    frames = traceback.extract_tb(exc.__traceback__)
    return any(f.filename.endswith(("rest_framework/parsers.py", "json/decoder.py")) for f in frames)


def exception_handler(exc, context):
    if isinstance(exc, RecursionError) and _raised_while_parsing(exc):
        exc = exceptions.ParseError("The JSON body is nested too deeply.")
    return views.exception_handler(exc, context)
