"""Sign-in, sign-up, sign-out and password reset. Thin views: limits from ``accounts.attempts``,
device cookies from ``accounts.clients``, accounts made by ``accounts.services``.

Sign-in limits (``LOGIN_THROTTLE_ATTEMPTS`` failures in ``LOGIN_THROTTLE_WINDOW`` seconds):
- an attempt carrying a valid device cookie for the name it tries is counted on that cookie only,
  and only that cookie's failures can refuse it: strangers cannot lock an owner out of a browser
  the owner has signed in from, nor can others behind the owner's address (a shared NAT);
- any other attempt is counted per client address (guessing many accounts from one place) and per
  user name (guessing one account's password from many places), and refused when either is full.
A successful sign-in does not count; it gives the browser a fresh device cookie.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import attempts, clients, services
from .attempts import Counter
from .forms import SignupForm

PROFILE_URL = "/accounts/profile/"


def sign_in_counters(request, username: str) -> list[Counter]:
    nonce = clients.trusted_device(request, username)
    if nonce:
        return [Counter("login-device", nonce)]
    counters = [Counter("login-address", clients.client_address(request))]
    if clients.username_key(username):
        counters.append(Counter("login-user", clients.username_key(username)))
    return counters


def _sign_in_help() -> dict:
    return {
        "allow_signup": settings.ALLOW_SIGNUP,
        "reset_by_mail": settings.PASSWORD_RESET_BY_MAIL,
        "help_contact": settings.ACCOUNTS_HELP_CONTACT,
    }


def _refused(request, template: str, context: dict, refusal: attempts.Throttled):
    minutes = max(1, round(refusal.retry_after / 60))
    response = render(request, template, {**context, "throttled": refusal.scope, "retry_minutes": minutes},
                      status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


class SignInView(auth_views.LoginView):
    """Django's sign-in (never cached, CSRF, safe ``next``) with the limits above."""

    reservation: attempts.Reservation | None = None

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **_sign_in_help()}

    def post(self, request, *args, **kwargs):
        counters = sign_in_counters(request, request.POST.get("username", ""))
        try:
            self.reservation = attempts.reserve(counters, limit=settings.LOGIN_THROTTLE_ATTEMPTS,
                                                window=settings.LOGIN_THROTTLE_WINDOW)
        except attempts.Throttled as refusal:
            # An unbound form: a bound one would check the password while rendering its errors, and
            # the refusal would tell a guesser whether the guess was right.
            form = self.get_form_class()(request, initial={"username": request.POST.get("username", "")[:150]})
            context = {"form": form, "next": request.POST.get("next", ""), **_sign_in_help()}
            return _refused(request, "registration/login.html", context, refusal)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        attempts.release(self.reservation)  # a success is not a failed attempt
        response = super().form_valid(form)
        clients.remember_device(self.request, response, form.get_user().get_username())
        return response


@require_http_methods(["GET", "HEAD", "POST"])
def admin_sign_in(request):
    """The admin's own sign-in form would check passwords with none of these limits: it sends
    people to this one instead, which returns them to the admin page they asked for."""
    next_url = request.GET.get("next") or reverse("admin:index")
    return redirect(f"{reverse('login')}?{urlencode({'next': next_url})}")


class SignOutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        signed_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if signed_in:
            messages.success(request, "You have signed out.")
        return response


def _safe_next(request, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return PROFILE_URL


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def signup(request):
    """Create an ordinary account and sign in with it. Password rules are the project's
    validators, name rules ``accounts.usernames``; at most ``SIGNUP_LIMIT`` accounts per address
    in ``SIGNUP_WINDOW`` seconds, so a script cannot mint accounts."""
    if not settings.ALLOW_SIGNUP:
        raise Http404("Sign-up is closed on this archive.")
    if request.user.is_authenticated:
        return redirect(PROFILE_URL)
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if request.method != "POST":
        return render(request, "registration/signup.html", {"form": SignupForm(), "next": next_url})
    form = SignupForm(request.POST)
    context = {"form": form, "next": next_url}
    try:
        reservation = attempts.reserve([Counter("signup-address", clients.client_address(request))],
                                       limit=settings.SIGNUP_LIMIT, window=settings.SIGNUP_WINDOW)
    except attempts.Throttled as refusal:
        return _refused(request, "registration/signup.html", context, refusal)
    if form.is_valid():
        try:
            user = services.create_account(username=form.cleaned_data["username"],
                                           password=form.cleaned_data["password1"])
        except ValidationError as error:
            form.add_error("username", error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            response = redirect(_safe_next(request, next_url))
            clients.remember_device(request, response, user.get_username())
            return response
    attempts.release(reservation)  # only accounts made count against the address
    return render(request, "registration/signup.html", context, status=400)


# --- password reset: offered only when outgoing mail is configured ---------------------------------


def reset_by_mail_only(view):
    """404 unless ``PASSWORD_RESET_BY_MAIL`` (set when ``EMAIL_HOST`` is): without mail the link
    could never arrive, so the pages are not offered (the sign-in page says whom to ask)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not settings.PASSWORD_RESET_BY_MAIL:
            raise Http404("Password reset by mail is not offered on this archive.")
        return view(request, *args, **kwargs)

    return wrapped


class ResetRequestView(auth_views.PasswordResetView):
    """Ask for a reset link. At most ``PASSWORD_RESET_LIMIT`` requests per address and per mail
    address in ``PASSWORD_RESET_WINDOW`` seconds, so that nobody can flood someone's mailbox. The
    answer is the same whether or not an account has that address."""

    template_name = "registration/reset_password.html"
    email_template_name = "registration/reset_password_email.txt"
    subject_template_name = "registration/reset_password_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        counters = [Counter("reset-address", clients.client_address(self.request)),
                    Counter("reset-email", form.cleaned_data["email"].strip().casefold())]
        try:
            attempts.reserve(counters, limit=settings.PASSWORD_RESET_LIMIT, window=settings.PASSWORD_RESET_WINDOW)
        except attempts.Throttled as refusal:
            return _refused(self.request, self.template_name, {"form": form}, refusal)
        return super().form_valid(form)


class ResetConfirmView(auth_views.PasswordResetConfirmView):
    """Set the new password from the mailed link. Failed sign-ins on the name stop counting: the
    owner has shown they hold the mailbox, and those guesses were against the old password."""

    template_name = "registration/reset_password_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        attempts.forget([Counter("login-user", clients.username_key(form.user.get_username()))])
        return response


reset_request = reset_by_mail_only(ResetRequestView.as_view())
reset_done = reset_by_mail_only(auth_views.PasswordResetDoneView.as_view(
    template_name="registration/reset_password_sent.html"))
reset_confirm = reset_by_mail_only(ResetConfirmView.as_view())
reset_complete = reset_by_mail_only(auth_views.PasswordResetCompleteView.as_view(
    template_name="registration/reset_password_done.html"))
