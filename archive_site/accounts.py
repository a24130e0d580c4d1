"""Sign-in with a limit on failed attempts (per address and per username)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.shortcuts import render


def _keys(request) -> list[str]:
    address = request.META.get("REMOTE_ADDR", "unknown")
    username = (request.POST.get("username") or "").strip().lower()[:150]
    return [f"login-fail:ip:{address}", f"login-fail:user:{username}"] if username else [f"login-fail:ip:{address}"]


class ThrottledLoginView(auth_views.LoginView):
    def post(self, request, *args, **kwargs):
        keys = _keys(request)
        if any(cache.get(key, 0) >= settings.LOGIN_THROTTLE_ATTEMPTS for key in keys):
            response = render(
                request,
                "registration/login.html",
                {"form": self.get_form(), "throttled": True, "next": request.POST.get("next", "")},
                status=429,
            )
            response["Retry-After"] = str(settings.LOGIN_THROTTLE_WINDOW)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        for key in _keys(self.request):
            cache.add(key, 0, settings.LOGIN_THROTTLE_WINDOW)
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, settings.LOGIN_THROTTLE_WINDOW)
        return super().form_invalid(form)
