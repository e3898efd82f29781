#include "inference/basis_check.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "common/data.hpp"
#include "common/error.hpp"
#include "common/rng.hpp"

namespace ctxstats {

namespace {

// mean((r[i+1] - r[i])^2) / 2 over the order `idx`.
double neighbour_variance(const double* r, const std::vector<std::size_t>& idx) {
  double s = 0.0;
  for (std::size_t i = 1; i < idx.size(); ++i) {
    const double d = r[idx[i]] - r[idx[i - 1]];
    s += d * d;
  }
  return s / static_cast<double>(idx.size() - 1) / 2.0;
}

}  // namespace

BasisCheck basis_dimension_check(const double* residuals, const double* C, std::size_t n, int m, int n_rep,
                                 std::uint64_t seed) {
  require(n >= 3, "the basis check needs at least 3 rows");
  require(m >= 1, "the basis check needs a context column");
  require(n_rep >= 1, "n_rep must be a positive integer, not " + std::to_string(n_rep));
  check_finite(residuals, n, 1, "residuals");
  check_finite(C, n, m, "context");
  double ms = 0.0;
  for (std::size_t i = 0; i < n; ++i) ms += residuals[i] * residuals[i];
  ms /= static_cast<double>(n);
  // The permutations' statistics do not depend on the feature: draw them once.
  std::vector<double> shuffled(n_rep);
  std::vector<std::size_t> perm(n);
  for (int rep = 0; rep < n_rep; ++rep) {
    std::iota(perm.begin(), perm.end(), std::size_t{0});
    CounterRng rng(seed, Stream::kBasisCheck, static_cast<std::uint64_t>(rep));
    for (std::size_t i = n; i > 1; --i) std::swap(perm[i - 1], perm[static_cast<std::size_t>(rng.below(i))]);
    shuffled[rep] = neighbour_variance(residuals, perm);
  }
  BasisCheck out;
  std::vector<std::size_t> order(n);
  for (int l = 0; l < m; ++l) {
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return C[a * m + l] < C[b * m + l]; });
    const double v = neighbour_variance(residuals, order);
    std::size_t below = 0;
    for (double s : shuffled) below += s < v;
    out.k_index.push_back(ms > 0.0 ? v / ms : std::numeric_limits<double>::quiet_NaN());
    out.p_value.push_back(static_cast<double>(below) / static_cast<double>(n_rep));
  }
  return out;
}

}  // namespace ctxstats
