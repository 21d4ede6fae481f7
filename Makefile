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
# Azurite (Microsoft's storage emulator) for the storage tests and the demo: npm ci from the committed lockfile.
AZURITE_DIR := $(CURDIR)/tools/azurite
AZURITE_STAMP := $(AZURITE_DIR)/node_modules/.installed
# Microsoft's azureml-core (the conformance suite's client) pins old dependencies: a virtualenv of its own.
CORE_VENV := $(CURDIR)/.venv-azureml-core
CORE_STAMP := $(CORE_VENV)/.installed
# azure-ai-ml (the v2 conformance suite's client: the ARM client generated from the 2025-12-01 spec, a private module
# pinned exactly) in a virtualenv of its own too.
AIML_VENV := $(CURDIR)/.venv-azure-ai-ml
AIML_STAMP := $(AIML_VENV)/.installed
# The repository root is the collection root; Ansible finds it through this symlink tree.
COLLECTIONS := $(CURDIR)/build/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/gdpr/azureml
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export PYTHONPATH := $(CURDIR)/tests/emulator:$(COLLECTIONS)
export PATH := $(BIN):$(PATH)
export ANSIBLE_PYTHON_INTERPRETER := $(BIN)/python
# pip on these machines prints one warning per missing local mirror; keep the output readable.
PIP_QUIET := 2>&1 | { grep -v "^WARNING: Location 'file:" || true; }

.PHONY: help venv azurite collection emulator demo test lint unit emulator-test conformance integration sanity ansible-lint molecule bench bench-storage clean chromium docs-lint
.PHONY: platform galaxy-importer importer-venv
.PHONY: matrix matrix-venvs matrix-sanity matrix-unit matrix-e2e

help:
	@echo "make demo   - export (and rehearse a purge of) the demo workspaces on the bundled emulator"
	@echo "make test   - ruff, unit, emulator, conformance (azureml-core, azure-ai-ml), integration, sanity, ansible-lint, molecule"
	@echo "make venv   - create .venv with every run-time, test and dev dependency"
	@echo "make emulator - run the emulator in the foreground (demo scenario; STORAGE=azurite adds the storage accounts)"
	@echo "make azurite - install Azurite, the storage emulator (npm ci into tools/azurite)"
	@echo "make bench  - run the benchmarks (not part of make test)"
	@echo "make bench-storage - the storage export of ~10,000 blobs and 1 GB from Azurite (20 ms latency proxy, and loopback)"
	@echo "make platform - the playbooks through ansible-runner (as AWX runs them) and ansible-navigator"
	@echo "make galaxy-importer - Galaxy's importer on the built tarball (its own virtualenv, .venv-importer)"
	@echo "make matrix - ansible-core 2.16 to 2.21: sanity, unit and end-to-end tests (.venv-matrix/<minor>; pyenv Pythons)"

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --upgrade pip $(PIP_QUIET)
	@$(BIN)/python -m pip install -q -r requirements-dev.txt $(PIP_QUIET)
	@touch $@

venv: $(STAMP)

# azurite@3.35.0: later releases need Node 21/22 and these machines have Node 20. About 25 s and 190 MB, once.
$(AZURITE_STAMP): $(AZURITE_DIR)/package.json $(AZURITE_DIR)/package-lock.json
	@command -v npm >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null)
	@cd $(AZURITE_DIR) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

azurite: $(AZURITE_STAMP)

$(CORE_STAMP): tests/conformance/requirements.txt
	@test -x $(CORE_VENV)/bin/python || $(PYTHON) -m venv $(CORE_VENV)
	@$(CORE_VENV)/bin/python -m pip install -q --upgrade pip $(PIP_QUIET)
	@$(CORE_VENV)/bin/python -m pip install -q -r tests/conformance/requirements.txt $(PIP_QUIET)
	@touch $@

$(AIML_STAMP): tests/conformance/requirements-azure-ai-ml.txt
	@test -x $(AIML_VENV)/bin/python || $(PYTHON) -m venv $(AIML_VENV)
	@$(AIML_VENV)/bin/python -m pip install -q --upgrade pip $(PIP_QUIET)
	@$(AIML_VENV)/bin/python -m pip install -q -r tests/conformance/requirements-azure-ai-ml.txt $(PIP_QUIET)
	@touch $@

collection: $(COLLECTION_LINK)

$(COLLECTION_LINK):
	@mkdir -p $(dir $@)
	@ln -sfn $(CURDIR) $@

emulator: venv azurite
	$(BIN)/python -m azureml_emulator --scenario demo --port 8765 $(if $(STORAGE),--storage $(STORAGE))

# make demo STORAGE=azurite: the workspaces' storage accounts on Azurite too
demo: venv collection $(if $(STORAGE),azurite)
	@$(BIN)/python demo/run_demo.py $(if $(STORAGE),--storage $(STORAGE))

lint: venv
	$(BIN)/ruff check .
	$(BIN)/antsibull-changelog lint

unit: venv collection
	@mkdir -p build/tmp
	$(BIN)/python -m pytest -q --basetemp=$(CURDIR)/build/tmp/unit tests/unit

emulator-test: venv collection azurite
	@mkdir -p build/tmp
	$(BIN)/python -m pytest -q -n 2 --basetemp=$(CURDIR)/build/tmp/emulator tests/emulator/tests

# Microsoft's own client (azureml-core's generated REST clients, Image/Webservice) against the emulator, which runs
# under .venv; then each emulator switch that restores an old behaviour must turn its check red (docs/emulator.md).
# Then the v2 resources with azure-ai-ml's generated ARM client (tests/conformance/v2, its own virtualenv).
conformance: venv $(CORE_STAMP) $(AIML_STAMP)
	@mkdir -p build/tmp
	CONFORMANCE_EMULATOR_PYTHON=$(BIN)/python $(CORE_VENV)/bin/python -m pytest -q -W ignore::DeprecationWarning --basetemp=$(CURDIR)/build/tmp/conformance --ignore=tests/conformance/v2 tests/conformance
	CONFORMANCE_EMULATOR_PYTHON=$(BIN)/python $(AIML_VENV)/bin/python -m pytest -q -W ignore --basetemp=$(CURDIR)/build/tmp/conformance-v2 tests/conformance/v2

# The report test renders report.html in Debian's headless Chromium (apt needs root, as on CI).
chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

integration: venv collection chromium azurite
	@mkdir -p build/tmp
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --durations=15 --basetemp=$(CURDIR)/build/tmp/integration --ignore=tests/integration/platform tests/integration
	@# Second pass under api_profile documented (current is the default): the tests whose routes differ between the two
	@# profiles (every list and its paging, artifacts and contents, every _info module, a real purge, the large purge).
	AZUREML_TEST_API_PROFILE=documented $(BIN)/python -m pytest -q --basetemp=$(CURDIR)/build/tmp/integration-documented \
	  tests/integration/export/test_info_modules.py \
	  tests/integration/export/test_export_role.py::test_every_object_of_every_workspace_is_in_its_bundle_exactly_once \
	  tests/integration/export/test_export_role.py::test_artifact_contents_are_stored_inside_the_bundle \
	  tests/integration/purge/test_purge_role.py::test_real_purge_deletes_everything_in_the_safe_order_then_a_second_run_changes_nothing \
	  tests/integration/purge/test_scale.py

docs-lint: venv collection
	cd $(COLLECTION_LINK) && $(BIN)/antsibull-docs lint-collection-docs --plugin-docs .

sanity: venv
	@$(BIN)/python tests/sanity/run_sanity.py

ansible-lint: venv collection
	$(BIN)/ansible-lint

molecule: venv collection
	@if ls extensions/molecule/*/molecule.yml >/dev/null 2>&1; then $(BIN)/molecule test --all; \
	else echo "molecule: no scenario yet"; fi

# --- Automation Platform and Galaxy (issue 18) ------------------------------------------------------------------
# platform: the export and purge playbooks as AWX / Automation Platform start them (ansible-runner with the
# environment of docs/examples/awx_credential_type.yml) and through ansible-navigator --ee false, against an
# emulator of their own (tests/integration/platform).
platform: venv collection
	@mkdir -p build/tmp
	$(BIN)/python -m pytest -q --basetemp=$(CURDIR)/build/tmp/platform tests/integration/platform

# galaxy-importer: Galaxy's importer on the built tarball must exit 0 with no ERROR or WARNING line. Its pins clash
# with the dev tools: it has its own virtualenv, .venv-importer (requirements-importer.txt).
IMPORTER_VENV := $(CURDIR)/.venv-importer
IMPORTER_STAMP := $(IMPORTER_VENV)/.installed

$(IMPORTER_STAMP): requirements-importer.txt
	@test -x $(IMPORTER_VENV)/bin/python || $(PYTHON) -m venv $(IMPORTER_VENV)
	@$(IMPORTER_VENV)/bin/python -m pip install -q --upgrade pip $(PIP_QUIET)
	@$(IMPORTER_VENV)/bin/python -m pip install -q -r requirements-importer.txt $(PIP_QUIET)
	@touch $@

importer-venv: $(IMPORTER_STAMP)

galaxy-importer: importer-venv
	@$(IMPORTER_VENV)/bin/python tests/sanity/run_importer.py
# --- end of the Automation Platform and Galaxy block -----------------------------------------------------------

# --- Version matrix (issue 18) -----------------------------------------------------------------------------------
# The collection on every ansible-core minor from 2.16 to 2.21: ansible-test sanity on 2.16, 2.19 (make sanity) and
# 2.21; the unit tests on 2.16 and 2.21; an export, a --check purge and a purge against one emulator on every minor,
# from the built tarball installed into an empty collections path (tests/matrix/test_e2e.py). 2.19 is .venv's
# ansible-core; each other minor has its own virtualenv, .venv-matrix/<minor>, pinned exactly by
# tests/matrix/requirements-<minor>.txt, on the Python below (from pyenv: tests/matrix/python.sh fails loudly, saying
# how to get it, when a Python is missing). How to add a version: docs/contributing.md.
MATRIX_VERSIONS := 2.16 2.17 2.18 2.20 2.21
MATRIX_PYTHON_2.16 := 3.10
MATRIX_PYTHON_2.17 := 3.12
MATRIX_PYTHON_2.18 := 3.13
MATRIX_PYTHON_2.20 := 3.12
MATRIX_PYTHON_2.21 := 3.13
MATRIX_SANITY := 2.16 2.21
MATRIX_UNIT := 2.16 2.21
MATRIX_DIR := $(CURDIR)/.venv-matrix
MATRIX_STAMPS := $(foreach v,$(MATRIX_VERSIONS),$(MATRIX_DIR)/$(v)/.installed)

# A stale stamp rebuilds the virtualenv from scratch: it holds exactly what its requirements file says.
$(MATRIX_DIR)/%/.installed: tests/matrix/requirements-%.txt tests/matrix/common.txt tests/matrix/unit.txt requirements.txt
	@py=$$(tests/matrix/python.sh $(MATRIX_PYTHON_$*) "ansible-core $*") && rm -rf $(MATRIX_DIR)/$* && $$py -m venv $(MATRIX_DIR)/$*
	@$(MATRIX_DIR)/$*/bin/python -m pip install -q --upgrade pip $(PIP_QUIET)
	@$(MATRIX_DIR)/$*/bin/python -m pip install -q -r tests/matrix/requirements-$*.txt $(PIP_QUIET)
	@touch $@

matrix-venvs: $(MATRIX_STAMPS)

matrix-sanity: $(foreach v,$(MATRIX_SANITY),$(MATRIX_DIR)/$(v)/.installed)
	@for v in $(MATRIX_SANITY); do $(MATRIX_DIR)/$$v/bin/python tests/sanity/run_sanity.py || exit 1; done

matrix-unit: $(foreach v,$(MATRIX_UNIT),$(MATRIX_DIR)/$(v)/.installed) collection
	@mkdir -p build/tmp
	@for v in $(MATRIX_UNIT); do echo "unit tests on ansible-core $$v"; \
	  $(MATRIX_DIR)/$$v/bin/python -m pytest -q --basetemp=$(CURDIR)/build/tmp/unit-$$v tests/unit || exit 1; done

matrix-e2e: venv $(MATRIX_STAMPS)
	@mkdir -p build/tmp
	$(BIN)/python -m pytest -q --basetemp=$(CURDIR)/build/tmp/matrix tests/matrix

matrix: matrix-sanity matrix-unit matrix-e2e
# --- end of the version matrix block ----------------------------------------------------------------------------

test: lint docs-lint unit emulator-test conformance integration platform galaxy-importer sanity matrix ansible-lint molecule
	@echo "make test: every gate passed"

bench: venv collection
	$(BIN)/python bench/run.py

# The storage export against Azurite: about 10,000 blobs and 1 GB, through a proxy adding 20 ms per request (a model of
# network latency) and on loopback (bench/storage.py, docs/performance.md; about 35 min under load). Not in make test.
bench-storage: venv collection azurite
	$(BIN)/python bench/storage.py

clean:
	rm -rf build tests/output .pytest_cache tools/azurite/node_modules $(CORE_VENV) $(AIML_VENV)
