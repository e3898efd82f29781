// What a scale = "context" fit reports beside the mean's weights (see glm/location_scale.hpp).
#pragma once
#include <vector>

namespace ctxstats {

// The location-scale fit's report (FitResult::location_scale); present only for scale = "context".
struct LocationScaleReport {
  bool present = false;
  std::vector<double> weights;   // g (size), internal scale
  std::vector<double> cov;       // D x D, D = (q + 1) size: covariance of [W (row-major); g], internal scale
  double loglik = 0.0;           // log-likelihood in the user's units
  double loglik_constant = 0.0;  // linear: the constant-sigma fit of the same mean model (NaN for spline)
  double lr_statistic = 0.0;     // linear: 2 (loglik - loglik_constant); NaN for spline
  double wald_statistic = 0.0;   // g's non-constant entries
  double test_df = 0.0;          // df of both tests (linear: size - 1; spline: the rank used)
  double edf_mean = 0.0, edf_scale = 0.0;  // effective degrees of freedom (unpenalised: the counts)
  std::vector<double> lambda;    // spline: smoothing parameters, the mean's q outputs' penalties then the scale's
  int outer_iter = 0;            // spline: PQL iterations
  bool constant_converged = true;
};

}  // namespace ctxstats
