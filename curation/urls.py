"""URLs of curation: the curators' API and the /curate/ pages."""

from django.urls import path

from . import pages, task_pages, views

urlpatterns = [
    path("api/annotations/review/", views.ReviewQueue.as_view(), name="annotation-review-queue"),
    path("api/annotations/export/", views.AnnotationExport.as_view(), name="annotation-export"),
    path("api/annotations/import/", views.AnnotationImport.as_view(), name="annotation-import"),
    path("api/annotations/deleted/", views.DeletedAnnotations.as_view(), name="annotation-deleted"),
    path(
        "api/annotations/history/<int:history_id>/restore/", views.RestoreAnnotation.as_view(),
        name="annotation-restore",
    ),
    path("api/annotations/<int:pk>/review/", views.ReviewAnnotation.as_view(), name="annotation-review"),
    path("api/records/export/", views.RecordExport.as_view(), name="record-export"),
    path("api/records/<int:pk>/merge/", views.RecordMerge.as_view(), name="record-merge"),
    path("api/documents/<slug:slug>/history/", views.DocumentHistory.as_view(), name="document-history"),
    path("records/new-from-passage/", pages.record_from_passage, name="record-from-passage"),
    path("curate/", pages.dashboard, name="curate-dashboard"),
    path("curate/review/", pages.review_queue, name="curate-review"),
    path("curate/records/", pages.records, name="curate-records"),
    path("curate/records/merge/", pages.record_merge, name="curate-record-merge"),
    path("curate/records/<int:pk>/", pages.record_edit, name="curate-record-edit"),
    path("curate/annotations/<int:pk>/record/", pages.record_link, name="curate-record-link"),
    path("curate/annotations/<int:pk>/edit/", pages.annotation_edit, name="curate-annotation-edit"),
    path("curate/documents/", pages.documents, name="curate-documents"),
    path("curate/documents/new/", pages.document_new, name="curate-document-new"),
    path("curate/documents/jobs/<int:pk>/", pages.document_job, name="curate-document-job"),
    path("curate/documents/<slug:slug>/correct/", pages.document_correct, name="curate-document-correct"),
    path("api/ingest/", views.DocumentImport.as_view(), name="document-import"),
    path("api/ingest/jobs/<int:pk>/", views.IngestJobStatus.as_view(), name="ingest-job"),
    path("api/documents/<slug:slug>/tei/", views.DocumentTei.as_view(), name="document-tei"),
    path("curate/documents/<slug:slug>/", pages.document_edit, name="curate-document-edit"),
    path("curate/orphans/", pages.orphans, name="curate-orphans"),
    path("curate/orphans/<int:pk>/", pages.orphan_reattach, name="curate-orphan-reattach"),
    path("curate/exchange/", pages.exchange_page, name="curate-exchange"),
    path("curate/history/<str:kind>/<int:pk>/", pages.history_page, name="curate-history"),
    path("curate/deleted/", pages.deleted, name="curate-deleted"),
    path("curate/deleted/<int:history_id>/restore/", pages.restore_version, name="curate-restore"),
    # Teamwork: batches reviewed as one item, annotation tasks, agreement and adjudication.
    path("api/batches/<int:pk>/review/", views.BatchReview.as_view(), name="batch-review"),
    path("api/tasks/<int:pk>/agreement/", views.TaskAgreement.as_view(), name="task-agreement"),
    path("api/tasks/<int:pk>/adjudicate/", views.TaskAdjudicate.as_view(), name="task-adjudicate"),
    path("api/annotations/relations/export/", views.RelationExport.as_view(), name="relation-export"),
    path("curate/review/batches/<int:pk>/", task_pages.batch_review, name="curate-batch-review"),
    path("curate/tasks/", task_pages.tasks, name="curate-tasks"),
    path("curate/tasks/<int:pk>/", task_pages.task_detail, name="curate-task"),
    path("curate/tasks/<int:pk>/close/", task_pages.task_close, name="curate-task-close"),
    path("curate/tasks/<int:pk>/documents/<slug:slug>/", task_pages.adjudicate, name="curate-adjudicate"),
]
