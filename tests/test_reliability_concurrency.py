"""Concurrent writers under the production server on the embedded default (SQLite WAL + Whoosh):
gunicorn with 4 sync workers and the index worker, 16 clients creating, editing and deleting
annotations at once on 127.0.0.1, in a data dir of the test's own. No 5xx, every acknowledged
write in the database afterwards, the index consistent once the task queue drains, and no request
waiting on a lock beyond a bound. A short run of ``bench/stress.py`` (which runs it for longer)."""

from __future__ import annotations

import pytest

from bench import stress

pytestmark = pytest.mark.slow

CLIENTS, WORKERS = 16, 4
LOCK_WAIT_BOUND_S = 15  # below SQLite's 20 s busy timeout, at which a waiting request would fail


def test_sixteen_concurrent_writers_lose_nothing_and_leave_a_true_index(tmp_path):
    summary = stress.run(tmp_path / "data", clients=CLIENTS, workers=WORKERS, seconds=6, max_requests=6 * CLIENTS,
                         drain_timeout=150)
    print(summary)
    assert summary["processes_stopped"]
    assert summary["requests"] >= 4 * CLIENTS, summary
    assert summary["server_errors"] == 0, summary["statuses"]
    assert summary["unanswered"] == 0, summary["client_errors"]
    assert set(summary["statuses"]) <= {"200", "201", "204"}, summary["statuses"]
    assert summary["ops"].get("edit") and summary["ops"].get("delete"), summary["ops"]
    assert summary["acknowledged_checked"] >= summary["ops"]["create"]
    assert summary["lost_writes"] == 0, summary["lost_examples"]
    assert summary["queue_drain_s"] is not None, "index tasks still waiting"
    assert summary["check_index_clean"], summary["check_index_output"]
    assert summary["sqlite_integrity"] == "ok"
    assert summary["latency_ms"]["max"] < LOCK_WAIT_BOUND_S * 1000, summary["latency_ms"]
