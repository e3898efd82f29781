// Tests of the calibration test of the heterogeneity (csrc/inference/calibration.hpp): the
// gaussian regression (the predictor residualised on [1, c] by hand) equals the 2 x 2 normal
// equations solved by hand, with HC0 and HC3 by
// their formulas; the binomial Newton iterations end at a zero score; the cross-fitted
// test is the same for 1 and 3 threads; bad input is refused. The numbers are held against
// statsmodels in tests/test_calibration.py.
// Prints "N passed, M failed" and exits non-zero on failure.
#include <cmath>
#include <vector>

#include "common/error.hpp"
#include "common/family.hpp"
#include "common/rng.hpp"
#include "glm/cross_validation.hpp"
#include "glm/fit.hpp"
#include "harness.hpp"
#include "inference/calibration.hpp"
#include "options/schema.hpp"

using namespace ctxstats;
using namespace ctxstats_test;

namespace {

bool near(double a, double b, double tol) { return std::fabs(a - b) <= tol * std::max(1.0, std::fabs(b)); }

// y = 1 + x (0.5 + c) + noise, with weights 1..3; binomial: y ~ Bernoulli(sigmoid(.)).
Data varying(std::size_t n, bool binary) {
  Data d{n, 1, 1, {}, {}, {}, {}};
  CounterRng rng(5, Stream::kInit, 9);
  for (std::size_t i = 0; i < n; ++i) {
    const double c = rng.normal(), x = rng.normal();
    const double eta = (binary ? 0.2 : 1.0) + x * (0.5 + c);
    d.C.push_back(c);
    d.X.push_back(x);
    d.y.push_back(binary ? (rng.uniform() < 1.0 / (1.0 + std::exp(-eta)) ? 1.0 : 0.0) : eta + rng.normal());
    d.w.push_back(1.0 + static_cast<double>(i % 3));
  }
  return d;
}

FitOptions options(const std::string& family, int threads) {
  OptionMap m = {{"family", OptionValue::string(family)}, {"encoder", OptionValue::string("linear")},
                 {"threads", OptionValue::integer(threads)}};
  return fit_options_from(m);
}

// x residualised on [1, c] by weighted least squares (the 2 x 2 normal equations by hand).
std::vector<double> residualised(const Data& d) {
  double s0 = 0, s1 = 0, s2 = 0, t0 = 0, t1 = 0;
  for (std::size_t i = 0; i < d.n; ++i) {
    s0 += d.w[i];
    s1 += d.w[i] * d.C[i];
    s2 += d.w[i] * d.C[i] * d.C[i];
    t0 += d.w[i] * d.X[i];
    t1 += d.w[i] * d.C[i] * d.X[i];
  }
  const double b1 = (s0 * t1 - s1 * t0) / (s0 * s2 - s1 * s1), b0 = (t0 - b1 * s1) / s0;
  std::vector<double> out(d.n);
  for (std::size_t i = 0; i < d.n; ++i) out[i] = d.X[i] - b0 - b1 * d.C[i];
  return out;
}

// Held-out-like parameters: the truth plus noise.
std::vector<double> noisy_theta(const Data& d, double noise) {
  CounterRng rng(7, Stream::kInit, 2);
  std::vector<double> t;
  for (std::size_t i = 0; i < d.n; ++i) {
    t.push_back(1.0 + noise * rng.normal());
    t.push_back(0.5 + d.C[i] + noise * rng.normal());
  }
  return t;
}

void gaussian_by_hand() {
  const Data d = varying(300, false);
  const std::vector<double> theta = noisy_theta(d, 0.3);
  const int k = 1;  // the slope of x
  double bar = 0.0, ws = 0.0;
  for (std::size_t i = 0; i < d.n; ++i) {
    bar += d.w[i] * theta[2 * i + k];
    ws += d.w[i];
  }
  bar /= ws;
  const std::vector<double> xt = residualised(d);
  std::vector<double> r(d.n), m(d.n), dd(d.n);
  double a = 0, b = 0, c = 0, g0 = 0, g1 = 0;
  for (std::size_t i = 0; i < d.n; ++i) {
    r[i] = d.y[i] - theta[2 * i] - (d.X[i] - xt[i]) * theta[2 * i + k];
    m[i] = xt[i] * bar;
    dd[i] = xt[i] * (theta[2 * i + k] - bar);
    a += d.w[i] * m[i] * m[i];
    b += d.w[i] * m[i] * dd[i];
    c += d.w[i] * dd[i] * dd[i];
    g0 += d.w[i] * m[i] * r[i];
    g1 += d.w[i] * dd[i] * r[i];
  }
  const double det = a * c - b * b;
  const double ca = (c * g0 - b * g1) / det, cb = (a * g1 - b * g0) / det;
  const double i00 = c / det, i01 = -b / det, i11 = a / det;
  double m00 = 0, m01 = 0, m11 = 0, h00 = 0, h01 = 0, h11 = 0;
  for (std::size_t i = 0; i < d.n; ++i) {
    const double e = r[i] - ca * m[i] - cb * dd[i];
    const double h = d.w[i] * (i00 * m[i] * m[i] + 2 * i01 * m[i] * dd[i] + i11 * dd[i] * dd[i]);
    const double s = d.w[i] * d.w[i] * e * e;
    m00 += s * m[i] * m[i];
    m01 += s * m[i] * dd[i];
    m11 += s * dd[i] * dd[i];
    const double s3 = s / ((1 - h) * (1 - h));
    h00 += s3 * m[i] * m[i];
    h01 += s3 * m[i] * dd[i];
    h11 += s3 * dd[i] * dd[i];
  }
  auto sandwich11 = [&](double x00, double x01, double x11) {
    // (H^-1 M H^-1)[1][1]
    const double t0 = i01 * x00 + i11 * x01, t1 = i01 * x01 + i11 * x11;
    return t0 * i01 + t1 * i11;
  };
  for (CovType type : {CovType::kHC0, CovType::kHC3}) {
    const CalibrationTest t = calibration_regression(Family::kGaussian, false, d.y.data(), d.X.data(), 1, d.C.data(), 1, true,
                                                     theta.data(), d.w.data(), d.n, type);
    check(t.identified[k] == 1 && t.converged[k] == 1, "gaussian: identified and converged");
    check(near(t.coef[2 * k], ca, 1e-10) && near(t.coef[2 * k + 1], cb, 1e-10),
          "gaussian: the coefficients are the weighted least-squares solution");
    const double want = type == CovType::kHC0 ? sandwich11(m00, m01, m11) : sandwich11(h00, h01, h11);
    check(near(t.cov[4 * k + 3], want, 1e-10), "gaussian: the HC0 / HC3 variance of b by its formula");
    check(t.use_t && t.df_resid == 298.0, "gaussian: t on n - 2 df");
  }
}

void binomial_score_zero() {
  const Data d = varying(400, true);
  const std::vector<double> theta = noisy_theta(d, 0.2);
  const CalibrationTest t = calibration_regression(Family::kBinomial, false, d.y.data(), d.X.data(), 1, d.C.data(), 1, true,
                                                   theta.data(), d.w.data(), d.n, CovType::kNonrobust);
  double bar = 0, ws = 0;
  for (std::size_t i = 0; i < d.n; ++i) {
    bar += d.w[i] * theta[2 * i + 1];
    ws += d.w[i];
  }
  bar /= ws;
  const std::vector<double> xt = residualised(d);
  double g0 = 0, g1 = 0;
  for (std::size_t i = 0; i < d.n; ++i) {
    const double m = xt[i] * bar, dd = xt[i] * (theta[2 * i + 1] - bar);
    const double eta = theta[2 * i] + (d.X[i] - xt[i]) * theta[2 * i + 1] + t.coef[2] * m + t.coef[3] * dd;
    const double r = d.y[i] - inverse_link(Family::kBinomial, eta);
    g0 += d.w[i] * r * m;
    g1 += d.w[i] * r * dd;
  }
  check(t.converged[1] == 1 && std::fabs(g0) < 1e-8 && std::fabs(g1) < 1e-8, "binomial: the score is 0 at the fit");
  check(!t.use_t && t.cov[7] > 0.0, "binomial: normal reference, positive variance");
}

void cross_fitted() {
  const Data d = varying(300, false);
  CrossValidation cv1, cv3;
  const CalibrationTest t1 = calibration_test(d.view(true), options("gaussian", 1), 4, 3, CovType::kHC3, &cv1);
  const CalibrationTest t3 = calibration_test(d.view(true), options("gaussian", 3), 4, 3, CovType::kHC3, &cv3);
  check(t1.coef == t3.coef && t1.cov == t3.cov && cv1.held_out_theta == cv3.held_out_theta,
        "the cross-fitted test is bitwise the same for 1 and 3 threads");
  check(cv1.q == 2 && cv1.held_out_theta.size() == 2 * d.n, "held-out parameters: one row per row");
  check(std::fabs(t1.coef[3] - 1.0) < 0.25, "real heterogeneity: the differential coefficient is near 1");
  check(t1.coef[3] / std::sqrt(t1.cov[7]) > 5.0, "real heterogeneity: the differential coefficient is significant");
}

void refusals() {
  const Data d = varying(50, false);
  const std::vector<double> theta = noisy_theta(d, 0.1);
  check(throws_invalid([&] {
          calibration_regression(Family::kGaussian, false, d.y.data(), d.X.data(), 1, d.C.data(), 1, true, theta.data(), nullptr,
                                 d.n, CovType::kCluster);
        }, "cov_type"),
        "cluster covariance refused");
  std::vector<double> bad = theta;
  bad[7] = std::nan("");
  check(throws_invalid([&] {
          calibration_regression(Family::kGaussian, false, d.y.data(), d.X.data(), 1, d.C.data(), 1, true, bad.data(), nullptr,
                                 d.n, CovType::kHC3);
        }, "held-out"),
        "non-finite parameters refused, named");
  std::vector<double> w = d.w;
  w[2] = -1.0;
  check(throws_invalid([&] {
          calibration_regression(Family::kGaussian, false, d.y.data(), d.X.data(), 1, d.C.data(), 1, true, theta.data(), w.data(),
                                 d.n, CovType::kHC3);
        }, "weights"),
        "negative weights refused");
  // A parameter whose held-out values do not vary: its row is NaN, not an error.
  std::vector<double> flat = theta;
  for (std::size_t i = 0; i < d.n; ++i) flat[2 * i + 1] = 0.7;
  const CalibrationTest t = calibration_regression(Family::kGaussian, false, d.y.data(), d.X.data(), 1, d.C.data(), 1, true,
                                                   flat.data(), nullptr, d.n, CovType::kHC3);
  check(t.identified[1] == 0 && std::isnan(t.coef[3]) && t.identified[0] == 1, "a constant parameter: not identified");
}

}  // namespace

int main() {
  gaussian_by_hand();
  binomial_score_zero();
  cross_fitted();
  refusals();
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
