"""How the database connection is set up from the environment: SQLite keeps its connections,
PostgreSQL pools them per process (Django's psycopg pool), sized from the environment, and
CONN_MAX_AGE applies only when pooling is off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

REPO = Path(__file__).resolve().parent.parent
PRINT = ("import json, config.settings as s; d = s.DATABASES['default']; "
         "print(json.dumps({'engine': d['ENGINE'], 'max_age': d['CONN_MAX_AGE'], 'pool': d.get('OPTIONS', {}).get('pool')}))")


def database_settings(tmp_path, **env) -> dict:
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CONN_MAX_AGE", "DB_POOL_MAX_SIZE")}
    environ.update({"DEBUG": "1", "ARCHIVE_DATA_DIR": str(tmp_path), **env})
    out = subprocess.run([sys.executable, "-c", PRINT], cwd=REPO, env=environ, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_postgresql_connections_are_pooled_per_process_sized_from_the_environment(tmp_path):
    url = "postgres://archive@127.0.0.1:5432/archive"
    pooled = database_settings(tmp_path, DATABASE_URL=url, DB_POOL_MAX_SIZE="7", DB_POOL_MIN_SIZE="2",
                               DB_POOL_TIMEOUT="3", CONN_MAX_AGE="60")
    assert pooled == {"engine": "django.db.backends.postgresql", "max_age": 0,
                      "pool": {"min_size": 2, "max_size": 7, "timeout": 3.0}}
    default = database_settings(tmp_path, DATABASE_URL=url)
    assert default["pool"]["max_size"] == 4 and default["max_age"] == 0
    unpooled = database_settings(tmp_path, DATABASE_URL=url, DB_POOL_MAX_SIZE="0", CONN_MAX_AGE="60")
    assert unpooled["pool"] is None and unpooled["max_age"] == 60  # behind PgBouncer, say


def test_sqlite_keeps_its_connections_and_has_no_pool(tmp_path):
    sqlite = database_settings(tmp_path)
    assert sqlite == {"engine": "config.sqlite_backend", "max_age": 600, "pool": None}


@pytest.mark.django_db
def test_the_postgresql_test_database_runs_through_the_pool():
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL=postgres://...")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert connection.pool is not None and connection.pool.max_size == int(os.environ.get("DB_POOL_MAX_SIZE", "4"))
