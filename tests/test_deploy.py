"""Production settings: with DEBUG off and secrets from the environment, `check --deploy` is clean,
the server refuses to start without a SECRET_KEY, static files are served by WhiteNoise from the
collected manifest, and the gunicorn configuration loads. Each runs in a fresh process, since the
settings are read once at start."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DEBUG", "DATABASE_URL", "SECURE_SSL_REDIRECT", "SECURE_COOKIES", "SECURE_HSTS_PRELOAD",
                        "TASKS_BACKEND", "SEARCH_BACKEND", "SEARCH_INDEX_DIR",
                        "DJANGO_ALLOW_ASYNC_UNSAFE"}}  # the browser tests set this one for their live server
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "archive.example.org",
        "ARCHIVE_DATA_DIR": str(tmp_path / "data"),
    })
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_check_deploy_is_clean_with_production_environment(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout or \
        "System check identified no issues (1 silenced)." in result.stdout, result.stdout


def test_server_refuses_to_start_without_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    result = manage(env, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_static_files_are_served_by_whitenoise_from_the_manifest(tmp_path):
    env = production_env(tmp_path)
    collected = manage(env, "collectstatic", "--noinput", "-v0", timeout=300)
    assert collected.returncode == 0, collected.stderr
    script = (
        "from django.test import Client\n"
        "from django.templatetags.static import static\n"
        "url = static('archive_site/site.css')\n"
        "assert url != '/static/archive_site/site.css', url  # hashed name from the manifest\n"
        "c = Client(HTTP_HOST='archive.example.org')\n"
        "r = c.get(url, secure=True)\n"
        "assert r.status_code == 200, r.status_code\n"
        "assert 'max-age=315360000' in r['Cache-Control'], r['Cache-Control']\n"
        "insecure = c.get('/accounts/login/')\n"
        "assert insecure.status_code == 301 and insecure['Location'].startswith('https://'), insecure\n"
        "r = c.get('/accounts/login/', secure=True)\n"
        "assert r.status_code == 200, r.status_code\n"
        "assert url in r.content.decode(), 'page links the hashed static file'\n"
        "assert 'max-age=31536000' in r['Strict-Transport-Security']\n"
        "print('ok')\n"
    )
    result = manage(env, "shell", "-c", script)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("ok")


def test_gunicorn_configuration_loads(tmp_path):
    pytest.importorskip("gunicorn")
    env = production_env(tmp_path, GUNICORN_BIND="127.0.0.1:0")
    result = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--check-config"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
