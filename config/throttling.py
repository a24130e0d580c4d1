"""Rate limits for the API, chosen in one place by what a request does.

Writes (any unsafe method) are limited per user (or per address when anonymous), searches per
user or address; plain reads are not limited. Rates come from settings (REST_FRAMEWORK
``DEFAULT_THROTTLE_RATES``) and can be raised through the environment for benchmarks.
"""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle


class ArchiveRateThrottle(SimpleRateThrottle):
    def get_scope(self, request) -> str | None:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            return "write"
        if request.path.startswith("/api/search"):
            return "search"
        return None

    def allow_request(self, request, view) -> bool:
        self.scope = self.get_scope(request)
        if self.scope is None:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def __init__(self):  # the scope is only known per request; see allow_request
        pass

    def get_cache_key(self, request, view) -> str:
        if request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
