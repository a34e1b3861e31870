# The front door. `make run` serves the demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The development RFC 3161 timestamp authority (certificates.tsa) that `make run` starts for the worker.
TSA_PORT ?= 8318

.PHONY: run stack test bench lint format migrate demo worker clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Development server and a real Celery worker (with beat) on the embedded filesystem broker,
# SQLite under var/, demo data loaded, and the local timestamp authority the worker signs with
# (PAdES B-LTA; an LIMS_TSA_URL in the environment wins). Ctrl-C stops all three.
run: export DEBUG ?= 1
run: $(VENV)/.installed
	$(PY) manage.py compile_catalogues
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	@echo "Serving http://$(HOST):$(PORT)/ (users: sampler, technician, reviewer, manager, exporter, exporter2, broker, inspector, admin; password: demo)"
	@$(PY) manage.py run_tsa --port $(TSA_PORT) & tsa=$$!; \
	LIMS_TSA_URL=$${LIMS_TSA_URL:-http://127.0.0.1:$(TSA_PORT)/} $(VENV)/bin/celery -A lims worker --beat --pool solo \
		-Q default,imports,pdf,custody --loglevel INFO --without-mingle --without-gossip & worker=$$!; \
	trap 'kill $$worker $$tsa 2>/dev/null; wait $$worker $$tsa 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# The production shape on one machine, from a fresh clone (deploy/stack.sh; the Procfile names each
# process): PostgreSQL and Redis, migrations, collectstatic, gunicorn, a Celery worker per queue, beat.
stack: $(VENV)/.installed
	PORT=$(PORT) PY=$(PY) deploy/stack.sh

# The Russian and Kazakh catalogues are compiled first: the tests render pages in both.
test: $(VENV)/.installed
	DEBUG=1 $(PY) manage.py compile_catalogues
	$(PY) -m pytest

bench: $(VENV)/.installed
	$(PY) bench/run.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=1 $(VENV)/bin/mypy

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf var/ staticfiles/ .pytest_cache/ .ruff_cache/
