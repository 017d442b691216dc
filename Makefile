# One command each: `make demo` runs the storefront, `make test` runs the tests. Nothing to install first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint stack-up stack-down clean

# --no-compile: byte-compiling every installed file (torch alone has thousands) took ~40% of the install; Python
# compiles the modules a process imports on first use instead.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --no-compile torch==2.13.0
	$(PY) -m pip install --quiet --no-compile -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)  ## create .venv with every dependency

demo: setup  ## start services, seed demo data, build everything, serve the storefront
	$(PY) manage.py demo

lint: setup  ## ruff on the whole repo, mypy on the files pyproject.toml lists (the code free of Django)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# pytest starts the embedded services it needs and stops, at the end, those it started (tests/conftest.py).
test: lint  ## lint (stops at the first finding), then run the whole test suite against the embedded Postgres and Redis
	$(PY) -m pytest $(PYTEST_ARGS)

stack-up: setup
	$(PY) manage.py stack up

stack-down: setup
	$(PY) manage.py stack down

clean:  ## stop the embedded services and delete their data
	-$(PY) manage.py stack down
	rm -rf .data
