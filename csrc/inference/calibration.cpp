#include "inference/calibration.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "common/error.hpp"

namespace ctxstats {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// sum_i w_i loss(y_i, eta_i) at eta = o + a m + b d.
double objective(Family family, const double* y, const std::vector<double>& o, const std::vector<double>& m,
                 const std::vector<double>& d, const double* w, double a, double b) {
  double s = 0.0;
  for (std::size_t i = 0; i < o.size(); ++i) s += (w ? w[i] : 1.0) * loss(family, y[i], o[i] + a * m[i] + b * d[i]);
  return s;
}

struct TwoByTwo {
  double a = 0.0, b = 0.0, c = 0.0;  // [[a, b], [b, c]]
  double det() const { return a * c - b * b; }
  void add(double s, double z0, double z1) {
    a += s * z0 * z0;
    b += s * z0 * z1;
    c += s * z1 * z1;
  }
};

// The weighted least-squares fit of every column of X (n x p) on [1, C] (C: n x m), n x p,
// computed on the centred and scaled context; a constant or collinear context column is
// dropped by the rank-revealing solve.
std::vector<double> context_fitted(const double* X, int p, const double* C, int m, const double* w, std::size_t n) {
  std::vector<double> out(n * static_cast<std::size_t>(p), 0.0);
  if (p == 0) return out;
  std::vector<double> mean(m, 0.0), scale(m, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (int l = 0; l < m; ++l) mean[l] += C[i * m + l];
  for (int l = 0; l < m; ++l) mean[l] /= static_cast<double>(n);
  for (std::size_t i = 0; i < n; ++i)
    for (int l = 0; l < m; ++l) scale[l] += (C[i * m + l] - mean[l]) * (C[i * m + l] - mean[l]);
  for (int l = 0; l < m; ++l) scale[l] = scale[l] > 0.0 ? std::sqrt(scale[l] / static_cast<double>(n)) : 1.0;
  Eigen::MatrixXd Z(n, m + 1), Y(n, p);
  for (std::size_t i = 0; i < n; ++i) {
    const double sw = std::sqrt(w ? w[i] : 1.0);
    Z(i, 0) = sw;
    for (int l = 0; l < m; ++l) Z(i, l + 1) = sw * (C[i * m + l] - mean[l]) / scale[l];
    for (int j = 0; j < p; ++j) Y(i, j) = sw * X[i * p + j];
  }
  const Eigen::MatrixXd B = Z.colPivHouseholderQr().solve(Y);
  for (std::size_t i = 0; i < n; ++i) {
    const double sw = std::sqrt(w ? w[i] : 1.0);
    for (int j = 0; j < p; ++j)
      out[i * p + j] = sw > 0.0 ? Z.row(static_cast<Eigen::Index>(i)).dot(B.col(j)) / sw : X[i * p + j];
  }
  return out;
}

}  // namespace

CalibrationTest calibration_regression(Family family, bool quasi, const double* y, const double* X, int p,
                                       const double* C, int m, bool intercept, const double* theta,
                                       const double* weights, std::size_t n, CovType cov_type) {
  require(p >= 0, "the calibration test needs predictors");
  const int q = p + (intercept ? 1 : 0);
  require(q >= 1, "the calibration test needs at least one parameter per sample");
  require(n > 2, "the calibration test needs more than 2 rows, not " + std::to_string(n));
  require(cov_type != CovType::kCluster, "the calibration test takes cov_type 'nonrobust' or 'HC0'-'HC3'");
  check_finite(y, n, 1, "endog");
  validate_response(family, y, n);
  check_finite(X, n, p, "exog");
  require(m >= 0, "the context must have columns");
  check_finite(C, n, m, "context");
  check_finite(theta, n, q, "held-out parameters");
  double wsum = 0.0;
  if (weights) {
    check_finite(weights, n, 1, "weights");
    for (std::size_t i = 0; i < n; ++i) {
      require(weights[i] >= 0.0, "weights must be >= 0");
      wsum += weights[i];
    }
    require(wsum > 0.0, "weights must not all be 0");
  } else {
    wsum = static_cast<double>(n);
  }
  auto w = [&](std::size_t i) { return weights ? weights[i] : 1.0; };
  auto xk = [&](std::size_t i, int k) { return intercept ? (k == 0 ? 1.0 : X[i * p + k - 1]) : X[i * p + k]; };

  CalibrationTest out;
  out.q = q;
  out.nobs = n;
  out.df_resid = static_cast<double>(n) - 2.0;
  out.use_t = family == Family::kGaussian || quasi;
  out.cov_type = cov_type;
  out.mean_effect.assign(q, 0.0);
  out.coef.assign(static_cast<std::size_t>(q) * 2, kNaN);
  out.cov.assign(static_cast<std::size_t>(q) * 4, kNaN);
  out.identified.assign(q, 0);
  out.converged.assign(q, 0);

  std::vector<double> eta(n, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (int k = 0; k < q; ++k) eta[i] += xk(i, k) * theta[i * q + k];
  for (std::size_t i = 0; i < n; ++i)
    for (int k = 0; k < q; ++k) out.mean_effect[k] += w(i) * theta[i * q + k];
  for (int k = 0; k < q; ++k) out.mean_effect[k] /= wsum;

  // Each predictor's residual on [1, C] by weighted least squares (grf's W - W.hat): its
  // part explained by the context, x^_ik theta_ik, stays in the offset.
  const std::vector<double> xhat = context_fitted(X, p, C, m, weights, n);
  std::vector<double> o(n), mm(n), dd(n);
  for (int k = 0; k < q; ++k) {
    const double bar = out.mean_effect[k];
    const int col = intercept ? k - 1 : k;
    double mscale = 0.0, dscale = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double x = xk(i, k), t = theta[i * q + k];
      const double fitted = col >= 0 ? xhat[i * p + col] : 0.0;  // the intercept's "predictor" is 1
      o[i] = eta[i] - (x - fitted) * t;
      mm[i] = (x - fitted) * bar;
      dd[i] = (x - fitted) * (t - bar);
      mscale += w(i) * mm[i] * mm[i];
      dscale += w(i) * dd[i] * dd[i];
    }
    // Newton's method from (1, 1), the held-out fit itself, with step halving on the objective.
    // Gaussian: the objective is quadratic, so the first step lands on the least-squares
    // solution and the second confirms it.
    double a = 1.0, b = 1.0;
    bool identified = mscale > 0.0 && dscale > 0.0;
    bool converged = false;
    TwoByTwo H;
    for (int it = 0; identified && it < 100; ++it) {
      H = TwoByTwo();
      double g0 = 0.0, g1 = 0.0;
      for (std::size_t i = 0; i < n; ++i) {
        const double e = o[i] + a * mm[i] + b * dd[i];
        const double r = y[i] - inverse_link(family, e);
        H.add(w(i) * variance(family, e), mm[i], dd[i]);
        g0 += w(i) * r * mm[i];
        g1 += w(i) * r * dd[i];
      }
      if (!(H.det() > 1e-12 * H.a * H.c)) {  // m and d collinear, or the weights vanish
        identified = false;
        break;
      }
      const double s0 = (H.c * g0 - H.b * g1) / H.det(), s1 = (H.a * g1 - H.b * g0) / H.det();
      const double f0 = objective(family, y, o, mm, dd, weights, a, b);
      double step = 1.0;
      double na = a + s0, nb = b + s1;
      while (step > 1e-10 && !(objective(family, y, o, mm, dd, weights, na, nb) <= f0 + 1e-12 * std::fabs(f0))) {
        step *= 0.5;
        na = a + step * s0;
        nb = b + step * s1;
      }
      a = na;
      b = nb;
      if (std::fabs(step * s0) <= 1e-10 * (1.0 + std::fabs(a)) && std::fabs(step * s1) <= 1e-10 * (1.0 + std::fabs(b))) {
        converged = true;
        break;
      }
    }
    if (!identified || !std::isfinite(a) || !std::isfinite(b)) continue;

    // The covariance at the solution.
    H = TwoByTwo();
    std::vector<double> e(n), v(n);
    double ssr = 0.0, pearson = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double et = o[i] + a * mm[i] + b * dd[i];
      e[i] = y[i] - inverse_link(family, et);
      v[i] = variance(family, et);
      H.add(w(i) * v[i], mm[i], dd[i]);
      ssr += w(i) * e[i] * e[i];
      pearson += v[i] > 0.0 ? w(i) * e[i] * e[i] / v[i] : 0.0;
    }
    const double det = H.det();
    const double i00 = H.c / det, i01 = -H.b / det, i11 = H.a / det;  // H^-1
    double c00, c01, c11;
    if (cov_type == CovType::kNonrobust) {
      double scale = 1.0;
      if (family == Family::kGaussian) scale = ssr / out.df_resid;
      else if (quasi) scale = pearson / out.df_resid;
      c00 = scale * i00;
      c01 = scale * i01;
      c11 = scale * i11;
    } else {
      TwoByTwo meat;
      for (std::size_t i = 0; i < n; ++i) {
        double s = w(i) * w(i) * e[i] * e[i];
        if (cov_type == CovType::kHC2 || cov_type == CovType::kHC3) {
          const double h = w(i) * v[i] *
                           (i00 * mm[i] * mm[i] + 2.0 * i01 * mm[i] * dd[i] + i11 * dd[i] * dd[i]);
          const double one_minus = 1.0 - h;
          s = one_minus > 0.0 ? s / (cov_type == CovType::kHC2 ? one_minus : one_minus * one_minus) : kNaN;
        }
        meat.add(s, mm[i], dd[i]);
      }
      // H^-1 M H^-1
      const double t00 = i00 * meat.a + i01 * meat.b, t01 = i00 * meat.b + i01 * meat.c;
      const double t10 = i01 * meat.a + i11 * meat.b, t11 = i01 * meat.b + i11 * meat.c;
      c00 = t00 * i00 + t01 * i01;
      c01 = t00 * i01 + t01 * i11;
      c11 = t10 * i01 + t11 * i11;
      if (cov_type == CovType::kHC1) {
        const double f = static_cast<double>(n) / out.df_resid;
        c00 *= f;
        c01 *= f;
        c11 *= f;
      }
    }
    out.identified[k] = 1;
    out.converged[k] = converged ? 1 : 0;
    out.coef[2 * k] = a;
    out.coef[2 * k + 1] = b;
    out.cov[4 * k] = c00;
    out.cov[4 * k + 1] = c01;
    out.cov[4 * k + 2] = c01;
    out.cov[4 * k + 3] = c11;
  }
  return out;
}

CalibrationTest calibration_test(const DataView& data, const FitOptions& options, int folds, std::uint64_t seed,
                                 CovType cov_type, CrossValidation* cv,
                                 const std::function<bool(int, double)>& progress) {
  require(options.scale != "context",
          "the calibration test is for models with one residual variance (scale='constant'), not scale='context'");
  CrossValidation local = cross_validate(data, options, folds, seed, progress);
  CalibrationTest out;
  if (!local.interrupted)
    out = calibration_regression(parse_family(options.family), options.quasi, data.y, data.X, data.p, data.C,
                                 data.m, options.intercept, local.held_out_theta.data(), data.weights, data.n, cov_type);
  if (cv) *cv = std::move(local);
  return out;
}

}  // namespace ctxstats
