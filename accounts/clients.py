"""Who is asking: the client's address, and the device cookie that marks a browser a user has
signed in from before.

Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): after a successful
sign-in the browser gets a cookie, signed with SECRET_KEY, naming the user and a random nonce.
Sign-in attempts that carry a valid one for the name they try are counted on that cookie alone, so
that strangers failing sign-ins on the name (which lock it for everyone else) cannot lock its owner
out of a browser they have used before; a stranger cannot make such a cookie without the password.
A cookie holds a few entries, newest first, so that two people sharing a browser both keep theirs.
"""

from __future__ import annotations

import ipaddress
import secrets
import unicodedata

from django.conf import settings
from django.core import signing

_SALT = "accounts.device-cookie"
_MAX_ENTRIES = 5


def client_address(request) -> str:
    """The client's address for per-address limits. Behind ``TRUSTED_PROXY_COUNT`` reverse proxies
    that each append to X-Forwarded-For it is the entry that many places from the right (a client
    can put anything at the left of the header, never at the right). An IPv6 address stands for its
    /64, which one client usually holds whole."""
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64] or "unknown"
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def username_key(username: str) -> str:
    """The form of a typed user name that counters and device cookies compare: NFKC, case-folded,
    without surrounding spaces (so "ALICE" counts against "alice")."""
    return unicodedata.normalize("NFKC", username or "").strip().casefold()[:150]


def _entries(request) -> list[tuple[str, str]]:
    raw = request.COOKIES.get(settings.DEVICE_COOKIE_NAME)
    if not raw:
        return []
    try:
        value = signing.loads(raw, salt=_SALT, max_age=settings.DEVICE_COOKIE_AGE)
    except signing.BadSignature:
        return []
    if not isinstance(value, list):
        return []
    return [(entry[0], entry[1]) for entry in value
            if isinstance(entry, list) and len(entry) == 2 and all(isinstance(part, str) for part in entry)]


def trusted_device(request, username: str) -> str | None:
    """The nonce of the request's valid device cookie for ``username``, or None (untrusted)."""
    wanted = username_key(username)
    if not wanted:
        return None
    return next((nonce for name, nonce in _entries(request) if name == wanted), None)


def remember_device(request, response, username: str) -> None:
    """Give the browser a fresh device cookie entry for ``username`` (after a successful sign-in)."""
    name = username_key(username)
    entries = [[name, secrets.token_urlsafe(16)]]
    entries += [[other, nonce] for other, nonce in _entries(request) if other != name][: _MAX_ENTRIES - 1]
    response.set_cookie(
        settings.DEVICE_COOKIE_NAME,
        signing.dumps(entries, salt=_SALT, compress=True),
        max_age=settings.DEVICE_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
