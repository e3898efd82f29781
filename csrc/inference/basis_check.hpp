// A check that a spline fit's basis is large enough, as mgcv's k.check (gam.check) does: if
// the fit leaves a pattern along a context feature, neighbouring residuals (in the order of
// that feature) are more alike than residuals in random order.
//
// For context feature l, with r the deviance residuals sorted by c_l (ties in row order):
//   v = mean((r_(i+1) - r_(i))^2) / 2,   k-index = v / mean(r^2),
// and the p-value is the share of n_rep random orderings of r whose v is below the observed
// one (each ordering a permutation from the counter-based generator keyed (seed, rep), so the
// value is the same in both languages and for any thread count). A k-index well below 1 with
// a small p-value suggests a larger basis (n_knots) for the terms of that feature.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ctxstats {

struct BasisCheck {
  std::vector<double> k_index;   // m
  std::vector<double> p_value;   // m
};

BasisCheck basis_dimension_check(const double* residuals, const double* C, std::size_t n, int m, int n_rep,
                                 std::uint64_t seed);

}  // namespace ctxstats
