# mgg_geo — the two commands a newcomer needs:
#   make reports   bootstrap .venv, then render every municipality report (reports/)
#   make test      bootstrap .venv, then lint (ruff) and run every test
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Leaflet for the interactive maps: installed by npm (never committed); npm writes this file last
LEAFLET := assets/node_modules/.package-lock.json
LEVEL    ?= wijk
GEMEENTE ?= all
WORKERS  ?=
FORCE    ?=
PDF      ?=
# make lab: the port, the token (empty: Jupyter makes one and prints the address) and any other jupyter lab option
PORT     ?= 8888
TOKEN    ?=
LAB_ARGS ?=
SHARED_DATA ?= $(if $(MGG_SHARED_DATA),$(MGG_SHARED_DATA),../shared/data)
PYTEST_ARGS ?=
# make test, make test-fast: the number of pytest processes (pytest-xdist; 0: one process, as plain pytest)
TEST_JOBS ?= 2

.PHONY: all reports test test-fast import-shared status bench lab clean

all: reports

$(STAMP): pyproject.toml assets/package-lock.json
	@echo "==> creating the virtual environment $(VENV) ($(PYTHON))"
	$(PYTHON) -m venv $(VENV)
	@echo "==> installing mgg_geo with its dependencies into $(VENV) (a few minutes the first time)"
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --progress-bar off -e '.[test,lab]'
	@echo "==> registering the Jupyter kernel 'mgg-geo'"
	$(BIN)/python -m ipykernel install --sys-prefix --name mgg-geo --display-name "Python (mgg_geo)" >/dev/null
	@echo "==> installing Leaflet for the interactive maps (npm, pinned in assets/package-lock.json)"
	npm ci --prefix assets --no-audit --no-fund --loglevel=error
	@echo "==> ready: $(VENV)"
	touch $(STAMP)

# Offline route: load the example files of ../shared/data into data/cache when the
# cache holds nothing yet (an analyst with internet access skips this: the live
# sources are the default).
# node_modules removed or package-lock.json changed after the install: npm ci again
$(LEAFLET): assets/package-lock.json | $(STAMP)
	@echo "==> installing Leaflet for the interactive maps (npm, pinned in assets/package-lock.json)"
	npm ci --prefix assets --no-audit --no-fund --loglevel=error
	touch $(LEAFLET)

import-shared: $(STAMP) $(LEAFLET)
	@if [ -d "$(SHARED_DATA)" ]; then \
	  $(BIN)/mgg-geo import shared "$(SHARED_DATA)" --if-empty; \
	else echo "no shared data folder at $(SHARED_DATA): using the live CBS/PDOK sources"; fi

reports: import-shared
	$(BIN)/mgg-geo reports --gemeente $(GEMEENTE) --level $(LEVEL) $(if $(WORKERS),--workers $(WORKERS)) $(if $(FORCE),--force) $(if $(PDF),--pdf) --out reports

status: $(STAMP)
	$(BIN)/mgg-geo data status

# Everything, on TEST_JOBS processes (pytest-xdist): a test file runs on one process (its tests share their
# rendered batch), the notebooks together (conftest.py); the longest files start first (tests/conftest.py).
# Bytecode is written (also where PYTHONDONTWRITEBYTECODE is set): each pytest process would otherwise compile
# and rewrite the test modules again (about 3 s) and each of the ~100 processes the suite starts the library (0.1 s).
test: $(STAMP) $(LEAFLET)
	$(BIN)/ruff check .
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile $(PYTEST_ARGS)

# The fast tier: everything but the slow tests (tests/conftest.py says which) and the notebooks.
test-fast: $(STAMP)
	$(BIN)/ruff check .
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile -m "not slow" mgg_geo tests \
	  $(PYTEST_ARGS)

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# JupyterLab on notebooks/ (as root too: a container or CI user), e.g. make lab PORT=8890 TOKEN=geheim LAB_ARGS="--no-browser"
lab: $(STAMP) $(LEAFLET)
	$(BIN)/jupyter lab notebooks/ --ServerApp.port=$(PORT) $(if $(TOKEN),--IdentityProvider.token=$(TOKEN)) \
	  $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

clean:
	rm -rf $(VENV) assets/node_modules data/cache reports/*.html reports/notebooks reports/kaarten reports/data test-output
