"""API authentication: session (the site's pages, with CSRF) and tokens (scripts).

DRF answers a failed authentication with 401 only when the *first* authenticator names a
``WWW-Authenticate`` scheme; the session authenticator names none, so a revoked or mistyped token
got 403, which tells a script "you may not" instead of "sign in again". This session
authenticator names the Token scheme for requests that presented a token, and only for them
(a visitor without credentials still gets 403, as before).
"""

from __future__ import annotations

from drf_spectacular import authentication as _spectacular
from rest_framework import authentication


class SessionAuthentication(authentication.SessionAuthentication):
    def authenticate_header(self, request) -> str | None:
        scheme = authentication.get_authorization_header(request).split()[:1]
        if scheme and scheme[0].lower() == b"token":
            return 'Token realm="api"'
        return None


class SessionScheme(_spectacular.SessionScheme):
    """The OpenAPI description of the session authenticator above (cookie auth, as DRF's)."""

    target_class = "config.authentication.SessionAuthentication"
