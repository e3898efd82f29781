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

.PHONY: demo test cpp-test install system-deps bench r-package clean

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

demo: install
	$(PY) -m ctxstats.demo

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

bench: install
	$(PY) benchmarks/run.py

# A stand-alone source tarball of the R package in dist/ (the core is copied into a staging
# directory, never into the repository tree).
r-package:
	bash r-bindings/tools/build_tarball.sh dist

clean:
	rm -rf build $(VENV) *.egg-info .pytest_cache
