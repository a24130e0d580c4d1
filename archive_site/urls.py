from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from . import accounts, api, views

api_patterns = [
    path("documents/", api.DocumentList.as_view(), name="api-document-list"),
    path("documents/<slug:slug>/", api.DocumentDetail.as_view(), name="api-document-detail"),
    path("records/", api.RecordList.as_view(), name="api-record-list"),
    path("records/<int:pk>/", api.RecordDetail.as_view(), name="api-record-detail"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("documents/<slug:slug>/", views.document_detail, name="document-detail"),
    path("records/", views.record_list, name="record-list"),
    path("records/<int:pk>/", views.record_detail, name="record-detail"),
    path("api/", include(api_patterns)),
    path("", include("annotations.urls")),
    path("", include("annotations.curation_urls")),
    path("", include("search.urls")),
    path("accounts/login/", accounts.ThrottledLoginView.as_view(), name="login"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
