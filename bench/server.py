"""Start and stop the archive's processes for a benchmark: a gunicorn server on 127.0.0.1 and the
index worker, against a temporary data dir. Everything started here is stopped in ``stop()``, which
also runs at exit, so a failed or interrupted run leaves nothing behind."""

from __future__ import annotations

import atexit
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_env(data_dir: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ARCHIVE_DATA_DIR=str(data_dir),
        # As deployed (README, "Running on PostgreSQL ..."), except for TLS: plain HTTP on loopback.
        DEBUG="0",
        SECRET_KEY="bench-" + "x" * 50,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        THROTTLE_WRITE_RATE="100000/min",
        THROTTLE_SEARCH_RATE="100000/min",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONPATH=str(REPO),
    )
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 3600) -> str:
    proc = subprocess.run([PY, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return proc.stdout


def vm_hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            out.extend(int(c) for c in text)
    except OSError:
        pass
    return out


class Server:
    """gunicorn (gthread) + ``manage.py db_worker`` for one data dir."""

    def __init__(self, env: dict[str, str], *, workers: int | None = None, threads: int | None = None,
                 worker: bool = True, log_dir: Path | None = None):
        self.env = env
        self.port = free_port()
        self.workers = workers or int(os.environ.get("BENCH_WORKERS", "2"))
        self.threads = threads or int(os.environ.get("BENCH_THREADS", "4"))
        self.with_worker = worker
        self.log_dir = log_dir or Path(env["ARCHIVE_DATA_DIR"])
        self.procs: list[subprocess.Popen] = []
        self._logs: list = []
        atexit.register(self.stop)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed in stop()
        self._logs.append(log)
        proc = subprocess.Popen(args, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append(proc)
        return proc

    def start(self, timeout: float = 60) -> Server:
        gunicorn = str(Path(PY).with_name("gunicorn"))
        self.gunicorn = self._spawn("gunicorn", [
            gunicorn, "config.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.workers), "--threads", str(self.threads), "--worker-class", "gthread",
            "--timeout", "120", "--keep-alive", "30", "--log-level", "warning",
        ])
        if self.with_worker:
            self._spawn("db_worker", [PY, "manage.py", "db_worker", "--queue-name", "index,default",
                                      "--no-reload", "--interval", "0.2", "--no-startup-delay"])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.gunicorn.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_dir / 'gunicorn.log'}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/api/documents/")
                if conn.getresponse().status < 500:
                    conn.close()
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start in time")

    def server_pids(self) -> list[int]:
        return [self.gunicorn.pid, *children(self.gunicorn.pid)]

    def peak_rss_mb(self) -> dict[str, float]:
        """VmHWM (peak resident set) of the gunicorn master and workers, in MB."""
        workers = [vm_hwm_kb(pid) / 1024 for pid in children(self.gunicorn.pid)]
        return {"max_worker": round(max(workers, default=0), 1), "sum": round(sum(workers) + vm_hwm_kb(self.gunicorn.pid) / 1024, 1)}

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=5)
        self.procs.clear()
        for log in self._logs:
            log.close()
        self._logs.clear()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
