"""The project's URLs: each app's own (the accounts app's under /accounts/), the API schema and the admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

urlpatterns = [
    path("", include("archive_site.urls")),
    path("", include("annotations.urls")),
    path("", include("curation.urls")),
    path("", include("search.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]
