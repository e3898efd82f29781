// Predicted means with standard errors and intervals from a linear predictor and its
// standard error, for both front ends (Python's get_prediction, R's predict(se.fit = TRUE,
// interval = ...)). The critical value comes from the front end's t or normal quantile.
//
// On the response scale (link_scale = false), as statsmodels' GLM get_prediction and R's
// predict.glm(type = "response"):
//   mean = g^-1(eta), se_mean = se_eta * d mu / d eta (the delta method; for the canonical
//   links d mu / d eta = V(mu): 1, mu (1 - mu), mu), and the interval
//   [g^-1(eta - crit se_eta), g^-1(eta + crit se_eta)] (the link-scale interval mapped).
// On the link scale: mean = eta, se_mean = se_eta, eta -+ crit se_eta.
// The observation interval (gaussian; scale = residual variance, NaN for none):
//   eta -+ crit sqrt(se_eta^2 + scale), as OLS and R's predict.lm(interval = "prediction").
#pragma once
#include <cstddef>
#include <vector>

#include "common/family.hpp"

namespace ctxstats {

struct PredictionIntervals {
  std::vector<double> mean, se_mean, lower, upper;
  std::vector<double> obs_lower, obs_upper;   // empty without an observation interval
};

PredictionIntervals prediction_intervals(Family family, const double* eta, const double* se_eta, std::size_t n,
                                         double crit, double scale, bool link_scale);

// The same with a residual variance per row (scale = "context": sigma(c_i)^2), gaussian only:
// the observation interval eta_i -+ crit sqrt(se_eta_i^2 + row_scale_i).
PredictionIntervals prediction_intervals(Family family, const double* eta, const double* se_eta, std::size_t n,
                                         double crit, const double* row_scale, bool link_scale);

}  // namespace ctxstats
