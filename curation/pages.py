"""The curators' pages under ``/curate/``: dashboard, review queue (filters, one at a time and in
bulk), records (gaps, edit, merge), documents (add, edit metadata and text with a re-anchoring
preview), orphaned annotations, import / export, history and deleted annotations.

Thin views: read a form, call a service or selector, render or redirect with a message. Visitors
who are not signed in are sent to the login page; signed-in non-curators get 403.
"""

from __future__ import annotations

from datetime import datetime
from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from annotations import history as annotation_history
from annotations import selectors, services
from annotations.anchoring import AnchorError
from annotations.models import Annotation, EntityType
from annotations.permissions import can_curate, visible_q
from annotations.schemas import InputError
from archive_site import document_services, ingest_jobs
from archive_site import history as archive_history
from archive_site.ingest import needs_background, ocr_status
from archive_site.ingest.guards import limit as ingest_limit
from archive_site.models import Document, IngestJob, Record
from archive_site.selectors import document_list

from . import dashboard as stats
from . import edits, exchange, restore, review
from .records import (
    DuplicateName,
    MergeError,
    create_record_from_passage,
    merge_records,
    record_for_annotation,
    records_named,
    update_record,
)

PAGE_SIZE = 50


def curator_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_curate(request.user):
            raise PermissionDenied("Only curators may do this.")
        return view(request, *args, **kwargs)

    return wrapper


def _errors(error: Exception) -> str:
    if isinstance(error, ValidationError):
        if hasattr(error, "message_dict"):
            return " ".join(f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v) for k, v in error.message_dict.items())
        return " ".join(error.messages)
    return str(error)


def _int(value) -> int | None:
    """A non-negative whole number from a form field (ids, offsets), else None."""
    value = (value or "").strip() if isinstance(value, str) else ""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def _back(request, default: str):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


# --- dashboard and review -------------------------------------------------------------------


@curator_required
def dashboard(request):
    return render(request, "curation/dashboard.html", {"stats": stats.dashboard_stats(request.user), "section": "dashboard"})


@curator_required
@require_http_methods(["GET", "POST"])
def review_queue(request):
    if request.method == "POST":
        return _review_post(request)
    return _queue_page(request, request.GET, next_url=request.get_full_path())


def _queue_page(request, params, *, next_url: str, posted=None, failed_row: int | None = None, status: int = 200):
    """The queue for ``params`` (its filters and page). ``?select=all`` ticks every row of the
    page (select all without JavaScript). ``posted``: a review that failed, shown again as the
    curator left it (ticked rows, reasons, bulk fields), with ``failed_row`` marking a row's own
    Reject that failed."""
    filters = {k: params.get(k, "") for k in review.QUEUE_FILTERS}
    query = urlencode({k: v for k, v in filters.items() if v})
    context = {
        "filters": filters, "entity_types": EntityType.objects.all(), "statuses": Annotation.Status.choices,
        "section": "review", "query": query, "next_url": next_url, "failed_row": failed_row,
        "bulk": {name: (posted.get(name, "") if posted else "") for name in ("reason", "entity_type", "add_tag")},
    }
    try:
        queue = review.review_queue(request.user, params)
        page = Paginator(queue, PAGE_SIZE).get_page(params.get("page"))
    except review.QueueFilterError as error:
        context["error"] = str(error)
        return render(request, "curation/review.html", context, status=400)
    context["batches"] = review.queue_batches(request.user, params)
    select_all = posted is None and params.get("select") == "all"
    picked = set(posted.getlist("ids")) if posted else set()
    context.update({
        "page": page, "select_all": select_all,
        "page_query": f"{query}{'&' if query else ''}page={page.number}",
        "rows": [
            {"a": a, "picked": select_all or str(a.pk) in picked,
             "reason": posted.get(f"reason-{a.pk}", "") if posted else ""}
            for a in page.object_list
        ],
    })
    return render(request, "curation/review.html", context, status=status)


def _queue_params(target: str) -> tuple[QueryDict, str]:
    """The queue's filters from the page a review form was posted from (its ``next``)."""
    parts = urlsplit(target)
    if parts.path != reverse("curate-review") or parts.scheme or parts.netloc:
        return QueryDict(), reverse("curate-review")
    return QueryDict(parts.query), target


def _review_post(request):
    ids = [_int(v) for v in request.POST.getlist("ids")]
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")
    one = None
    if request.POST.get("one"):  # a row's own Approve / Reject button: "<id>:<status>", its own reason box
        raw, _, action = request.POST["one"].partition(":")
        one = _int(raw)
        ids = [one]
        reason = request.POST.get(f"reason-{raw}", "")
    try:
        if None in ids:
            raise InputError({"ids": "ids must be annotation ids."})
        if action == "edit":
            done = edits.bulk_edit(
                user=request.user, annotation_ids=ids, entity_type=request.POST.get("entity_type", ""),
                add_tag=request.POST.get("add_tag", ""),
            )
            outcome = "edited"
        else:
            done = review.bulk_review(user=request.user, annotation_ids=ids, status=action, reason=reason)
            outcome = f"marked {action}"
    except (InputError, AnchorError) as error:
        text = " ".join(error.errors.values()) if isinstance(error, InputError) else str(error)
        messages.error(request, f"Annotation {one}: {text}" if one is not None else text)
        # Shown again as the curator left it (what they typed, what they ticked), not redirected.
        params, next_url = _queue_params(request.POST.get("next", ""))
        return _queue_page(request, params, next_url=next_url, posted=request.POST, failed_row=one, status=400)
    messages.success(request, f"{len(done)} annotation{'s' if len(done) != 1 else ''} {outcome}.")
    return _back(request, reverse("curate-review"))


@curator_required
@require_http_methods(["GET", "POST"])
def annotation_edit(request, pk: int):
    annotation = selectors.get_visible_annotation(request.user, pk)
    if annotation is None:
        raise Http404("No such annotation.")
    values = {
        "comment": annotation.comment, "tags": ", ".join(t.name for t in annotation.tags.all()),
        "entity_type": annotation.entity_type.key if annotation.entity_type_id else "",
        "records": ", ".join(str(r.pk) for r in annotation.records.all()), "visibility": annotation.visibility_label,
    }
    status = 200
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in values}
        try:
            edits.edit_annotation(user=request.user, annotation=annotation, **values)
        except InputError as error:
            messages.error(request, " ".join(error.errors.values()))
            status = 400
        except AnchorError as error:
            messages.error(request, f"{error} Re-attach it first (Orphans).")
            status = 400
        else:
            messages.success(request, f"Annotation {annotation.pk} saved.")
            return _back(request, reverse("curate-annotation-edit", kwargs={"pk": annotation.pk}))
    return render(request, "curation/annotation_edit.html", {
        "annotation": annotation, "values": values, "entity_types": EntityType.objects.all(), "section": "review",
        "next": request.GET.get("next") or request.POST.get("next", ""),
    }, status=status)


# --- records --------------------------------------------------------------------------------


def _with_links(user, records: list[Record]) -> list[Record]:
    """``records``, each with ``links``: how many annotations the curator may see link to it (one query)."""
    counts = dict(
        Annotation.objects.filter(visible_q(user), records__in=[r.pk for r in records])
        .values("records").annotate(n=Count("pk", distinct=True)).values_list("records", "n")
    ) if records else {}
    for record in records:
        record.links = counts.get(record.pk, 0)
    return records


def _record_matches(request, *, exclude: int | None = None) -> tuple[str, list[Record]]:
    """Live records whose names have a word starting with ``?name=`` (for merging by name; not
    ``q``, which the header's search box shows)."""
    query = " ".join(request.GET.get("name", "").split())[:100]
    if not query or "\x00" in query:
        return "", []
    matches = Record.objects.matching(query).filter(merged_into__isnull=True).order_by("label", "pk")
    if exclude is not None:
        matches = matches.exclude(pk=exclude)
    return query, _with_links(request.user, list(matches[:50]))


def _records_page(request, *, duplicate: dict | None = None, status: int = 200):
    query, matches = _record_matches(request)
    return render(request, "curation/records.html", {
        "unlinked_records": stats.records_without_annotations(request.user)[:500],
        "unlinked_people": stats.person_annotations_without_record(request.user)[:500],
        "kinds": Record.Kind.choices, "section": "records", "q": query, "matches": matches,
        "duplicate": duplicate,
    }, status=status)


@curator_required
def records(request):
    return _records_page(request)


@curator_required
@require_POST
def record_merge(request):
    record_id, into_id = _int(request.POST.get("record")), _int(request.POST.get("into"))
    record = Record.objects.filter(pk=record_id).first() if record_id else None
    into = Record.objects.filter(pk=into_id).first() if into_id else None
    if record is None or into is None:
        messages.error(request, "Choose two records: the duplicate, and the record it is merged into.")
        return _back(request, reverse("curate-records"))
    if request.POST.get("direction") == "reverse":  # a record's page: "merge the chosen record into this one"
        record, into = into, record
    try:
        report = merge_records(user=request.user, record=record, into=into)
    except MergeError as error:
        messages.error(request, str(error))
        return _back(request, reverse("curate-records"))
    messages.success(
        request, f"{report.merged.label} merged into {report.survivor.label}: {report.moved_links} annotation link(s) moved."
    )
    return redirect("curate-record-edit", pk=report.survivor.pk)


@curator_required
@require_POST
def record_link(request, pk: int):
    annotation = selectors.get_visible_annotation(request.user, pk)
    if annotation is None or annotation.reply_to_id:
        raise Http404("No such annotation.")
    record_id = _int(request.POST.get("record"))
    record = None
    if record_id is not None:
        record = Record.objects.filter(pk=record_id).first()
        if record is None:
            messages.error(request, f"No record with id {record_id}.")
            return _back(request, reverse("curate-records"))
    label = request.POST.get("label", "")
    try:
        record = record_for_annotation(
            user=request.user, annotation=annotation, record=record, label=label, kind=request.POST.get("kind", ""),
            allow_duplicate=bool(request.POST.get("allow_duplicate")),
        )
    except DuplicateName as error:
        # The records page again, with the records of that name beside this passage: link it to one
        # of them, or tick "a different person with the same name".
        messages.warning(request, _errors(error) + " Tick “a different person with the same name” to create it anyway.")
        return _records_page(request, status=409, duplicate={
            "annotation": annotation.pk, "label": " ".join(label.split()) or annotation.target_quote,
            "existing": _with_links(request.user, list(error.existing)),
        })
    except ValidationError as error:
        messages.error(request, _errors(error))
    else:
        messages.success(request, f"Annotation {annotation.pk} now links to {record.label}.")
    return _back(request, reverse("curate-records"))


@login_required
@require_POST
def record_from_passage(request):
    """The reading room's "new record from this passage" (curators): JSON in and out. A name that
    an existing record has answers 409 with those records, until the curator confirms."""
    try:
        record = create_record_from_passage(
            user=request.user, label=request.POST.get("label", ""), kind=request.POST.get("kind", ""),
            description=request.POST.get("description", ""),
            allow_duplicate=request.POST.get("allow_duplicate") in ("1", "true", "on"),
        )
    except PermissionDenied as error:
        return JsonResponse({"detail": str(error)}, status=403)
    except DuplicateName as error:
        return JsonResponse({"detail": _errors(error), "existing": [
            {"id": r.pk, "label": r.label, "kind": r.kind, "url": r.get_absolute_url()} for r in error.existing
        ]}, status=409)
    except ValidationError as error:
        return JsonResponse({"detail": _errors(error)}, status=400)
    return JsonResponse(
        {"id": record.pk, "label": record.label, "kind": record.kind, "url": record.get_absolute_url()}, status=201
    )


@curator_required
@require_http_methods(["GET", "POST"])
def record_edit(request, pk: int):
    record = get_object_or_404(Record, pk=pk)
    if record.merged_into_id:
        messages.info(request, f"{record.label} was merged into this record.")
        return redirect("curate-record-edit", pk=record.merged_into_id)
    status = 200
    if request.method == "POST":
        try:
            update_record(
                user=request.user, record=record, label=request.POST.get("label"), kind=request.POST.get("kind"),
                aliases=request.POST.get("aliases", ""), description=request.POST.get("description"),
                start_date=request.POST.get("start_date"), end_date=request.POST.get("end_date"),
            )
        except ValidationError as error:
            messages.error(request, _errors(error))
            status = 400
        else:
            messages.success(request, "Record saved.")
            return redirect("curate-record-edit", pk=record.pk)
    record.refresh_from_db()
    query, matches = _record_matches(request, exclude=record.pk)
    return render(request, "curation/record_edit.html", {
        "record": record, "kinds": Record.Kind.choices, "merged": record.merged_records.all(),
        "mentions": selectors.record_annotations(request.user, record).count(), "section": "records",
        "q": query, "matches": matches,
        "same_name": _with_links(request.user, [r for r in records_named(record.label) if r.pk != record.pk]),
    }, status=status)


# --- documents ------------------------------------------------------------------------------


def _document_values(request) -> dict:
    return {name: request.POST.get(name, "") for name in document_services.METADATA_FIELDS}


@curator_required
def documents(request):
    return render(request, "curation/documents.html", {"documents": document_list(), "section": "documents"})


@curator_required
@require_http_methods(["GET", "POST"])
def document_new(request):
    """Add a document: pasted text, or a file of any format taken (PDF, Word, ODT, web page, TEI,
    page images, text). A file that needs OCR or is big is read by a background job, whose page
    shows its progress; what the form leaves blank is taken from the file."""
    values = {"slug": "", "language": "", **({} if request.method == "GET" else request.POST.dict())}
    context = {"values": values, "section": "documents", "ocr": ocr_status()}
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is not None:
                data = upload_bytes(upload)
                fields = {"slug": request.POST.get("slug", ""), **_document_values(request)}
                document_services.check_new_document(**fields)
                if needs_background(data, upload.name):
                    job = ingest_jobs.start_job(user=request.user, data=data, filename=upload.name, **fields)
                    return redirect("curate-document-job", pk=job.pk)
                document = document_services.create_document_from_file(
                    user=request.user, data=data, filename=upload.name, **fields)
            else:
                document = document_services.create_document(
                    user=request.user, slug=request.POST.get("slug", ""), text=request.POST.get("text", ""),
                    **_document_values(request),
                )
        except ValidationError as error:
            messages.error(request, _errors(error))
            return render(request, "curation/document_new.html", context, status=400)
        messages.success(request, f"Document {document.title} added.")
        return redirect(document.get_absolute_url())
    return render(request, "curation/document_new.html", context)


def upload_bytes(upload) -> bytes:
    """An uploaded file's bytes, refused (naming it) when over the ingest size limit."""
    maximum = ingest_limit("INGEST_MAX_BYTES")
    if upload.size is not None and upload.size > maximum:
        raise ValidationError({"file": f"{upload.name}: the file is {upload.size:,} bytes, over the limit of {maximum:,} bytes"})
    return upload.read()


@curator_required
def document_job(request, pk: int):
    """A background ingest job's progress (the page refreshes itself until the job is done)."""
    job = get_object_or_404(IngestJob, pk=pk)
    if job.status == IngestJob.Status.DONE and job.document_id and request.GET.get("stay") is None:
        messages.success(request, f"Document {job.document.title} added from {job.file_name}.")
        return redirect(job.document.get_absolute_url())
    status = 400 if job.status == IngestJob.Status.FAILED else 200
    return render(request, "curation/document_job.html", {"job": job, "section": "documents"}, status=status)


@curator_required
@require_POST
def document_correct(request, slug: str):
    """Correct a stretch of a document's text (an OCR word) from the scans view; annotations
    re-anchor and word boxes follow, as for any edit of the text."""
    document = get_object_or_404(Document, slug=slug)
    start, end = _int(request.POST.get("start")), _int(request.POST.get("end"))
    target = document.get_absolute_url()
    if start is None or end is None:
        messages.error(request, "Give the start and end of the text to correct (whole numbers).")
        return redirect(target)
    try:
        document_services.correct_text(user=request.user, document=document, start=start, end=end,
                                       replacement=request.POST.get("text", ""))
    except ValidationError as error:
        messages.error(request, _errors(error))
        return redirect(target)
    messages.success(request, f"Corrected to {request.POST.get('text', '')!r}.")
    return redirect(f"{target}#pos={start}-{start + len(request.POST.get('text', ''))}")


@curator_required
@require_http_methods(["GET", "POST"])
def document_edit(request, slug: str):
    document = get_object_or_404(Document, slug=slug)
    context = {"document": document, "text": document.text, "values": {n: getattr(document, n) for n in document_services.METADATA_FIELDS}, "section": "documents"}
    if request.method == "POST":
        text = request.POST.get("text")
        context["values"] = _document_values(request)
        context["text"] = text if text is not None else document.text
        if request.POST.get("action") == "preview":
            context["preview"] = services.preview_reanchor(document, context["text"])
            return render(request, "curation/document_edit.html", context)
        try:
            document_services.update_document(user=request.user, document=document, text=text, **context["values"])
        except ValidationError as error:
            messages.error(request, _errors(error))
            return render(request, "curation/document_edit.html", context, status=400)
        orphans = Annotation.objects.filter(document=document, anchor_state=Annotation.AnchorState.ORPHANED).count()
        messages.success(request, f"Document saved. {orphans} annotation(s) on it are orphaned." if orphans else "Document saved.")
        return redirect("curate-document-edit", slug=document.slug)
    return render(request, "curation/document_edit.html", context)


# --- orphans --------------------------------------------------------------------------------


@curator_required
def orphans(request):
    page = Paginator(stats.orphaned_annotations(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    items = [{"annotation": a, "suggestion": stats.suggest_anchor(a)} for a in page]
    return render(request, "curation/orphans.html", {"page": page, "items": items, "section": "orphans"})


@curator_required
@require_POST
def orphan_reattach(request, pk: int):
    annotation = selectors.get_visible_annotation(request.user, pk)
    if annotation is None:
        raise Http404("No such annotation.")
    start, end = _int(request.POST.get("start")), _int(request.POST.get("end"))
    if start is None or end is None:
        messages.error(request, "Give the new start and end offsets (whole numbers).")
        return redirect("curate-orphans")
    try:
        stats.reattach_annotation(user=request.user, annotation=annotation, start=start, end=end)
    except AnchorError as error:
        messages.error(request, f"Annotation {pk}: {error}")
    else:
        messages.success(request, f"Annotation {pk} re-attached at [{start}, {end}).")
    return redirect("curate-orphans")


# --- import / export ------------------------------------------------------------------------


@curator_required
@require_http_methods(["GET", "POST"])
def exchange_page(request):
    context = {"documents": Document.objects.only("slug", "title").order_by("slug"), "section": "exchange"}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose a JSON-LD file to import.")
            status = 400
        else:
            try:
                report = exchange.import_annotations(
                    user=request.user, raw=upload.read(exchange.MAX_IMPORT_BYTES + 1), partial=bool(request.POST.get("partial")),
                    visibility=request.POST.get("visibility") or None,
                )
            except exchange.ExchangeError as error:
                messages.error(request, str(error))
                status = 400
            else:
                context["report"] = report
                status = 200 if report.stored else 400
    return render(request, "curation/exchange.html", context, status=status)


# --- history and deleted annotations -------------------------------------------------------

HISTORY_MODELS = {"annotation": Annotation, "record": Record, "document": Document}


@curator_required
def history_page(request, kind: str, pk: int):
    """Any object's history, deleted ones too; an annotation's by the one reader rule
    (``annotations.history``: someone else's private note shows nothing)."""
    model = HISTORY_MODELS.get(kind)
    if model is None:
        raise Http404("No such kind of object.")
    if model is Annotation:
        entries = annotation_history.annotation_history(request.user, pk)
        obj = selectors.get_visible_annotation(request.user, pk) if entries else None
    else:
        entries = archive_history.present(archive_history.versions(model, pk))
        obj = model.objects.filter(pk=pk).first()
    if not entries and obj is None:
        raise Http404("No such object.")
    for entry in entries:
        entry["when"] = datetime.fromisoformat(entry["date"])
    if model is Record:
        _name_merged_into(entries)
    return render(request, "curation/history.html", {
        "kind": kind, "obj": obj, "pk": pk, "entries": entries, "section": "history",
        "label": str(obj) if obj is not None else f"{kind} {pk} (deleted)",
    })


def _name_merged_into(entries: list[dict]) -> None:
    """A record's ``merged_into`` by label (the presenter leaves references to records' own kind as ids)."""
    changes = [c for e in entries for c in e["changes"] if c["field"] == "merged_into"]
    ids = {v for c in changes for v in (c["old"], c["new"]) if isinstance(v, int)}
    labels = dict(Record.objects.filter(pk__in=ids).values_list("pk", "label")) if ids else {}
    for change in changes:
        for side in ("old", "new"):
            if isinstance(change[side], int):
                pk = change[side]
                change[side] = f"{labels[pk]} (record {pk})" if pk in labels else f"record {pk} (deleted)"


@curator_required
def deleted(request):
    return render(request, "curation/deleted.html", {
        "deleted": restore.deleted_annotations(request.user), "section": "deleted",
    })


@curator_required
@require_POST
def restore_version(request, history_id: int):
    try:
        annotation = restore.restore_annotation(user=request.user, history_id=history_id)
    except Annotation.DoesNotExist as error:
        messages.error(request, str(error) or "No such history entry.")
        return redirect("curate-deleted")
    messages.success(request, f"Annotation {annotation.pk} restored.")
    return redirect("curate-history", kind="annotation", pk=annotation.pk)
