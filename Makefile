# talentsim: make run (baseline), make test (whole suite), make bench (speed and memory).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
# Python 3.12: pyenv's 3.12 if present (see .python-version), else python3.12 on PATH.
PYTHON312 ?= $(shell (pyenv which python3.12 2>/dev/null || command -v python3.12 || command -v python3) | head -n1)
# Python 3.13 (pyenv's if present): `make test` runs the core part of the suite under it, in an
# environment with talentsim's core alone (no extras), so a missing extra is tried for real.
PYTHON313 ?= $(shell (p=$$(pyenv prefix 3.13 2>/dev/null) && echo $$p/bin/python3.13) || command -v python3.13)
VENV313 ?= .venv-3.13
# The package's version comes from git (hatch-vcs) and is fixed when pip installs it: reinstall
# after a commit or a new tag, so that manifests record the version of the commit they name.
GIT_STATE := $(wildcard .git/HEAD .git/packed-refs .git/refs/tags/* $(addprefix .git/,$(shell git symbolic-ref -q HEAD 2>/dev/null)))

.PHONY: run test test-313 bench lint format venv install install-test browser regression-update mutation clean docs

$(VENV)/.created:
	@$(PYTHON312) -c 'import sys; assert sys.version_info >= (3, 12), f"talentsim needs Python 3.12+, found {sys.version.split()[0]} at {sys.executable}"'
	$(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	touch $@

venv: $(VENV)/.created

# Every extra (`pip install talentsim` alone brings the core: running and sweeping scenarios).
$(VENV)/.installed: $(VENV)/.created pyproject.toml $(GIT_STATE)
	$(PY) -m pip install --quiet -e '.[all]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.created pyproject.toml $(GIT_STATE)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## make run: install talentsim with every extra and run the baseline (ARGS="--replicates 10")
run: install
	$(VENV)/bin/talentsim run $(ARGS)

## make browser: a chromium binary for the browser test (Debian's package, if none is on PATH)
browser:
	@command -v chromium >/dev/null 2>&1 || .ci/install-chromium

## make test: install the test extras (and chromium), run lint, the whole suite under Python
## 3.12, its core part under Python 3.13 with the core alone, and the strict docs build
test: install-test browser $(VENV313)/.installed
	$(VENV)/bin/ruff check src tests benchmarks experiments
	$(VENV)/bin/ruff format --check src tests benchmarks experiments
	$(PY) -m pytest $(PYTEST_ARGS)
	$(VENV313)/bin/python -m pytest -p no:cacheprovider -q -m "core or core_only"
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet --site-dir build/site

$(VENV313)/.installed: pyproject.toml $(GIT_STATE)
	@test -x "$(PYTHON313)" || (echo "make test needs Python 3.13 (pyenv install 3.13, or PYTHON313=...)"; exit 1)
	$(PYTHON313) -m venv $(VENV313)
	$(VENV313)/bin/python -m pip install --quiet --upgrade pip
	$(VENV313)/bin/python -m pip install --quiet -e '.[test-core]'
	touch $@

## make test-313: the core part of the suite under Python 3.13, with the core install alone
test-313: $(VENV313)/.installed
	$(VENV313)/bin/python -m pytest -p no:cacheprovider -q -m "core or core_only"

$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $@

## make bench: speed and memory benchmarks (writes benchmarks/results/latest.json)
bench: $(VENV)/.installed-bench
	$(PY) benchmarks/run_all.py

lint: install-test
	$(VENV)/bin/ruff check src tests benchmarks experiments
	$(VENV)/bin/ruff format --check src tests benchmarks experiments

format: install-test
	$(VENV)/bin/ruff format src tests benchmarks experiments
	$(VENV)/bin/ruff check --fix src tests benchmarks experiments

## make regression-update: rewrite the fixed-seed regression baseline (commit it with a reason)
regression-update: install-test
	$(PY) tests/regression/update.py

## make mutation: mutation testing (mutmut) of the model's stages, the survey, the sweep's
## seeds and the calibration's distance against the behavioural tests; not part of
## `make test` (about an hour on 2 cores); the counts go to benchmarks/results/mutation.json
mutation: install-test
	$(PY) -m pip install --quiet 'mutmut==3.8.1'
	rm -rf mutants
	$(VENV)/bin/mutmut run --max-children 2 > mutants.log 2>&1 || (tail -20 mutants.log; exit 1)
	$(VENV)/bin/mutmut export-cicd-stats
	cp mutants/mutmut-cicd-stats.json benchmarks/results/mutation.json
	$(VENV)/bin/mutmut results > benchmarks/results/mutation_survivors.txt
	@$(PY) benchmarks/mutation_score.py

$(VENV)/.installed-docs: $(VENV)/.created pyproject.toml
	$(PY) -m pip install --quiet -e '.[docs]'
	touch $@

## make docs: the documentation site (MkDocs), built offline in strict mode into build/site
docs: $(VENV)/.installed-docs
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir build/site

clean:
	rm -rf $(VENV) $(VENV313) .pytest_cache .ruff_cache build dist src/*.egg-info mutants mutants.log
