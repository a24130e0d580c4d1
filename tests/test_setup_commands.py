"""The first hour at the terminal: `make run` on a fresh copy of the project ends with the address and
one line per service, the index tasks `load_archive` queued are not replayed after `rebuild_index`
covered them, and the README's administration commands (`make superuser`, `make curator USER=...`,
`make token USER=...`, `bin/manage ...`) work as written beside the running server."""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django_tasks import TaskResultStatus
from django_tasks_db.compat import TASKS_LOGGER
from django_tasks_db.models import DBTaskResult

from search import services
from search.backends import get_search_backend
from search.backends.base import SearchError
from search.tasks import enqueue_update

from .factories import DocumentFactory

REPO = Path(__file__).resolve().parent.parent
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "index"]}}


# ---- the rebuild covers the index tasks queued before it ---------------------------------------------


@pytest.fixture
def db_tasks(settings):
    settings.TASKS = DB_TASKS
    settings.SEARCH_WORKER_WINDOW = 0
    return settings


def statuses() -> dict[str, str]:
    return {str(pk): status for pk, status in DBTaskResult.objects.values_list("pk", "status")}


def run_worker(verbosity: int = 0) -> None:
    call_command("db_worker", "--queue-name", "index,default", "--batch", "--no-startup-delay", "--no-reload",
                 "--interval", "0", verbosity=verbosity)


def test_rebuild_marks_the_tasks_queued_before_it_done_and_leaves_later_and_running_ones(transactional_db, db_tasks, monkeypatch):
    first = DocumentFactory(title="Zinoviev before the rebuild")
    second = DocumentFactory(title="Kamenev before the rebuild")
    before = statuses()
    assert len(before) >= 2 and set(before.values()) == {TaskResultStatus.READY}
    # A worker has claimed one of them meanwhile: the rebuild must leave it to the worker.
    claimed = DBTaskResult.objects.filter(args_kwargs__args__1=second.pk).first() or DBTaskResult.objects.first()
    claimed.claim("another-worker")

    late: list = []
    backend = type(get_search_backend())
    real_rebuild = backend.rebuild

    def rebuild(self, entries, **kwargs):
        written = real_rebuild(self, entries, **kwargs)
        late.append(DocumentFactory(title="Bukharin during the rebuild"))  # queued after the snapshot
        return written

    monkeypatch.setattr(backend, "rebuild", rebuild)
    call_command("rebuild_index", "--no-progress", stdout=open(os.devnull, "w"))

    after = statuses()
    for pk in before:
        expected = TaskResultStatus.RUNNING if pk == str(claimed.pk) else TaskResultStatus.SUCCESSFUL
        assert after[pk] == expected, pk
    new = {pk: s for pk, s in after.items() if pk not in before}
    assert new and set(new.values()) == {TaskResultStatus.READY}
    covered = DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL)
    assert not covered.exclude(started_at=None).exists() and not covered.exclude(worker_ids=[]).exists()

    # The worker then runs only what the rebuild did not cover: the later change reaches search.
    run_worker()
    assert set(statuses().values()) == {TaskResultStatus.SUCCESSFUL, TaskResultStatus.RUNNING}
    titles = {item.title for item in services.search(user=None, text="Bukharin").items}
    assert "Bukharin during the rebuild" in titles
    assert first.pk  # (the first document's task was covered, not run)


def test_a_failed_rebuild_covers_nothing(transactional_db, db_tasks, monkeypatch):
    DocumentFactory(title="Radek")
    before = statuses()

    def broken(self, entries, **kwargs):
        raise SearchError("the disk is full")

    monkeypatch.setattr(type(get_search_backend()), "rebuild", broken)
    with pytest.raises(Exception, match="the disk is full"):
        call_command("rebuild_index", "--no-progress")
    assert statuses() == before


@pytest.fixture
def restore_task_loggers():
    loggers = [logging.getLogger(TASKS_LOGGER), logging.getLogger("django_tasks_db")]
    levels = [lg.level for lg in loggers]
    yield
    for lg, level in zip(loggers, levels, strict=True):
        lg.setLevel(level)


def test_the_worker_logs_no_line_per_task_at_the_default_verbosity_but_does_at_v2(
        transactional_db, db_tasks, caplog, restore_task_loggers):
    document = DocumentFactory(title="Pyatakov")
    caplog.set_level(logging.DEBUG)
    run_worker(verbosity=1)
    assert not [r for r in caplog.records if r.name == TASKS_LOGGER and r.levelno < logging.WARNING]

    caplog.clear()
    enqueue_update("archive_site.document", document.pk)
    run_worker(verbosity=2)
    assert any("Task id=" in r.getMessage() for r in caplog.records if r.name == TASKS_LOGGER)


# ---- a fresh copy: `make run`, then the README's administration commands ------------------------------


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of someone who has just cloned the project: none of the test settings."""
    keep = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PIP_FIND_LINKS") if k in os.environ}
    return {**keep, "PYTHONUNBUFFERED": "1", **extra}


@pytest.fixture
def fresh_copy(tmp_path):
    """The project's files (the working tree as git would clone it, with what is not yet committed),
    its data dir empty; the virtualenv is the project's own (linked, not reinstalled)."""
    if not shutil.which("make") or not shutil.which("git") or not (REPO / ".git").exists():
        pytest.skip("needs make, git and the project's git checkout")
    venv = REPO / ".venv"
    if not (venv / "bin" / "python").exists():
        pytest.skip("no .venv: run `make install` first")
    installed = venv / ".installed"
    requirements = [REPO / "requirements.txt", REPO / "requirements-dev.txt"]
    if not installed.exists() or any(r.stat().st_mtime > installed.stat().st_mtime for r in requirements):
        pytest.skip("the .venv is older than the requirements: run `make install` first")
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, check=True,
                           capture_output=True).stdout.decode().split("\0")
    copy = tmp_path / "archive"
    for name in filter(None, files):
        source = REPO / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    (copy / ".venv").symlink_to(venv)
    return copy


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Output:
    """A process's output lines, read by a thread as they come."""

    def __init__(self, process):
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(process.stdout,), daemon=True)
        self.thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(re.search(pattern, line) for line in list(self.lines)):
                return
            if not self.thread.is_alive():
                break
            time.sleep(0.1)
        raise AssertionError(f"no line matching {pattern!r} in time; output:\n" + "\n".join(self.lines))


def run(copy: Path, *argv: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=copy, env=clean_env(**env), capture_output=True, text=True, timeout=180)


@pytest.mark.slow
def test_make_run_then_the_readmes_admin_commands_work_as_written(fresh_copy):
    copy = fresh_copy
    port = free_port()
    server = subprocess.Popen(["make", "run", f"PORT={port}"], cwd=copy, env=clean_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output = Output(server)
        output.wait_for(r"^Serving on http://127\.0\.0\.1:\d+/", 300)
        time.sleep(3)  # whatever the worker would print when it starts on the queue
        lines = list(output.lines)

        # The first start ends with the address and one line per service; nothing per index task.
        address = f"http://127.0.0.1:{port}/"
        tail = [line for line in lines if line.strip()][-3:]
        assert tail[0].startswith(f"Serving on {address}"), lines
        assert tail[1].split()[:2] == ["web", "server"] and tail[2].split()[:2] == ["index", "worker"], lines
        assert not [line for line in lines if "Task id=" in line or "Traceback" in line], lines
        assert len(lines) < 20, lines

        database = copy / "var" / "archive.sqlite3"
        with sqlite3.connect(database) as db:
            tasks = db.execute("SELECT status, started_at FROM django_tasks_database_dbtaskresult").fetchall()
        assert len(tasks) >= 200  # load_archive queued one per document and record ...
        assert {status for status, _ in tasks} == {"SUCCESSFUL"}
        assert all(started is None for _, started in tasks)  # ... and the worker ran none of them

        with urllib.request.urlopen(address, timeout=30) as response:
            assert response.status == 200

        # The README's commands, run as written in a second terminal.
        admin = run(copy, "make", "superuser", DJANGO_SUPERUSER_USERNAME="admin",
                    DJANGO_SUPERUSER_EMAIL="admin@example.org", DJANGO_SUPERUSER_PASSWORD="a long pass phrase 1936")
        assert admin.returncode == 0, admin.stderr
        assert "Superuser created successfully." in admin.stdout

        unknown = run(copy, "make", "curator", "USER=alice")
        assert unknown.returncode != 0 and "No user 'alice'" in unknown.stderr and "Traceback" not in unknown.stderr
        missing = run(copy, "make", "token")
        assert missing.returncode != 0 and "make token USER=<username>" in missing.stderr

        made = run(copy, "bin/manage", "shell", "-c",
                   "from django.contrib.auth import get_user_model; "
                   "get_user_model().objects.create_user('alice', password='another long phrase 1937')")
        assert made.returncode == 0, made.stderr
        curator = run(copy, "make", "curator", "USER=alice")
        assert curator.returncode == 0 and "alice is now a curator." in curator.stdout, curator.stderr
        token = run(copy, "make", "token", "USER=alice")
        assert token.returncode == 0, token.stderr
        key = re.search(r"Generated token (\w{40}) for user alice", token.stdout).group(1)

        with sqlite3.connect(database) as db:
            assert db.execute("SELECT is_superuser FROM auth_user WHERE username='admin'").fetchone() == (1,)
            groups = db.execute("SELECT g.name FROM auth_group g JOIN auth_user_groups ug ON ug.group_id = g.id "
                                "JOIN auth_user u ON u.id = ug.user_id WHERE u.username='alice'").fetchall()
            assert groups == [("curators",)]

        # The token works against the running server, as a curator: the curators' API answers.
        request = urllib.request.Request(f"{address}api/annotations/", headers={"Authorization": f"Token {key}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
        request = urllib.request.Request(f"{address}api/annotations/review/", headers={"Authorization": f"Token {key}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200

        backup = run(copy, "bin/manage", "export_archive", "backup.json.gz")
        assert backup.returncode == 0 and (copy / "backup.json.gz").stat().st_size > 1000, backup.stderr

        # Without the development settings and without a SECRET_KEY: a message, not a traceback.
        refused = run(copy, "bin/manage", "check", DEBUG="0")
        assert refused.returncode == 2 and "SECRET_KEY" in refused.stderr and "Traceback" not in refused.stderr
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    # Ctrl-C stops both services.
    time.sleep(0.5)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
