# Two entry points: `make demo` and `make test`. Both create .venv when absent.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint run bench clean

# The suite runs in one process per core (pytest-xdist), each with its own database: a SQLite
# file, or on PostgreSQL a database per worker (test_gw0, test_gw1, ...). PYTEST_ARGS= runs it serially.
PYTEST_ARGS ?= -n auto

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m bot demo

test: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

run: $(STAMP)
	$(PY) -m bot migrate
	$(PY) -m bot run

clean:
	rm -rf $(VENV) var .pytest_cache
