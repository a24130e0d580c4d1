"""/accounts/...: the names are Django's own (``login``, ``logout``, ``password_reset`` ...), so
``LOGIN_URL`` and ``{% url 'login' %}`` work as with ``django.contrib.auth.urls``. The profile page
(token, groups) is the annotations app's, at /accounts/profile/."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("signup/", views.signup, name="signup"),
    path("password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password_reset/", views.reset_request, name="password_reset"),
    path("password_reset/done/", views.reset_done, name="password_reset_done"),
    path("reset/<uidb64>/<token>/", views.reset_confirm, name="password_reset_confirm"),
    path("reset/done/", views.reset_complete, name="password_reset_complete"),
]
