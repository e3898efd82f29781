# The two commands of the README: `make demo` and `make test`. Both set up a virtual
# environment in .venv (system packages for R come from Debian) and install the package.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
DEBIAN_PACKAGES := r-base-dev r-cran-rcpp r-cran-rcppeigen r-cran-testthat r-cran-mgcv r-cran-flexmix libeigen3-dev
# The R package (r-bindings/) is installed into this library by `make test`; the rpy2 tests
# find it through CTXSTATS_R_LIB.
R_LIB := $(abspath $(VENV))/R-lib

.PHONY: demo test cpp-test install system-deps bench bench-install bench-kernels r-package clean sanitize sanitize-cpp sanitize-python

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

# CI runs this: the C++ tests (also under ASan/UBSan, sanitize-cpp-quick), R's and Python's.
test: install cpp-test sanitize-cpp-quick
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

# AddressSanitizer + UndefinedBehaviorSanitizer (issue 13). Their own build directory
# (build/asan), so the ordinary builds are untouched; the sanitized core is compiled once for both:
#  - sanitize-cpp: the core and its C++ tests built with the sanitizers, run by ctest. Any
#    report stops the test (-fno-sanitize-recover, halt_on_error).
#  - sanitize-python: the extension (ctxstats._core) built with the sanitizers into
#    build/asan, staged beside a copy of the ctxstats/ sources and put first on
#    PYTHONPATH; pytest runs a subset against it. The interpreter is not instrumented, so the
#    ASan runtime must be loaded first: LD_PRELOAD=$$(gcc -print-file-name=libasan.so), and
#    libstdc++ with it (Python does not link it: ASan finds no __cxa_throw to intercept and
#    aborts at the first C++ exception); the UBSan runtime is a dependency of the module.
#    Leak checking is off (ASAN_OPTIONS=detect_leaks=0): CPython keeps its objects until exit
#    by design.
#    Subprocesses (the bad-input battery, the file fuzz) inherit the preload and PYTHONPATH.
#    Embedded R (rpy2) crashes on start-up under the preloaded runtime: CTXSTATS_SKIP_R=1 makes
#    conftest.py skip the tests against R (they run in `make test`).
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g
SAN_ENV := ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
SAN_PYTESTS ?= tests/test_io.py tests/test_io_fuzz.py tests/test_option_schema.py tests/test_gradients.py \
  tests/test_models.py tests/test_personalized.py tests/test_bad_inputs_subprocess.py

sanitize: sanitize-cpp sanitize-python

SAN_CMAKE = $(VENV)/bin/cmake -S . -B build/asan -G Ninja -DCMAKE_MAKE_PROGRAM=$(CURDIR)/$(VENV)/bin/ninja \
  -DCTXSTATS_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="$(SAN_FLAGS)" \
  -DCMAKE_EXE_LINKER_FLAGS="$(SAN_FLAGS)" -DCMAKE_SHARED_LINKER_FLAGS="$(SAN_FLAGS)" \
  -DCMAKE_MODULE_LINKER_FLAGS="$(SAN_FLAGS)"

.PHONY: sanitize-cpp-build sanitize-cpp-quick
sanitize-cpp-build: install
	$(SAN_CMAKE) -DCTXSTATS_BUILD_PYTHON=OFF >/dev/null
	$(VENV)/bin/cmake --build build/asan -j2

sanitize-cpp: sanitize-cpp-build
	$(SAN_ENV) $(VENV)/bin/ctest --test-dir build/asan --output-on-failure

# CI's sanitizer job (run by `make test`): the same build and tests, with the seeded fuzz loops
# at a tenth of their trials (CTXSTATS_FUZZ_SCALE, read by tests/cpp/harness.hpp); the full
# counts run in the ordinary build (cpp-test) and in sanitize-cpp.
sanitize-cpp-quick: sanitize-cpp-build
	CTXSTATS_FUZZ_SCALE=0.1 $(SAN_ENV) $(VENV)/bin/ctest --test-dir build/asan --output-on-failure

# pybind11 comes with the test extra (the wheel build has its own, in an isolated environment).
sanitize-python: install
	$(SAN_CMAKE) -DCTXSTATS_BUILD_PYTHON=ON -DPython_EXECUTABLE=$(CURDIR)/$(PY) \
	  -Dpybind11_DIR=$$($(PY) -m pybind11 --cmakedir) >/dev/null
	$(VENV)/bin/cmake --build build/asan -j2 --target _core
	rm -rf build/asan/stage && mkdir -p build/asan/stage
	cp -r ctxstats build/asan/stage/ && cp build/asan/_core*.so build/asan/stage/ctxstats/
	$(SAN_ENV) LD_PRELOAD="$$(gcc -print-file-name=libasan.so) $$(gcc -print-file-name=libstdc++.so)" \
	  PYTHONPATH=$(CURDIR)/build/asan/stage \
	  CTXSTATS_EXPECT_CORE=$(CURDIR)/build/asan/stage CTXSTATS_SKIP_R=1 \
	  $(VENV)/bin/pytest -q -p no:cacheprovider $(SAN_PYTESTS)

# Benchmarks run in their own environment, so the peer's PyTorch never enters .venv.
# torch first (the CPU build), ContextualizedML without its declared deps (they would pull
# torchvision and a CUDA torch), then its runtime deps under a torch pin, then ctxstats.
BENCH_VENV ?= .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_ARGS ?=
EXACT_ARGS ?=
DASK_ARGS ?=

$(BENCH_PY):
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_PY) -m pip install -q --upgrade pip

bench-install: $(BENCH_PY)
	$(BENCH_PY) -m pip install -q torch==2.13.0
	$(BENCH_PY) -m pip install -q --no-deps contextualized-ml==0.2.9
	$(BENCH_PY) -m pip install -q -c benchmarks/constraints.txt \
	  lightning numpy pandas scikit-learn igraph matplotlib psutil statsmodels
	$(BENCH_PY) -m pip install -q -c benchmarks/constraints.txt ".[dask]"

bench: bench-install
	@rc=0; $(BENCH_PY) benchmarks/run.py $(BENCH_ARGS) || rc=$$?; \
	$(BENCH_PY) benchmarks/bench_exact.py $(EXACT_ARGS) || rc=$$?; \
	$(BENCH_PY) benchmarks/bench_dask.py $(DASK_ARGS) || rc=$$?; exit $$rc

# The networks' forward + backward pass: achieved FLOP rate against the AVX2 peak (issue 12).
bench-kernels: cpp-test
	build/cpp-tests/bench_kernels $(KERNEL_ARGS)

# A stand-alone source tarball of the R package in dist/ (the core is copied into a staging
# directory, never into the repository tree).
r-package:
	bash r-bindings/tools/build_tarball.sh dist

clean:
	rm -rf build $(VENV) $(BENCH_VENV) *.egg-info .pytest_cache
