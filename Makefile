# pvs-bridge: `make demo` runs the whole system without hardware, `make test` runs all tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: venv system-deps lint test unit test-arm demo bench soak collection wheel clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

venv: $(STAMP)

system-deps:
	@scripts/install-system-deps.sh
	@scripts/fetch-promtool.sh

# ansible-lint looks in ~/.ansible/collections before the checkout's link: a copy of this
# collection installed there (by `ansible-galaxy collection install`, or by an older
# molecule prerun) would hide the checkout's roles and modules. The checkout is the source.
STALE_COPY := $(HOME)/.ansible/collections/ansible_collections/pvs_bridge/bridge

lint: venv
	@if [ -d "$(STALE_COPY)" ] && [ ! -L "$(STALE_COPY)" ]; then \
	    echo "note: removing an installed copy of pvs_bridge.bridge that hides this checkout: $(STALE_COPY)"; \
	    rm -rf "$(STALE_COPY)"; fi
	@# ansible.cfg finds the collection (this checkout) through .ansible/collections: link it.
	@$(BIN)/python -c "from bridge_cli.resources import collections_path; collections_path()"
	$(BIN)/ruff check .
	$(BIN)/yamllint -s .
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/ansible-lint --offline -q

## All tests: lint, unit, CLI, simulator, doctor, and the lab/molecule scenarios (root only).
test: venv system-deps lint
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/pytest

## Unit and CLI tests only (no lab): fast feedback while developing.
unit: venv
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/pytest -m "not lab"

## The armhf bridge (qemu-user, slow): built, converged, idempotent and verified once.
test-arm: venv system-deps
	BRIDGE_TEST_ARM=1 PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/pytest tests/lab/test_arm.py

demo: venv system-deps
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/bridge-cli lab demo

bench: venv system-deps
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m harness.bench --output BENCHMARKS.md

## A simulated day of faults on a lab bridge (root, about 32 minutes; not in `make test`).
soak: venv system-deps
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/bridge-cli lab soak --output RELIABILITY.md

## The Ansible collection pvs_bridge.bridge (the repository root) as dist/pvs_bridge-bridge-*.tar.gz
collection: venv
	$(BIN)/ansible-galaxy collection build --force --output-path dist

## The Python package (CLI with the roles, playbooks and templates inside) as dist/*.whl
wheel: venv
	$(BIN)/pip wheel -q --no-deps . -w dist

clean:
	-PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/bridge-cli lab down --all
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist
