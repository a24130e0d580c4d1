"""Reading a file in the background: OCR and big files take longer than a request may.

``start_job`` keeps the upload under ``ARCHIVE_DATA_DIR/staging/``, writes an ``IngestJob`` row and
enqueues ``run_ingest_job`` in the same transaction (an outbox, as for index tasks); the worker
(``manage.py db_worker --queue-name index,default``) reads the file through the same service as
a request (``document_services.create_document_from_file``), writing its progress to the row as
it goes so that the job's page can show it. A failed job keeps the reason (which names the file);
the staged upload is removed either way.
"""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.text import get_valid_filename
from django_tasks import task

from . import document_services, sources
from .models import IngestJob

log = logging.getLogger(__name__)
PROGRESS_EVERY = 0.5  # seconds between progress writes


def _errors(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return " ".join(" ".join(v) if k in ("__all__", "file") else f"{k}: {' '.join(v)}"
                        for k, v in error.message_dict.items())
    return " ".join(error.messages)


def start_job(*, user, data: bytes, filename: str, slug: str = "", **metadata) -> IngestJob:
    """Stage the upload and queue it; the job row says how it goes."""
    name = get_valid_filename(PurePath(filename).name)[:100] or "upload"
    relative = f"staging/{uuid.uuid4().hex}-{name}"
    path = sources.data_dir() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    try:
        with transaction.atomic():
            job = IngestJob.objects.create(
                created_by=user if getattr(user, "is_authenticated", False) else None,
                file_name=PurePath(filename).name[:255], staged=relative, size=len(data),
                options={"slug": slug, **{k: v for k, v in metadata.items() if isinstance(v, str)}},
                message="waiting for the worker",
            )
            run_ingest_job.enqueue(job.pk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    job.refresh_from_db()
    return job


def _reporter(job_id: int):
    last = [0.0]

    def progress(done: int, total: int, what: str) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY and done < total:
            return
        last[0] = now
        IngestJob.objects.filter(pk=job_id).update(done=done, total=total, message=what[:300])

    return progress


def run_job(job_id: int) -> str:
    job = IngestJob.objects.filter(pk=job_id).select_related("created_by").first()
    if job is None or job.finished:
        return "gone"
    IngestJob.objects.filter(pk=job.pk).update(status=IngestJob.Status.RUNNING, message="reading the file")
    path = sources.resolve(job.staged)
    try:
        if path is None:
            raise ValidationError({"file": f"{job.file_name}: the uploaded file is no longer there"})
        options = dict(job.options)
        slug = options.pop("slug", "")
        document = document_services.create_document_from_file(
            user=job.created_by, data=path.read_bytes(), filename=job.file_name, slug=slug,
            progress=_reporter(job.pk), **options,
        )
    except ValidationError as error:
        IngestJob.objects.filter(pk=job.pk).update(status=IngestJob.Status.FAILED, error=_errors(error)[:5000],
                                                   message="failed")
        return "failed"
    except Exception as error:  # logged with its traceback; the job says it failed, and why
        log.exception("ingest job %s (%s) failed", job.pk, job.file_name)
        IngestJob.objects.filter(pk=job.pk).update(
            status=IngestJob.Status.FAILED, message="failed",
            error=f"{job.file_name}: the file could not be read ({type(error).__name__}: {error})"[:5000])
        return "failed"
    finally:
        if path is not None:
            path.unlink(missing_ok=True)
    IngestJob.objects.filter(pk=job.pk).update(status=IngestJob.Status.DONE, document=document, message="done",
                                               done=F("total"))
    return "done"


@task(queue_name="default")
def run_ingest_job(job_id: int) -> str:
    return run_job(job_id)
