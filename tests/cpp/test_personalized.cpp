// Personalized regression's neighbour search and bootstrap statistics (issue 14): the kd-tree
// under the learned metric returns bitwise the brute-force neighbours (set, order, distances)
// for numeric and categorical columns, tied contexts, zero metric weights and a left-out row.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <cmath>

#include "common/rng.hpp"
#include "inference/bootstrap_modes.hpp"
#include "inference/bootstrap_summary.hpp"
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

// The bootstrap statistics: centred intervals contain the estimate and keep the replicates'
// spread; the modes check finds two separated modes and not one normal cloud or a uniform.
void bootstrap_statistic_checks() {
  const std::size_t B = 40;
  std::vector<double> samples(B * 3);
  CounterRng rng(5, Stream::kBootstrap, 0);
  for (std::size_t b = 0; b < B; ++b) {
    samples[b * 3 + 0] = 10.0 + rng.normal();                          // one normal mode
    samples[b * 3 + 1] = (b < 25 ? 0.03 : 0.97) + 0.005 * rng.normal();  // two modes
    samples[b * 3 + 2] = static_cast<double>(b) / B;                     // uniform
  }
  const double est[3] = {7.0, 0.5, 0.2};  // far from the replicates' centre
  const CentredIntervals ci = centred_intervals(est, samples.data(), B, 3, 0.1, -1e300, 1e300);
  bool inside = true;
  for (int j = 0; j < 3; ++j) inside = inside && ci.lower[j] <= est[j] && est[j] <= ci.upper[j];
  check(inside, "centred intervals contain the estimate");
  const std::vector<double> q05 = column_quantiles(samples.data(), B, 3, 0.05);
  const std::vector<double> q95 = column_quantiles(samples.data(), B, 3, 0.95);
  check(std::abs((ci.upper[0] - ci.lower[0]) - (q95[0] - q05[0])) < 1e-12, "centred intervals keep the width");
  const CentredIntervals clipped = centred_intervals(est, samples.data(), B, 3, 0.1, 0.0, 1.0);
  check(clipped.lower[1] >= 0.0 && clipped.upper[1] <= 1.0, "centred intervals are clipped to their bounds");
  const ModeSplit split = bootstrap_modes(samples.data(), B, 3, 0.1);
  check(!split.multimodal[0] && split.multimodal[1] && !split.multimodal[2],
        "modes: two separated modes found, a normal cloud and a uniform not");
  check(split.low_count[1] == 25 && split.high_count[1] == 15 && std::abs(split.low_centre[1] - 0.03) < 0.01,
        "modes: sizes and centres of the two modes");
  const ModeSplit few = bootstrap_modes(samples.data(), 9, 3, 0.1);
  check(!few.multimodal[1], "modes: fewer than 10 replicates are never called multimodal");
  std::vector<std::string> names = {"a", "Temp", "c"};
  const std::string text = describe_modes(split, names, "metric weight of ");
  check(text.find("metric weight of Temp: 25 of 40 replicates near 0.0") == 0 && text.find(", 15 near 0.9") != std::string::npos, "modes text: " + text);
}

}  // namespace

int main() {
  tree_checks();
  bootstrap_statistic_checks();
  return ctxstats_test::report();
}
