# The two commands of the README: `make demo` and `make test`. Both set up a virtual
# environment in .venv (system packages for R come from Debian) and install the package.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_PACKAGES := r-base-dev r-cran-rcpp r-cran-rcppeigen r-cran-testthat r-cran-mgcv libeigen3-dev

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
	$(VENV)/bin/pytest -q

# The C++ core on its own: gradient checks, determinism, boundary errors (ctest).
cpp-test: install
	$(VENV)/bin/cmake -S . -B build/cpp-tests -G Ninja -DCMAKE_MAKE_PROGRAM=$(CURDIR)/$(VENV)/bin/ninja \
	  -DCTXSTATS_BUILD_PYTHON=OFF -DCTXSTATS_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
	$(VENV)/bin/cmake --build build/cpp-tests -j2
	$(VENV)/bin/ctest --test-dir build/cpp-tests --output-on-failure

bench: install
	$(PY) benchmarks/run.py

clean:
	rm -rf build $(VENV) *.egg-info .pytest_cache
