from django.urls import path

from . import occurrence_views, views

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("api/search/", views.SearchAPIView.as_view(), name="api-search"),
    path("api/records/<int:pk>/occurrences/", occurrence_views.RecordOccurrences.as_view(), name="record-occurrences"),
]
