# gdpr.azureml — every set-up step a fresh clone needs is here.
#   make demo   run the main job on the bundled emulator
#   make test   every quality gate (what CI runs)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The repository root is the collection root; Ansible finds it through this symlink tree.
COLLECTIONS := $(CURDIR)/build/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/gdpr/azureml
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PYTHONPATH := $(CURDIR)/tests/emulator:$(COLLECTIONS)
export PATH := $(BIN):$(PATH)
export ANSIBLE_PYTHON_INTERPRETER := $(BIN)/python
# pip on these machines prints one warning per missing local mirror; keep the output readable.
PIP_QUIET := 2>&1 | { grep -v "^WARNING: Location 'file:" || true; }

.PHONY: help venv collection emulator demo test lint unit emulator-test integration sanity ansible-lint molecule bench clean

help:
	@echo "make demo   - export (and rehearse a purge of) the demo workspaces on the bundled emulator"
	@echo "make test   - ruff, unit, emulator, integration, ansible-test sanity, ansible-lint, molecule"
	@echo "make venv   - create .venv with every run-time, test and dev dependency"
	@echo "make emulator - run the emulator in the foreground (demo scenario)"
	@echo "make bench  - run the benchmarks (not part of make test)"

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip $(PIP_QUIET)
	@$(BIN)/python -m pip install -q -r requirements-dev.txt $(PIP_QUIET)
	@touch $@

venv: $(STAMP)

collection: $(COLLECTION_LINK)

$(COLLECTION_LINK):
	@mkdir -p $(dir $@)
	@ln -sfn $(CURDIR) $@

emulator: venv
	$(BIN)/python -m azureml_emulator --scenario demo --port 8765

demo: venv collection
	@$(BIN)/python demo/run_demo.py

lint: venv
	$(BIN)/ruff check .
	$(BIN)/antsibull-changelog lint

unit: venv collection
	$(BIN)/python -m pytest -q tests/unit

emulator-test: venv
	$(BIN)/python -m pytest -q -n 2 tests/emulator/tests

integration: venv collection
	$(BIN)/python -m pytest -q tests/integration

sanity: venv
	@$(BIN)/python tests/sanity/run_sanity.py

ansible-lint: venv collection
	$(BIN)/ansible-lint

molecule: venv collection
	@if ls extensions/molecule/*/molecule.yml >/dev/null 2>&1; then $(BIN)/molecule test --all; \
	else echo "molecule: no scenario yet"; fi

test: lint unit emulator-test integration sanity ansible-lint molecule
	@echo "make test: every gate passed"

bench: venv collection
	$(BIN)/python bench/run.py

clean:
	rm -rf build tests/output .pytest_cache
