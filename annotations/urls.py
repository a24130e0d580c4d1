from django.urls import path

from . import pages, views

urlpatterns = [
    path("api/annotations/", views.AnnotationContainer.as_view(), name="annotation-list"),
    path("api/annotations/<int:pk>/", views.AnnotationDetail.as_view(), name="annotation-detail"),
    path("api/annotations/<int:pk>/history/", views.AnnotationHistory.as_view(), name="annotation-history"),
    path("api/entity-types/", views.EntityTypes.as_view(), name="entity-type-list"),
    path("api/records/<int:pk>/annotations/", views.RecordAnnotations.as_view(), name="record-annotations"),
    path(
        "api/documents/<slug:slug>/suggestions/", views.DocumentSuggestions.as_view(), name="document-suggestions",
    ),
    path("api/annotations/<int:pk>/relations/", views.AnnotationRelations.as_view(), name="annotation-relations"),
    path("api/relation-types/", views.RelationTypes.as_view(), name="relation-type-list"),
    path("api/records/<int:pk>/network/", views.RecordNetwork.as_view(), name="record-network"),
    path("api/batches/<int:pk>/", views.BatchDetail.as_view(), name="batch-detail"),
    path("api/batches/<int:pk>/undo/", views.BatchUndo.as_view(), name="batch-undo"),
    path("api/tasks/", views.TaskList.as_view(), name="task-list"),
    path("api/tasks/<int:pk>/", views.TaskDetail.as_view(), name="task-detail"),
    path("api/tasks/<int:pk>/finish/", views.TaskFinish.as_view(), name="task-finish"),
    # Reading-room pages: the profile (token, groups), an annotation's history, replies from a card.
    path("accounts/profile/", pages.profile, name="profile"),
    path("accounts/profile/token/", pages.token_action, name="profile-token"),
    path("accounts/profile/groups/", pages.group_create, name="profile-group-create"),
    path("accounts/profile/groups/<slug:name>/members/", pages.group_add_member, name="profile-group-member"),
    path("accounts/profile/groups/<slug:name>/members/<str:username>/remove/", pages.group_remove_member,
         name="profile-group-remove-member"),
    path("accounts/profile/groups/<slug:name>/leave/", pages.group_leave, name="profile-group-leave"),
    path("annotations/<int:pk>/history/", pages.annotation_history, name="annotation-history-page"),
    path("annotations/<int:pk>/replies/", pages.annotation_reply, name="annotation-reply"),
]
