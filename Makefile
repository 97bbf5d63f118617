# The few commands a newcomer needs. `make run` and `make test` install first when needed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck pytest smoke compose-check bench-assessment bench bench-scale bench-simulate bench-import bench-notice test-reliability clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/cablecare dev

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# Two test processes (pytest-xdist), each with its own Temporal dev server and worker: the
# suite waits on servers, subprocesses and kills much of the time. PYTEST_WORKERS=0 runs it in
# one process.
PYTEST_WORKERS ?= 2
pytest: install
	$(BIN)/pytest -q -n $(PYTEST_WORKERS)

test: lint typecheck pytest

bench-assessment: install  ## R3.3 assessment over 1,000,000 work orders, SQLite and PostgreSQL
	$(BIN)/python bench/bench_assessment.py

# Directory import of 1,000,000 subscribers, SQLite and PostgreSQL, JSON and CSV (~15 min).
bench-import: install
	$(BIN)/python -m bench.bench_import

# A maintenance notice to an area of 100,000 subscribers, SQLite and PostgreSQL (~5 min).
bench-notice: install
	$(BIN)/python -m bench.bench_notice

# Before/after revisions vs a bare workflow of the product's shape, breach delay, 1/2/4
# workers, on the embedded server (~20 min with two variants); BENCHMARKS.md.
bench: install
	$(BIN)/python -m bench.run

# 20,000 open cases on their real deadlines, then fast-forwarded to breach (~1 h); not in CI.
bench-scale: install
	$(BIN)/python -m bench.scale

bench-simulate: install  ## issue 14: fast and real simulation engines, 100,000-request month
	$(BIN)/python -m bench.simulate

# The reliability suite at full size (make test runs it reduced); PostgreSQL included.
test-reliability: install
	CABLECARE_RELIABILITY_SCALE=full $(BIN)/pytest -q -p no:cacheprovider tests/reliability

# `cablecare dev` end to end: UI answers, a worker polls, Ctrl-C stops it cleanly (temp var/).
smoke: install
	scripts/smoke_dev.sh

# docker-compose.yml validated offline (Debian's docker-compose needs no Docker engine).
compose-check:
	docker-compose --env-file deploy/example.env -f docker-compose.yml config -q

clean:
	rm -rf $(VENV) var/*.db var/*.sqlite
