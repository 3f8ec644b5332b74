# copr-harness: `make sanity` (the pre-release gate) and `make test` (the harness's own tests).
# Each target installs what it needs (Debian packages, a virtualenv) and is safe to run again.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# The gate's scenario (default: scenarios/default.yaml) and any other `copr-harness sanity` options.
SCENARIO ?=
SANITY_ARGS ?=

.PHONY: all sanity test unit integration deps system-deps images bench clean

all: test

system-deps:
	@scripts/install-system-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

deps: system-deps $(STAMP)

## The pre-release gate: bring the stack up, run the sanity suite, tear down.
## make sanity SCENARIO=scenarios/x.yaml SANITY_ARGS="-k smoke"
sanity: deps
	$(BIN)/copr-harness sanity $(if $(SCENARIO),--scenario $(SCENARIO)) $(SANITY_ARGS)

## The harness's own tests: unit (no Podman; two at a time) and integration (real Podman, one at
## a time: they share stacks). Both run whatever the other's outcome; the target fails if either did.
test: deps
	$(BIN)/pytest tests/unit -n 2 $(PYTEST_ARGS); unit=$$?; \
	$(BIN)/pytest tests/integration -m "not slow" $(PYTEST_ARGS); integration=$$?; \
	exit $$(( unit || integration ))

unit: deps
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

integration: deps
	$(BIN)/pytest tests/integration $(PYTEST_ARGS)

images: deps
	$(BIN)/copr-harness images

## The performance figures of docs/architecture.md beside their targets (build/bench/<time>.json, kept per run, and latest.json); BENCH_ARGS="--only up". Then the integration tests marked slow (they wait out upstream timers of minutes).
bench: deps
	$(BIN)/copr-harness bench $(BENCH_ARGS)
	$(BIN)/pytest tests/integration -m slow $(PYTEST_ARGS)

## Remove the harness's runs, the virtualenv and build output (images stay cached).
clean:
	-[ -x $(BIN)/copr-harness ] && $(BIN)/copr-harness gc --all
	rm -rf $(VENV) build *.egg-info
