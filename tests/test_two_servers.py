"""Two application servers on one PostgreSQL database share everything through it: an annotation
created through one gunicorn instance is found through the other's search once the background
worker has run its index task. The servers have separate data dirs, so nothing passes through
files. Runs in the PostgreSQL leg of CI (skips on SQLite, where one machine is the design)."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from annotations.models import Annotation

from .factories import DocumentFactory, UserFactory

REPO = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def postgres_url(transactional_db) -> str:
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL=postgres://... (two servers share one PostgreSQL database)")
    pytest.importorskip("gunicorn")
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"TASKS_BACKEND", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url,
        "SEARCH_BACKEND": "postgres",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "ARCHIVE_DATA_DIR": str(data_dir),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_LOG_LEVEL": "warning",
    })
    return env


def request(url: str, *, token: str, payload: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(url, data=data, headers={
        "Authorization": f"Token {token}", "Accept": "application/json",
        **({"Content-Type": "application/ld+json"} if data else {}),
    })
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {"error": error.read().decode(errors="replace")[:500]}


def wait_until_serving(process: subprocess.Popen, base: str, token: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server {base} exited with {process.returncode}; see its log")
        try:
            if request(f"{base}/api/documents/", token=token)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base} did not answer within 30 s")


@pytest.fixture
def processes():
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_annotation_made_through_one_server_is_found_through_the_other(postgres_url, processes, tmp_path):
    document = DocumentFactory(slug="ledger", text="The ledger of the Hotel Metropol names Piatakov twice.")
    user = UserFactory(username="annotator")
    token = Token.objects.create(user=user).key

    bases = []
    for name in ("a", "b"):
        port = free_port()
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"],
            cwd=REPO, env=server_env(postgres_url, tmp_path / name),
            # A file, not a pipe: a pipe nobody reads would fill up with the access log and block.
            stdout=(tmp_path / f"{name}.log").open("w"), stderr=subprocess.STDOUT,
        ))
        bases.append(f"http://127.0.0.1:{port}")
    processes.append(subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--queue-name", "index,default", "--interval", "0.2",
         "--no-startup-delay", "--no-reload"],
        cwd=REPO, env=server_env(postgres_url, tmp_path / "worker"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    ))
    first, second = bases
    for process, base in zip(processes, bases, strict=False):
        wait_until_serving(process, base, token)

    search = f"{second}/api/search/?type=annotation&q=zanzibar"
    status, before = request(search, token=token)
    assert (status, before["count"]) == (200, 0), before

    start = document.text.index("Piatakov")
    status, created = request(f"{first}/api/annotations/", token=token, payload={
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "visibility": "public",
        "body": [{"type": "TextualBody", "purpose": "commenting", "value": "Zanzibar ledger entry"}],
        "target": {"source": f"{first}/documents/ledger/", "selector": [
            {"type": "TextPositionSelector", "start": start, "end": start + len("Piatakov")},
            {"type": "TextQuoteSelector", "exact": "Piatakov"},
        ]},
    })
    assert status == 201, created

    deadline = time.monotonic() + 30
    found = {}
    while time.monotonic() < deadline:
        status, found = request(search, token=token)
        assert status == 200, found
        if found["count"]:
            break
        time.sleep(0.2)
    assert found["count"] == 1, "the second server's search never found the annotation made through the first"
    stored = Annotation.objects.get(comment="Zanzibar ledger entry")
    assert found["results"][0]["id"] == stored.pk
    assert stored.document_id == document.pk and stored.target_quote == "Piatakov"
    # Nothing went through files: neither server (nor the worker) made a search index on disk.
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".log" and "static" not in p.parts]
