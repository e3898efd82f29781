// The shared harness of the core's C++ tests: a pass/fail counter, the test data's owner and
// its DataView, and the summary line. Each test program prints "N passed, M failed" and exits
// non-zero on any failure.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "common/data.hpp"

namespace ctxstats_test {

inline int passed = 0, failed = 0;

inline void check(bool ok, const std::string& what) {
  if (ok) {
    ++passed;
  } else {
    ++failed;
    std::printf("FAIL: %s\n", what.c_str());
  }
}

// Row-major C (n x m), X (n x p), y and weights w, owned here; view() borrows them.
struct Data {
  std::size_t n;
  int p, m;
  std::vector<double> C, X, y, w;
  ctxstats::DataView view(bool weighted = true) const {
    ctxstats::DataView d;
    d.n = n;
    d.p = p;
    d.m = m;
    d.C = C.data();
    d.X = X.data();
    d.y = y.data();
    d.weights = weighted ? w.data() : nullptr;
    return d;
  }
};

// Prints the summary line; the program's exit code.
inline int report() {
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace ctxstats_test
