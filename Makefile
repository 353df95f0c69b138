# Two commands do everything: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
# Local development runs with DEBUG on; production sets DEBUG=false and a SECRET_KEY.
export DEBUG ?= true

.PHONY: install run worker test lint check ci demo clean

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

# Lint and format, and the import contract (pyproject.toml): apps depend one way.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

check: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# The whole suite: lint, Django checks, missing migrations, then every test.
test: lint check
	$(PY) -m pytest

ci: test

clean:
	rm -rf $(VENV) db.sqlite3 var staticfiles .pytest_cache .ruff_cache
