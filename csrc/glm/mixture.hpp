// Mixtures of contextualized regressions (the linear encoder), fitted by EM:
//
//   y_i | x_i, c_i ~ sum_k pi_k(c_i) N(x~_i . theta_k(c_i), sigma_k^2),
//   theta_k(c) = W_k b(c),  b(c) = [1, c]  (each component a linear varying-coefficient model),
//   pi(c) = softmax(V b(c)),  V's first row 0  (a multinomial-logit "concomitant" model),
//
// the model of R's flexmix(y ~ x * c, k = K, concomitant = FLXPmultinom(~ c)). On the core's
// internal scale (y' = (y - y_mean) / y_scale, c' and x' standardised, glm/fit.hpp's Scaling):
//
//   E-step:  r_ik = pi_k(c_i) phi(y_i; mu_ik, sigma_k) / sum_l pi_l(c_i) phi(y_i; mu_il, sigma_l);
//   M-step:  W_k   the exact solver's weighted least squares (solve_linear_passes over
//                  exact_pass) with weights s_i r_ik;
//            sigma_k^2 = sum s r_ik (y_i - mu_ik)^2 / sum s r_ik  (the maximiser), floored at
//                  kMixtureSigmaFloor (internal scale, i.e. that fraction of sd(y));
//            V     up to kGateNewton Newton steps (with step halving) on the expected
//                  complete-data log-likelihood sum s r_ik log pi_k(c_i), from the previous V.
// Every step increases the observed log-likelihood l = sum_i s_i log sum_k pi_k phi (a
// generalised EM). A start converges when the relative change |l_t - l_{t-1}| / max(1, |l_t|)
// is at most tol; it stops unconverged at max_iter.
//
// Starts: `n_starts` random hard assignments of the rows to components (draw r from the
// counter-based generator keyed by (seed, Stream::kMixture, K, start)), plus the caller's
// posterior when one is given (tried first). A start is degenerate when, at any iteration, a
// component's weight sum sum_i s_i r_ik falls below max(min_share * sum s, q (m + 1) + 1) (it
// lost its rows, or kept too few to estimate its parameters: such a component interpolates a
// few rows with a tiny sigma, a spurious maximum of the unbounded likelihood; flexmix's
// minprior, default 0.05, is the same guard) -- the start is abandoned -- or its sigma reached the
// floor. The best start is
// the non-degenerate one of largest l; only if all are degenerate is a floored one taken, with
// a warning (message) naming the cause and what to change; if every start lost a component the
// fit is refused (InvalidArgument).
//
// Label switching: components are ordered canonically by their mean fitted response
// sum_i s_i x~_i . theta_k(c_i) / sum s (ascending), and the gating rows are re-referenced to the
// first component (its row 0), so fits from other seeds or resampled data label alike.
//
// Parameters and df: K (q (m + 1) + 1) + (K - 1)(m + 1); AIC = -2 l + 2 df; BIC = -2 l + df log(n),
// n = the total weight (the number of rows when unweighted). Log-likelihoods are reported in the
// response's units (the internal one minus n log y_scale).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "common/data.hpp"

namespace ctxstats {

constexpr double kMixtureSigmaFloor = 1e-4;
constexpr int kGateNewton = 5;

struct MixtureOptions {
  std::string family = "gaussian";  // gaussian or poisson
  std::string encoder = "linear";   // only linear
  int k = 2;                        // components, 1..20
  int n_starts = 10;                // random starts (0 allowed when a start posterior is given)
  int max_iter = 1000;              // EM iterations per start
  double tol = 1e-10;               // relative log-likelihood change
  double min_share = 0.05;          // smallest share of the total weight a component may keep, [0, 0.5)
  std::uint64_t seed = 0;
  int threads = 1;
};

struct MixtureResult {
  int k = 0, q = 0, m = 0;
  std::size_t n = 0;
  Scaling scaling;
  std::vector<double> weights;     // K x (q (m + 1)) component weights W_k, internal scale, output-major
  std::vector<double> gate;        // K x (m + 1) gating weights V on the internal scale, row 0 zero
  std::vector<double> sigma;       // K, response units
  std::vector<double> coef;        // K x q x (m + 1): theta_k(c) = coef_k [1, c] in the user's units
  std::vector<double> gate_coef;   // K x (m + 1): the gating in the user's units (row 0 zero)
  std::vector<double> posterior;   // n x K
  std::vector<double> prior;       // n x K: pi_k(c_i)
  std::vector<double> theta;       // K x n x q: per-component per-sample parameters, user units
  std::vector<double> size;        // K: sum s r_ik
  double loglik = 0.0, df = 0.0, nobs = 0.0, aic = 0.0, bic = 0.0;
  int n_iter = 0;
  bool converged = false;
  bool sigma_floored = false;
  std::string message;             // non-empty: a warning for the user (unconverged, floored)
  int best_start = 0;              // index into the starts (the given posterior first, when there is one)
  std::vector<double> start_loglik;  // per start (NaN when the start lost a component)
  std::vector<int> start_iter;
  std::vector<int> start_status;     // 0 converged, 1 hit max_iter, 2 sigma floored, 3 lost a component
};

// Whether the family's components carry a residual SD sigma_k (gaussian; not poisson).
bool mixture_has_sigma(const std::string& family);

// Throws InvalidArgument naming the option (family, encoder, n_components, n_starts, max_iter, tol).
void validate_mixture_options(const MixtureOptions& options, bool have_start);

// Fits the mixture. start_posterior: optional n x K row-major responsibilities (rows summing to
// one) tried as the first start.
MixtureResult fit_mixture(const DataView& data, const MixtureOptions& options,
                          const double* start_posterior = nullptr);

// Fits k = k_min..k_max and returns them all; *chosen: the index of the smallest BIC. A k above
// k_min that cannot be fitted (every start lost a component, or more parameters than rows) is
// left out.
std::vector<MixtureResult> select_mixture_components(const DataView& data, const MixtureOptions& options, int k_min,
                                                     int k_max, int* chosen);

// The observed log-likelihood (internal scale: y standardised by the data's scaling) at
// params = [W_1 .. W_K (each q (m + 1)), log sigma_1 .. log sigma_K, V_2 .. V_K (each m + 1)],
// with its analytic gradient when grad is given; for the finite-difference checks.
// A poisson mixture (family "poisson") has no log sigmas: params = [W_1 .. W_K, V_2 .. V_K].
double mixture_loglik(const DataView& data, int k, const std::vector<double>& params, std::vector<double>* grad,
                      const std::string& family = "gaussian");

// At new rows (X: rows x p, C: rows x m, user units): pi_k(c) (rows x K), each component's mean
// (rows x K, user units), the mixture mean sum_k pi_k mean_k, and -- when y is given -- the
// posterior component probabilities (rows x K).
struct MixturePrediction {
  std::vector<double> prior, means, mean, posterior;
};
// family "gaussian" (sigma: K) or "poisson" (sigma empty; the means are e^eta).
MixturePrediction predict_mixture(const std::string& family, const Scaling& scaling, int k,
                                  const std::vector<double>& weights, const std::vector<double>& gate,
                                  const std::vector<double>& sigma, const double* X, const double* C, const double* y,
                                  std::size_t rows, int p, int m);

}  // namespace ctxstats
