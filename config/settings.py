"""Settings for the archive, read from the environment in this one module (12-factor).

Environment:
  ARCHIVE_DATA_DIR  where the SQLite database and the Whoosh index live (default ./var)
  DATABASE_URL      e.g. postgres://user@127.0.0.1:5432/archive (default: SQLite in the data dir)
  DB_POOL_MAX_SIZE  PostgreSQL: connections pooled per process (default 4; 0 = no pool, then
                    CONN_MAX_AGE applies); DB_POOL_MIN_SIZE (1) kept open, DB_POOL_TIMEOUT (10 s)
                    a request waits for one
  SEARCH_BACKEND    whoosh (default) or postgres
  SECRET_KEY        required when DEBUG is off
  DEBUG             1/true/yes to turn on (default off)
  ALLOWED_HOSTS     comma-separated (default: localhost names when DEBUG is on, none otherwise)
  SECURE_COOKIES    1 to mark session and CSRF cookies Secure (default on when DEBUG is off)

Accounts (sign-in, sign-up, password reset; the accounts app):
  LOGIN_THROTTLE_ATTEMPTS  failed sign-ins allowed per address, per user name and per trusted
                           browser in 5 minutes (default 10)
  ALLOW_SIGNUP             0 closes self-service sign-up (default open)
  SIGNUP_LIMIT             accounts made per address an hour (default 5)
  TRUSTED_PROXY_COUNT      reverse proxies in front that append to X-Forwarded-For (default 0)
  EMAIL_HOST               outgoing mail server; password reset by mail is offered only when set
  EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS (default on), EMAIL_USE_SSL,
  DEFAULT_FROM_EMAIL       the rest of the mail settings (port 587, STARTTLS by default)
  PASSWORD_RESET_LIMIT     reset links asked for per address and per mail address an hour (default 5)
  ACCOUNTS_HELP_CONTACT    whom the sign-in page tells people to ask for a new password when there
                           is no mail (default "the archive's administrators")
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

DATA_DIR = Path(os.environ.get("ARCHIVE_DATA_DIR") or BASE_DIR / "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "insecure-development-key-do-not-use-in-production"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set in the environment when DEBUG is off "
            "(for local use, run with DEBUG=1 as `make run` does)."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "accounts",
    "archive_site",
    "annotations",
    "curation",
    "search",
    # After search: its db_worker command (index tasks in batches) replaces the stock one.
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "config.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

SQLITE_PATH = DATA_DIR / "archive.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while one writer writes; the busy timeout makes a second writer
    # wait (bounded) instead of failing at once; IMMEDIATE takes the write lock at BEGIN so
    # two transactions cannot deadlock upgrading read locks. Our backend queues those write
    # transactions (across threads and processes) instead of leaving them to SQLite's sleeps.
    DATABASES["default"]["ENGINE"] = "config.sqlite_backend"
    # Persistent connections unless CONN_MAX_AGE says otherwise: opening one (the file, PRAGMAs,
    # Django's SQL functions) cost more than a read request's queries. PostgreSQL keeps Django's
    # default (close after each request), as a pooler may sit in front of it.
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "600"))
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A pool of connections per process (Django's psycopg pool), opened at the first query and
    # shared by the process's threads: opening a PostgreSQL connection per request (CONN_MAX_AGE 0)
    # cost more than a create's queries. Each gunicorn worker and the task worker have their own
    # pool; DB_POOL_MAX_SIZE x processes must stay under the server's max_connections. Pooling
    # replaces persistent connections (CONN_MAX_AGE), which apply only with DB_POOL_MAX_SIZE=0
    # (e.g. behind an external pooler such as PgBouncer).
    pool_max = int(os.environ.get("DB_POOL_MAX_SIZE", "4"))
    if pool_max > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(pool_max, int(os.environ.get("DB_POOL_MIN_SIZE", "1"))),
            "max_size": pool_max,
            # How long a request waits for a free connection before failing (PoolTimeout).
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
        }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# Request size limits: a body above this is refused with 400 before any view runs.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(5 * 1024 * 1024)))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONParser",
        "config.parsers.JSONLDParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["config.throttling.ArchiveRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "write": os.environ.get("THROTTLE_WRITE_RATE", "600/min"),
        "search": os.environ.get("THROTTLE_SEARCH_RATE", "600/min"),
    },
}

# Failed sign-ins allowed per address and per username in LOGIN_THROTTLE_WINDOW seconds.
LOGIN_THROTTLE_ATTEMPTS = int(os.environ.get("LOGIN_THROTTLE_ATTEMPTS", "10"))
LOGIN_THROTTLE_WINDOW = 300
# Self-service accounts (/accounts/signup/): new users are ordinary annotators whose public
# annotations wait for review. Off for a closed archive; at most SIGNUP_LIMIT per address an hour.
ALLOW_SIGNUP = env_bool("ALLOW_SIGNUP", True)
SIGNUP_LIMIT = int(os.environ.get("SIGNUP_LIMIT", "5"))
SIGNUP_WINDOW = 3600

# --- Accounts (the accounts app): the attempt counters above live in its database table; these
# are the rest of its settings.
# Reverse proxies in front of the application that append the client's address to X-Forwarded-For
# (0: the connection's peer is the client). Per-address limits count the address that many entries
# from the right; set it, or every client behind the proxy shares one limit.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# A browser that signed in as a user keeps a signed cookie naming that user; its sign-in attempts
# for that name are counted on their own, so strangers' failures cannot lock the owner out.
DEVICE_COOKIE_NAME = "archive_device"
DEVICE_COOKIE_AGE = 365 * 24 * 3600
# Outgoing mail: password reset is offered (/accounts/password_reset/) only when EMAIL_HOST is set;
# otherwise those pages answer 404 and the sign-in page says to ask ACCOUNTS_HELP_CONTACT.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", not env_bool("EMAIL_USE_SSL", False))
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "archive@localhost")
PASSWORD_RESET_BY_MAIL = bool(EMAIL_HOST)
PASSWORD_RESET_LIMIT = int(os.environ.get("PASSWORD_RESET_LIMIT", "5"))  # per address and per mail address
PASSWORD_RESET_WINDOW = 3600
ACCOUNTS_HELP_CONTACT = os.environ.get("ACCOUNTS_HELP_CONTACT", "the archive's administrators")

MAX_REQUEST_BYTES = int(os.environ.get("MAX_REQUEST_BYTES", str(20 * 1024 * 1024)))

SPECTACULAR_SETTINGS = {
    "TITLE": "Archive search and annotation API",
    "DESCRIPTION": (
        "Documents, records, W3C Web Annotations and search over an archive of historical sources. "
        "Character offsets are Python str indices (Unicode code points) into the stored text, half-open [start, end)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc served from our own static files (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Background work (index updates) goes through Django's tasks API. The database backend writes the
# task row in the same transaction as the change it follows (an outbox).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "index"],
    }
}

SEARCH_BACKEND = os.environ.get("SEARCH_BACKEND", "whoosh")
SEARCH_INDEX_DIR = Path(os.environ.get("SEARCH_INDEX_DIR") or DATA_DIR / "index")
# An index task still RUNNING after this many seconds was interrupted (its worker was killed) and is
# put back in the queue (search.tasks.requeue_interrupted).
SEARCH_TASK_STALE_AFTER = int(os.environ.get("SEARCH_TASK_STALE_AFTER", "300"))
# The index worker takes up to this many ready index tasks at once and writes them in one commit.
# It waits until the first is SEARCH_WORKER_WINDOW seconds old (a change reaches search that much
# later) so that a stream of edits is written in a few commits, not one per task.
SEARCH_WORKER_BATCH = int(os.environ.get("SEARCH_WORKER_BATCH", "200"))
SEARCH_WORKER_WINDOW = float(os.environ.get("SEARCH_WORKER_WINDOW", "0.5"))

SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Submitting the domain to the browsers' HSTS preload list is the operator's decision
    # (SECURE_HSTS_PRELOAD=1), not a default; `check --deploy` is otherwise clean.
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "accounts": {"level": os.environ.get("LOG_LEVEL", "INFO")},
        "archive_site": {"level": os.environ.get("LOG_LEVEL", "INFO")},
        "annotations": {"level": os.environ.get("LOG_LEVEL", "INFO")},
        "curation": {"level": os.environ.get("LOG_LEVEL", "INFO")},
        "search": {"level": os.environ.get("LOG_LEVEL", "INFO")},
    },
}
