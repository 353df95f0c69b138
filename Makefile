# Two commands do everything: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
# Local development runs with DEBUG on; production sets DEBUG=false and a SECRET_KEY.
export DEBUG ?= true

.PHONY: install run worker test lint check ci demo clean audit backup restore load bench

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo

# The app on http://127.0.0.1:8000 with a Celery worker (and beat) beside it. Without REDIS_URL
# the jobs go through a broker on the local filesystem, so nothing else has to be installed.
run: demo
	@echo "Starting the worker and the web server on http://127.0.0.1:8000 (Ctrl-C stops both)"
	@trap 'kill 0' INT TERM EXIT; \
	$(VENV)/bin/celery -A smart_trust worker --beat --loglevel=warning --concurrency=1 & \
	$(PY) manage.py runserver 127.0.0.1:8000

worker: install
	$(VENV)/bin/celery -A smart_trust worker --beat --loglevel=info

# Lint and format, the import contract (pyproject.toml: apps depend one way), and bandit failing on
# any high-severity finding (ruff's S rules already run its checks line by line, tests included).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/bandit -q -r . -x ./.venv,./var,./static,./staticfiles -lll

check: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# The whole suite: lint, Django checks, missing migrations, then every test.
test: lint check
	$(PY) -m pytest

ci: test

# Operations (docs/operations.md). Back up the PostgreSQL database (pg_dump) and the stored files
# into backups/; restore one into a new, empty database: make restore DUMP=backups/db-X.dump MEDIA=backups/media-X.tar.gz
backup:
	ops/backup.sh

restore:
	ops/restore.sh "$(DUMP)" $(MEDIA)

# The load test: 50 people for two minutes against gunicorn on a scratch PostgreSQL database
# (DATABASE_URL's name + "_load"); not part of `make test`.
LOAD_USERS ?= 50
LOAD_SECONDS ?= 120
load: install
	$(PY) ops/load.py --users $(LOAD_USERS) --seconds $(LOAD_SECONDS)

# The benchmark (ops/bench.py): each main page with the large demo trust under wrk, beside bare
# Django, written to docs/benchmarks.md. A scratch database (DATABASE_URL's name + "_bench");
# BENCH_SCHOOLS (120), BENCH_SECONDS (10 a page), BENCH_PAGES=a,b (only those), BENCH_REUSE=1 (keep
# the database already loaded). Not part of `make test`.
bench: install
	$(PY) ops/bench.py

# Known vulnerabilities in the dependencies requirements.txt resolves to (pip-audit, which asks
# PyPI's vulnerability data). Fails on a finding. Where that data cannot be reached, pip-audit skips
# every package yet says "No known vulnerabilities found": this target says plainly that nothing was
# checked instead (and fails then too with AUDIT_STRICT=1). See README.md, Security.
audit: install
	@out=$$($(VENV)/bin/pip-audit -r requirements.txt --progress-spinner off 2>&1); status=$$?; echo "$$out"; \
	skipped=$$(echo "$$out" | grep -c "could not be audited"); \
	if [ $$status -ne 0 ]; then echo "make audit: known vulnerabilities (or an error) above: fix them."; exit 1; fi; \
	if [ $$skipped -gt 0 ]; then \
	  echo "make audit: NOT CHECKED: $$skipped dependencies could not be audited (PyPI's vulnerability data is not reachable from this machine). This is not a clean result."; \
	  if [ "$${AUDIT_STRICT:-0}" = 1 ]; then exit 2; fi; \
	else echo "make audit: every dependency checked, no known vulnerability."; fi

clean:
	rm -rf $(VENV) db.sqlite3 var staticfiles .pytest_cache .ruff_cache
