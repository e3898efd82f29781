// Tests of the mixture of contextualized regressions (glm/mixture.hpp): the analytic gradient
// of the observed log-likelihood against central differences, the EM fit's stationarity (the
// gradient vanishes at its optimum), recovery of two known regimes, the canonical order,
// determinism across thread counts, the sigma floor, and the errors naming the option.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/rng.hpp"
#include "glm/mixture.hpp"
#include "glm/mixture_bootstrap.hpp"
#include "harness.hpp"

using namespace ctxstats;
using namespace ctxstats_test;

namespace {

// Two regimes; P(regime 2 | c) = logistic(1.5 c1); regime 1: y = 1 + x (1 + c2) + 0.3 e,
// regime 2: y = -1 + x (-1 + 0.5 c1) + 0.3 e. truth: the regime (0 or 1).
Data make_data(std::size_t n, std::uint64_t seed, std::vector<int>* truth) {
  Data d{n, 1, 2, {}, {}, {}, {}};
  CounterRng rng(seed, Stream::kInit, 11);
  for (std::size_t i = 0; i < n; ++i) {
    const double c1 = rng.normal(), c2 = rng.normal(), x = rng.normal();
    const int z = rng.uniform() < 1.0 / (1.0 + std::exp(-1.5 * c1)) ? 1 : 0;
    d.C.push_back(c1);
    d.C.push_back(c2);
    d.X.push_back(x);
    const double mean = z == 0 ? 1.0 + x * (1.0 + c2) : -1.0 + x * (-1.0 + 0.5 * c1);
    d.y.push_back(mean + 0.3 * rng.normal());
    d.w.push_back(0.5 + rng.uniform());
    if (truth) truth->push_back(z);
  }
  return d;
}

// The largest relative difference between the analytic gradient of the log-likelihood at w and
// central differences with step h (relative to each weight's size).
double worst_gradient_error(const DataView& data, int K, const std::vector<double>& w, const std::string& family,
                            double h0) {
  std::vector<double> grad;
  mixture_loglik(data, K, w, &grad, family);
  double worst = 0.0;
  for (std::size_t j = 0; j < w.size(); ++j) {
    const double h = h0 * std::max(1.0, std::fabs(w[j]));
    std::vector<double> a = w, b = w;
    a[j] += h;
    b[j] -= h;
    const double fd = (mixture_loglik(data, K, a, nullptr, family) - mixture_loglik(data, K, b, nullptr, family)) / (2 * h);
    worst = std::max(worst, std::fabs(fd - grad[j]) / std::max(1.0, std::fabs(fd)));
  }
  return worst;
}

void gradient_checks() {
  const Data data = make_data(80, 1, nullptr);
  for (int K : {1, 2, 3}) {
    for (bool weighted : {false, true}) {
      const int D = 2 * 3;
      const std::size_t P = static_cast<std::size_t>(K) * (D + 1) + static_cast<std::size_t>(K - 1) * 3;
      std::vector<double> w(P);
      CounterRng rng(3, Stream::kInit, P);
      for (double& v : w) v = 0.4 * rng.normal();
      const double worst = worst_gradient_error(data.view(weighted), K, w, "gaussian", 1e-5);
      check(worst < 1e-6, "mixture gradient vs central differences, K=" + std::to_string(K) +
                              (weighted ? " weighted" : "") + ": worst relative error " + std::to_string(worst));
    }
  }
}

// Two Poisson regimes: P(regime 1 | c) = logistic(1.2 c1); log means 0.3 + 0.8 x + 0.2 c2 and
// 2 + x (-0.4 + 0.3 c1).
Data make_poisson_data(std::size_t n, std::uint64_t seed) {
  Data d{n, 1, 2, {}, {}, {}, {}};
  CounterRng rng(seed, Stream::kInit, 12);
  for (std::size_t i = 0; i < n; ++i) {
    const double c1 = rng.normal(), c2 = rng.normal(), x = rng.normal();
    const bool z = rng.uniform() < 1.0 / (1.0 + std::exp(-1.2 * c1));
    d.C.push_back(c1);
    d.C.push_back(c2);
    d.X.push_back(x);
    const double mean = std::exp(z ? 0.3 + 0.8 * x + 0.2 * c2 : 2.0 + x * (-0.4 + 0.3 * c1));
    // a Poisson draw by inversion (means are at most ~e^5 here)
    double u = rng.uniform(), p = std::exp(-mean), cum = p;
    int y = 0;
    while (u > cum && y < 10000) {
      ++y;
      p *= mean / y;
      cum += p;
    }
    d.y.push_back(y);
    d.w.push_back(0.5 + rng.uniform());
  }
  return d;
}

// The Poisson mixture: gradient against central differences (no log sigmas), stationarity at
// the EM optimum, and bitwise the same fit on 1 and 2 threads.
void poisson_checks() {
  const Data small = make_poisson_data(80, 5);
  for (int K : {1, 2}) {
    for (bool weighted : {false, true}) {
      const std::size_t P = static_cast<std::size_t>(K) * 6 + static_cast<std::size_t>(K - 1) * 3;
      std::vector<double> w(P);
      CounterRng rng(6, Stream::kInit, P);
      for (double& v : w) v = 0.3 * rng.normal();
      const double worst = worst_gradient_error(small.view(weighted), K, w, "poisson", 1e-6);
      check(worst < 1e-6, "poisson mixture gradient vs central differences, K=" + std::to_string(K) +
                              (weighted ? " weighted" : "") + ": worst relative error " + std::to_string(worst));
    }
  }
  const Data data = make_poisson_data(600, 7);
  MixtureOptions o;
  o.family = "poisson";
  o.k = 2;
  o.n_starts = 5;
  o.seed = 1;
  o.tol = 1e-13;  // tight, so that the optimum's gradient can be checked
  o.max_iter = 20000;
  o.threads = 1;
  const MixtureResult r = fit_mixture(data.view(true), o);
  check(r.converged && r.message.empty() && r.sigma.empty(), "the poisson mixture converges, with no sigmas");
  check(r.df == 2 * 6 + 3, "a poisson mixture's df has no sigmas");
  std::vector<double> params(r.weights);
  for (int l = 0; l < 3; ++l) params.push_back(r.gate[3 + l]);
  std::vector<double> grad;
  const double l = mixture_loglik(data.view(true), 2, params, &grad, "poisson");
  double gmax = 0.0;
  for (double g : grad) gmax = std::max(gmax, std::fabs(g));
  check(gmax < 1e-3, "the poisson EM optimum is stationary: max |gradient| " + std::to_string(gmax));
  check(std::fabs(l - r.loglik) < 1e-9 * std::fabs(r.loglik), "the reported log-likelihood is the observed one");
  check(std::fabs(r.coef[0] - 0.3) < 0.2 && std::fabs(r.coef[(0 * 2 + 1) * 3] - 0.8) < 0.2 &&
            std::fabs(r.coef[(1 * 2 + 0) * 3] - 2.0) < 0.2,
        "the poisson regimes are recovered (component 1 the smaller mean)");
  o.threads = 2;
  const MixtureResult r2 = fit_mixture(data.view(true), o);
  check(r2.loglik == r.loglik && r2.weights == r.weights && r2.posterior == r.posterior,
        "the poisson mixture is bitwise the same with 1 and 2 threads");
  const MixturePrediction pr = predict_mixture("poisson", r.scaling, 2, r.weights, r.gate, r.sigma, data.X.data(),
                                               data.C.data(), data.y.data(), 600, 1, 2);
  double dmax = 0.0;
  for (std::size_t i = 0; i < pr.posterior.size(); ++i) dmax = std::max(dmax, std::fabs(pr.posterior[i] - r.posterior[i]));
  check(dmax < 1e-10, "predict_mixture's poisson posterior at the training rows is the fit's");
  check(throws_invalid([&] { predict_mixture("poisson", r.scaling, 2, r.weights, r.gate, {1.0, 1.0}, data.X.data(),
                                             data.C.data(), nullptr, 600, 1, 2); }, "sigma"),
        "a poisson prediction refuses sigmas");
  o.family = "binomial";
  check(throws_invalid([&] { fit_mixture(data.view(true), o); }, "not identifiable"), "binomial mixtures are refused");
}

double ari(const std::vector<int>& a, const std::vector<int>& b, int ka, int kb) {
  std::vector<double> t(static_cast<std::size_t>(ka) * kb, 0.0), ra(ka, 0.0), rb(kb, 0.0);
  for (std::size_t i = 0; i < a.size(); ++i) t[a[i] * kb + b[i]] += 1.0;
  auto c2 = [](double x) { return x * (x - 1.0) / 2.0; };
  double sij = 0.0, sa = 0.0, sb = 0.0;
  for (int i = 0; i < ka; ++i)
    for (int j = 0; j < kb; ++j) {
      sij += c2(t[i * kb + j]);
      ra[i] += t[i * kb + j];
      rb[j] += t[i * kb + j];
    }
  for (double v : ra) sa += c2(v);
  for (double v : rb) sb += c2(v);
  const double expct = sa * sb / c2(static_cast<double>(a.size()));
  return (sij - expct) / (0.5 * (sa + sb) - expct);
}

void fit_checks() {
  std::vector<int> truth;
  const Data data = make_data(800, 2, &truth);
  MixtureOptions o;
  o.k = 2;
  o.n_starts = 5;
  o.seed = 4;
  o.threads = 1;
  const MixtureResult r = fit_mixture(data.view(false), o);
  check(r.converged && r.message.empty(), "the two-regime mixture converges without a warning");
  // Stationarity: the observed log-likelihood's gradient at the fitted parameters (internal scale).
  const int D = 6, K = 2;
  std::vector<double> params;
  for (double v : r.weights) params.push_back(v);
  for (int k = 0; k < K; ++k) params.push_back(std::log(r.sigma[k] / r.scaling.y_scale));
  for (int l = 0; l < 3; ++l) params.push_back(r.gate[3 + l]);
  std::vector<double> grad;
  const double l = mixture_loglik(data.view(false), K, params, &grad);
  double gmax = 0.0;
  for (double g : grad) gmax = std::max(gmax, std::fabs(g));
  check(gmax < 1e-3, "the EM optimum is stationary: max |gradient| " + std::to_string(gmax));
  check(std::fabs(l - 800 * std::log(r.scaling.y_scale) - r.loglik) < 1e-6 * std::fabs(r.loglik),
        "the reported log-likelihood is the observed one in the response's units");
  (void)D;
  // Recovery: the MAP assignment against the regimes.
  std::vector<int> lab(truth.size());
  for (std::size_t i = 0; i < truth.size(); ++i) lab[i] = r.posterior[i * 2 + 1] > r.posterior[i * 2] ? 1 : 0;
  const double a = ari(lab, truth, 2, 2);
  check(a > 0.8, "the posterior assignment recovers the regimes: ARI " + std::to_string(a));
  // Canonical order: regime 2 has the lower mean response (about -1), so it is component 1;
  // its intercept near -1 and its x coefficient's c1 slope near 0.5.
  const int m1 = 3;
  check(std::fabs(r.coef[(0 * 2 + 0) * m1] + 1.0) < 0.1, "component 1 is the regime with intercept -1: " +
                                                               std::to_string(r.coef[0]));
  check(std::fabs(r.coef[(0 * 2 + 1) * m1 + 1] - 0.5) < 0.1, "component 1's x slope in c1 is 0.5");
  check(std::fabs(r.coef[(1 * 2 + 1) * m1 + 2] - 1.0) < 0.1, "component 2's x slope in c2 is 1");
  check(std::fabs(r.sigma[0] - 0.3) < 0.05 && std::fabs(r.sigma[1] - 0.3) < 0.05, "the sigmas are near 0.3");
  // Gating: pi_2 (here the first component, regime 2) rises with c1, so the second component's gate slope is negative.
  check(r.gate_coef[m1 + 1] < -1.0, "the gating slope in c1 is recovered: " + std::to_string(r.gate_coef[m1 + 1]));
  check(r.df == 2 * 7 + 3 && std::fabs(r.bic - (-2 * r.loglik + r.df * std::log(800.0))) < 1e-9, "df and BIC");
  // Per-sample parameters agree with the coefficients.
  const double c1 = data.C[0], c2 = data.C[1];
  const double th = r.coef[(1 * 2 + 1) * m1] + r.coef[(1 * 2 + 1) * m1 + 1] * c1 + r.coef[(1 * 2 + 1) * m1 + 2] * c2;
  check(std::fabs(th - r.theta[(1 * 800 + 0) * 2 + 1]) < 1e-10, "theta_k(c_i) = coef_k [1, c_i]");
  // The prediction's posterior at the training rows is the fit's.
  const MixturePrediction pr = predict_mixture("gaussian", r.scaling, 2, r.weights, r.gate, r.sigma, data.X.data(), data.C.data(),
                                               data.y.data(), 800, 1, 2);
  double dmax = 0.0;
  for (std::size_t i = 0; i < pr.posterior.size(); ++i) dmax = std::max(dmax, std::fabs(pr.posterior[i] - r.posterior[i]));
  check(dmax < 1e-6, "predict_mixture's posterior at the training rows is the fit's");

  // Threads: bitwise the same.
  MixtureOptions o2 = o;
  o2.threads = 2;
  const MixtureResult r2 = fit_mixture(data.view(false), o2);
  check(r2.loglik == r.loglik && r2.weights == r.weights && r2.posterior == r.posterior,
        "the fit is bitwise the same with 1 and 2 threads");
  // Starting from the fit's posterior reproduces its optimum.
  MixtureOptions o3 = o;
  o3.n_starts = 0;
  const MixtureResult r3 = fit_mixture(data.view(false), o3, r.posterior.data());
  check(std::fabs(r3.loglik - r.loglik) < 1e-6, "a start at the fit's posterior stays at its optimum");

  // BIC picks 2 over 1 and 3 here.
  int chosen = -1;
  MixtureOptions o4 = o;
  o4.n_starts = 3;
  const auto fits = select_mixture_components(data.view(false), o4, 1, 3, &chosen);
  check(fits.size() >= 2 && fits[chosen].k == 2, "BIC chooses two components");
  // No spurious small component (one interpolating a few rows with a tiny sigma) in any fit; a
  // k whose starts all lost a component is left out.
  bool kept = true;
  for (const auto& f : fits)
    for (double s : f.size) kept = kept && s >= 0.05 * 800;
  check(kept, "every component of every fit keeps at least min_share of the rows");
  check(fits[0].k == 1 && fits[0].converged && fits[0].n_iter <= 3, "one component converges at once");
}

void floor_and_errors() {
  // A response that a component can fit exactly: y = x for most rows -> sigma floored or fine,
  // never NaN.
  Data d{60, 1, 1, {}, {}, {}, {}};
  CounterRng rng(9, Stream::kInit, 1);
  for (int i = 0; i < 60; ++i) {
    const double x = rng.normal();
    d.X.push_back(x);
    d.C.push_back(rng.normal());
    d.y.push_back(i < 40 ? x : 3.0 + rng.normal());
    d.w.push_back(1.0);
  }
  MixtureOptions o;
  o.k = 2;
  o.n_starts = 4;
  const MixtureResult r = fit_mixture(d.view(false), o);
  bool finite = std::isfinite(r.loglik);
  for (double v : r.weights) finite = finite && std::isfinite(v);
  for (double v : r.sigma) finite = finite && std::isfinite(v) && v > 0.0;
  check(finite, "an exactly fitting component gives finite parameters");
  check(!r.sigma_floored || !r.message.empty(), "a floored sigma comes with a warning");

  const Data data = make_data(50, 3, nullptr);
  MixtureOptions bad = o;
  bad.family = "binomial";
  check(throws_invalid([&] { fit_mixture(data.view(), bad); }, "family='binomial'"), "binomial refused, named");
  bad = o;
  bad.encoder = "mlp";
  check(throws_invalid([&] { fit_mixture(data.view(), bad); }, "encoder='mlp'"), "mlp refused, named");
  bad = o;
  bad.k = 0;
  check(throws_invalid([&] { fit_mixture(data.view(), bad); }, "n_components"), "k = 0 refused");
  bad = o;
  bad.tol = -1;
  check(throws_invalid([&] { fit_mixture(data.view(), bad); }, "tol"), "negative tol refused");
  bad = o;
  bad.k = 8;
  check(throws_invalid([&] { fit_mixture(data.view(), bad); }, "parameters"), "more parameters than rows refused");
  std::vector<double> post(100, 0.7);
  check(throws_invalid([&] { fit_mixture(data.view(), o, post.data()); }, "sum to one"), "a bad start posterior refused");
  bad = o;
  bad.max_iter = 2;
  const MixtureResult capped = fit_mixture(data.view(), bad);
  check(!capped.converged && capped.message.find("max_iter=2") != std::string::npos, "the cap warns, naming max_iter");
}

void bootstrap_checks() {
  // best_matching: the permutation of largest total agreement, exhaustive and greedy.
  const std::vector<double> a3 = {0.1, 0.2, 5.0,  //
                                  4.0, 0.3, 0.1,  //
                                  0.2, 3.0, 0.4};
  check(best_matching(a3, 3) == std::vector<int>({2, 0, 1}), "best_matching finds the permutation (2, 0, 1)");
  std::vector<double> a10(100, 0.0);
  for (int k = 0; k < 10; ++k) a10[k * 10 + (k + 3) % 10] = 1.0 + k;
  std::vector<int> want10(10);
  for (int k = 0; k < 10; ++k) want10[k] = (k + 3) % 10;
  check(best_matching(a10, 10) == want10, "best_matching's greedy rule above K = 8");

  const Data data = make_data(800, 2, nullptr);
  MixtureOptions o;
  o.k = 2;
  o.n_starts = 5;
  o.seed = 4;
  o.threads = 1;
  const MixtureResult full = fit_mixture(data.view(), o);
  const MixtureBootstrap b = bootstrap_mixture(data.view(), o, full.posterior, 40, 0.05);
  check(b.failed == 0 && b.unconverged == 0 && b.message.empty(), "every replicate fits and converges");
  const std::size_t P = full.coef.size();
  bool ok = true;
  for (std::size_t j = 0; j < P; ++j) {
    double mean = 0.0;
    for (std::size_t r = 0; r < 40; ++r) mean += b.coef[r * P + j] / 40.0;
    const double se = b.coef_summary.se[j];
    // the replicates centre on the full fit (within 1.5 of their SDs: not relabelled halves)
    ok = ok && std::isfinite(se) && se > 0.0 && std::fabs(mean - full.coef[j]) < 1.5 * se &&
         b.coef_summary.lower[j] < full.coef[j] && full.coef[j] < b.coef_summary.upper[j];
  }
  check(ok, "replicate coefficients centre on the full fit, with positive SEs and intervals around it");
  check(b.sigma_summary.se[0] > 0.0 && b.sigma_summary.se[0] < 0.05, "sigma's bootstrap SE is small and positive");
  check(b.gate_summary.se[0] == 0.0 && b.gate_summary.se[3] > 0.0,
        "the reference gate row stays zero: " + std::to_string(b.gate_summary.se[0]) + " " +
            std::to_string(b.gate_summary.se[3]));

  // The matching follows the reference's labels: with the full fit's posterior columns swapped,
  // replicate component 0 is the full fit's component 1.
  std::vector<double> swapped(full.posterior.size());
  for (std::size_t i = 0; i < data.n; ++i) {
    swapped[i * 2] = full.posterior[i * 2 + 1];
    swapped[i * 2 + 1] = full.posterior[i * 2];
  }
  const MixtureBootstrap bs = bootstrap_mixture(data.view(), o, swapped, 10, 0.05);
  const std::size_t per = P / 2;
  double worst = 0.0;
  for (std::size_t r = 0; r < 10; ++r)
    for (std::size_t j = 0; j < per; ++j) worst = std::max(worst, std::fabs(bs.coef[r * P + j] - full.coef[per + j]));
  check(worst < 0.5 && bs.relabelled == 10, "a swapped reference swaps the replicates' labels");

  MixtureOptions o2 = o;
  o2.threads = 2;
  const MixtureBootstrap b2 = bootstrap_mixture(data.view(), o2, full.posterior, 40, 0.05);
  check(b2.coef == b.coef && b2.sigma == b.sigma && b2.gate_coef == b.gate_coef, "bitwise the same on 2 threads");
  check(throws_invalid([&] { bootstrap_mixture(data.view(), o, full.posterior, 1, 0.05); }, "n_bootstraps"),
        "n_bootstraps = 1 refused");
}

}  // namespace

int main() {
  gradient_checks();
  fit_checks();
  poisson_checks();
  floor_and_errors();
  bootstrap_checks();
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
