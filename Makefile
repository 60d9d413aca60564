# Koalr: two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PG_URL ?= postgres://postgres@127.0.0.1:5432/koalr

.PHONY: demo test install lint format migrate run worker beat simulator clean requirements security

# The product code bandit reads. Not tests/ (asserts and fixed passwords by design), not
# simulators/ and bench/ (test doubles and scripts whose seeded `random` is the point).
BANDIT_PATHS := analytics api integrations koalr web people devtools alerts
BANDIT = set -o pipefail; $(VENV)/bin/bandit -q -r $(BANDIT_PATHS) -x '*/migrations/*' 2>&1 \
	| { grep -v "nosec encountered" || true; }

# Development installs the runtime (requirements.txt) plus the test tools (requirements-dev.txt).
# Every package is pinned with its hashes: pip refuses a download that does not match.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet --require-hashes -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## Run the app with demo data on http://127.0.0.1:8000 (SQLite unless DATABASE_URL is set).
demo: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py demo

## Lint, then run the whole test suite against PostgreSQL on 127.0.0.1:5432.
test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(BANDIT)
	DATABASE_URL=$${TEST_DATABASE_URL:-$(PG_URL)} $(VENV)/bin/pytest $(PYTEST_ARGS)
	# The embedded mode (`make demo` on SQLite) gets its own smoke run.
	DATABASE_URL=sqlite:///$(CURDIR)/.pytest-embedded.sqlite3 $(VENV)/bin/pytest -m embedded -q -p no:cacheprovider

## Static security checks: bandit on the product code, every exception justified inline (# nosec).
## (bandit repeats a harmless "nosec encountered" warning for each line of a marked dict: dropped.)
security: install
	$(BANDIT)

## Re-pin requirements*.txt from requirements*.in, every package with its hashes.
requirements: install
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements-dev.txt requirements-dev.in

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

# One worker for every queue in development; production splits them (docker-compose.yml).
worker: install
	DEBUG=$${DEBUG:-1} $(VENV)/bin/celery -A koalr worker -l info -Q sync,backfill,alerts,default

beat: install
	DEBUG=$${DEBUG:-1} $(VENV)/bin/celery -A koalr beat -l info

simulator: install
	DEBUG=$${DEBUG:-1} $(PY) manage.py cursor_simulator --port 8765 --seats 50 --days 60 --seed 1 --plan enterprise

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
