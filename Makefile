# kick-oauth-proxy: every target installs what it needs into .venv on first use. `make help` lists them.
SHELL := /bin/bash
# Empty: tools/find-python picks python3, python3.13, python3.12 or python3.11 (PATH or pyenv), the first
# that is 3.11 to 3.13. PYTHON=python3.13 (or a path) chooses one; pyenv's versions count as installed.
PYTHON ?=
VENV := .venv
BIN := $(VENV)/bin

.DEFAULT_GOAL := help
.PHONY: help install test lint lint-template build bytecode bench bench-package bench-record soak lock clean dev

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

help: ## list the targets
	@echo "make TARGET [PYTHON=python3.13]   (Python 3.11 to 3.13; found by itself when PYTHON is not given)"
	@awk -F ':.*## ' '/^[a-z-]+:.*## / { printf "  %-16s%s\n", $$1, $$2 }' $(MAKEFILE_LIST)

# Rebuilds .venv when another interpreter built it or an install stopped half-way (tools/ensure-venv).
# Then compiles src/ as pip compiles what it installs: with PYTHONDONTWRITEBYTECODE set, every fresh
# interpreter (a cold start under make dev or a benchmark) would otherwise compile the handlers' modules.
install: ## create .venv (Python 3.11 to 3.13), install requirements-dev.txt, compile src/
	@tools/ensure-venv $(VENV) requirements-dev.txt "$(PYTHON)"
	@$(BIN)/python -m compileall -q src

test: install ## ruff, ruff format --check, mypy (strict) and pytest
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: install ## ruff, mypy and lint-template
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(MAKE) lint-template

tool-%:
	@tools/ensure-venv $(TOOLS)/$* requirements-tools/$*.txt "$(PYTHON)"

lint-template: tool-sam tool-checkov tool-zizmor ## sam validate --lint, checkov and zizmor --offline
	$(SAM_ENV) $(SAM) validate --lint --template template.yaml
	$(CHECKOV) --quiet --compact --skip-download --framework cloudformation --file template.yaml
	$(ZIZMOR) --offline .github/workflows

# src/requirements.in -> src/requirements.txt: exact pins, transitive ones included, with hashes of every
# file of each version (arm64 wheels included), resolved by the runtime's Python 3.13.
lock: ## src/requirements.txt from src/requirements.in (pins with hashes, resolved by Python 3.13)
	@tools/ensure-venv $(TOOLS)/pip-tools requirements-tools/pip-tools.txt python3.13
	$(TOOLS)/pip-tools/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --output-file src/requirements.txt src/requirements.in

build: tool-sam ## sam build (no containers; needs python3.13, pyenv's is found), then make bytecode
	PATH="$(if $(RUNTIME_PYTHON_BIN),$(RUNTIME_PYTHON_BIN):)$$PATH" $(SAM_ENV) $(SAM) build --template template.yaml
	$(MAKE) bytecode

# Lambda cannot write __pycache__ (/var/task is read-only): without bytecode in the package, every cold
# start compiles every module, about 165 ms of importing the handler (docs/performance.md). Checked by
# hash, never by date: sam's zip dates every file 1980, which no timestamp-checked .pyc would match.
RUNTIME_PYTHON ?= $(if $(RUNTIME_PYTHON_BIN),$(RUNTIME_PYTHON_BIN)/python3.13,python3.13)
BUILD_DIR ?= .aws-sam/build
bytecode: ## compile the built functions' modules for the python3.13 runtime (make build runs it)
	@$(RUNTIME_PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 13) else "bytecode: $(RUNTIME_PYTHON) is not Python 3.13, the runtime")'
	$(RUNTIME_PYTHON) -m compileall -q -j 0 --invalidation-mode unchecked-hash $(BUILD_DIR)

# Window on and off against the floor, on loopback and behind latency stand-ins (benchmarks/README.md).
# Each run goes to benchmarks/results/runs.tmp/ (ignored); only bench-record rewrites the committed record.
BENCH_ARGS ?=
bench: install ## cold starts (loopback, behind latency) and warm calls, window on and off, against the floor
	$(BIN)/python -m benchmarks.cold_warm $(BENCH_ARGS)

bench-package: build install ## importing the handler from the built package, with and without make bytecode
	$(BIN)/python -m benchmarks.package_bytecode --runtime-python $(RUNTIME_PYTHON)

bench-record: install ## make bench, and rewrite the committed record benchmarks/results/latest.*
	$(BIN)/python -m benchmarks.cold_warm --record $(BENCH_ARGS)

# 10,000 warm calls with the replay window off and 3,000 with it on, Kick failures interleaved; fails if
# descriptors or threads grow, or memory by more than 5 MB, after warm-up (benchmarks/soak.py).
soak: install ## 10,000 warm calls (window off) and 3,000 (on): fails on fd, thread or memory growth
	$(BIN)/python -m benchmarks.soak

# The proxy on 127.0.0.1:3000 and a Kick emulator on :3001 (real id.kick.com when KICK_CLIENT_ID and
# KICK_CLIENT_SECRET are set); docs/local-development.md. exec: Ctrl-C and SIGTERM reach Python directly.
dev: install ## the proxy on :3000 and a Kick emulator on :3001 (LOCAL_API_PORT, KICK_EMULATOR_PORT)
	exec $(BIN)/python -m local

clean: ## remove .venv, .aws-sam and the caches
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis
