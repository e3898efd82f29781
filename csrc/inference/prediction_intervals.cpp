#include "inference/prediction_intervals.hpp"

#include <cmath>
#include <string>

#include "common/error.hpp"

namespace ctxstats {

PredictionIntervals prediction_intervals(Family family, const double* eta, const double* se_eta, std::size_t n,
                                         double crit, double scale, bool link_scale) {
  require(std::isfinite(crit) && crit >= 0.0, "the critical value must be finite and >= 0, not " + std::to_string(crit));
  const bool obs = !std::isnan(scale);
  if (obs) {
    require(family == Family::kGaussian, "observation intervals exist for gaussian fits only");
    require(std::isfinite(scale) && scale >= 0.0, "the residual variance must be finite and >= 0");
  }
  PredictionIntervals out;
  out.mean.resize(n);
  out.se_mean.resize(n);
  out.lower.resize(n);
  out.upper.resize(n);
  if (obs) {
    out.obs_lower.resize(n);
    out.obs_upper.resize(n);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const double e = eta[i], s = se_eta[i];
    require(!std::isnan(e) && !std::isnan(s) && s >= 0.0,
            "row " + std::to_string(i) + ": the linear predictor or its standard error is NaN or negative");
    const double lo = e - crit * s, hi = e + crit * s;
    if (link_scale) {
      out.mean[i] = e;
      out.se_mean[i] = s;
      out.lower[i] = lo;
      out.upper[i] = hi;
    } else {
      out.mean[i] = inverse_link(family, e);
      out.se_mean[i] = s * variance(family, e);      // canonical links: d mu / d eta = V(mu)
      out.lower[i] = inverse_link(family, lo);
      out.upper[i] = inverse_link(family, hi);
    }
    if (obs) {
      const double so = std::sqrt(s * s + scale);
      out.obs_lower[i] = e - crit * so;
      out.obs_upper[i] = e + crit * so;
    }
  }
  return out;
}

PredictionIntervals prediction_intervals(Family family, const double* eta, const double* se_eta, std::size_t n,
                                         double crit, const double* row_scale, bool link_scale) {
  require(family == Family::kGaussian, "observation intervals exist for gaussian fits only");
  PredictionIntervals out = prediction_intervals(family, eta, se_eta, n, crit, std::nan(""), link_scale);
  out.obs_lower.resize(n);
  out.obs_upper.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double v = row_scale[i];
    if (!(std::isfinite(v) && v >= 0.0))
      throw InvalidArgument("row " + std::to_string(i) + ": the residual variance must be finite and >= 0");
    const double so = std::sqrt(se_eta[i] * se_eta[i] + v);
    out.obs_lower[i] = eta[i] - crit * so;
    out.obs_upper[i] = eta[i] + crit * so;
  }
  return out;
}

}  // namespace ctxstats
