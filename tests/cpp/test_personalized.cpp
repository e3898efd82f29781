// Personalized regression's neighbour search and bootstrap statistics (issue 14): the kd-tree
// under the learned metric returns bitwise the brute-force neighbours (set, order, distances)
// for numeric and categorical columns, tied contexts, zero metric weights and a left-out row.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <cmath>

#include "common/error.hpp"
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

// A view of n rows with one predictor and m context columns.
DataView one_predictor(std::size_t n, int m, const std::vector<double>& C, const std::vector<double>& X,
                       const std::vector<double>& y) {
  DataView d;
  d.n = n;
  d.p = 1;
  d.m = m;
  d.C = C.data();
  d.X = X.data();
  d.y = y.data();
  return d;
}

// The linear varying-coefficient target of the local GLMs' shrinkage: it recovers a linear
// truth, its user-unit map reproduces its internal fit at every row, held-out rows do not
// enter it, an unseen level maps to the reference level, and predictions with the map keep
// the target's variation exactly.
void linear_target_checks() {
  const std::size_t n = 600;
  const int m = 2;
  std::vector<double> C(n * m), X(n), y(n), y2;
  CounterRng rng(11, Stream::kBootstrap, 3);
  for (std::size_t i = 0; i < n; ++i) {
    const double c1 = 2.0 + 3.0 * rng.normal(), x = rng.normal() + 1.0;
    const double g = (i % 5 == 0) ? 2.0 : (i % 3 == 0 ? 1.0 : 0.0);  // level 0 the most frequent
    C[i * m] = c1;
    C[i * m + 1] = g;
    X[i] = x;
    const double b0 = 1.0 + 0.5 * c1 + (g == 1.0 ? 2.0 : 0.0) - (g == 2.0 ? 1.0 : 0.0), b1 = 0.5 - 0.25 * c1;
    y[i] = b0 + b1 * x + 0.01 * rng.normal();
  }
  std::vector<char> role(n, 0);
  for (std::size_t i = 0; i < n; i += 7) role[i] = 1;
  const std::vector<int> cat = {0, 1};
  const DataView d = one_predictor(n, m, C, X, y);
  const Scaling sc = compute_scaling(d, Family::kGaussian, true);
  const std::vector<double> pop = {0.0, 0.0};
  const LinearTarget t = personalized_linear_target(d, sc, Family::kGaussian, role, cat, pop);
  check(t.finite && t.converged, "linear target: converged");
  // map rows: constant, c1, g == 1, g == 2 (level 0 the reference)
  check(t.map.size() == 4 * 4, "linear target: one term per design column");
  const double want[4][4] = {{-1, 0, 1.0, 0.5}, {0, 0, 0.5, -0.25}, {1, 1, 2.0, 0.0}, {1, 2, -1.0, 0.0}};
  bool close = true;
  for (int e = 0; e < 4; ++e)
    for (int c = 0; c < 4; ++c) close = close && std::abs(t.map[e * 4 + c] - want[e][c]) < 0.02;
  check(close, "linear target: recovers the linear varying coefficients");
  std::vector<double> internal = t.theta;
  theta_to_original(sc, internal.data(), n);
  const std::vector<double> mapped = target_map_eval(t.map, 2, C.data(), n, m, cat);
  double err = 0.0;
  for (std::size_t a = 0; a < mapped.size(); ++a) err = std::max(err, std::abs(mapped[a] - internal[a]));
  check(err < 1e-9, "linear target: the user-unit map reproduces the internal fit (" + std::to_string(err) + ")");
  y2 = y;
  for (std::size_t i = 0; i < n; ++i)
    if (role[i]) y2[i] = 1e3;
  DataView d2 = d;
  d2.y = y2.data();
  const LinearTarget t2 = personalized_linear_target(d2, sc, Family::kGaussian, role, cat, pop);
  check(t2.map == t.map, "linear target: held-out outcomes do not enter it");
  const double unseen[2] = {2.0, -1.0}, ref[2] = {2.0, 0.0};
  check(target_map_eval(t.map, 2, unseen, 1, m, cat) == target_map_eval(t.map, 2, ref, 1, m, cat),
        "linear target: an unseen level maps to the reference level");
  // Training models equal to the target: predictions are the target at the new context.
  const std::vector<double> phi = {0.5, 0.5}, scale = distance_scales(d, cat);
  const double C_new[4] = {-3.0, 1.0, 7.5, 2.0};
  const std::vector<double> pred =
      personalized_predict(C_new, 2, C.data(), n, m, mapped.data(), 2, phi, scale, cat, 10, 1, &t.map);
  const std::vector<double> at = target_map_eval(t.map, 2, C_new, 2, m, cat);
  double perr = 0.0;
  for (int a = 0; a < 4; ++a) perr = std::max(perr, std::abs(pred[a] - at[a]));
  check(perr < 1e-9, "predictions with a target map keep the target's variation");
  bool threw = false;
  try {
    const std::vector<double> bad = {5.0, 0.0, 1.0, 1.0};
    target_map_eval(bad, 2, C_new, 1, m, cat);
  } catch (const InvalidArgument&) {
    threw = true;
  }
  check(threw, "a target map naming no context column is refused");
}

// The local GLMs' choice and fits: judging alone (final_fits false, what choosing the rank
// uses) gives bitwise the held-out losses of the full call and fits no sample models; the
// weakly shrunk models of the bias estimate are the sample models when strength 1 is chosen,
// and otherwise differ from them (the shrinkage's pull enters the bias allowance).
void local_models_checks() {
  const int m = 2;
  for (int design = 0; design < 2; ++design) {
    // design 0: a step in c1 (the local GLMs win); 1: a linear trend in c1 with much noise
    // (a stronger shrinkage towards the linear fit wins).
    const std::size_t n = 800;
    std::vector<double> C(n * m), X(n), y(n);
    CounterRng rng(5, Stream::kBootstrap, 7 + design);
    for (std::size_t i = 0; i < n; ++i) {
      const double c1 = rng.normal(), c2 = rng.normal(), x = rng.normal();
      C[i * m] = c1;
      C[i * m + 1] = c2;
      X[i] = x;
      y[i] = design == 0 ? (c1 > 0 ? 2.0 : -1.0) * x + 0.2 * rng.normal() : (1.0 + 0.3 * c1) * x + 2.0 * rng.normal();
    }
    std::vector<char> role(n, 0);
    for (std::size_t i = 0; i < n; i += 4) role[i] = 1;
    const DataView d = one_predictor(n, m, C, X, y);
    const Scaling sc = compute_scaling(d, Family::kGaussian, true);
    const std::vector<int> cat = {0, 0};
    const std::vector<double> pop = {0.0, 0.0}, phi = {0.9, 0.1}, scale = distance_scales(d, cat);
    const LocalModels full =
        personalized_local_models(d, sc, Family::kGaussian, role, pop, phi, scale, cat, 0, false, 3, 1, true);
    const LocalModels judged =
        personalized_local_models(d, sc, Family::kGaussian, role, pop, phi, scale, cat, 0, false, 3, 2, false);
    const std::string tag = design == 0 ? "local models (step): " : "local models (noisy trend): ";
    check(judged.shrink_loss == full.shrink_loss && judged.loss == full.loss && judged.k == full.k &&
              judged.held_out_loss == full.held_out_loss && judged.theta.empty(),
          tag + "judging alone gives the full call's held-out losses, any thread count");
    check(full.theta.size() == n * 2 && full.theta_weak.size() == n * 2 && full.theta_half.size() == n * 2,
          tag + "sample models, weak and half fits for every row");
    if (design == 0) {
      check(full.shrinkage == 1.0 && full.theta_weak == full.theta, tag + "strength 1 chosen, the weak fit is the fit");
    } else {
      double gap = 0.0;
      for (std::size_t a = 0; a < full.theta.size(); ++a) gap = std::max(gap, std::abs(full.theta[a] - full.theta_weak[a]));
      check(full.shrink_target == "linear" && full.shrinkage > 1.0 && gap > 1e-3,
            tag + "a stronger shrinkage chosen, the weak fit differs (" + full.shrink_target + ", " +
                std::to_string(full.shrinkage) + ", " + std::to_string(gap) + ")");
    }
  }
}

}  // namespace

int main() {
  tree_checks();
  bootstrap_statistic_checks();
  linear_target_checks();
  local_models_checks();
  return ctxstats_test::report();
}
