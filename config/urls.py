"""The project's URLs: each app's own (the accounts app's under /accounts/), the API schema, the admin,
and /favicon.ico."""

from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from accounts import views as accounts_views


def favicon(request):
    """Browsers ask for /favicon.ico on every site whatever the page says: send them to the static
    file (its hashed, long-cached name in production)."""
    return redirect(static("archive_site/favicon.ico"))


urlpatterns = [
    path("", include("archive_site.urls")),
    path("", include("annotations.urls")),
    path("", include("curation.urls")),
    path("", include("search.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("accounts/", include("accounts.urls")),
    path("admin/login/", accounts_views.admin_sign_in),  # one sign-in, with its limits, for the admin too
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
]
