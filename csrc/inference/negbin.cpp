#include "inference/negbin.hpp"

#include <Eigen/Dense>
#include <cmath>
#include <limits>

#include "common/error.hpp"

namespace ctxstats {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kThetaMax = 1e8;

void check_theta(double theta) {
  require(std::isfinite(theta) && theta > 0.0, "theta (the negative binomial dispersion) must be finite and positive");
}

// y non-negative and finite, mu positive and finite, weights finite and non-negative.
void check_rows(const double* y, const double* mu, const double* weights, std::size_t n) {
  require(n > 0, "the data have zero rows");
  for (std::size_t i = 0; i < n; ++i) {
    if (!(std::isfinite(y[i]) && y[i] >= 0.0))
      throw InvalidArgument("endog must be non-negative and finite for the negative binomial family; row " +
                            std::to_string(i) + " is " + std::to_string(y[i]));
    if (!(std::isfinite(mu[i]) && mu[i] > 0.0))
      throw InvalidArgument("the fitted means must be positive and finite; row " + std::to_string(i) + " is " +
                            std::to_string(mu[i]));
    if (weights && !(std::isfinite(weights[i]) && weights[i] >= 0.0))
      throw InvalidArgument("weights must be finite and non-negative; row " + std::to_string(i) + " is " +
                            std::to_string(weights[i]));
  }
}

double weight(const double* weights, std::size_t i) { return weights ? weights[i] : 1.0; }

// y log(y / mu), 0 at y = 0.
double ylogy(double y, double mu) { return y > 0.0 ? y * std::log(y / mu) : 0.0; }

double unit_deviance(double theta, double y, double mu) {
  return 2.0 * (ylogy(y, mu) - (y + theta) * std::log((y + theta) / (mu + theta)));
}

}  // namespace

// psi(x) = psi(x + 1) - 1 / x up to x >= 10, then the asymptotic series (error below 1e-15).
double digamma(double x) {
  double acc = 0.0;
  while (x < 10.0) {
    acc -= 1.0 / x;
    x += 1.0;
  }
  const double r = 1.0 / (x * x);
  const double series =
      r * (1.0 / 12 - r * (1.0 / 120 - r * (1.0 / 252 - r * (1.0 / 240 - r * (1.0 / 132 - r * 691.0 / 32760)))));
  return acc + std::log(x) - 0.5 / x - series;
}

// psi'(x) = psi'(x + 1) + 1 / x^2 up to x >= 10, then the asymptotic series.
double trigamma(double x) {
  double acc = 0.0;
  while (x < 10.0) {
    acc += 1.0 / (x * x);
    x += 1.0;
  }
  const double r = 1.0 / (x * x);
  const double series =
      1.0 / x + r / 2.0 +
      r / x * (1.0 / 6 - r * (1.0 / 30 - r * (1.0 / 42 - r * (1.0 / 30 - r * (5.0 / 66 - r * 691.0 / 2730)))));
  return acc + series;
}

ThetaLoglik negbin_theta_loglik(double theta, const double* y, const double* mu, const double* weights,
                                std::size_t n) {
  ThetaLoglik t;
  const double psi_t = digamma(theta), tri_t = trigamma(theta), lg_t = std::lgamma(theta), log_t = std::log(theta);
  for (std::size_t i = 0; i < n; ++i) {
    const double w = weight(weights, i);
    if (w == 0.0) continue;
    const double yi = y[i], tm = theta + mu[i], ty = theta + yi;
    t.loglik += w * (std::lgamma(ty) - lg_t + theta * log_t - ty * std::log(tm));
    t.score += w * (digamma(ty) - psi_t + log_t + 1.0 - std::log(tm) - ty / tm);
    t.hessian += w * (trigamma(ty) - tri_t + 1.0 / theta - 2.0 / tm + ty / (tm * tm));
  }
  return t;
}

ThetaFit negbin_theta_ml(const double* y, const double* mu, const double* weights, std::size_t n, double start) {
  check_rows(y, mu, weights, n);
  ThetaFit out;
  double theta = start;
  if (!(start > 0.0 && std::isfinite(start))) {
    double sw = 0.0, ss = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double w = weight(weights, i), r = y[i] / mu[i] - 1.0;
      sw += w;
      ss += w * r * r;
    }
    theta = ss > 0.0 ? sw / ss : 1.0;
  }
  theta = std::min(std::max(theta, 1e-8), kThetaMax);
  ThetaLoglik cur = negbin_theta_loglik(theta, y, mu, weights, n);
  const int max_iter = 200;
  double previous_step = std::numeric_limits<double>::infinity();
  for (int it = 1; it <= max_iter; ++it) {
    out.n_iter = it;
    // Newton in phi = log theta: d/dphi = theta score, d2/dphi2 = theta^2 hessian + theta score.
    const double g = theta * cur.score, h = theta * theta * cur.hessian + g;
    double step = h < 0.0 ? -g / h : (g > 0.0 ? 1.0 : -1.0);
    step = std::max(-3.0, std::min(3.0, step));
    if (std::fabs(step) <= 1e-11) {
      out.converged = true;
      break;
    }
    bool moved = false;
    const double first_step = std::fabs(step);
    for (int halving = 0; halving < 60; ++halving, step *= 0.5) {
      const double next = theta * std::exp(step);
      const ThetaLoglik trial = negbin_theta_loglik(next, y, mu, weights, n);
      if (std::isfinite(trial.loglik) && trial.loglik >= cur.loglik - 1e-15 * std::fabs(cur.loglik)) {
        theta = next;
        cur = trial;
        moved = true;
        break;
      }
    }
    // Newton's steps shrink quadratically near the maximum; small ones that no longer shrink
    // are rounding in the score (a flat likelihood, a large theta): the maximum to the
    // precision the sums allow.
    const bool noise = first_step <= 1e-7 && first_step > 0.5 * previous_step;
    previous_step = first_step;
    if (!moved || noise) {
      out.converged = first_step <= 1e-7;
      break;
    }
    if (theta > kThetaMax) {
      out.message = "theta passed 1e8: the counts show no overdispersion beyond the poisson's; use family='poisson'";
      break;
    }
  }
  if (!out.converged && out.message.empty())
    out.message = "the maximum-likelihood theta did not converge in " + std::to_string(max_iter) +
                  " Newton steps (theta = " + std::to_string(theta) + ")" +
                  (theta > 1e3 ? ": its likelihood is flat, the counts show little overdispersion; family='poisson' "
                                 "may fit them"
                               : "");
  out.theta = theta;
  out.se = cur.hessian < 0.0 ? 1.0 / std::sqrt(-cur.hessian) : kNaN;
  return out;
}

std::vector<double> negbin_working_weights(double theta, const double* mu, const double* weights, std::size_t n) {
  check_theta(theta);
  std::vector<double> s(n);
  for (std::size_t i = 0; i < n; ++i) s[i] = weight(weights, i) * theta / (theta + mu[i]);
  return s;
}

FitStatistics negbin_fit_statistics(double theta, const double* y, const double* mu, const double* weights,
                                    std::size_t n, bool intercept) {
  check_theta(theta);
  check_rows(y, mu, weights, n);
  FitStatistics s;
  double sw = 0.0, swy = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    sw += weight(weights, i);
    swy += weight(weights, i) * y[i];
  }
  require(sw > 0.0, "the weights sum to zero");
  const double null_mu = intercept ? swy / sw : 1.0;
  require(null_mu > 0.0, "endog is zero in every row: the negative binomial mean is not identified");
  const double lg_t = std::lgamma(theta), log_t = std::log(theta);
  for (std::size_t i = 0; i < n; ++i) {
    const double w = weight(weights, i);
    if (w == 0.0) continue;
    const double yi = y[i], r = yi - mu[i];
    s.deviance += w * unit_deviance(theta, yi, mu[i]);
    s.null_deviance += w * unit_deviance(theta, yi, null_mu);
    s.pearson_chi2 += w * r * r / (mu[i] + mu[i] * mu[i] / theta);
    s.loglik += w * (std::lgamma(theta + yi) - lg_t - std::lgamma(yi + 1.0) + theta * log_t +
                     (yi > 0.0 ? yi * std::log(mu[i]) : 0.0) - (theta + yi) * std::log(theta + mu[i]));
  }
  s.deviance_explained = s.null_deviance > 0.0 ? 1.0 - s.deviance / s.null_deviance : kNaN;
  return s;
}

std::vector<double> negbin_residuals(double theta, const std::string& type, const double* y, const double* mu,
                                     const double* weights, std::size_t n) {
  require(type == "response" || type == "pearson" || type == "deviance" || type == "working",
          "residual type must be 'response', 'pearson', 'deviance' or 'working', not '" + type + "'");
  check_theta(theta);
  check_rows(y, mu, weights, n);
  std::vector<double> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double w = weight(weights, i), r = y[i] - mu[i];
    if (type == "response") {
      out[i] = r;
    } else if (type == "pearson") {
      out[i] = r * std::sqrt(w / (mu[i] + mu[i] * mu[i] / theta));
    } else if (type == "deviance") {
      const double d = std::max(w * unit_deviance(theta, y[i], mu[i]), 0.0);
      out[i] = (r > 0.0 ? 1.0 : (r < 0.0 ? -1.0 : 0.0)) * std::sqrt(d);
    } else {  // working: (y - mu) d eta / d mu = (y - mu) / mu for the log link
      out[i] = r / mu[i];
    }
  }
  return out;
}

NegBinCovariance negbin_covariance(const DataView& data, bool intercept, const std::vector<double>& b, double theta,
                                   const std::string& cov_type, int threads, const std::vector<long long>* groups) {
  check_theta(theta);
  const int q = data.p + (intercept ? 1 : 0), m1 = data.m + 1, D = q * m1;
  const std::size_t n = data.n;
  require(n > 0, "the data have zero rows");
  require(b.size() == static_cast<std::size_t>(D),
          "params must hold the " + std::to_string(D) + " interaction coefficients, not " + std::to_string(b.size()));
  check_finite(data.X, n, data.p, "exog");
  check_finite(data.C, n, data.m, "context");
  // The linear predictor and means, row by row in the user's units.
  std::vector<double> mu(n), z(static_cast<std::size_t>(D));
  const auto design_row = [&](std::size_t i) {
    for (int k = 0; k < q; ++k) {
      const double xk = (intercept && k == 0) ? 1.0 : data.X[i * data.p + (k - (intercept ? 1 : 0))];
      for (int l = 0; l < m1; ++l) z[static_cast<std::size_t>(k) * m1 + l] = xk * (l == 0 ? 1.0 : data.C[i * data.m + l - 1]);
    }
  };
  for (std::size_t i = 0; i < n; ++i) {
    design_row(i);
    double eta = 0.0;
    for (int d = 0; d < D; ++d) eta += z[d] * b[d];
    mu[i] = std::exp(eta);
  }
  check_rows(data.y, mu.data(), data.weights, n);
  NegBinCovariance out;
  const ThetaLoglik tl = negbin_theta_loglik(theta, data.y, mu.data(), data.weights, n);
  out.theta_se = tl.hessian < 0.0 ? 1.0 / std::sqrt(-tl.hessian) : kNaN;

  // The observed information of (b, alpha) jointly (needed for alpha_se in every case).
  Eigen::MatrixXd info = Eigen::MatrixXd::Zero(D + 1, D + 1);
  Eigen::Map<const Eigen::VectorXd> zv(z.data(), D);
  for (std::size_t i = 0; i < n; ++i) {
    const double w = weight(data.weights, i);
    if (w == 0.0) continue;
    design_row(i);
    const double yi = data.y[i], tm = theta + mu[i];
    info.topLeftCorner(D, D).selfadjointView<Eigen::Lower>().rankUpdate(zv, w * theta * mu[i] * (theta + yi) / (tm * tm));
    // -d2 loglik / d b d theta = -w (y - mu) mu / (theta + mu)^2 z; d theta / d alpha = -theta^2.
    info.block(0, D, D, 1) += (w * (yi - mu[i]) * mu[i] / (tm * tm) * theta * theta) * zv;
  }
  // -d2 loglik / d alpha2 = theta^4 (-l_tt) - 2 theta^3 l_t.
  info(D, D) = std::pow(theta, 4) * (-tl.hessian) - 2.0 * std::pow(theta, 3) * tl.score;
  info.topLeftCorner(D, D) = info.topLeftCorner(D, D).selfadjointView<Eigen::Lower>();
  info.block(D, 0, 1, D) = info.block(0, D, D, 1).transpose();
  const Eigen::LDLT<Eigen::MatrixXd> ldlt(info);
  const bool definite = ldlt.info() == Eigen::Success && ldlt.isPositive() && ldlt.vectorD().minCoeff() > 0.0;
  Eigen::MatrixXd joint = definite ? Eigen::MatrixXd(ldlt.solve(Eigen::MatrixXd::Identity(D + 1, D + 1)))
                                   : Eigen::MatrixXd::Constant(D + 1, D + 1, kNaN);
  out.alpha_se = std::sqrt(joint(D, D));
  out.theta_se_joint = out.alpha_se * theta * theta;

  if (cov_type == "observed") {
    require(groups == nullptr, "groups are used by cov_type 'cluster' only");
    require(definite, "the observed information of the negative binomial fit is not positive definite (an aliased "
                      "interaction term or theta at its bound); use cov_type='nonrobust'");
    // The rank, residual df and flags of the expected-information covariance, the joint block's values.
    const std::vector<double> s = negbin_working_weights(theta, mu.data(), data.weights, n);
    DataView ds = data;
    ds.weights = s.data();
    out.beta = linear_covariance(ds, Family::kPoisson, intercept, b, CovType::kNonrobust, threads);
    for (int r = 0; r < D; ++r)
      for (int c = 0; c < D; ++c) out.beta.cov[static_cast<std::size_t>(r) * D + c] = joint(r, c);
    return out;
  }
  const CovType type = parse_cov_type(cov_type);
  const std::vector<double> s = negbin_working_weights(theta, mu.data(), data.weights, n);
  DataView ds = data;
  ds.weights = s.data();
  out.beta = linear_covariance(ds, Family::kPoisson, intercept, b, type, threads, groups);
  return out;
}

}  // namespace ctxstats
