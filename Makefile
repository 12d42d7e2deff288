# Two commands for a fresh machine: `make site` and `make test`. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KB     ?= kb

.PHONY: site test serve bench validate fidelity cost clean

$(STAMP): requirements.txt requirements-models.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-models.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

validate: $(STAMP)
	$(BIN)/nnkb validate --kb $(KB)

bench: validate
	$(BIN)/nnkb bench --kb $(KB)

site: bench
	$(BIN)/mkdocs build --strict --site-dir site

serve: bench
	$(BIN)/mkdocs serve

test: $(STAMP)
	$(BIN)/python -m pytest

fidelity: $(STAMP)
	$(BIN)/python benchmarks/fidelity.py

cost: $(STAMP)
	$(BIN)/python benchmarks/cost.py

clean:
	rm -rf site .pytest_cache
