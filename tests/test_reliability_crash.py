"""Crashes: SIGKILL the server in the middle of writes, the index worker in the middle of an index
task (while another writer, also killed, holds the index lock mid-write), and a rebuild half-way.
Afterwards the database is intact, every acknowledged write is there, the service starts, the
stale index lock does not block anyone (and a live one is never stolen), interrupted index tasks
run again, and ``check_index`` then ``rebuild_index`` give a true index. Real processes
(gunicorn with the production config, ``db_worker``, ``rebuild_index``) on 127.0.0.1, each test in a
copy of a data dir of its own."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import stress

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parent.parent

HOLD_LOCK = """
import sys, time
from whoosh import index
ix = index.open_dir(sys.argv[1])
writer = ix.writer()  # the index write lock, held, with an uncommitted change
writer.delete_by_term("type", "record")
print("locked", flush=True)
time.sleep(600)
"""


BULK_RECORDS = (
    "from archive_site.models import Record\n"
    "Record.objects.bulk_create([Record(key=f'bulk-{i}', label=f'Bulk person {i}', kind='person',\n"
    "    description='A long description of somebody in the Moscow trials. ' * 20) for i in range(6000)])\n"
)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("crash-template") / "data"
    path.mkdir()
    setup = stress.prepare(path, clients=8)
    return path, setup


@pytest.fixture
def archive(template, tmp_path):
    source, setup = template
    data = tmp_path / "data"
    shutil.copytree(source, data, symlinks=True)
    with stress.Processes(data, workers=2) as procs:
        yield data, setup, procs
    assert not procs.running()


def _writers(procs, setup, seconds: float, clients: int = 8):
    writers = [stress.Writer(n, procs.port, setup["tokens"][n], setup["documents"],
                             deadline=time.monotonic() + seconds, max_requests=10**6, seed=7, timeout=30)
               for n in range(clients)]
    for w in writers:
        w.start()
    return writers


def _get(procs, path: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", procs.port, timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, json.loads(body) if body else {}


def _lock_is_free(index_dir: Path) -> bool:
    from whoosh.util.filelock import FileLock

    lock = FileLock(str(Path(os.path.realpath(index_dir)) / "MAIN_WRITELOCK"))
    if lock.acquire(blocking=False):
        lock.release()
        return True
    return False


def _statuses(data: Path) -> dict[str, int]:
    return dict(stress.query(data, "SELECT status, count(*) FROM django_tasks_database_dbtaskresult GROUP BY status"))


def test_killing_the_server_mid_writes_loses_no_acknowledged_write(archive):
    data, setup, procs = archive
    procs.start_server()
    writers = _writers(procs, setup, seconds=120)
    deadline = time.monotonic() + 90
    while sum(w.log.edits_acknowledged for w in writers) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.3)
    procs.kill_server()  # SIGKILL master and workers, requests in flight
    time.sleep(0.3)
    for w in writers:
        w.stopping.set()
        w.join(timeout=60)
    logs = [w.log for w in writers]
    assert sum(log.edits_acknowledged for log in logs) >= 4
    assert sum(len(log.acknowledged) for log in logs) >= 8
    assert sum(len(log.errors) for log in logs) > 0, "the kill should have cut some requests"

    assert stress.integrity(data) == "ok"
    procs.start_server()  # the service starts again on the same files
    verified = stress.verify(data, logs)
    assert verified["lost"] == [] and verified["checked"] >= 8
    assert sum(log.statuses[500] + log.statuses[502] + log.statuses[503] for log in logs) == 0
    procs.start_worker()
    assert stress.wait_for_queue(data, 120) is not None, _statuses(data)
    check = stress.check_index(data)
    assert check.returncode == 0, check.stdout + check.stderr


def test_killed_worker_and_lock_holder_leave_a_stale_lock_and_interrupted_tasks_that_recover(archive):
    data, setup, procs = archive
    index_dir = data / "index"
    procs.start_server()
    for w in _writers(procs, setup, seconds=2):  # no worker yet: index tasks wait in the queue
        w.join(timeout=60)
    waiting = stress.pending_tasks(data)
    assert waiting > 10

    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, os.path.realpath(index_dir)], cwd=REPO,
                              stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert not _lock_is_free(index_dir)  # a live writer's lock is never taken from it
        procs.start_worker()
        deadline = time.monotonic() + 30
        while _statuses(data).get("RUNNING", 0) == 0:  # the worker claimed a task, waits for the lock
            assert time.monotonic() < deadline, _statuses(data)
            time.sleep(0.05)
        procs.kill_worker()
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait(timeout=10)

    # What the crash left: tasks RUNNING for ever (the batch the worker had claimed), the lock
    # file, an uncommitted change.
    assert 1 <= _statuses(data).get("RUNNING", 0) <= waiting
    assert (Path(os.path.realpath(index_dir)) / "MAIN_WRITELOCK").exists()
    assert _lock_is_free(index_dir)  # the stale lock is seen as free: a dead process holds nothing
    assert stress.integrity(data) == "ok"
    status, body = _get(procs, "/api/search/?q=Zinoviev")  # readers were never blocked
    assert status == 200 and body["count"] > 0

    procs.start_worker()  # a worker starting up puts interrupted index tasks back in the queue
    assert stress.wait_for_queue(data, 120) is not None, _statuses(data)
    assert "RUNNING" not in _statuses(data) and "FAILED" not in _statuses(data), _statuses(data)
    check = stress.check_index(data)
    assert check.returncode == 0, check.stdout + check.stderr  # incl. the records the holder deleted uncommitted


def test_a_killed_rebuild_leaves_the_live_index_serving_and_check_then_rebuild_restore_it(archive):
    data, setup, procs = archive
    procs.start_server()
    for w in _writers(procs, setup, seconds=2):
        w.join(timeout=60)
    # The index tasks for these writes are lost (as if the queue had been wiped): the index is stale.
    stress.query_write(data, "DELETE FROM django_tasks_database_dbtaskresult")
    stale = stress.check_index(data)
    assert stale.returncode == 1 and "missing" in stale.stdout, stale.stdout
    status, before = _get(procs, "/api/search/?q=Zinoviev")
    assert status == 200 and before["count"] > 0

    # Enough entries for the rebuild to take a few seconds (written without index tasks, so stale too).
    stress.manage(stress.bench_env(data), "shell", "-c", BULK_RECORDS)
    # Killed half-way: once the new directory holds segment files being written (beyond the empty
    # index's table of contents).
    rebuild = subprocess.Popen([sys.executable, "manage.py", "rebuild_index", "--no-progress"], cwd=REPO,
                               env=stress.bench_env(data), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 120
    while not any(p.suffix not in (".toc", "") for build in data.glob("index.build-*") for p in build.iterdir()):
        assert rebuild.poll() is None, "the rebuild ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    os.killpg(rebuild.pid, signal.SIGKILL)
    assert rebuild.wait(timeout=10) == -signal.SIGKILL
    assert list(data.glob("index.build-*")), "the half-built directory is what the kill left"

    assert stress.integrity(data) == "ok"
    assert _lock_is_free(data / "index")
    status, after = _get(procs, "/api/search/?q=Zinoviev")  # the live index was never touched
    assert status == 200 and after["count"] == before["count"]
    procs.stop()
    procs.start_server()  # and the service starts
    assert _get(procs, "/api/search/?q=Zinoviev")[1]["count"] == before["count"]

    assert stress.check_index(data).returncode == 1  # still stale: the killed rebuild changed nothing
    again = subprocess.run([sys.executable, "manage.py", "rebuild_index", "--no-progress"], cwd=REPO,
                           env=stress.bench_env(data), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    check = stress.check_index(data)
    assert check.returncode == 0, check.stdout + check.stderr
    assert _get(procs, "/api/search/?q=Zinoviev")[0] == 200
