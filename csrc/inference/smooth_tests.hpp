// Tests of the smooth terms of a spline fit (encoder = "spline"), after Wood (2013), "On
// p-values for smooth components of an extended generalized additive model", Biometrika
// 100:221-228, as mgcv's summary.gam computes them.
//
// A term of coefficient k -- one context feature's smooth f_kl, a tensor interaction, or all
// of coefficient k's smooth terms at once (the heterogeneity test) -- contributes
// x_ik f_k(c_i) = X_t gamma to the linear predictor, gamma its coefficients in the user's
// units with Bayesian covariance V (from Vp). The test is on the term's fitted values, not on
// gamma: with R'R = X_t' W X_t (the term's block of the weighted Gram matrix Z'WZ; W the
// working weights), the statistic is
//     T = (R gamma)' (R V R')^{r-} (R gamma),
// where (R V R')^{r-} is the pseudo-inverse truncated to the r largest eigenvalues. Directions
// of gamma that the data do not see (a binary or factor context has only a few distinct
// values; a skewed one leaves basis functions almost empty) have no fitted values and drop
// out, so the test keeps its size and its power on any context. The rank r comes from the
// term's reference degrees of freedom tr(2F - F^2) over its block (F = (Z'WZ + S)^-1 Z'WZ),
// capped by the number of columns and by the numerical rank of R V R', and rounded as mgcv's
// testStat(type = 1) does: down when within 0.05 above an integer, up otherwise (at least 1).
// With an integer rank the reference distribution is chi-square(r) for a known scale, and
// T / r ~ F(r, df_resid) when the scale is estimated (gaussian), df_resid = n - total edf.
// The bindings turn these statistics into p-values.
#pragma once
#include <vector>

#include "encoders/context_basis.hpp"
#include "common/data.hpp"
#include "smoothing/smoothing.hpp"

namespace ctxstats {

struct SmoothTest {
  int output = 0;          // coefficient k (0-based; the intercept first when there is one)
  int term = -1;           // basis term; -1 for all of coefficient k's smooth terms together
  double edf = 0.0;        // effective degrees of freedom of the term(s)
  double ref_df = 0.0;     // tr(2F - F^2) over the term's block
  int rank = 0;            // r of the truncated pseudo-inverse (0: the term has no fitted values)
  double statistic = 0.0;  // T (chi-square scale; divide by rank for the F form)
};

struct SmoothTests {
  std::vector<SmoothTest> terms;         // one per (coefficient, smooth or tensor term), k major
  std::vector<SmoothTest> coefficients;  // one per coefficient: all its smooth terms
  double df_resid = 0.0;                 // n - total edf (at least 1)
  bool estimated_scale = false;          // true: refer T / r to F(r, df_resid); else T to chi2(r)
};

// From what a penalised exact fit reports (Vp, Z'WZ, edf) on the internal scale, its weights
// (q x basis.size(), row-major) and the scaling that maps them to the user's units.
SmoothTests smooth_tests(const SmoothingReport& report, const ContextBasis& basis, const Scaling& scaling,
                         const std::vector<double>& weights, bool estimated_scale);

}  // namespace ctxstats
