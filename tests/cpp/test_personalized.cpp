// Personalized regression's neighbour search and bootstrap statistics (issue 14): the kd-tree
// under the learned metric returns bitwise the brute-force neighbours (set, order, distances)
// for numeric and categorical columns, tied contexts, zero metric weights and a left-out row.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/rng.hpp"
#include "personalized/metric_tree.hpp"
#include "personalized/personalized.hpp"
#include "harness.hpp"

using namespace ctxstats;
using ctxstats_test::check;

namespace {

std::vector<std::pair<double, std::uint32_t>> brute(const std::vector<double>& C, int m,
                                                    const std::vector<std::uint32_t>& pool, const double* c,
                                                    const std::vector<double>& phi, const std::vector<double>& inv,
                                                    const std::vector<int>& cat, int k, std::uint32_t skip) {
  std::vector<std::pair<double, std::uint32_t>> d;
  for (std::uint32_t j : pool)
    if (j != skip) d.emplace_back(metric_distance(c, C.data() + static_cast<std::size_t>(j) * m, phi.data(), inv.data(),
                                                  cat.data(), m), j);
  std::sort(d.begin(), d.end());
  d.resize(std::min<std::size_t>(d.size(), static_cast<std::size_t>(k)));
  return d;
}

void tree_checks() {
  const int m = 4;
  struct Case {
    const char* name;
    std::vector<double> phi;
    std::vector<int> cat;
    int rounding;  // contexts rounded to this many levels (ties), 0: continuous
  };
  const std::vector<Case> cases = {
      {"numeric", {0.4, 0.3, 0.2, 0.1}, {0, 0, 0, 0}, 0},
      {"numeric with zero weights", {0.0, 0.7, 0.0, 0.3}, {0, 0, 0, 0}, 0},
      {"tied numeric", {0.25, 0.25, 0.25, 0.25}, {0, 0, 0, 0}, 3},
      {"categorical and numeric", {0.5, 0.2, 0.2, 0.1}, {1, 0, 1, 0}, 4},
      {"one categorical column only", {1.0, 0.0, 0.0, 0.0}, {1, 0, 0, 0}, 3},
      {"all categorical", {0.3, 0.3, 0.4, 0.0}, {1, 1, 1, 1}, 3},
  };
  for (const Case& cs : cases) {
    for (std::size_t n : {std::size_t(1), std::size_t(7), std::size_t(300), std::size_t(2500)}) {
      std::vector<double> C(n * m);
      CounterRng rng(11, Stream::kInit, n);
      for (double& v : C) {
        v = rng.normal();
        if (cs.rounding) v = static_cast<double>(static_cast<int>(rng.below(cs.rounding)));
      }
      // Every third row left out of the pool (as rows of zero bootstrap weight are).
      std::vector<std::uint32_t> pool;
      for (std::uint32_t i = 0; i < n; ++i)
        if (n < 10 || i % 3 != 0) pool.push_back(i);
      std::vector<double> inv(m);
      for (int k = 0; k < m; ++k) inv[k] = 1.0 / (0.5 + k);
      const MetricTree tree(C.data(), m, pool, cs.phi.data(), inv.data(), cs.cat.data());
      bool same = true;
      std::vector<std::pair<double, std::uint32_t>> got;
      for (std::size_t r = 0; r < std::min<std::size_t>(n, 200) && same; ++r) {
        for (int k : {1, 5, 16, 64, 5000}) {
          const std::uint32_t skip = r % 2 ? static_cast<std::uint32_t>(r) : UINT32_MAX;
          const double* c = C.data() + r * m;
          const int kk = tree.nearest(c, k, skip, got);
          const auto want = brute(C, m, pool, c, cs.phi, inv, cs.cat, k, skip);
          if (kk != static_cast<int>(want.size()) || got != want) same = false;
        }
      }
      check(same, std::string("kd-tree = brute force, ") + cs.name + ", n = " + std::to_string(n));
    }
  }
}

}  // namespace

int main() {
  tree_checks();
  return ctxstats_test::report();
}
