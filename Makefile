# One place to run every lesson and every check. `make help` lists the targets.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
NP ?= 9

# Which MPI to build against and launch with (scripts/which-mpi, which
# scripts/mpirun asks too): MPI=openmpi or MPI=mpich; unset, the one that
# PATH's mpicc belongs to (after `module load`, the module's), else Open MPI.
# Each builds into its own target folder, so the two never overwrite each other.
ifeq ($(origin MPI),undefined)
MPI := $(shell scripts/which-mpi --kind 2>/dev/null || echo openmpi)
endif
export MPI
ifeq ($(MPI),openmpi)
TARGET_DIR := target
else ifeq ($(MPI),mpich)
TARGET_DIR := target/mpich
else
$(error MPI must be openmpi or mpich, not '$(MPI)')
endif
export CARGO_TARGET_DIR := $(TARGET_DIR)
# The mpi crate finds its MPI through this compiler wrapper (evaluated when
# a recipe runs, so after install-deps has installed it); MPICC=... decides.
ifeq ($(origin MPICC),undefined)
export MPICC = $(shell MPI=$(MPI) scripts/which-mpi --wrapper 2>/dev/null || echo mpicc)
else
export MPICC
endif
RELEASE := $(TARGET_DIR)/release
# Where the tests that need root note whether they ran (tests/support).
ROOT_TESTS := $(TARGET_DIR)/debug/root-tests.txt
SCRIPTS := $(shell find scripts -type f ! -name '*.c' ! -name '*.py' | sort) .ci/run .ci/as-learner .ci/login-node
# cluster-demo: a hostfile of real hosts (default: the virtual cluster), and
# the network their MPI traffic should use.
HOSTFILE ?=
NET ?=

# slurm-demo: how many local Slurm nodes (more than 1: on the virtual cluster).
NODES ?= 1

# The MPI lessons and their rank counts (pages: crates/mpi-demos/lessons/).
LESSONS := p2p:9 tags:2 any-source:4 probe:2 ring:4 nonblocking:2 typed:2 deadlock:2 send-modes:2 heat:3
FIGURES := crates/mpi-demos/lessons/figures
# The process lessons (pages: book/src/processes/), and their figures.
PROC_LESSONS := spawn naming subclass daemon no-daemon terminate barrier pipe queue pool
PROC_FIGURES := crates/local-procs/figures

.PHONY: no-sudo help deps build demo bench mutants hint book book-serve check lessons proc-lessons compare trace-demo cluster-demo cluster-down slurm-submit slurm-demo slurm-down local-demo test lint clippy fmt clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# Run make as yourself: it builds as you, and the scripts use sudo for the
# few steps that need root. Under sudo, cargo would leave root's files in target/.
no-sudo:
	@if [ "$$(id -u)" -eq 0 ] && [ -n "$${SUDO_USER:-}" ]; then \
	  echo "make: run 'make $(MAKECMDGOALS)' as yourself, not through sudo: it builds as you and runs only the steps that need root through sudo" >&2; \
	  exit 2; fi

deps: ## Install the system packages the build needs (the MPI, libclang, pkg-config)
	@scripts/install-deps build
	@scripts/which-mpi --stamp $(TARGET_DIR)

build: no-sudo deps ## Build every lesson, optimised
	$(CARGO) build --release --workspace

demo: build ## Run the main lesson: p2p on 9 MPI ranks
	scripts/mpirun -np $(NP) $(RELEASE)/p2p

bench: build ## Benchmarks beside C MPI, mpi4py and multiprocessing: table, CSV and plots in target/bench/
	@scripts/install-deps bench
	RELEASE=$(RELEASE) scripts/bench/run --out $(TARGET_DIR)/bench $(BENCH_ARGS)

mutants: no-sudo ## Mutation testing of the process library (cargo-mutants): report in target/mutants/, survivors in crates/local-procs/mutants.md
	scripts/mutants

book: no-sudo ## The course as a book (mdBook, installed once with cargo install): target/book/index.html
	scripts/book build

book-serve: no-sudo ## Serve the book on http://127.0.0.1:3000 while you read (PORT=N for another)
	scripts/book serve $(if $(PORT),--port $(PORT))

# Every build names the whole workspace (with --bin to build less): cargo
# unifies features over the packages named, so a build of some packages
# only would make other artifacts, and the next build of all would
# compile again.
check: no-sudo deps ## Check an exercise: make check EXERCISE=ring (none: the first not yet done; SOLUTION=1: its solution)
	@$(CARGO) build --quiet --workspace
	@$(TARGET_DIR)/debug/check-exercise $(if $(SOLUTION),--solution) $(EXERCISE)

hint: no-sudo ## The next hint for an exercise: make hint EXERCISE=ring (each call shows one more)
	@$(CARGO) build --quiet --workspace --bin check-exercise
	@$(TARGET_DIR)/debug/check-exercise --hint $(EXERCISE)

proc-lessons: no-sudo ## Run every process lesson, traced, and draw each page's figure (no MPI needed)
	$(CARGO) build --release --workspace --bin local-procs --bin trace-svg
	@# The queue's figure has consumers enough to find it empty and wait.
	@for lesson in $(PROC_LESSONS); do \
	  args=; if [ "$$lesson" = queue ]; then args="--items 8 --consumers 4"; fi; \
	  echo "== local-procs $$lesson $$args, traced"; \
	  $(RELEASE)/local-procs --trace $(TARGET_DIR)/lessons/procs/$$lesson.jsonl $$lesson $$args > /dev/null || exit 1; \
	  $(RELEASE)/trace-svg $(TARGET_DIR)/lessons/procs/$$lesson.jsonl $(PROC_FIGURES)/$$lesson.svg \
	    --title "local-procs $$lesson$${args:+ $$args}" || exit 1; \
	done

lessons: build proc-lessons ## Run every lesson (MPI and process), traced, and draw each page's sequence diagram
	@for lesson in $(LESSONS); do \
	  name=$${lesson%%:*}; np=$${lesson##*:}; args=; \
	  if [ "$$name" = deadlock ]; then args=--fixed; fi; \
	  if [ "$$name" = heat ]; then args="--points 12 --steps 3"; fi; \
	  echo "== $$name on $$np ranks"; \
	  scripts/mpirun --trace $(TARGET_DIR)/lessons/$$name.jsonl -np $$np $(RELEASE)/$$name $$args; \
	  $(RELEASE)/trace-svg $(TARGET_DIR)/lessons/$$name.jsonl $(FIGURES)/$$name.svg --title "$$name, $$np ranks ($(MPI))"; \
	done
	@echo "== the watch's verdict on a knot, 4 ranks (the watch page's figure)"
	$(MPICC) -o $(TARGET_DIR)/lessons/knot crates/mpi-demos/tests/programs/corpus/knot.c
	scripts/mpirun --watch 2 --watch-graph $(FIGURES)/watch.svg -np 4 $(TARGET_DIR)/lessons/knot || true
	test -s $(FIGURES)/watch.svg

trace-demo: build ## Trace p2p's messages and draw them: target/trace/p2p.svg, and p2p.json for Perfetto
	scripts/mpirun --trace target/trace/p2p.jsonl -np $(NP) $(RELEASE)/p2p
	$(RELEASE)/trace-svg target/trace/p2p.jsonl target/trace/p2p.svg --ranks $(NP)
	$(RELEASE)/trace-perfetto target/trace/p2p.jsonl target/trace/p2p.json

cluster-demo: build ## p2p on 9 ranks across hosts: the virtual cluster, or HOSTFILE=... [NET=...]
ifeq ($(HOSTFILE),)
	@scripts/need-root cluster-demo
	@scripts/install-deps cluster
	P2P=$(abspath $(RELEASE)/p2p) scripts/cluster-demo
else
	P2P=$(abspath $(RELEASE)/p2p) scripts/cluster-demo --hostfile $(HOSTFILE) $(if $(NET),--net $(NET))
endif

cluster-down: ## Take the virtual cluster down (if you brought it up by hand)
	@scripts/need-root cluster-down
	$(if $(filter 0,$(shell id -u)),,sudo )scripts/virtual-cluster down

slurm-submit: no-sudo deps ## Submit p2p to your Slurm cluster (sbatch), wait, print its output
	$(CARGO) build --release --workspace
	@mkdir -p target/slurm
	P2P=$(abspath $(RELEASE)/p2p) scripts/slurm/submit scripts/slurm/p2p.sbatch --output=$(CURDIR)/target/slurm/p2p-%j.out

slurm-demo: build ## Submit p2p to a local Slurm of NODES nodes (default 1), up and down around it
	@scripts/need-root slurm-demo
	@scripts/install-deps slurm $(if $(filter-out 1,$(NODES)),cluster)
	P2P=$(abspath $(RELEASE)/p2p) scripts/slurm/demo --nodes $(NODES)

slurm-down: ## Take the local Slurm down (if you brought it up by hand)
	@scripts/need-root slurm-down
	$(if $(filter 0,$(shell id -u)),,sudo )scripts/slurm/local-cluster down

compare: build ## A local-procs lesson beside its Python original: make compare LESSON=pipe [SCALE=0]
	scripts/compare $(LESSON) $(if $(SCALE),--time-scale $(SCALE))

local-demo: build ## Run every single-machine lesson in turn, without sleeps
	$(RELEASE)/local-procs --time-scale 0 all

test: deps ## Run every test (installs what is missing first)
	@scripts/install-deps bench
	@# shellcheck and Chromium: where they cannot be installed (no sudo),
	@# their checks say they did not run, and the rest goes on.
	@scripts/install-deps --optional lint book
	scripts/book mdbook >/dev/null
	@if [ "$$(id -u)" -eq 0 ]; then scripts/install-deps cluster slurm; \
	else echo "not root: the virtual-cluster and Slurm tests are not run; cargo lists them as ignored, with why"; fi
	scripts/mpi4py-env >/dev/null
	$(CARGO) build --workspace
	@rm -f $(ROOT_TESTS)
	@# The tests that need root are marked #[ignore = "why"]: a plain cargo
	@# test lists them as ignored; here they run where they can (as root, and
	@# always under CI, where one that cannot run fails).
	if [ "$$(id -u)" -eq 0 ] || [ "$${CI:-}" = true ]; then $(CARGO) test --workspace -- --include-ignored; \
	else $(CARGO) test --workspace; fi
	@echo "tests that need root (virtual cluster, Slurm, services) or a tool (Chromium): $$(grep -c '^ran ' $(ROOT_TESTS) || true) ran, $$(grep -c '^skipped ' $(ROOT_TESTS) || true) skipped"
	@grep '^skipped ' $(ROOT_TESTS) | sed 's/^/  /' || true
	@if command -v shellcheck >/dev/null; then echo "+ shellcheck scripts/..."; shellcheck $(SCRIPTS); \
	elif [ "$${CI:-}" = true ]; then echo "shellcheck is not installed: under CI every check must run" >&2; exit 1; \
	else echo "not run: shellcheck of the scripts (shellcheck is not installed; scripts/install-deps lint names its package)"; fi

lint: clippy ## Lint the Rust code and the shell scripts
	@scripts/install-deps lint
	shellcheck $(SCRIPTS)

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt: ## Format the Rust code
	$(CARGO) fmt --all

clean: ## Remove build output
	$(CARGO) clean
