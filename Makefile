# CollabHub: `make run` serves the app, `make test` runs the whole suite. Both set themselves up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium

.PHONY: help run test lint format bench evaluate lock install chromium axe apiclient wrk services-env clean messages catalogues

help:
	@echo "make run    - set up and serve CollabHub at http://$(HOST):$(PORT) (demo data loaded)"
	@echo "make test   - set up and run the whole test suite"
	@echo "make lint   - ruff check, ruff format --check, mypy, makemigrations --check"
	@echo "make bench  - benchmarks against PostgreSQL (prints a table)"
	@echo "make evaluate - the early warning's evaluation on a synthetic cohort (prints a table)"
	@echo "make lock   - re-resolve pyproject.toml into the lock files"
	@echo "make messages - refresh every language's .po catalogues from the code (docs/translations.md)"

# The virtualenv is rebuilt from the lock file whenever the lock changes.
$(BIN)/.installed: requirements-dev.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	@touch $@

install: $(BIN)/.installed

var:
	@mkdir -p var

# $(call apt_install,package,what for): Debian's package, with sudo unless already root.
apt_install = echo "Installing Debian's $(1) for $(2)..."; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(1) >/dev/null

# The translation catalogues (each app's locale/, and core/locale for templates/) are compiled
# into .mo files here, never committed. Django's compilemessages calls GNU msgfmt: Debian's gettext
# is installed first when it is missing. --ignore keeps it out of the virtualenv's own catalogues.
catalogues: install
	@if ! command -v msgfmt >/dev/null; then $(call apt_install,gettext,the translation catalogues); fi
	@$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules --ignore=var -v0

# Refresh the .po files from the code (new strings appear untranslated; the completeness test in
# tests/core/test_i18n.py fails until they are translated).
messages: install
	@if ! command -v msgfmt >/dev/null; then $(call apt_install,gettext,the translation catalogues); fi
	@for language in $$($(BIN)/python -c "from collabhub.settings.base import LANGUAGES, LANGUAGE_CODE; print(' '.join(c for c, _ in LANGUAGES if c != LANGUAGE_CODE))"); do \
		$(MANAGE) makemessages -l $$language; \
	done

# Debian's Chromium for the browser tests (Playwright cannot download its own here).
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then $(call apt_install,chromium,the browser tests); fi

# Every process is started in the background and its id recorded; the recipe's shell then waits
# for the first to exit. Ctrl-C, a TERM to make (which passes it on to this shell) or any process
# ending (the server above all) runs `stop`, which TERMs the recorded ids and waits for them, so no
# scheduler, worker or beat outlives `make run` (a second `make run` would start a second beat).
# No `set -m`: job control would put each job in its own process group, out of reach of Ctrl-C.
# DEBUG stays off unless set (DEBUG=1 make run), so a wrong URL shows the friendly 404 page;
# whitenoise serves static files from the finders either way (collabhub/settings/local.py).
run: install var catalogues
	@$(MANAGE) migrate --noinput -v0
	@$(MANAGE) sync_schedules -v0 >/dev/null
	@$(MANAGE) seed_demo
	@echo "Serving CollabHub at http://$(HOST):$(PORT)/ (Ctrl-C stops everything)"
	@pids=""; \
	stop() { trap '' INT TERM; trap - EXIT; [ -z "$$pids" ] || kill -TERM $$pids 2>/dev/null; wait; }; \
	trap stop EXIT; trap 'exit 130' INT; trap 'exit 143' TERM; \
	if [ -n "$$REDIS_URL" ]; then \
		echo "REDIS_URL set: starting a Celery worker and beat beside the server."; \
		$(BIN)/celery -A collabhub worker --loglevel=INFO --concurrency=2 & pids="$$pids $$!"; \
		$(BIN)/celery -A collabhub beat --loglevel=INFO & pids="$$pids $$!"; \
	else \
		echo "No REDIS_URL: tasks run in-process; periodic jobs run by manage.py run_scheduler."; \
		$(MANAGE) run_scheduler & pids="$$pids $$!"; \
	fi; \
	$(MANAGE) runserver $(HOST):$(PORT) & pids="$$pids $$!"; \
	wait -n; status=$$?; \
	echo "A CollabHub process stopped (exit $$status): stopping the others."; \
	exit $$status

# axe-core (npm) for the accessibility tests, installed exactly from tests/a11y/package-lock.json
# (Debian's npm is installed first when it is missing).
AXE := tests/a11y/node_modules/axe-core/axe.min.js
$(AXE): tests/a11y/package.json tests/a11y/package-lock.json
	@if ! command -v npm >/dev/null; then $(call apt_install,npm,the accessibility tests); fi
	npm ci --prefix tests/a11y --no-audit --no-fund --loglevel=error
	@touch $@

axe: $(AXE)

# openapi-typescript and TypeScript (npm) for the generated-client tests (tests/apiclient/),
# installed exactly from tests/apiclient/package-lock.json.
TSC := tests/apiclient/node_modules/.bin/tsc
$(TSC): tests/apiclient/package.json tests/apiclient/package-lock.json
	@if ! command -v npm >/dev/null; then $(call apt_install,npm,the API client tests); fi
	npm ci --prefix tests/apiclient --no-audit --no-fund --loglevel=error
	@touch $@

apiclient: $(TSC)

# Uses DATABASE_URL / REDIS_URL when set (CI sets both). Otherwise PostgreSQL and Redis on
# loopback are used when they answer, and SQLite (with the worker tests skipped) when not.
test: install chromium axe apiclient var catalogues
	@eval "$$($(BIN)/python tests/backends.py)"; \
	echo "Test backends: database=$${DATABASE_URL:-sqlite} redis=$${REDIS_URL:-none}"; \
	rc=0; $(BIN)/pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; rc=0; fi; \
	exit $$rc

lint: install var
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	env -u DATABASE_URL $(BIN)/mypy
	@# On the embedded SQLite file: CI's DATABASE_URL names a database only the tests create.
	env -u DATABASE_URL DJANGO_SETTINGS_MODULE=collabhub.settings.test $(MANAGE) makemigrations --check --dry-run

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# wrk (Debian's package) drives the API load of the benchmarks.
wrk:
	@if ! command -v wrk >/dev/null; then $(call apt_install,wrk,the API load benchmarks); fi

# Needs PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/collabhub_bench,
# emptied and refilled). Quick look: make bench BENCH_ARGS="--factors 0.01 --repeat 1".
bench: install wrk
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

# The early warning's evaluation (docs/engagement.md): a synthetic cohort with known outcomes in
# its own SQLite databases under var/evaluate/, the scan replayed every day, against a "no
# activity for 30 days" baseline. Seeds 1, 2, 3 by default: make evaluate EVALUATE_ARGS="--seeds 7";
# on the cohort no setting was tuned to: EVALUATE_ARGS="--shape shifted".
evaluate: install var
	$(BIN)/python -m benchmarks.evaluate $(EVALUATE_ARGS)

lock:
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -o requirements.lock --custom-compile-command "make lock"
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements-dev.lock --custom-compile-command "make lock"

clean:
	rm -rf var/staticfiles .pytest_cache .ruff_cache
