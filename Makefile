# Two commands do all the set-up on a fresh machine with Python 3.11:
#   make run   - venv, dependencies, migrations, the archive, the search index; then serve on 127.0.0.1:8000
#   make test  - the same set-up, then the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export ARCHIVE_DATA_DIR ?= $(CURDIR)/var
export DEBUG ?= 1
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-postgres setup install migrate load index serve lint bench clean lock browser

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

load: migrate
	$(PY) manage.py load_archive

index: load
	@if $(PY) manage.py help rebuild_index >/dev/null 2>&1; then $(PY) manage.py rebuild_index; fi

setup: index

serve:
	@echo "Serving on http://$(HOST):$(PORT)/ (index worker running beside it; Ctrl-C stops both)"
	@$(PY) manage.py db_worker --queue-name index,default & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST):$(PORT)

run: setup serve

# The browser tests drive Debian's Chromium; install it where it is missing. Never fails: without a
# browser the browser tests skip and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || \
	  ( (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
	    && echo "installed Chromium for the browser tests" ) || \
	  echo "no browser: Chromium could not be installed; the browser tests will be skipped"

test: setup browser
	$(PY) -m pytest $(PYTEST_ARGS)

# The whole suite on PostgreSQL (a throwaway database; see .ci/run for how a server is found).
test-postgres:
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
