# Backroom: the two commands a newcomer needs are `make run` and `make test`.
# Needs only Python 3.11+ (and WeasyPrint's system libraries, see README.md).

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-install only when pyproject.toml changed since the last install.
INSTALLED := $(VENV)/.installed
PYTEST_ARGS ?=
# The settings refuse to start without SECRET_KEY when DEBUG is off; tests need no real one.
TEST_SECRET_KEY := insecure-key-for-the-test-suite-only-never-deploy-this-value-0123456789

.PHONY: help install run test bench lint format clean distclean

help:
	@echo "make run    start Backroom on http://127.0.0.1:8000 with a Celery worker and beat (demo data on first run)"
	@echo "make test   run the whole test suite (pass options: make test PYTEST_ARGS='-k stock -x')"
	@echo "make lint   ruff check and ruff format --check"
	@echo "make bench  run benchmarks/*.py"
	@echo "make clean  remove caches, build files and the test database (distclean: also .venv and var/)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(INSTALLED)

run: $(INSTALLED)
	scripts/run.sh

test: $(INSTALLED)
	SECRET_KEY="$${SECRET_KEY:-$(TEST_SECRET_KEY)}" $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(INSTALLED)
	@shopt -s nullglob; files=(benchmarks/*.py); \
	if [ $${#files[@]} -eq 0 ]; then echo "No benchmarks yet (see benchmarks/README.md)."; exit 0; fi; \
	for f in "$${files[@]}"; do \
		echo "== $$f"; \
		SECRET_KEY="$${SECRET_KEY:-$(TEST_SECRET_KEY)}" DJANGO_SETTINGS_MODULE=config.settings $(BIN)/python "$$f" || exit $$?; \
	done

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache .hypothesis build *.egg-info
	rm -f var/test*.sqlite3 var/test*.sqlite3-wal var/test*.sqlite3-shm
	rm -rf var/staticfiles var/cache var/celery/processed

# Also the virtualenv and all local data (the demo database, mail, media, queues).
distclean: clean
	rm -rf $(VENV) var
