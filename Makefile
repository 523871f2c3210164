# Ladeportal — every target does its own set-up, so a fresh clone needs nothing but `make run` / `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/ladeportal_test
BENCH_PG_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/ladeportal_bench
PYTEST_ARGS ?=

VENDOR_STAMP := src/ladeportal/web/static/vendor/.built
CATALOGUES := $(wildcard src/ladeportal/i18n/locales/*/LC_MESSAGES/messages.po)

.PHONY: help setup run test test-pg lint check-migrations bench-ocpp bench-pricing bench-portal bench-members bench-webhooks bench-invoicing \
	translations clean require-chromium require-postgres

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || { bash scripts/require.sh python $(PYTHON) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Front-end packages come from the npm registry through package-lock.json; the build copies their
# dist files into static/vendor (not committed).
$(VENDOR_STAMP): package.json package-lock.json scripts/copy-vendor.mjs
	@bash scripts/require.sh node
	npm ci --no-audit --no-fund --loglevel=error
	node scripts/copy-vendor.mjs
	touch $(VENDOR_STAMP)

# Compiled message catalogues (.mo) are build output.
%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@ --use-fuzzy

setup: $(STAMP) $(VENDOR_STAMP) $(CATALOGUES:.po=.mo) ## Create .venv, install locked dependencies, build assets
	@mkdir -p var

translations: $(STAMP) ## Extract new strings into the catalogues (then translate them in the .po files)
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output -o src/ladeportal/i18n/messages.pot .
	$(BIN)/pybabel update -i src/ladeportal/i18n/messages.pot -d src/ladeportal/i18n/locales

run: setup ## Start the whole system on SQLite with demo data and simulated chargers (LADEPORTAL_PORT, default 8000)
	@bash scripts/run-demo.sh

# The tools the tests drive besides Python, checked (Chromium installed when root) before the set-up,
# so a missing one is reported at once; see scripts/require.sh.
require-chromium:
	@bash scripts/require.sh chromium

require-postgres:
	@bash scripts/require.sh postgres $(PG_URL)

test: require-chromium setup ## Run the whole test suite on SQLite (installs Chromium as root when missing)
	$(BIN)/pytest $(PYTEST_ARGS)

test-pg: require-chromium require-postgres setup ## Run the whole test suite on PostgreSQL (PG_URL, default 127.0.0.1:5432)
	LADEPORTAL_TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest $(PYTEST_ARGS)

lint: setup ## ruff (lint and format check) and mypy
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

check-migrations: require-postgres setup ## Fail when the models and the migrations disagree (SQLite and PostgreSQL)
	@rm -f var/migrations-check.db
	LADEPORTAL_DATABASE_URL=sqlite+aiosqlite:///var/migrations-check.db $(BIN)/ladeportal db check
	$(BIN)/python scripts/recreate_pg_db.py $(PG_URL)_migrations
	LADEPORTAL_DATABASE_URL=$(PG_URL)_migrations $(BIN)/ladeportal db check

bench-ocpp: setup ## OCPP gateway vs the transport floor and the stock ocpp library (SQLite and PostgreSQL)
	$(BIN)/python bench/ocpp_gateway.py --servers floor,stock,ladeportal,ladeportal-pg \
		--scenario heartbeat,metervalues,idle,storm --duration 10 --idle 10000 --storm 10000 --pg-url $(BENCH_PG_URL)

bench-pricing: setup ## Price 100,000 finished sessions with 60 meter samples each
	$(BIN)/python bench/pricing_engine.py

bench-portal: setup ## Dashboard, chargers and users pages with 200 chargers and 5,000 members
	PYTHONPATH=. $(BIN)/python bench/portal_pages.py sqlite $(BENCH_PG_URL)

bench-members: setup ## Import of 10,000 members (dry run, import, re-import)
	$(BIN)/python bench/members_import.py

.PHONY: bench-reports
bench-reports: setup ## Reports on 2 years, 200 chargers, ~300,000 sessions: aggregates vs raw tables, export of a year (SQLite and PostgreSQL)
	PYTHONPATH=. $(BIN)/python bench/reports.py --sample-minutes 15 sqlite $(BENCH_PG_URL)

bench-webhooks: setup ## Stripe webhooks answered, and /healthz beside them (SQLite and PostgreSQL)
	PYTHONPATH=. $(BIN)/python bench/stripe_webhooks.py
	PYTHONPATH=. $(BIN)/python bench/stripe_webhooks.py --database-url $(BENCH_PG_URL)

bench-invoicing: setup ## Invoice run's database part, 10,000 members x 30 sessions, beside one SQL aggregate (PostgreSQL and SQLite)
	PYTHONPATH=. $(BIN)/python bench/invoice_run.py --database-url $(BENCH_PG_URL)
	PYTHONPATH=. $(BIN)/python bench/invoice_run.py

.PHONY: bench-subscriptions
bench-subscriptions: setup ## A quarter's subscription invoices for 5,000 organisations against the Stripe stand-in (SQLite and PostgreSQL)
	PYTHONPATH=. $(BIN)/python bench/bench_subscriptions.py
	PYTHONPATH=. $(BIN)/python bench/bench_subscriptions.py --database-url $(BENCH_PG_URL)

clean: ## Remove the virtualenv, local data and caches
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache node_modules
