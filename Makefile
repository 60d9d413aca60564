# Koalr: two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PG_URL ?= postgres://postgres@127.0.0.1:5432/koalr

.PHONY: demo test install lint format migrate run worker beat simulator clean

# Development installs the runtime (requirements.txt) plus the test tools (requirements-dev.txt).
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## Run the app with demo data on http://127.0.0.1:8000 (SQLite unless DATABASE_URL is set).
demo: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py demo

## Lint, then run the whole test suite against PostgreSQL on 127.0.0.1:5432.
test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DATABASE_URL=$${TEST_DATABASE_URL:-$(PG_URL)} $(VENV)/bin/pytest $(PYTEST_ARGS)
	# The embedded mode (`make demo` on SQLite) gets its own smoke run.
	DATABASE_URL=sqlite:///$(CURDIR)/.pytest-embedded.sqlite3 $(VENV)/bin/pytest -m embedded -q -p no:cacheprovider

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrate: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate

run: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver 127.0.0.1:8000

worker: install
	DEBUG=$${DEBUG:-1} $(VENV)/bin/celery -A koalr worker -l info

beat: install
	DEBUG=$${DEBUG:-1} $(VENV)/bin/celery -A koalr beat -l info

simulator: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py cursor_simulator --port 8765 --seats 50 --days 60 --seed 1 --plan enterprise

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
