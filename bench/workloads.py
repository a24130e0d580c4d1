"""HTTP workloads against a live server on 127.0.0.1: search, annotations and record autocomplete.

Each client thread keeps one HTTP/1.1 connection; a run is bounded by a request count and a time
budget. Results: requests, errors, wall time, requests per second, median and p95 latency.
"""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlparse

from . import adapters


def percentile(values: Sequence[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass
class RunResult:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    wall_s: float = 0.0
    first_error: str = ""
    statuses: dict[int, int] = field(default_factory=dict)

    def summary(self) -> dict:
        n = len(self.latencies_ms)
        return {
            "requests": n, "errors": self.errors, "wall_s": round(self.wall_s, 3),
            "rps": round(n / self.wall_s, 1) if self.wall_s else None,
            "median_ms": round(statistics.median(self.latencies_ms), 2) if n else None,
            "p95_ms": round(percentile(self.latencies_ms, 0.95), 2) if n else None,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            **({"first_error": self.first_error[:300]} if self.first_error else {}),
        }


class Client:
    def __init__(self, base: str, token: str | None = None, timeout: float = 60):
        u = urlparse(base)
        assert u.hostname in ("127.0.0.1", "localhost"), "benchmarks talk to loopback only"
        self.host, self.port, self.timeout = u.hostname, u.port, timeout
        self.headers = {"Accept": "application/json"}
        if token:
            self.headers["Authorization"] = f"Token {token}"
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: dict | None = None,
                content_type: str = "application/json") -> tuple[int, bytes]:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                payload = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return resp.status, payload
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


Job = Callable[[Client, int], tuple[int, bytes]]


def run(base: str, job: Job, *, total: int, concurrency: int, tokens: Sequence[str | None] = (None,),
        time_budget: float = 60.0, ok: Callable[[int], bool] = lambda s: 200 <= s < 300) -> RunResult:
    """Run ``job(client, i)`` for i in range(total) over ``concurrency`` threads (bounded by time)."""
    result = RunResult()
    lock = threading.Lock()
    counter = iter(range(total))
    deadline = time.monotonic() + time_budget

    def worker(n: int) -> None:
        client = Client(base, tokens[n % len(tokens)])
        try:
            while time.monotonic() < deadline:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                t0 = time.perf_counter()
                try:
                    status, payload = job(client, i)
                    error = "" if ok(status) else f"HTTP {status}: {payload[:200]!r}"
                except Exception as exc:  # noqa: BLE001 - counted as an error
                    status, error = 0, repr(exc)
                ms = (time.perf_counter() - t0) * 1000
                with lock:
                    result.latencies_ms.append(ms)
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                    if error:
                        result.errors += 1
                        result.first_error = result.first_error or error
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.wall_s = time.perf_counter() - t0
    return result


# --- search ---------------------------------------------------------------------------------------

def search_job(queries: list[dict]) -> Job:
    def job(client: Client, i: int) -> tuple[int, bytes]:
        q = queries[i % len(queries)]
        return client.request("GET", "/api/search/?" + urlencode(adapters.api_params(q)))
    return job


# --- autocomplete ---------------------------------------------------------------------------------

def autocomplete_job(prefixes: list[str]) -> Job:
    def job(client: Client, i: int) -> tuple[int, bytes]:
        return client.request("GET", "/api/records/?" + urlencode({"q": prefixes[i % len(prefixes)]}))
    return job


# --- annotations ----------------------------------------------------------------------------------

def annotation_body(base: str, target: dict, i: int) -> dict:
    """A W3C Web Annotation (JSON-LD) on a passage, with both position and quote selectors."""
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "motivation": "commenting",
        "visibility": "public",
        "body": [{"type": "TextualBody", "value": f"benchmark note {i}", "purpose": "commenting"},
                 {"type": "TextualBody", "value": "bench", "purpose": "tagging"}],
        "target": {
            "source": f"{base}/documents/{target['slug']}/",
            "selector": [
                {"type": "TextPositionSelector", "start": target["start"], "end": target["end"]},
                {"type": "TextQuoteSelector", "exact": target["exact"], "prefix": target["prefix"],
                 "suffix": target["suffix"]},
            ],
        },
    }


ANNOTATION_CONTENT_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'


def annotation_create_job(base: str, targets: list[dict], created: list[str]) -> Job:
    lock = threading.Lock()

    def job(client: Client, i: int) -> tuple[int, bytes]:
        status, payload = client.request("POST", "/api/annotations/", annotation_body(base, targets[i % len(targets)], i),
                                         content_type=ANNOTATION_CONTENT_TYPE)
        if status == 201:
            try:
                ident = json.loads(payload).get("id", "")
            except ValueError:
                ident = ""
            if ident:
                with lock:
                    created.append(urlparse(ident).path)
        return status, payload
    return job


def annotation_read_job(paths: list[str]) -> Job:
    def job(client: Client, i: int) -> tuple[int, bytes]:
        return client.request("GET", paths[i % len(paths)])
    return job


def annotation_list_job(slugs: list[str]) -> Job:
    def job(client: Client, i: int) -> tuple[int, bytes]:
        return client.request("GET", "/api/annotations/?" + urlencode({"document": slugs[i % len(slugs)]}))
    return job
