# Ladeportal — every target does its own set-up, so a fresh clone needs nothing but `make run` / `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/ladeportal_test
PYTEST_ARGS ?=

.PHONY: help setup run test test-pg lint check-migrations bench-ocpp bench clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) ## Create .venv and install the locked dependencies
	@mkdir -p var

run: setup ## Start the whole system on SQLite with demo data and simulated chargers (http://127.0.0.1:8000)
	@bash scripts/run-demo.sh

test: setup ## Run the whole test suite on SQLite
	$(BIN)/pytest $(PYTEST_ARGS)

test-pg: setup ## Run the whole test suite on PostgreSQL (PG_URL, default 127.0.0.1:5432)
	LADEPORTAL_TEST_DATABASE_URL=$(PG_URL) $(BIN)/pytest $(PYTEST_ARGS)

lint: setup ## ruff and mypy
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

check-migrations: setup ## Fail when the models and the migrations disagree (SQLite and PostgreSQL)
	@rm -f var/migrations-check.db
	LADEPORTAL_DATABASE_URL=sqlite+aiosqlite:///var/migrations-check.db $(BIN)/ladeportal db check
	$(BIN)/python scripts/recreate_pg_db.py $(PG_URL)_migrations
	LADEPORTAL_DATABASE_URL=$(PG_URL)_migrations $(BIN)/ladeportal db check

clean: ## Remove the virtualenv, local data and caches
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache node_modules
