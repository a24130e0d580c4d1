from django.urls import path

from . import pages, views

urlpatterns = [
    path("api/annotations/", views.AnnotationContainer.as_view(), name="annotation-list"),
    path("api/annotations/deleted/", views.DeletedAnnotations.as_view(), name="annotation-deleted"),
    path(
        "api/annotations/history/<int:history_id>/restore/", views.RestoreAnnotation.as_view(),
        name="annotation-restore",
    ),
    path("api/annotations/<int:pk>/", views.AnnotationDetail.as_view(), name="annotation-detail"),
    path("api/annotations/<int:pk>/history/", views.AnnotationHistory.as_view(), name="annotation-history"),
    path("api/annotations/<int:pk>/review/", views.ReviewAnnotation.as_view(), name="annotation-review"),
    path("api/entity-types/", views.EntityTypes.as_view(), name="entity-type-list"),
    path("api/records/<int:pk>/annotations/", views.RecordAnnotations.as_view(), name="record-annotations"),
    path("api/records/<int:pk>/history/", views.RecordHistory.as_view(), name="record-history"),
    path(
        "api/documents/<slug:slug>/suggestions/", views.DocumentSuggestions.as_view(), name="document-suggestions",
    ),
]

# Reading-room pages (profile, groups, history page, replies from a card, records from a passage).
urlpatterns += [
    path("accounts/profile/", pages.profile, name="profile"),
    path("accounts/profile/token/", pages.token_action, name="profile-token"),
    path("accounts/profile/groups/", pages.group_create, name="profile-group-create"),
    path("accounts/profile/groups/<slug:name>/members/", pages.group_add_member, name="profile-group-member"),
    path("annotations/<int:pk>/history/", pages.annotation_history, name="annotation-history-page"),
    path("annotations/<int:pk>/replies/", pages.annotation_reply, name="annotation-reply"),
    path("records/new-from-passage/", pages.record_from_passage, name="record-from-passage"),
]
