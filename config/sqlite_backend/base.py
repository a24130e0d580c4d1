"""Django's SQLite backend, with write transactions queued instead of polled.

SQLite allows one writer at a time. A second ``BEGIN IMMEDIATE`` does not wait in a queue: its busy
handler sleeps 1, 2, 5, 10, 15, 20, 25 ... 100 ms between retries, and newcomers can take the lock
while it sleeps. With several server threads and processes writing at once (8 annotators), most of
a create's time went to those sleeps: p95 in the hundreds of milliseconds while the transaction
itself holds the lock for about a millisecond.

So before ``BEGIN`` a connection takes, in this order, the process's lock for the database file
(other threads wait on it without spinning, and leave the GIL to the thread that writes) and an
exclusive ``flock`` on ``<database>.writelock`` (other processes: the other server workers, the
index worker, management commands). Both are released at COMMIT or ROLLBACK. Waiting is bounded by
the database's ``timeout`` option, as SQLite's own wait was: past it the write fails with SQLite's
"database is locked" error, and nothing was written. SQLite's own lock still guards the file
against any writer that does not use this backend (the sqlite3 shell, another program).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time

from django.db.backends.sqlite3 import base as sqlite3_base
from django.db.utils import OperationalError

_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def _process_lock(path: str) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault(path, threading.Lock())


class WriteLockTimeout(OperationalError):
    pass


class DatabaseWrapper(sqlite3_base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._write_lock_fd: int | None = None
        self._holds_write_lock = False

    def _lock_path(self) -> str | None:
        if self.is_in_memory_db():
            return None  # one process only: SQLite's own lock is enough
        return os.path.abspath(str(self.settings_dict["NAME"])) + ".writelock"

    def _start_transaction_under_autocommit(self):
        self.ensure_connection()  # sets transaction_mode from the OPTIONS
        if self.transaction_mode in ("IMMEDIATE", "EXCLUSIVE") and not self._holds_write_lock:
            self._acquire_write_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_write_lock()
            raise

    def _acquire_write_lock(self) -> None:
        path = self._lock_path()
        if path is None:
            return
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        deadline = time.monotonic() + timeout
        local = _process_lock(path)
        if not local.acquire(timeout=timeout):
            raise WriteLockTimeout("database is locked (waited for this process's other writers)")
        try:
            if self._write_lock_fd is None:
                self._write_lock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            delay = 0.0002
            while True:
                try:
                    fcntl.flock(self._write_lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise WriteLockTimeout("database is locked (waited for another process's writer)") from None
                    # Short sleeps: another process holds the lock for about a millisecond.
                    time.sleep(delay)
                    delay = min(delay * 2, 0.001)
        except BaseException:
            local.release()
            raise
        self._holds_write_lock = True

    def _release_write_lock(self) -> None:
        if not self._holds_write_lock:
            return
        self._holds_write_lock = False
        try:
            if self._write_lock_fd is not None:
                fcntl.flock(self._write_lock_fd, fcntl.LOCK_UN)
        finally:
            _process_lock(self._lock_path()).release()

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_write_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_write_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_write_lock()
            if self._write_lock_fd is not None:
                os.close(self._write_lock_fd)
                self._write_lock_fd = None
