# spapi-lake: `make demo` runs the pipeline on the bundled simulator, `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .tools
UV := $(or $(shell command -v uv 2>/dev/null),$(TOOLS)/bin/uv)
RUN := $(UV) run --frozen --all-extras

.PHONY: help install demo demo-aws test lint typecheck pytest bench load sandbox package synth clean

help:
	@echo "make demo      sample reports and a Data Kiosk query from the local simulator into ./lake"
	@echo "make demo-aws  the serverless flow on one machine: moto, simulator, state machines"
	@echo "make test      ruff, mypy and the whole pytest suite"
	@echo "make bench     storage-path, rate-limiter and curation benchmarks (prints figures)"
	@echo "make load      bursts of reports on LocalCloud against Amazon's default buckets (prints figures)"
	@echo "make sandbox   serve the SP-API simulator on http://127.0.0.1:8765"
	@echo "make package   reproducible Lambda zip in build/lambda/ (ARCH=arm64 default, or x86_64)"
	@echo "make synth STACK=dev  what \`pulumi up\` would create, offline, in build/synth/dev/"

# uv is the only tool we need; without it, install it with pip into a project-local venv.
$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check "uv>=0.6"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras
	@touch $@

install: .venv/.synced

demo: install
	$(RUN) spapi-lake demo

demo-aws: install
	$(RUN) python -m localcloud

test: lint typecheck pytest

lint: install
	$(RUN) ruff check src tests bench infra policy tools
	$(RUN) ruff format --check src tests bench infra policy tools

typecheck: install
	$(RUN) mypy
	$(RUN) mypy --explicit-package-bases infra policy

pytest: install
	$(RUN) pytest

bench: install
	$(RUN) python bench/run.py

load: install
	$(RUN) python bench/load.py

sandbox: install
	$(RUN) spapi-lake sandbox --port 8765

package: install
	$(RUN) python infra/lambda_package.py --arch $(or $(ARCH),arm64)

# What `pulumi up` would create for STACK, offline: build/synth/STACK/.
synth: install
	@test -n "$(STACK)" || { echo "usage: make synth STACK=<name> (stacks: $(patsubst Pulumi.%.yaml,%,$(wildcard Pulumi.*.yaml)))"; exit 2; }
	$(RUN) python infra/synth.py $(STACK)

clean:
	rm -rf .venv $(TOOLS) build .pytest_cache .mypy_cache .ruff_cache lake
