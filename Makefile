# leadscore: the two commands are `make run` and `make test` (see README.md).
# Every target installs what it needs and skips what is already there.

SHELL := /bin/bash
CARGO ?= cargo
VENV := .venv
PYTHON := $(VENV)/bin/python
LEADSCORE := target/release/leadscore
MODELS_OUT := target/models
SERVED_MODELS := models/v12 models/v11 models/rules-v1

.PHONY: run test api-test api-types-check components web-test web-build web-deps build models lint bench bench-venv bench-scoring bench-serving bench-pipeline bench-reports toolchain venv services clean

## run: build everything and serve it (UI and API) on the embedded default (SQLite, in-process queue) in development mode
run: build web-build
	@echo "open http://127.0.0.1:8080/ (the development token below is for scripts; the browser needs none)"
	$(LEADSCORE) serve --dev --addr 127.0.0.1:8080 --models $(MODELS_OUT) --store target/store \
	  --web web/dist --seed-leads models/sample-leads.jsonl

## test: formatting, lints, and every test (unit, oracle against XGBoost, CLI, API, browser)
test: toolchain venv services lint
	$(CARGO) test --release --workspace
	$(MAKE) --no-print-directory api-types-check
	$(MAKE) --no-print-directory web-test
	$(MAKE) --no-print-directory api-test
	$(MAKE) --no-print-directory fuzz-smoke

## api-test: Schemathesis against the service's own OpenAPI document (no 5xx, no undocumented answer)
api-test: venv components
	scripts/schemathesis

## api-types-check: web/src/lib/api-schema.ts is what openapi-typescript makes of the host's OpenAPI document (scripts/api-types regenerates it)
api-types-check: web-deps components
	scripts/api-types --check

## web-test: the UI's unit tests, its build, and the end-to-end tests in Debian's chromium against a real host
# (with the binary `cargo test` built: building it again with other features would recompile half the tree)
web-test: web-deps components
	cd web && npm test && npm run build && npm run e2e:deps && npm run e2e

web-build: web-deps
	cd web && npm run build

# npm ci writes node_modules/.package-lock.json: reinstall only when the lock changes.
web-deps: web/node_modules/.package-lock.json
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	@scripts/check-node
	cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund

## build: the CLI and every model version's component (target/models, what `leadscore serve` loads)
build: toolchain
	$(CARGO) build --release -p leadscore -p loadgen
	$(MAKE) --no-print-directory components

# The served versions' components, built with whatever CLI binary is there (made if missing).
components: toolchain | $(LEADSCORE)
	$(MAKE) --no-print-directory $(SERVED_MODELS:models/%=$(MODELS_OUT)/lead-scorer-%.wasm)

$(LEADSCORE):
	$(CARGO) build --release -p leadscore

# A component is rebuilt when its model directory or the binary (which embeds
# the scorer template) changes: about a second each.
.SECONDEXPANSION:
$(MODELS_OUT)/lead-scorer-%.wasm: $$(wildcard models/%/*) $(LEADSCORE)
	$(LEADSCORE) model build models/$* --out $(MODELS_OUT)

lint: toolchain
	$(CARGO) fmt --all --check
	$(CARGO) clippy --release --all-targets -- -D warnings

## models: simulate the CRM and rebuild v11, v12 and rules-v1 from nothing (model cards, quality bars)
models: build venv
	scripts/make-models

## bench: the scoring benchmark (native, component, XGBoost), the serving benchmark (HTTP load) and the pipeline benchmark
bench: bench-scoring bench-serving bench-pipeline bench-reports

bench-pipeline: build services
	scripts/bench-pipeline

bench-reports: build services
	scripts/bench-reports

bench-scoring: build venv bench-venv
	scripts/bench-scoring

# The SHAP peer: XGBoost 3.4 (QuadratureTreeSHAP). Its metadata asks for Python >= 3.12,
# but the wheel runs on 3.11, so it goes into a venv of its own, installed without its checks.
BENCH_VENV := .venv-bench
bench-venv: $(BENCH_VENV)/.installed
$(BENCH_VENV)/.installed:
	python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check numpy==2.4.6 scipy==1.17.1
	$(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --ignore-requires-python xgboost-cpu==3.4.0
	touch $@

bench-serving: build
	scripts/bench-serving

## fuzz: fuzz guest-model's parsers (lead JSON, XGBoost JSON, features.toml) for FUZZ_SECONDS (600) each; docs/fuzzing.md
.PHONY: fuzz fuzz-smoke fuzz-tools
FUZZ_SECONDS ?= 600
fuzz: fuzz-tools
	scripts/fuzz $(FUZZ_SECONDS)

## fuzz-smoke: every fuzz target for 15 s (run by `make test`; without AddressSanitizer, which
## guest-model's safe Rust gains little from, so that it builds sooner and runs 5–10× more inputs)
fuzz-smoke: fuzz-tools
	FUZZ_SANITIZER=none scripts/fuzz 15

fuzz-tools:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked

toolchain:
	@rustup target list --installed | grep -qx wasm32-wasip2 || rustup target add wasm32-wasip2
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy rustfmt

# Training and the oracle tests (models/training), and the API tests (scripts/schemathesis).
VENV_REQUIREMENTS := models/training/requirements.txt scripts/schemathesis-requirements.txt scripts/webhook-requirements.txt
venv: $(VENV)/.installed
$(VENV)/.installed: $(VENV_REQUIREMENTS)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(addprefix -r ,$(VENV_REQUIREMENTS))
	touch $@

services:
	@scripts/ensure-services

clean:
	rm -rf target $(VENV)
