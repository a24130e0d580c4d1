# Two commands do all the set-up on a fresh machine with Python 3.11:
#   make run   - venv, dependencies, migrations, the archive, the search index; then serve on 127.0.0.1:8000
#   make test  - the same set-up, then the whole test suite
# Everyday administration, with the settings `make run` uses (any other command: bin/manage COMMAND):
#   make superuser              - an admin account (asks for name, e-mail and password)
#   make curator USER=alice     - make alice a curator
#   make token USER=alice       - alice's API token (made if she has none)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := bin/manage
export ARCHIVE_DATA_DIR ?= $(CURDIR)/var
export DEBUG ?= 1
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-postgres setup install migrate load index serve lint bench clean lock browser ocr \
	superuser curator token

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	@$(MANAGE) migrate --noinput -v 0

load: migrate
	@$(MANAGE) load_archive --no-progress

# The rebuild also marks the index tasks load_archive queued as covered: the worker does not replay them.
index: load
	@$(MANAGE) rebuild_index --no-progress

setup: index ocr

# The index worker and the web server side by side; the last lines printed are the address and one line
# per service (the web server's banner is left out; its request log and errors still show).
serve:
	@$(MANAGE) db_worker --queue-name index,default --no-reload --no-startup-delay & worker=$$!; \
	  $(MANAGE) runserver $(HOST):$(PORT) >/dev/null & web=$$!; \
	  trap 'kill $$worker $$web 2>/dev/null; wait' EXIT; trap 'exit 130' INT TERM; \
	  until $(PY) -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1)' \
	      $(HOST) $(PORT) 2>/dev/null; do \
	    kill -0 $$web 2>/dev/null || { echo "The web server did not start (see above)." >&2; exit 1; }; \
	    kill -0 $$worker 2>/dev/null || { echo "The index worker did not start (see above)." >&2; exit 1; }; \
	    sleep 0.2; \
	  done; \
	  echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C stops both)"; \
	  echo "  web server    Django's development server, reloading when the code changes"; \
	  echo "  index worker  brings search up to date after every change (queues index, default)"; \
	  wait $$web

run: setup serve

# ---- administration, as the README gives it (after `make run`, or on their own: they migrate first) ----

# Asks for name, e-mail and password; with DJANGO_SUPERUSER_USERNAME, _EMAIL and _PASSWORD set it asks nothing.
superuser: migrate
	@$(MANAGE) createsuperuser $(if $(DJANGO_SUPERUSER_PASSWORD),--noinput)

# USER must be given on the command line: make's USER is otherwise your login name.
curator: migrate
	@$(call need-user)
	@$(MANAGE) grant_curator $(if $(REVOKE),--revoke) $(if $(STAFF),--staff) -- '$(subst ','\'',$(USER))'

token: migrate
	@$(call need-user)
	@$(MANAGE) drf_create_token $(if $(RESET),--reset) -- '$(subst ','\'',$(USER))'

define need-user
if [ "$(origin USER)" != "command line" ]; then echo "Say whose: make $@ USER=<username>" >&2; exit 2; fi
endef

# The browser tests drive Debian's Chromium; install it where it is missing. Never fails: without a
# browser the browser tests skip and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || \
	  ( (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
	    && echo "installed Chromium for the browser tests" ) || \
	  echo "no browser: Chromium could not be installed; the browser tests will be skipped"

# Sources as they come: Debian's Tesseract (English and Russian data) for OCR, and jing for the TEI
# tests; installed where missing. Never fails: without them OCR is reported as unavailable and the
# OCR and TEI-validation tests skip and say why.
ocr:
	@missing=""; command -v tesseract >/dev/null 2>&1 || missing="$$missing tesseract-ocr"; \
	  for lang in eng rus; do [ -f /usr/share/tesseract-ocr/5/tessdata/$$lang.traineddata ] || \
	    [ -f /usr/share/tesseract-ocr/4.00/tessdata/$$lang.traineddata ] || missing="$$missing tesseract-ocr-$$lang"; done; \
	  command -v jing >/dev/null 2>&1 || missing="$$missing jing"; \
	  [ -z "$$missing" ] || \
	  ( (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null 2>&1 \
	    && echo "installed$$missing for OCR and TEI validation" ) || \
	  echo "could not install$$missing: OCR is unavailable and those tests will be skipped"

test: setup browser ocr
	$(PY) -m pytest $(PYTEST_ARGS)

# The whole suite on PostgreSQL (a throwaway database; see .ci/run for how a server is found).
test-postgres: ocr
	.ci/run --postgres-only

lint: install
	$(VENV)/bin/ruff check .

$(VENV)/.bench-installed: requirements-bench.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-bench.txt
	touch $@

# Quick mode by default (< 5 min); BENCH_FULL=1 adds the scaling runs. Uses its own temp data dirs.
bench: $(VENV)/.bench-installed
	$(PY) bench/run.py

lock: install
	@echo "Edit requirements.in / requirements-dev.in, then pin by hand or with pip-tools."

clean:
	rm -rf var .pytest_cache
