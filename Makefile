# kick-oauth-proxy: every target installs what it needs into .venv on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install test lint lint-template build bench bench-record soak lock clean dev

# SAM CLI, checkov and zizmor pin conflicting dependencies: each gets its own virtualenv under
# .venv/tools/<name>/, from requirements-tools/<name>.txt, on first use.
TOOLS := $(VENV)/tools
SAM := $(TOOLS)/sam/bin/sam
CHECKOV := $(TOOLS)/checkov/bin/checkov
ZIZMOR := $(TOOLS)/zizmor/bin/zizmor
# Validating and building need a region but never credentials; no telemetry from CI or laptops.
SAM_ENV := AWS_DEFAULT_REGION=us-east-1 SAM_CLI_TELEMETRY=0
# sam build (without containers) needs the runtime's python3.13 on PATH: pyenv's, when present.
PYENV_ROOT ?= $(HOME)/.pyenv
RUNTIME_PYTHON_BIN := $(lastword $(sort $(wildcard $(PYENV_ROOT)/versions/3.13*/bin)))

install: $(INSTALLED)

$(INSTALLED): requirements-dev.txt src/requirements.in src/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(MAKE) lint-template

$(TOOLS)/%/.installed: requirements-tools/%.txt
	rm -rf $(TOOLS)/$*
	$(PYTHON) -m venv $(TOOLS)/$*
	$(TOOLS)/$*/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/$*/bin/python -m pip install --quiet -r $<
	touch $@

lint-template: $(TOOLS)/sam/.installed $(TOOLS)/checkov/.installed $(TOOLS)/zizmor/.installed
	$(SAM_ENV) $(SAM) validate --lint --template template.yaml
	$(CHECKOV) --quiet --compact --skip-download --framework cloudformation --file template.yaml
	$(ZIZMOR) --offline .github/workflows

# src/requirements.in -> src/requirements.txt: exact pins, transitive ones included, with hashes of every
# file of each version (arm64 wheels included), resolved by the runtime's Python 3.13.
$(TOOLS)/pip-tools/.installed: requirements-tools/pip-tools.txt
	rm -rf $(TOOLS)/pip-tools
	$(if $(RUNTIME_PYTHON_BIN),$(RUNTIME_PYTHON_BIN)/python3.13,python3.13) -m venv $(TOOLS)/pip-tools
	$(TOOLS)/pip-tools/bin/python -m pip install --quiet --upgrade pip
	$(TOOLS)/pip-tools/bin/python -m pip install --quiet -r $<
	touch $@

lock: $(TOOLS)/pip-tools/.installed
	$(TOOLS)/pip-tools/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --output-file src/requirements.txt src/requirements.in

build: $(TOOLS)/sam/.installed
	PATH="$(if $(RUNTIME_PYTHON_BIN),$(RUNTIME_PYTHON_BIN):)$$PATH" $(SAM_ENV) $(SAM) build --template template.yaml

# Window on and off against the floor, on loopback and behind latency stand-ins (benchmarks/README.md).
# Each run goes to benchmarks/results/runs.tmp/ (ignored); only bench-record rewrites the committed record.
BENCH_ARGS ?=
bench: install
	$(BIN)/python -m benchmarks.cold_warm $(BENCH_ARGS)

bench-record: install
	$(BIN)/python -m benchmarks.cold_warm --record $(BENCH_ARGS)

# 10,000 warm calls with the replay window off and 3,000 with it on, Kick failures interleaved; fails if
# descriptors or threads grow, or memory by more than 5 MB, after warm-up (benchmarks/soak.py).
soak: install
	$(BIN)/python -m benchmarks.soak

# The proxy on 127.0.0.1:3000 and a Kick emulator on :3001 (real id.kick.com when KICK_CLIENT_ID and
# KICK_CLIENT_SECRET are set); docs/local-development.md. exec: Ctrl-C and SIGTERM reach Python directly.
dev: install
	exec $(BIN)/python -m local

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis
