"""Request limits and security headers applied to every response of the site."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

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

# Pages that show or change what is private to a person (the profile with its API token, its
# actions, sign-in, sign-up, password pages): never kept by a browser or a shared cache.
PRIVATE_PATH_PREFIXES = ("/accounts/",)


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
    """Content-Security-Policy (no unsafe-inline scripts), framing, referrer and feature policy on
    every response, whatever its status and whichever layer answered: it sits above the request
    size limit, whose 413 never reaches Django's XFrameOptionsMiddleware. Private pages (under
    ``PRIVATE_PATH_PREFIXES``) are also marked ``Cache-Control: no-store, private``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(response, "xframe_options_exempt", False):
            response.headers.setdefault("X-Frame-Options", getattr(settings, "X_FRAME_OPTIONS", "DENY").upper())
        if request.path.startswith(PRIVATE_PATH_PREFIXES):
            add_never_cache_headers(response)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


def _error(request, status: int, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
