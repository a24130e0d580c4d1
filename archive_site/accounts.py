"""Sign-in with a limit on failed attempts (per address and per username), and sign-up."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import UserCreationForm
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme


def _keys(request) -> list[str]:
    address = request.META.get("REMOTE_ADDR", "unknown")
    username = (request.POST.get("username") or "").strip().lower()[:150]
    return [f"login-fail:ip:{address}", f"login-fail:user:{username}"] if username else [f"login-fail:ip:{address}"]


class ThrottledLoginView(auth_views.LoginView):
    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "allow_signup": settings.ALLOW_SIGNUP}

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


def _safe_next(request, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return "/accounts/profile/"


def signup(request):
    """Create an ordinary account and sign in with it. Password rules are the project's
    validators; sign-ups are limited per address so a script cannot mint accounts."""
    if not settings.ALLOW_SIGNUP:
        raise Http404("Sign-up is closed on this archive.")
    if request.user.is_authenticated:
        return redirect("/accounts/profile/")
    next_url = request.POST.get("next") or request.GET.get("next", "")
    key = f"signup:ip:{request.META.get('REMOTE_ADDR', 'unknown')}"
    form = UserCreationForm(request.POST or None)
    if request.method == "POST":
        if cache.get(key, 0) >= settings.SIGNUP_LIMIT:
            response = render(request, "registration/signup.html", {"form": form, "next": next_url, "throttled": True},
                              status=429)
            response["Retry-After"] = str(settings.SIGNUP_WINDOW)
            return response
        if form.is_valid():
            user = form.save()
            cache.add(key, 0, settings.SIGNUP_WINDOW)
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, settings.SIGNUP_WINDOW)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(_safe_next(request, next_url))
        return render(request, "registration/signup.html", {"form": form, "next": next_url}, status=400)
    return render(request, "registration/signup.html", {"form": form, "next": next_url})
