"""Concurrent writers against the embedded default (SQLite in WAL mode + Whoosh), through the
production server: gunicorn with ``gunicorn.conf.py`` (sync workers) and one index worker
(``manage.py db_worker --queue-name index,default``), on 127.0.0.1, in a temporary data dir.

N clients (each its own user and API token, one keep-alive connection) create, edit and delete
their own annotations for a bounded time. Afterwards: the task queue must drain, every
acknowledged write must be in the database as acknowledged (a create or edit with its last
acknowledged comment, a delete gone), ``check_index`` must be clean, and no request may have
waited beyond a bound. Prints a table and writes ``bench/results/stress-<time>.json``.

    .venv/bin/python bench/stress.py                      # 16 clients, 4 workers, 60 s
    .venv/bin/python bench/stress.py --clients 32 --seconds 300

``tests/test_reliability_concurrency.py`` runs a short version of the same code.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.server import bench_env as _bench_env  # noqa: E402
from bench.server import free_port, manage  # noqa: E402

PY = sys.executable
RESULTS = REPO / "bench" / "results"
DELETED = object()

SETUP_SCRIPT = """
import json
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from archive_site.models import Document
from django_tasks_db.models import DBTaskResult
import os
n = int(os.environ["STRESS_CLIENTS"])
tokens = []
for i in range(n):
    user, _ = get_user_model().objects.get_or_create(username=f"writer{i}")
    tokens.append(Token.objects.get_or_create(user=user)[0].key)
# The rebuild covered the tasks that loading queued.
DBTaskResult.objects.filter(status="READY").delete()
docs = [{"slug": d.slug, "text": d.text} for d in Document.objects.order_by("slug")]
print(json.dumps({"tokens": tokens, "documents": docs}))
"""


# --- processes ------------------------------------------------------------------------------------

# Inherited settings that would change what is measured (a test run sets the immediate task backend).
NOT_INHERITED = ("TASKS_BACKEND", "SEARCH_BACKEND", "SEARCH_INDEX_DIR", "DJANGO_ALLOW_ASYNC_UNSAFE", "WEB_CONCURRENCY",
                 "GUNICORN_THREADS", "GUNICORN_BIND", "GUNICORN_CONTROL_SOCKET")


def bench_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = _bench_env(data_dir)
    for name in NOT_INHERITED:
        env.pop(name, None)
    env.update(extra)
    return env



def prepare(data_dir: Path, clients: int) -> dict:
    """Tables, the seed archive, the index, and ``clients`` users with tokens."""
    env = bench_env(data_dir)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_archive", "--no-progress")
    manage(env, "rebuild_index", "--no-progress")
    out = subprocess.run([PY, "manage.py", "shell", "-c", SETUP_SCRIPT], cwd=REPO, env={**env, "STRESS_CLIENTS": str(clients)},
                         capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


class Processes:
    """gunicorn (the production config) and the index worker for one data dir; ``stop()`` (also at
    exit of a ``with`` block) ends them, ``kill()`` SIGKILLs them as a crash would."""

    def __init__(self, data_dir: Path, *, workers: int = 4, extra_env: dict[str, str] | None = None):
        self.data_dir = data_dir
        self.port = free_port()
        self.env = bench_env(data_dir, WEB_CONCURRENCY=str(workers), GUNICORN_BIND=f"127.0.0.1:{self.port}",
                             GUNICORN_ACCESS_LOG="/dev/null", GUNICORN_LOG_LEVEL="warning",
                             GUNICORN_PROC_NAME=f"archive-stress-{self.port}", **(extra_env or {}))
        self.server: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self._logs: list = []

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.data_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
        self._logs.append(log)
        return subprocess.Popen(args, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def start_server(self, timeout: float = 60) -> None:
        self.server = self._spawn("gunicorn", [PY, "-m", "gunicorn", "-c", "gunicorn.conf.py"])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {(self.data_dir / 'gunicorn.log').read_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/documents/")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start in time")

    def start_worker(self) -> None:
        self.worker = self._spawn("worker", [PY, "manage.py", "db_worker", "--queue-name", "index,default",
                                             "--no-reload", "--interval", "0.1", "--no-startup-delay"])

    @staticmethod
    def _signal(proc: subprocess.Popen | None, sig: int) -> None:
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass

    def kill_server(self) -> None:
        self._signal(self.server, signal.SIGKILL)
        if self.server is not None:
            self.server.wait(timeout=10)

    def kill_worker(self) -> None:
        self._signal(self.worker, signal.SIGKILL)
        if self.worker is not None:
            self.worker.wait(timeout=10)

    def stop(self) -> None:
        for proc in (self.server, self.worker):
            self._signal(proc, signal.SIGTERM)
        for proc in (self.server, self.worker):
            if proc is None:
                continue
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._signal(proc, signal.SIGKILL)
                proc.wait(timeout=10)
        for log in self._logs:
            log.close()
        self._logs.clear()

    def running(self) -> bool:
        return any(p is not None and p.poll() is None for p in (self.server, self.worker))

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def sqlite_path(data_dir: Path) -> Path:
    return data_dir / "archive.sqlite3"


def query(data_dir: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(sqlite_path(data_dir), timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def query_write(data_dir: Path, sql: str, params: tuple = ()) -> None:
    conn = sqlite3.connect(sqlite_path(data_dir), timeout=30)
    try:
        with conn:
            conn.execute(sql, params)
    finally:
        conn.close()


def pending_tasks(data_dir: Path) -> int:
    return query(data_dir, "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status IN ('READY', 'RUNNING')")[0][0]


def wait_for_queue(data_dir: Path, timeout: float) -> float | None:
    """Seconds until no index task is waiting or running (None: not within ``timeout``)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if pending_tasks(data_dir) == 0:
            return time.monotonic() - started
        time.sleep(0.2)
    return None


def check_index(data_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "manage.py", "check_index"], cwd=REPO, env=bench_env(data_dir), capture_output=True,
                          text=True, timeout=300)


def integrity(data_dir: Path) -> str:
    return query(data_dir, "PRAGMA integrity_check")[0][0]


# --- the clients ----------------------------------------------------------------------------------


def annotation_payload(doc: dict, rng: random.Random, comment: str) -> dict:
    text = doc["text"]
    start = rng.randrange(0, max(1, len(text) - 40))
    end = start + rng.randint(1, 30)
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "visibility": "public",
        "body": [{"type": "TextualBody", "purpose": "commenting", "value": comment},
                 {"type": "TextualBody", "purpose": "tagging", "value": f"stress-{rng.randint(0, 9)}"}],
        "target": {"source": f"http://127.0.0.1/documents/{doc['slug']}/", "selector": [
            {"type": "TextPositionSelector", "start": start, "end": end},
            {"type": "TextQuoteSelector", "exact": text[start:end]}]},
    }


@dataclass
class ClientLog:
    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    ops: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    acknowledged: dict[int, object] = field(default_factory=dict)  # id -> last acknowledged comment / DELETED
    # id -> outcomes of writes sent but never answered (applied or not: either is acceptable)
    unanswered: dict[int, set] = field(default_factory=dict)
    lost_creates: int = 0  # creates that got no answer (they may or may not have happened)
    edits_acknowledged: int = 0


class Writer(threading.Thread):
    def __init__(self, n: int, port: int, token: str, documents: list[dict], *, deadline: float, max_requests: int,
                 seed: int = 0, timeout: float = 60):
        super().__init__(daemon=True)
        self.n, self.port, self.token, self.documents = n, port, token, documents
        self.deadline, self.max_requests, self.timeout = deadline, max_requests, timeout
        self.rng = random.Random(seed * 1000 + n)
        self.log = ClientLog()
        self.conn: http.client.HTTPConnection | None = None
        self.stopping = threading.Event()

    def _request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes] | None:
        headers = {"Authorization": f"Token {self.token}", "Content-Type": "application/ld+json"}
        data = json.dumps(body).encode() if body is not None else None
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            started = time.monotonic()
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
            except (ConnectionError, http.client.HTTPException) as exc:
                # A kept-alive connection closed by the server between requests (worker recycled):
                # nothing was sent; once more on a fresh connection.
                self.conn.close()
                self.conn = None
                if attempt == 2 or not isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError):
                    self.log.errors.append(f"{method} {path}: {exc!r}")
                    return None
                continue
            except OSError as exc:  # timeout: the request may or may not have been applied
                self.conn.close()
                self.conn = None
                self.log.errors.append(f"{method} {path}: {exc!r}")
                if isinstance(exc, ConnectionRefusedError):
                    return 0, b""  # no server: nothing was sent, nothing can have been applied
                return None
            self.log.latencies.append(time.monotonic() - started)
            self.log.statuses[response.status] += 1
            return response.status, payload
        return None

    def run(self) -> None:
        mine: list[int] = []
        count = 0
        while time.monotonic() < self.deadline and count < self.max_requests and not self.stopping.is_set():
            count += 1
            roll = self.rng.random()
            comment = f"w{self.n}-{count}-{self.rng.getrandbits(32):08x}"
            doc = self.rng.choice(self.documents)
            if not mine or roll < 0.55:
                self.log.ops["create"] += 1
                result = self._request("POST", "/api/annotations/", annotation_payload(doc, self.rng, comment))
                if result is None:
                    self.log.lost_creates += 1
                elif result[0] == 201:
                    pk = int(json.loads(result[1])["id"].rstrip("/").rsplit("/", 1)[-1])
                    mine.append(pk)
                    self.log.acknowledged[pk] = comment
            elif roll < 0.85:
                self.log.ops["edit"] += 1
                pk = self.rng.choice(mine)
                result = self._request("PUT", f"/api/annotations/{pk}/", annotation_payload(doc, self.rng, comment))
                if result is None:
                    self.log.unanswered.setdefault(pk, set()).add(comment)
                elif result[0] == 200:
                    self.log.acknowledged[pk] = comment
                    self.log.unanswered.pop(pk, None)  # sequential: this write supersedes earlier ones
                    self.log.edits_acknowledged += 1
            else:
                self.log.ops["delete"] += 1
                pk = mine.pop(self.rng.randrange(len(mine)))
                result = self._request("DELETE", f"/api/annotations/{pk}/")
                if result is None:
                    self.log.unanswered.setdefault(pk, set()).add(DELETED)
                elif result[0] == 204:
                    self.log.acknowledged[pk] = DELETED
        if self.conn is not None:
            self.conn.close()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def verify(data_dir: Path, logs: list[ClientLog]) -> dict:
    """Compare every acknowledged write with the database."""
    stored = dict(query(data_dir, "SELECT id, comment FROM annotations_annotation"))
    lost, checked = [], 0
    for log in logs:
        for pk, expected in log.acknowledged.items():
            checked += 1
            # The last acknowledged state, or one that an unanswered later write may have made.
            acceptable = {expected, *log.unanswered.get(pk, ())}
            found = stored[pk] if pk in stored else DELETED
            if found not in acceptable:
                shown = sorted("(deleted)" if a is DELETED else a for a in acceptable)
                lost.append((pk, f"expected {' or '.join(shown)}, found {'(deleted)' if found is DELETED else found!r}"))
    return {"checked": checked, "lost": lost}


# --- one run --------------------------------------------------------------------------------------


def run(data_dir: Path, *, clients: int = 16, workers: int = 4, seconds: float = 60, max_requests: int = 10**9,
        drain_timeout: float = 300, seed: int = 0) -> dict:
    """Prepare ``data_dir``, run the load, stop everything, verify. Returns a summary dict."""
    setup = prepare(data_dir, clients)
    summary: dict = {"clients": clients, "workers": workers, "seconds_planned": seconds}
    with Processes(data_dir, workers=workers) as procs:
        procs.start_server()
        procs.start_worker()
        started = time.monotonic()
        deadline = started + seconds
        per_client = max(1, max_requests // clients)
        writers = [Writer(n, procs.port, setup["tokens"][n], setup["documents"], deadline=deadline,
                          max_requests=per_client, seed=seed) for n in range(clients)]
        for w in writers:
            w.start()
        for w in writers:
            w.join(timeout=seconds + 120)
        elapsed = time.monotonic() - started
        drained = wait_for_queue(data_dir, drain_timeout)
        summary["queue_drain_s"] = None if drained is None else round(drained, 2)
    summary["processes_stopped"] = not procs.running()
    logs = [w.log for w in writers]
    latencies = [x for log in logs for x in log.latencies]
    statuses: Counter = sum((log.statuses for log in logs), Counter())
    ops: Counter = sum((log.ops for log in logs), Counter())
    check = check_index(data_dir)
    verified = verify(data_dir, logs)
    summary.update({
        "elapsed_s": round(elapsed, 2),
        "requests": sum(statuses.values()),
        "requests_per_s": round(sum(statuses.values()) / elapsed, 1) if elapsed else 0,
        "ops": dict(ops),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "server_errors": sum(v for k, v in statuses.items() if k >= 500),
        "client_errors": [e for log in logs for e in log.errors][:20],
        "unanswered": sum(len(log.errors) for log in logs),
        "latency_ms": {"p50": round(percentile(latencies, 50) * 1000, 1), "p95": round(percentile(latencies, 95) * 1000, 1),
                       "p99": round(percentile(latencies, 99) * 1000, 1), "max": round(max(latencies, default=0) * 1000, 1)},
        "acknowledged_checked": verified["checked"],
        "lost_writes": len(verified["lost"]),
        "lost_examples": verified["lost"][:10],
        "check_index_clean": check.returncode == 0,
        "check_index_output": (check.stdout + check.stderr).strip()[-1500:],
        "sqlite_integrity": integrity(data_dir),
        "annotations_in_db": query(data_dir, "SELECT count(*) FROM annotations_annotation")[0][0],
    })
    return summary


def print_table(summary: dict) -> None:
    rows = [
        ("clients x gunicorn workers", f"{summary['clients']} x {summary['workers']} (sync), SQLite WAL + Whoosh"),
        ("duration", f"{summary['elapsed_s']} s"),
        ("requests (create/edit/delete)", f"{summary['requests']} ({summary['ops'].get('create', 0)}/"
                                          f"{summary['ops'].get('edit', 0)}/{summary['ops'].get('delete', 0)})"),
        ("throughput", f"{summary['requests_per_s']} writes/s"),
        ("statuses", ", ".join(f"{k}: {v}" for k, v in summary["statuses"].items())),
        ("5xx / unanswered", f"{summary['server_errors']} / {summary['unanswered']}"),
        ("latency p50 / p95 / p99 / max", "{p50} / {p95} / {p99} / {max} ms".format(**summary["latency_ms"])),
        ("acknowledged writes checked", summary["acknowledged_checked"]),
        ("lost writes", summary["lost_writes"]),
        ("task queue drained after", f"{summary['queue_drain_s']} s"),
        ("check_index", "clean" if summary["check_index_clean"] else "NOT CLEAN"),
        ("SQLite integrity_check", summary["sqlite_integrity"]),
    ]
    width = max(len(str(k)) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--drain-timeout", type=float, default=1800, help="seconds to wait for the index queue")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="archive-stress-") as tmp:
        summary = run(Path(tmp), clients=args.clients, workers=args.workers, seconds=args.seconds, seed=args.seed,
                      drain_timeout=args.drain_timeout)
    print_table(summary)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"stress-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps({**summary, "python": sys.version.split()[0]}, indent=2, default=str))
    print(f"\nwritten to {out.relative_to(REPO)}")
    ok = summary["server_errors"] == 0 and summary["lost_writes"] == 0 and summary["check_index_clean"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["Processes", "run", "prepare", "check_index", "integrity", "wait_for_queue", "pending_tasks", "query",
           "asdict"]
