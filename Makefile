# The two commands of the README: `make demo` and `make test`. Both set up a virtual
# environment in .venv (system packages for R come from Debian) and install the package.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_PACKAGES := r-base-dev r-cran-rcpp r-cran-rcppeigen r-cran-testthat r-cran-mgcv libeigen3-dev
# The R package (r-bindings/) is installed into this library by `make test`; the rpy2 tests
# find it through CTXSTATS_R_LIB.
R_LIB := $(abspath $(VENV))/R-lib

.PHONY: demo test cpp-test install system-deps bench bench-install r-package clean

system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

install: system-deps $(PY)
	$(PIP) install -q ".[test,r,plot]"

# -I: import the installed package, not the source tree in the current directory (which has
# no compiled _core).
demo: install
	$(PY) -I -m ctxstats.demo

test: install cpp-test
	@mkdir -p $(R_LIB)
	@echo "installing the R package into $(R_LIB) (log: $(VENV)/R-install.log)"
	@MAKEFLAGS=-j2 R CMD INSTALL -l $(R_LIB) r-bindings > $(VENV)/R-install.log 2>&1 || { cat $(VENV)/R-install.log; exit 1; }
	R_LIBS=$(R_LIB) Rscript -e 'testthat::test_dir("r-bindings/tests/testthat", package = "ctxstats", load_package = "installed", stop_on_failure = TRUE, reporter = "summary")'
	R_LIBS=$(R_LIB) CTXSTATS_R_LIB=$(R_LIB) $(VENV)/bin/pytest -q

# The C++ core on its own: gradient checks, determinism, boundary errors (ctest).
cpp-test: install
	$(VENV)/bin/cmake -S . -B build/cpp-tests -G Ninja -DCMAKE_MAKE_PROGRAM=$(CURDIR)/$(VENV)/bin/ninja \
	  -DCTXSTATS_BUILD_PYTHON=OFF -DCTXSTATS_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
	$(VENV)/bin/cmake --build build/cpp-tests -j2
	$(VENV)/bin/ctest --test-dir build/cpp-tests --output-on-failure

# Benchmarks run in their own environment, so the peer's PyTorch never enters .venv.
# torch first (the CPU build), ContextualizedML without its declared deps (they would pull
# torchvision and a CUDA torch), then its runtime deps under a torch pin, then ctxstats.
BENCH_VENV ?= .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_ARGS ?=
EXACT_ARGS ?=

$(BENCH_PY):
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install -q --upgrade pip

bench-install: $(BENCH_PY)
	$(BENCH_PY) -m pip install -q torch==2.13.0
	$(BENCH_PY) -m pip install -q --no-deps contextualized-ml==0.2.9
	$(BENCH_PY) -m pip install -q -c benchmarks/constraints.txt \
	  lightning numpy pandas scikit-learn igraph matplotlib psutil statsmodels
	$(BENCH_PY) -m pip install -q -c benchmarks/constraints.txt .

bench: bench-install
	@rc=0; $(BENCH_PY) benchmarks/run.py $(BENCH_ARGS) || rc=$$?; \
	$(BENCH_PY) benchmarks/bench_exact.py $(EXACT_ARGS) || rc=$$?; exit $$rc

# A stand-alone source tarball of the R package in dist/ (the core is copied into a staging
# directory, never into the repository tree).
r-package:
	bash r-bindings/tools/build_tarball.sh dist

clean:
	rm -rf build $(VENV) $(BENCH_VENV) *.egg-info .pytest_cache
