// Tests of the negative binomial family on its own (csrc/glm/negbin.hpp,
// csrc/inference/negbin.hpp): digamma and trigamma against closed forms, theta's score and
// second derivative against finite differences of its log-likelihood, the maximum-likelihood
// theta at a maximum, a linear-encoder fit whose NB score is zero at the estimate, the same fit
// for 1 and 3 threads, and the refusals. The numbers are held against R's glm.nb and
// statsmodels in tests/test_negbin.py.
// Prints "N passed, M failed" and exits non-zero on failure.
#include <cmath>
#include <vector>

#include "common/error.hpp"
#include "common/rng.hpp"
#include "glm/fit.hpp"
#include "harness.hpp"
#include "inference/linear_inference.hpp"
#include "inference/negbin.hpp"
#include "options/schema.hpp"

using namespace ctxstats;
using namespace ctxstats_test;

namespace {

bool near(double a, double b, double tol) { return std::fabs(a - b) <= tol * std::max(1.0, std::fabs(b)); }

// Overdispersed counts: y = floor(mu u^2 * 3) with u uniform, log mu = 0.5 + 0.4 x + 0.3 x c.
Data count_data(std::size_t n) {
  Data d{n, 1, 1, {}, {}, {}, {}};
  CounterRng rng(11, Stream::kInit, 4);
  for (std::size_t i = 0; i < n; ++i) {
    const double c = rng.normal(), x = rng.normal(), u = rng.uniform();
    d.C.push_back(c);
    d.X.push_back(x);
    d.y.push_back(std::floor(std::exp(0.5 + 0.4 * x + 0.3 * x * c) * u * u * 3.0));
    d.w.push_back(1.0 + static_cast<double>(i % 3));
  }
  return d;
}

void special_functions() {
  const double euler = 0.57721566490153286, pi = 3.14159265358979324;
  check(near(digamma(1.0), -euler, 1e-14), "digamma(1) = -Euler's constant");
  check(near(digamma(0.5), -euler - 2.0 * std::log(2.0), 1e-14), "digamma(1/2)");
  check(near(digamma(30.25), (std::lgamma(30.25 + 1e-5) - std::lgamma(30.25 - 1e-5)) / 2e-5, 1e-8),
        "digamma(30.25): the derivative of lgamma");
  check(near(trigamma(1.0), pi * pi / 6.0, 1e-14), "trigamma(1) = pi^2 / 6");
  check(near(trigamma(0.5), pi * pi / 2.0, 1e-14), "trigamma(1/2) = pi^2 / 2");
  check(near(trigamma(12.0), (digamma(12.0 + 1e-5) - digamma(12.0 - 1e-5)) / 2e-5, 1e-8), "trigamma(12)");
}

void theta_checks() {
  const Data d = count_data(500);
  std::vector<double> mu(d.n);
  for (std::size_t i = 0; i < d.n; ++i) mu[i] = std::exp(0.5 + 0.4 * d.X[i]);
  const double* w = d.w.data();
  const double t0 = 1.3, h = 1e-5;
  const ThetaLoglik a = negbin_theta_loglik(t0, d.y.data(), mu.data(), w, d.n);
  const ThetaLoglik up = negbin_theta_loglik(t0 + h, d.y.data(), mu.data(), w, d.n);
  const ThetaLoglik dn = negbin_theta_loglik(t0 - h, d.y.data(), mu.data(), w, d.n);
  check(near(a.score, (up.loglik - dn.loglik) / (2 * h), 1e-7), "theta's score: a central difference of loglik");
  check(near(a.hessian, (up.score - dn.score) / (2 * h), 1e-7), "theta's second derivative: a difference of the score");
  const ThetaFit f = negbin_theta_ml(d.y.data(), mu.data(), w, d.n);
  const ThetaLoglik at = negbin_theta_loglik(f.theta, d.y.data(), mu.data(), w, d.n);
  check(f.converged && std::fabs(at.score) * f.theta < 1e-8, "the ML theta zeroes the score");
  check(at.loglik >= negbin_theta_loglik(f.theta * 1.001, d.y.data(), mu.data(), w, d.n).loglik &&
            at.loglik >= negbin_theta_loglik(f.theta * 0.999, d.y.data(), mu.data(), w, d.n).loglik,
        "the ML theta is a maximum");
  check(near(f.se, 1.0 / std::sqrt(-at.hessian), 1e-12), "SE(theta) = 1 / sqrt(-d2 loglik)");
  // Poisson counts (equal to their means): no overdispersion, said so.
  std::vector<double> y2(d.n);
  for (std::size_t i = 0; i < d.n; ++i) y2[i] = std::round(mu[i]);
  const ThetaFit g = negbin_theta_ml(y2.data(), mu.data(), nullptr, d.n);
  check(!g.converged && g.message.find("poisson") != std::string::npos, "underdispersed counts: no theta, say poisson");
  check(throws_invalid([&] { negbin_theta_ml(d.y.data(), d.y.data(), nullptr, d.n); }), "zero means refused");
}

FitOptions negbin_options(int threads) {
  OptionMap m;
  m.emplace_back("family", OptionValue::string("negativebinomial"));
  m.emplace_back("encoder", OptionValue::string("linear"));
  m.emplace_back("threads", OptionValue::integer(threads));
  return fit_options_from(m);
}

void fit_checks() {
  const Data d = count_data(800);
  const DataView v = d.view(true);
  const FitResult r1 = fit(v, negbin_options(1));
  const FitResult r3 = fit(v, negbin_options(3));
  check(r1.solve.converged && std::isfinite(r1.nb_theta) && r1.nb_theta > 0.0, "the fit converges with a theta");
  check(r1.weights == r3.weights && r1.nb_theta == r3.nb_theta, "bitwise the same fit for 1 and 3 threads");
  // The NB score sum w theta (y - mu) / (theta + mu) z at the estimate, z = [1; x] (x) [1; c].
  const std::vector<double> b = interaction_coefficients(r1.scaling, 1, r1.weights.data());
  double score[4] = {0, 0, 0, 0}, scale = 0.0;
  for (std::size_t i = 0; i < d.n; ++i) {
    const double z[4] = {1.0, d.C[i], d.X[i], d.X[i] * d.C[i]};
    double eta = 0.0;
    for (int k = 0; k < 4; ++k) eta += b[k] * z[k];
    const double mu = std::exp(eta), t = r1.nb_theta, u = d.w[i] * t * (d.y[i] - mu) / (t + mu);
    for (int k = 0; k < 4; ++k) score[k] += u * z[k];
    scale += d.w[i] * d.y[i];
  }
  bool zero = true;
  for (double s : score) zero = zero && std::fabs(s) < 1e-9 * scale;
  check(zero, "the NB score of the coefficients is zero at the fit");
  // theta is the ML theta at the fitted means.
  std::vector<double> mu(d.n);
  for (std::size_t i = 0; i < d.n; ++i) mu[i] = std::exp(b[0] + b[1] * d.C[i] + d.X[i] * (b[2] + b[3] * d.C[i]));
  const ThetaFit tf = negbin_theta_ml(d.y.data(), mu.data(), d.w.data(), d.n);
  check(near(tf.theta, r1.nb_theta, 1e-9), "theta is the ML theta at the fitted means");
  // Covariances: the observed one differs from the expected one; alpha_se = theta_se_joint / theta^2.
  const NegBinCovariance e = negbin_covariance(v, true, b, r1.nb_theta, "nonrobust", 1);
  const NegBinCovariance o = negbin_covariance(v, true, b, r1.nb_theta, "observed", 1);
  check(e.beta.D == 4 && o.beta.D == 4 && e.beta.cov[0] > 0.0 && o.beta.cov[0] > 0.0 && e.beta.cov[0] != o.beta.cov[0],
        "expected and observed covariances");
  check(near(o.theta_se_joint, o.alpha_se * r1.nb_theta * r1.nb_theta, 1e-12), "delta method for theta");
  check(throws_invalid([&] { negbin_covariance(v, true, b, -1.0, "nonrobust", 1); }), "theta <= 0 refused");
  check(throws_invalid([&] { negbin_covariance(v, true, b, r1.nb_theta, "HC7", 1); }), "unknown cov_type refused");
}

void refusals() {
  for (const char* enc : {"spline", "mlp", "ngam"}) {
    OptionMap m;
    m.emplace_back("family", OptionValue::string("negativebinomial"));
    m.emplace_back("encoder", OptionValue::string(enc));
    check(throws_invalid([&] { fit_options_from(m); }), std::string("encoder ") + enc + " refused with negbin");
  }
  OptionMap m;
  m.emplace_back("family", OptionValue::string("negativebinomial"));
  m.emplace_back("encoder", OptionValue::string("linear"));
  m.emplace_back("solver", OptionValue::string("lbfgs"));
  check(throws_invalid([&] { fit_options_from(m); }), "solver lbfgs refused with negbin");
  Data d = count_data(50);
  d.y[3] = -1.0;
  check(throws_invalid([&] { fit(d.view(true), negbin_options(1)); }), "negative counts refused");
}

}  // namespace

int main() {
  special_functions();
  theta_checks();
  fit_checks();
  refusals();
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
