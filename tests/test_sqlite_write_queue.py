"""SQLite write transactions wait in a queue (config.sqlite_backend), not in SQLite's
busy-handler sleeps: a waiting writer starts as soon as the holder commits, a writer that waits
past the database's timeout fails with "database is locked" and writes nothing, and the lock is
also taken against other processes (an flock on <database>.writelock)."""

import fcntl
import os
import threading
import time

import pytest
from django.db.utils import ConnectionHandler, OperationalError


def handler_for(path, timeout=5.0) -> ConnectionHandler:
    return ConnectionHandler({"default": {
        "ENGINE": "config.sqlite_backend", "NAME": str(path),
        "OPTIONS": {"timeout": timeout, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL"},
    }})


@pytest.fixture(autouse=True)
def own_database_files(django_db_blocker):
    """These tests open SQLite files of their own, not the test database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "queue.sqlite3"
    handler = handler_for(path)
    conn = handler["default"]
    conn.cursor().execute("CREATE TABLE note (id INTEGER PRIMARY KEY, writer TEXT)")
    conn.close()
    return path


def write(path, writer: str, *, hold: float = 0.0, timeout: float = 5.0, fail: bool = False) -> None:
    """One write transaction, as ``transaction.atomic`` runs it, on a connection of its own."""
    conn = handler_for(path, timeout)["default"]
    try:
        conn._start_transaction_under_autocommit()
        try:
            conn.cursor().execute("INSERT INTO note (writer) VALUES (%s)", [writer])
            time.sleep(hold)
            if fail:
                raise RuntimeError("the change failed half-way")
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
    finally:
        conn.close()


def writers(path) -> list[str]:
    conn = handler_for(path)["default"]
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT writer FROM note ORDER BY id")
        return [row[0] for row in cursor.fetchall()]
    finally:
        conn.close()


def test_a_waiting_writer_starts_when_the_holder_commits(database):
    holder = threading.Thread(target=write, args=(database, "first"), kwargs={"hold": 0.3})
    holder.start()
    time.sleep(0.05)
    t0 = time.monotonic()
    write(database, "second")
    waited = time.monotonic() - t0
    holder.join()
    assert writers(database) == ["first", "second"]
    assert 0.15 < waited < 2.0


def test_a_writer_that_waits_past_the_timeout_fails_and_writes_nothing(database):
    holder = threading.Thread(target=write, args=(database, "holder"), kwargs={"hold": 1.0})
    holder.start()
    time.sleep(0.05)
    with pytest.raises(OperationalError, match="database is locked"):
        write(database, "impatient", timeout=0.2)
    holder.join()
    write(database, "later")  # nothing was left holding the lock
    assert writers(database) == ["holder", "later"]


def test_a_rolled_back_transaction_releases_the_lock(database):
    with pytest.raises(RuntimeError):
        write(database, "broken", fail=True)
    write(database, "next", timeout=0.5)
    assert writers(database) == ["next"]


def test_the_lock_holds_against_other_processes(database):
    """Another process's writer holds the lock file: ours waits for it, then writes."""
    fd = os.open(f"{database}.writelock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    release = threading.Timer(0.3, lambda: fcntl.flock(fd, fcntl.LOCK_UN))
    release.start()
    try:
        t0 = time.monotonic()
        write(database, "after the other process")
        assert time.monotonic() - t0 >= 0.25
    finally:
        release.join()
        os.close(fd)
    assert writers(database) == ["after the other process"]


def test_many_threads_writing_at_once_all_commit(database):
    threads = [threading.Thread(target=write, args=(database, f"w{i}"), kwargs={"hold": 0.005}) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(writers(database)) == sorted(f"w{i}" for i in range(16))
