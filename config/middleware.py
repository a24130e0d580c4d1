"""Request limits and security headers applied to every response of the site."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",  # no inline scripts: pages pass data in data-* or JSON script blocks
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class RequestSizeLimitMiddleware:
    """Refuse bodies larger than ``MAX_REQUEST_BYTES`` before any view reads them (413).

    Django's own DATA_UPLOAD_MAX_MEMORY_SIZE only guards ``request.body``/form parsing; API
    parsers read the stream, so the declared length is checked here once for everyone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = getattr(settings, "MAX_REQUEST_BYTES", 20 * 1024 * 1024)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _error(request, 400, "Content-Length is not a number.")
        if length > limit:
            return _error(request, 413, f"Request body of {length} bytes is larger than the limit of {limit} bytes.")
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Content-Security-Policy (no unsafe-inline scripts), framing, referrer and feature policy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


def _error(request, status: int, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
