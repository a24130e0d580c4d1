import json
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from archive_site.loader import LoadError, load_archive
from archive_site.models import Document, Record

from .conftest import FIXTURES

pytestmark = pytest.mark.django_db


def copy_fixtures(tmp_path: Path) -> Path:
    folder = tmp_path / "archive"
    shutil.copytree(FIXTURES, folder)
    return folder


def test_loading_the_fixtures_creates_five_documents_and_the_records(seed_archive):
    assert Document.objects.count() == 5
    assert Record.objects.count() >= 80
    assert seed_archive.counts("documents") == (5, 0, 0)
    lecture = Document.objects.get(slug="moscow-trials-dewey-commission")
    assert lecture.author == "Fred Williams"
    assert lecture.date == "2025-09-17"
    assert lecture.kind == "lecture"
    assert lecture.text == (FIXTURES / "000_6322921006bb1ae1.txt").read_text(encoding="utf-8").replace("\r\n", "\n")
    assert Document.objects.get(slug="great-purge").author == ""


def test_loading_twice_changes_nothing(seed_archive):
    before = list(Document.objects.values_list("slug", "checksum", "modified"))
    records_before = Record.objects.count()
    second = load_archive(FIXTURES)
    assert second.counts("documents") == (0, 0, 5)
    assert second.counts("records") == (0, 0, records_before)
    assert list(Document.objects.values_list("slug", "checksum", "modified")) == before
    assert Record.objects.count() == records_before


def test_changed_text_is_reported_as_updated(tmp_path, seed_archive):
    folder = copy_fixtures(tmp_path)
    path = folder / "002_52894035c248ba59.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nAn added line.", encoding="utf-8")
    report = load_archive(folder)
    assert report.updated["documents"] == ["end-of-the-purges"]
    assert Document.objects.get(slug="end-of-the-purges").text.endswith("An added line.")


def test_manifest_naming_a_missing_file_loads_nothing(tmp_path):
    folder = copy_fixtures(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["documents"][3]["file"] = "no-such-file.txt"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CommandError) as excinfo:
        call_command("load_archive", str(folder), "--no-progress")
    assert "no-such-file.txt" in str(excinfo.value)
    assert "does not exist" in str(excinfo.value)
    assert Document.objects.count() == 0
    assert Record.objects.count() == 0


def test_non_utf8_file_is_rejected_by_name(tmp_path):
    folder = copy_fixtures(tmp_path)
    (folder / "001_271ba1a051655316.txt").write_bytes("Bl\u00fccher".encode("latin-1"))
    with pytest.raises(LoadError, match="001_271ba1a051655316.txt: not UTF-8"):
        load_archive(folder)
    assert Document.objects.count() == 0


@pytest.mark.parametrize(
    "manifest,message",
    [
        ("{not json", "not valid JSON"),
        ('{"documents": "nope"}', "expected a 'documents' list"),
        ('{"documents": [{"title": "x"}]}', "missing 'file'"),
        ('{"documents": [{"file": "000_6322921006bb1ae1.txt", "slug": "Not A Slug"}]}', "must be lowercase"),
        ('{"documents": [{"file": "000_6322921006bb1ae1.txt", "title": "x", "date": "June 1937"}]}', "is not YYYY"),
        ('{"documents": [{"file": "../etc/passwd", "title": "x"}]}', "outside the folder"),
    ],
)
def test_bad_manifest_is_rejected_with_a_clear_message(tmp_path, manifest, message):
    folder = copy_fixtures(tmp_path)
    (folder / "manifest.json").write_text(manifest)
    with pytest.raises(LoadError, match=message):
        load_archive(folder)
    assert Document.objects.count() == 0


def test_a_bad_record_rejects_the_whole_load(tmp_path):
    folder = copy_fixtures(tmp_path)
    records = json.loads((folder / "records.json").read_text())
    records["records"].append({"key": "bad", "kind": "planet", "label": "Mars"})
    (folder / "records.json").write_text(json.dumps(records))
    with pytest.raises(LoadError, match="kind 'planet'"):
        load_archive(folder)
    assert Document.objects.count() == 0 and Record.objects.count() == 0


def test_command_reports_counts(capsys):
    call_command("load_archive", "--no-progress")
    out = capsys.readouterr().out
    assert "documents: 5 created, 0 updated, 0 unchanged" in out


@pytest.mark.django_db
def test_new_documents_get_their_history_row_and_their_index_task_in_the_load(settings):
    """The loader writes new documents in bulk (no post_save): each still gets the history row and
    the index task (the outbox) that saving it one by one gave."""
    from django_tasks_db.models import DBTaskResult

    from archive_site.text import text_checksum

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "index"]}}
    load_archive(FIXTURES)
    documents = list(Document.objects.order_by("pk"))
    assert len(documents) == 5
    for document in documents:
        assert [h.history_type for h in document.history.all()] == ["+"]
        assert document.checksum == text_checksum(document.text) and document.created is not None
    queued = sorted(row.args_kwargs["args"][1] for row in DBTaskResult.objects.filter(queue_name="index")
                    if row.args_kwargs["args"][0] == "archive_site.document")
    assert queued == [d.pk for d in documents]


@pytest.mark.django_db
def test_new_documents_are_searchable_after_the_load(search_index):
    from search import services

    load_archive(FIXTURES)
    assert services.search(user=None, text="Zinoviev").count >= 1
