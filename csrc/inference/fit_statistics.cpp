#include "inference/fit_statistics.hpp"

#include <cmath>
#include <limits>

#include "common/error.hpp"

namespace ctxstats {

namespace {

constexpr double kPi = 3.14159265358979323846;

void check_inputs(Family family, const double* y, const double* mu, const double* w, std::size_t n) {
  require(n > 0, "there are no observations");
  for (std::size_t i = 0; i < n; ++i) {
    require(std::isfinite(y[i]), "endog has a non-finite value in row " + std::to_string(i));
    require(std::isfinite(mu[i]), "the fitted mean is not finite in row " + std::to_string(i));
    if (w) require(std::isfinite(w[i]) && w[i] >= 0.0, "weights must be finite and non-negative (row " +
                                                            std::to_string(i) + ")");
    if (family == Family::kBinomial)
      require(mu[i] >= 0.0 && mu[i] <= 1.0, "a binomial mean must lie in [0, 1] (row " + std::to_string(i) + ")");
    if (family == Family::kPoisson)
      require(mu[i] >= 0.0, "a poisson mean must be non-negative (row " + std::to_string(i) + ")");
  }
}

// y log(y / mu), 0 at y = 0.
double ylogy(double y, double mu) { return y > 0.0 ? y * std::log(y / mu) : 0.0; }

// One row's unit deviance d(y, mu).
double unit_deviance(Family family, double y, double mu) {
  switch (family) {
    case Family::kGaussian: return (y - mu) * (y - mu);
    case Family::kBinomial: return 2.0 * (ylogy(y, mu) + ylogy(1.0 - y, 1.0 - mu));
    case Family::kPoisson: return 2.0 * (ylogy(y, mu) - (y - mu));
  }
  return 0.0;
}

double variance_of_mean(Family family, double mu) {
  switch (family) {
    case Family::kGaussian: return 1.0;
    case Family::kBinomial: return mu * (1.0 - mu);
    case Family::kPoisson: return mu;
  }
  return 1.0;
}

}  // namespace

FitStatistics fit_statistics(Family family, const double* y, const double* mu, const double* weights, std::size_t n,
                             bool intercept, bool quasi) {
  check_inputs(family, y, mu, weights, n);
  FitStatistics s;
  double sw = 0.0, swy = 0.0, sum_log_w = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double w = weights ? weights[i] : 1.0;
    sw += w;
    swy += w * y[i];
    if (w > 0.0) sum_log_w += std::log(w);
  }
  require(sw > 0.0, "the weights sum to zero");
  const double null_mu = intercept ? swy / sw : inverse_link(family, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const double w = weights ? weights[i] : 1.0;
    const double r = y[i] - mu[i];
    s.deviance += w * unit_deviance(family, y[i], mu[i]);
    s.null_deviance += w * unit_deviance(family, y[i], null_mu);
    const double v = variance_of_mean(family, mu[i]);
    s.pearson_chi2 += w * r * r / (v > 0.0 ? v : std::numeric_limits<double>::min());
    switch (family) {
      case Family::kGaussian: break;
      case Family::kBinomial: {
        const double p = std::min(std::max(mu[i], 1e-300), 1.0 - 1e-16);
        s.loglik += w * (y[i] * std::log(p) + (1.0 - y[i]) * std::log1p(-p));
        break;
      }
      case Family::kPoisson:
        s.loglik += w * (y[i] * std::log(std::max(mu[i], 1e-300)) - mu[i] - std::lgamma(y[i] + 1.0));
        break;
    }
  }
  if (family == Family::kGaussian) {
    const double nobs = static_cast<double>(n);
    s.loglik = -nobs / 2.0 * (std::log(2.0 * kPi * s.deviance / nobs) + 1.0) + 0.5 * sum_log_w;
  }
  if (quasi) s.loglik = std::numeric_limits<double>::quiet_NaN();  // a quasi-likelihood has no likelihood
  s.deviance_explained = s.null_deviance > 0.0 ? 1.0 - s.deviance / s.null_deviance
                                               : std::numeric_limits<double>::quiet_NaN();
  return s;
}

double dispersion(Family family, double pearson_chi2, double df_resid, bool quasi) {
  if (family != Family::kGaussian && !quasi) return 1.0;
  return df_resid > 0.0 ? pearson_chi2 / df_resid : std::numeric_limits<double>::quiet_NaN();
}

std::vector<double> residuals(Family family, const std::string& type, const double* y, const double* mu,
                              const double* weights, std::size_t n) {
  require(type == "response" || type == "pearson" || type == "deviance" || type == "working",
          "residual type must be 'response', 'pearson', 'deviance' or 'working', not '" + type + "'");
  check_inputs(family, y, mu, weights, n);
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double w = weights ? weights[i] : 1.0, r = y[i] - mu[i];
    if (type == "response") {
      out[i] = r;
    } else if (type == "pearson") {
      out[i] = r * std::sqrt(w / variance_of_mean(family, mu[i]));
    } else if (type == "deviance") {
      const double d = std::max(w * unit_deviance(family, y[i], mu[i]), 0.0);
      out[i] = (r > 0.0 ? 1.0 : (r < 0.0 ? -1.0 : 0.0)) * std::sqrt(d);
    } else {  // working: (y - mu) d eta / d mu, d eta / d mu = 1 / V(mu) for the canonical links
      out[i] = r / variance_of_mean(family, mu[i]);
    }
  }
  return out;
}

NestedTest nested_test(Family family, double dev0, double df0, double dev1, double df1, double dev_big,
                       double df_big, double dispersion_big) {
  require(std::isfinite(dev0) && std::isfinite(dev1) && std::isfinite(dev_big) && dev0 >= 0.0 && dev1 >= 0.0 &&
              dev_big >= 0.0,
          "the deviances must be finite and non-negative");
  require(df_big > 0.0 && df_big <= df1, "the largest model has no residual degrees of freedom");
  require(df0 > df1, "the first model must be the restricted one: more residual degrees of freedom (" +
                         std::to_string(df0) + ") than the second (" + std::to_string(df1) + ")");
  NestedTest t;
  t.df = df0 - df1;
  t.not_nested = dev1 > dev0 * (1.0 + 1e-12);
  if (!std::isnan(dispersion_big)) {
    require(family != Family::kGaussian && std::isfinite(dispersion_big) && dispersion_big > 0.0,
            "dispersion_big is for quasi fits (binomial or poisson) and must be finite and positive");
    t.use_f = true;
    t.df_denom = df_big;
    t.statistic = ((dev0 - dev1) / t.df) / dispersion_big;
  } else if (family == Family::kGaussian) {
    t.use_f = true;
    t.df_denom = df_big;
    t.statistic = ((dev0 - dev1) / t.df) / (dev_big / df_big);
  } else {
    t.statistic = dev0 - dev1;
  }
  return t;
}

}  // namespace ctxstats
