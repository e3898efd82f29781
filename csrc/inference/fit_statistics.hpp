// Goodness-of-fit statistics and residuals of a fitted GLM's means, computed once for both
// front ends (issue 16): the log-likelihood, deviance, null deviance, Pearson chi-square,
// dispersion and the four residual types, with the definitions of R's glm and statsmodels' GLM
// (prior weights as R's `weights` / statsmodels' `var_weights`).
//
//   deviance      = sum_i w_i d(y_i, mu_i)    d: 2 x (saturated - fitted log-likelihood) of one row
//   null_deviance = the deviance at mu_i = the weighted mean of y (with an intercept), else at
//                   the inverse link of 0
//   pearson_chi2  = sum_i w_i (y_i - mu_i)^2 / V(mu_i)
//   scale         = pearson_chi2 / df_resid for gaussian (R's summary.glm dispersion), 1 otherwise;
//                   quasi-likelihood fits (binomial or poisson with the option dispersion =
//                   "pearson": R's quasibinomial / quasipoisson) also pearson_chi2 / df_resid
//   loglik        = gaussian with the ML variance RSS / n (statsmodels' OLS/WLS, R's logLik.lm);
//                   binomial and poisson their full likelihoods, weighted; quasi fits have none
//                   (NaN, R's logLik of a quasi family: NA)
#pragma once
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "common/family.hpp"

namespace ctxstats {

struct FitStatistics {
  double loglik = 0.0;
  double deviance = 0.0;
  double null_deviance = 0.0;
  double pearson_chi2 = 0.0;
  // 1 - deviance / null_deviance (mgcv's "deviance explained"; NaN when the null deviance is 0).
  double deviance_explained = 0.0;
};

// y, mu (fitted means) and weights (null: all 1) of n rows. InvalidArgument for non-finite
// values, negative weights, or means outside the family's range.
FitStatistics fit_statistics(Family family, const double* y, const double* mu, const double* weights, std::size_t n,
                             bool intercept, bool quasi = false);

// The dispersion: gaussian and quasi fits pearson_chi2 / df_resid (NaN when df_resid <= 0:
// there is no residual variation left to estimate it from), 1 for binomial and poisson.
double dispersion(Family family, double pearson_chi2, double df_resid, bool quasi = false);

// "response" y - mu; "pearson" (y - mu) sqrt(w / V(mu)); "deviance" sign(y - mu) sqrt(w d);
// "working" (y - mu) d eta / d mu. InvalidArgument naming the type otherwise.
std::vector<double> residuals(Family family, const std::string& type, const double* y, const double* mu,
                              const double* weights, std::size_t n);

// The test of a restricted fit (deviance dev0, residual df df0) against a larger one (dev1,
// df1) of the same rows: for gaussian the F statistic of R's anova.lm / statsmodels'
// compare_f_test, F = ((dev0 - dev1) / (df0 - df1)) / (dev_big / df_big) on (df0 - df1, df_big)
// degrees of freedom, where (dev_big, df_big) is the largest fit of the comparison (R's anova
// of several models; the larger of the two when there are two); otherwise the likelihood-ratio
// (deviance) statistic dev0 - dev1 on df0 - df1, chi-square (R's anova.glm test = "Chisq").
// Quasi fits (dispersion_big finite: the largest fit's estimated dispersion) get R's anova.glm
// test = "F": F = ((dev0 - dev1) / (df0 - df1)) / dispersion_big on (df0 - df1, df_big).
// The front ends compute the p-value. InvalidArgument unless df0 > df1 (the restricted fit has
// fewer parameters) and df_big > 0.
struct NestedTest {
  double statistic = 0.0;
  double df = 0.0;        // df0 - df1
  double df_denom = 0.0;  // F: df1; chi-square: 0
  bool use_f = false;
  bool not_nested = false;  // the larger fit has the larger deviance: not nested, or not converged
};
NestedTest nested_test(Family family, double dev0, double df0, double dev1, double df1, double dev_big,
                       double df_big, double dispersion_big = std::numeric_limits<double>::quiet_NaN());

}  // namespace ctxstats
