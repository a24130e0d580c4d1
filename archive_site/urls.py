"""URLs of the archive itself: the document and record pages and their read API."""

from django.urls import path

from . import api, views

urlpatterns = [
    path("", views.home, name="home"),
    path("documents/<slug:slug>/", views.document_detail, name="document-detail"),
    path("documents/<slug:slug>/original/", views.document_original, name="document-original"),
    path("documents/<slug:slug>/pages/<int:number>/image/", views.page_image, name="document-page-image"),
    path("records/", views.record_list, name="record-list"),
    path("records/<int:pk>/", views.record_detail, name="record-detail"),
    path("api/documents/", api.DocumentList.as_view(), name="api-document-list"),
    path("api/documents/<slug:slug>/", api.DocumentDetail.as_view(), name="api-document-detail"),
    path("api/documents/<slug:slug>/pages/", api.DocumentPages.as_view(), name="api-document-pages"),
    path("api/documents/<slug:slug>/pages/<int:number>/", api.DocumentPageDetail.as_view(), name="api-document-page"),
    path("api/records/", api.RecordList.as_view(), name="api-record-list"),
    path("api/records/<int:pk>/", api.RecordDetail.as_view(), name="api-record-detail"),
    path("api/records/<int:pk>/history/", api.RecordHistory.as_view(), name="record-history"),
]
