# One place to run every lesson and every check. `make help` lists the targets.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
NP ?= 9
RELEASE := target/release

.PHONY: help deps build demo local-demo test lint clippy fmt clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

deps: ## Install the system packages the build needs (OpenMPI, libclang, pkg-config)
	@scripts/install-deps build

build: deps ## Build every lesson, optimised
	$(CARGO) build --release --workspace

demo: build ## Run the main lesson: p2p on 9 MPI ranks
	scripts/mpirun -np $(NP) $(RELEASE)/p2p

local-demo: build ## Run every single-machine lesson in turn, without sleeps
	$(RELEASE)/local-procs --time-scale 0 all

test: deps ## Run every test (installs what is missing first)
	@scripts/install-deps lint
	$(CARGO) test --workspace
	shellcheck scripts/mpirun scripts/install-deps .ci/run

lint: clippy ## Lint the Rust code and the shell scripts
	@scripts/install-deps lint
	shellcheck scripts/mpirun scripts/install-deps .ci/run

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt: ## Format the Rust code
	$(CARGO) fmt --all

clean: ## Remove build output
	$(CARGO) clean
