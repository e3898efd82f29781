// Mixtures of contextualized regressions by EM (see glm/mixture.hpp for the model, the steps,
// the starts and the canonical order of the components).
#include "glm/mixture.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "common/convergence.hpp"
#include "common/error.hpp"
#include "common/family.hpp"
#include "common/linear_solve.hpp"
#include "common/rng.hpp"
#include "encoders/context_basis.hpp"
#include "glm/exact_passes.hpp"
#include "glm/objective.hpp"

namespace ctxstats {

namespace {

constexpr double kHalfLog2Pi = 0.91893853320467274178;
constexpr int kLoadBlock = 4096;

bool has_sigma(Family family) { return family == Family::kGaussian; }

// log f(y | eta) of one component on the internal scale: gaussian with its sigma, or poisson
// (with its -log y! so that log-likelihoods compare across fits, as glm's do).
double log_density(Family family, double y, double eta, double sigma) {
  if (family == Family::kGaussian) {
    const double z = (y - eta) / sigma;
    return -kHalfLog2Pi - std::log(sigma) - 0.5 * z * z;
  }
  return -loss(family, y, eta) - std::lgamma(y + 1.0);
}


// The rows on the internal scale: predictors with the leading 1 (n x q), the context basis
// [1, c'] (n x m1), responses and user weights.
struct Rows {
  std::size_t n = 0;
  int q = 0, m1 = 0;
  std::vector<double> X, B, y, s;
  double total = 0.0;
};

Rows load_all(const DataView& data, const Scaling& scaling) {
  Rows r;
  r.n = data.n;
  r.q = scaling.q();
  r.m1 = data.m + 1;
  r.X.resize(r.n * r.q);
  r.B.resize(r.n * r.m1);
  r.y.resize(r.n);
  r.s.resize(r.n);
  std::vector<double> C(static_cast<std::size_t>(kLoadBlock) * std::max(1, data.m));
  for (std::size_t start = 0; start < r.n; start += kLoadBlock) {
    const int rows = static_cast<int>(std::min<std::size_t>(kLoadBlock, r.n - start));
    load_rows(data, scaling, nullptr, start, rows, C.data(), r.X.data() + start * r.q, r.y.data() + start,
              r.s.data() + start);
    for (int i = 0; i < rows; ++i) {
      double* b = r.B.data() + (start + i) * r.m1;
      b[0] = 1.0;
      for (int j = 0; j < data.m; ++j) b[1 + j] = C[static_cast<std::size_t>(i) * data.m + j];
    }
  }
  for (std::size_t i = 0; i < r.n; ++i) r.total += r.s[i];
  return r;
}

// eta_i = x~_i . W b_i for one component's weights W (q x m1, output-major): the mean on the
// internal scale for gaussian components, the log mean for poisson ones.
void component_means(const Rows& R, const double* W, double* mu, int threads) {
  const long long n = static_cast<long long>(R.n);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (long long i = 0; i < n; ++i) {
    const double* x = R.X.data() + i * R.q;
    const double* b = R.B.data() + i * R.m1;
    double e = 0.0;
    for (int a = 0; a < R.q; ++a) {
      double t = 0.0;
      for (int l = 0; l < R.m1; ++l) t += W[a * R.m1 + l] * b[l];
      e += x[a] * t;
    }
    mu[i] = e;
  }
}

// log pi_ik (n x K) for gating V (K x m1).
void log_prior(const Rows& R, int K, const double* V, double* lp, int threads) {
  const long long n = static_cast<long long>(R.n);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (long long i = 0; i < n; ++i) {
    const double* b = R.B.data() + i * R.m1;
    double* o = lp + i * K;
    double mx = -std::numeric_limits<double>::infinity();
    for (int k = 0; k < K; ++k) {
      double t = 0.0;
      for (int l = 0; l < R.m1; ++l) t += V[k * R.m1 + l] * b[l];
      o[k] = t;
      mx = std::max(mx, t);
    }
    double z = 0.0;
    for (int k = 0; k < K; ++k) z += std::exp(o[k] - mx);
    const double lz = mx + std::log(z);
    for (int k = 0; k < K; ++k) o[k] -= lz;
  }
}

// E-step: responsibilities r (n x K) and the observed log-likelihood (internal scale, weighted).
// mu: the components' linear predictors (K x n); sigma: K (gaussian) or empty.
double e_step(const Rows& R, Family family, int K, const std::vector<double>& mu, const std::vector<double>& sigma,
              const std::vector<double>& lp, std::vector<double>* r, int threads) {
  const long long n = static_cast<long long>(R.n);
  std::vector<double> li(R.n);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (long long i = 0; i < n; ++i) {
    double* ri = r->data() + i * K;
    double mx = -std::numeric_limits<double>::infinity();
    for (int k = 0; k < K; ++k) {
      ri[k] = lp[i * K + k] + log_density(family, R.y[i], mu[k * R.n + i], has_sigma(family) ? sigma[k] : 1.0);
      mx = std::max(mx, ri[k]);
    }
    double t = 0.0;
    for (int k = 0; k < K; ++k) t += std::exp(ri[k] - mx);
    const double l = mx + std::log(t);
    for (int k = 0; k < K; ++k) ri[k] = std::exp(ri[k] - l);
    li[i] = l;
  }
  double total = 0.0;  // summed in row order: the same for any thread count
  for (std::size_t i = 0; i < R.n; ++i) total += R.s[i] * li[i];
  return total;
}

// sum s r_ik log pi_ik: the gating part of the expected complete-data log-likelihood.
double gate_objective(const Rows& R, int K, const std::vector<double>& r, const std::vector<double>& lp) {
  double g = 0.0;
  for (std::size_t i = 0; i < R.n; ++i)
    for (int k = 0; k < K; ++k) {
      const double w = R.s[i] * r[i * K + k];
      if (w > 0.0) g += w * lp[i * K + k];
    }
  return g;
}

// The gating M-step: up to kGateNewton Newton steps from V (row 0 held at zero).
void gate_step(const Rows& R, int K, const std::vector<double>& r, std::vector<double>* V, int threads) {
  if (K == 1) return;
  const int m1 = R.m1, P = (K - 1) * m1;
  std::vector<double> lp(R.n * K);
  log_prior(R, K, V->data(), lp.data(), threads);
  double G = gate_objective(R, K, r, lp);
  for (int it = 0; it < kGateNewton; ++it) {
    Eigen::VectorXd g = Eigen::VectorXd::Zero(P);
    Eigen::MatrixXd H = Eigen::MatrixXd::Zero(P, P);  // the negative Hessian
    for (std::size_t i = 0; i < R.n; ++i) {
      const double* b = R.B.data() + i * m1;
      for (int k = 1; k < K; ++k) {
        const double pk = std::exp(lp[i * K + k]);
        const double d = R.s[i] * (r[i * K + k] - pk);
        for (int l = 0; l < m1; ++l) g[(k - 1) * m1 + l] += d * b[l];
        for (int k2 = 1; k2 <= k; ++k2) {
          const double pk2 = std::exp(lp[i * K + k2]);
          const double h = R.s[i] * pk * ((k == k2 ? 1.0 : 0.0) - pk2);
          for (int l = 0; l < m1; ++l)
            for (int l2 = 0; l2 < m1; ++l2) H((k - 1) * m1 + l, (k2 - 1) * m1 + l2) += h * b[l] * b[l2];
        }
      }
    }
    H = H.selfadjointView<Eigen::Lower>();
    bool rank_deficient = false;
    const Eigen::VectorXd step = solve_symmetric(H, g, &rank_deficient);
    const double decrement = g.dot(step);
    if (!(decrement > 1e-13 * std::max(1.0, std::fabs(G)))) break;
    const std::vector<double> V0 = *V;
    bool moved = false;
    double t = 1.0;
    for (int halving = 0; halving < 30; ++halving, t *= 0.5) {
      for (int k = 1; k < K; ++k)
        for (int l = 0; l < m1; ++l) (*V)[k * m1 + l] = V0[k * m1 + l] + t * step[(k - 1) * m1 + l];
      log_prior(R, K, V->data(), lp.data(), threads);
      const double G_new = gate_objective(R, K, r, lp);
      if (std::isfinite(G_new) && G_new >= G) {
        G = G_new;
        moved = true;
        break;
      }
    }
    if (!moved) {
      *V = V0;
      break;
    }
  }
}

struct StartFit {
  std::vector<double> W, sigma, V, r, mu, lp;
  double loglik = -std::numeric_limits<double>::infinity();
  int iter = 0;
  int status = 3;  // 0 converged, 1 max_iter, 2 sigma floored, 3 lost a component
  bool floored = false;
};

// One EM run from responsibilities r0.
StartFit run_em(const DataView& data, const Scaling& scaling, const Rows& R, const ContextBasis& basis, int K,
                const MixtureOptions& o, std::vector<double> r0) {
  const int D = R.q * R.m1;
  const int threads = resolve_threads(o.threads);
  const Family family = parse_family(o.family);
  StartFit f;
  f.W.assign(static_cast<std::size_t>(K) * D, 0.0);
  f.sigma.assign(has_sigma(family) ? K : 0, 1.0);
  f.V.assign(static_cast<std::size_t>(K) * R.m1, 0.0);
  f.r = std::move(r0);
  f.mu.assign(static_cast<std::size_t>(K) * R.n, 0.0);
  f.lp.assign(R.n * K, 0.0);
  std::vector<double> wk(R.n);
  DataView dk = data;
  dk.weights = wk.data();
  SolverOptions so;
  so.threads = o.threads;
  if (!has_sigma(family)) so.tol = 1e-16;  // each M-step's IRLS: well below EM's own tol
  const Penalty none{};
  const double min_size = std::max(o.min_share * R.total, D + 1.0);
  double previous = 0.0;
  for (int it = 1; it <= o.max_iter; ++it) {
    f.iter = it;
    f.floored = false;
    for (int k = 0; k < K; ++k) {
      double size = 0.0, sy = 0.0;
      for (std::size_t i = 0; i < R.n; ++i) {
        wk[i] = R.s[i] * f.r[i * K + k];
        size += wk[i];
        sy += wk[i] * R.y[i];
      }
      if (!(size >= min_size)) {
        f.status = 3;
        f.loglik = std::numeric_limits<double>::quiet_NaN();
        return f;
      }
      if (!has_sigma(family) && !(sy > 0.0)) {  // a poisson component with no counts: its log mean runs to -inf
        f.status = 3;
        f.loglik = std::numeric_limits<double>::quiet_NaN();
        return f;
      }
      const ExactPass pass = [&](const Eigen::VectorXd& b, bool hessian) {
        return exact_pass(family, dk, scaling, basis, b, hessian, threads);
      };
      solve_linear_passes(basis, family, pass, scaling, none, so, has_sigma(family) ? 0.0 : std::log(sy / size),
                          f.W.data() + k * D);
      double* mu = f.mu.data() + k * R.n;
      component_means(R, f.W.data() + k * D, mu, threads);
      if (!has_sigma(family)) continue;
      double rss = 0.0;
      for (std::size_t i = 0; i < R.n; ++i) rss += wk[i] * (R.y[i] - mu[i]) * (R.y[i] - mu[i]);
      double sd = std::sqrt(rss / size);
      if (!(sd >= kMixtureSigmaFloor)) {
        sd = kMixtureSigmaFloor;
        f.floored = true;
      }
      f.sigma[k] = sd;
    }
    gate_step(R, K, f.r, &f.V, threads);
    log_prior(R, K, f.V.data(), f.lp.data(), threads);
    const double l = e_step(R, family, K, f.mu, f.sigma, f.lp, &f.r, threads);
    f.loglik = l;
    if (it > 1 && std::fabs(l - previous) <= o.tol * std::max(1.0, std::fabs(l))) {
      f.status = f.floored ? 2 : 0;
      return f;
    }
    previous = l;
  }
  f.status = f.floored ? 2 : 1;
  return f;
}

// theta' (q) at one basis row b for weights W.
void theta_internal(const double* W, const double* b, int q, int m1, double* out) {
  for (int a = 0; a < q; ++a) {
    double t = 0.0;
    for (int l = 0; l < m1; ++l) t += W[a * m1 + l] * b[l];
    out[a] = t;
  }
}

Scaling mixture_scaling(const DataView& data, Family family) { return compute_scaling(data, family, true); }

}  // namespace

bool mixture_has_sigma(const std::string& family) { return has_sigma(parse_family(family)); }

void validate_mixture_options(const MixtureOptions& o, bool have_start) {
  if (o.family != "gaussian" && o.family != "poisson")
    throw InvalidArgument("family='" + o.family +
                          "' is not available for mixtures of contextualized regressions; use family='gaussian' or "
                          "'poisson' (a mixture of binomial regressions of 0/1 responses is not identifiable from "
                          "one response per row)");
  if (o.encoder != "linear")
    throw InvalidArgument("encoder='" + o.encoder +
                          "' is not available for mixtures of contextualized regressions; use encoder='linear'");
  require(o.k >= 1 && o.k <= 20, "n_components must be an integer from 1 to 20, not " + std::to_string(o.k));
  require(o.n_starts >= (have_start ? 0 : 1),
          "n_starts must be a positive integer (0 only with a start posterior), not " + std::to_string(o.n_starts));
  require(o.max_iter >= 1, "max_iter must be a positive integer, not " + std::to_string(o.max_iter));
  require(std::isfinite(o.tol) && o.tol > 0.0 && o.tol < 1.0, "tol must be in (0, 1), not " + format_number(o.tol));
  require(o.threads >= 0, "threads must be a non-negative integer (0: all available)");
  require(o.min_share >= 0.0 && o.min_share < 0.5, "min_share must be in [0, 0.5), not " + format_number(o.min_share));
}

MixtureResult fit_mixture(const DataView& data, const MixtureOptions& o, const double* start_posterior) {
  validate_mixture_options(o, start_posterior != nullptr);
  const Family family = parse_family(o.family);
  const Scaling scaling = mixture_scaling(data, family);
  const Rows R = load_all(data, scaling);
  const int K = o.k, q = R.q, m1 = R.m1, D = q * m1;
  const double df = K * (D + (has_sigma(family) ? 1.0 : 0.0)) + (K - 1.0) * m1;
  require(R.total > df,
          "the mixture with n_components=" + std::to_string(K) + " has " + format_number(df) +
              " parameters, more than the (weighted) number of rows " + format_number(R.total) +
              "; use fewer components or context features");
  const auto basis = make_linear_basis(data.m);

  std::vector<std::vector<double>> starts;
  if (start_posterior != nullptr) {
    std::vector<double> r(start_posterior, start_posterior + R.n * K);
    for (std::size_t i = 0; i < R.n; ++i) {
      double t = 0.0;
      for (int k = 0; k < K; ++k) {
        const double v = r[i * K + k];
        if (!(v >= 0.0 && v <= 1.0 + 1e-8))
          throw InvalidArgument("the start posterior must hold probabilities in [0, 1]; row " + std::to_string(i + 1) +
                                " does not");
        t += v;
      }
      if (!(std::fabs(t - 1.0) < 1e-6))
        throw InvalidArgument("the start posterior's rows must sum to one; row " + std::to_string(i + 1) + " sums to " +
                              format_number(t));
    }
    starts.push_back(std::move(r));
  }
  for (int s = 0; s < o.n_starts; ++s) {
    CounterRng rng(o.seed, Stream::kMixture, static_cast<std::uint64_t>(K), static_cast<std::uint64_t>(s));
    std::vector<double> r(R.n * K, 0.0);
    for (std::size_t i = 0; i < R.n; ++i) r[i * K + rng.below(static_cast<std::uint64_t>(K))] = 1.0;
    starts.push_back(std::move(r));
  }

  MixtureResult res;
  int best = -1;
  StartFit bf;
  for (std::size_t s = 0; s < starts.size(); ++s) {
    StartFit f = run_em(data, scaling, R, *basis, K, o, std::move(starts[s]));
    res.start_loglik.push_back(f.status == 3 ? std::numeric_limits<double>::quiet_NaN()
                                             : f.loglik - R.total * std::log(scaling.y_scale));
    res.start_iter.push_back(f.iter);
    res.start_status.push_back(f.status);
    if (f.status == 3) continue;
    const bool better = best < 0 || (bf.status == 2 && f.status != 2) ||
                        ((bf.status == 2) == (f.status == 2) && f.loglik > bf.loglik);
    if (better) {
      best = static_cast<int>(s);
      bf = std::move(f);
    }
  }
  if (best < 0)
    throw InvalidArgument("every start of the mixture with n_components=" + std::to_string(K) +
                          " lost a component (its share of the rows fell below min_share=" +
                          format_number(o.min_share) +
                          " or below its " + std::to_string(D + 1) +
                          " parameters); use fewer components, more starts (n_starts) or a smaller min_share");

  // Canonical order: ascending mean fitted response.
  std::vector<double> centre(K, 0.0);
  for (int k = 0; k < K; ++k) {
    double t = 0.0;
    for (std::size_t i = 0; i < R.n; ++i) t += R.s[i] * inverse_link(family, bf.mu[k * R.n + i]);
    centre[k] = t / R.total;
  }
  std::vector<int> order(K);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return centre[a] < centre[b]; });

  res.k = K;
  res.q = q;
  res.m = data.m;
  res.n = R.n;
  res.scaling = scaling;
  res.weights.resize(static_cast<std::size_t>(K) * D);
  res.gate.resize(static_cast<std::size_t>(K) * m1);
  res.sigma.resize(has_sigma(family) ? K : 0);
  res.posterior.resize(R.n * K);
  res.prior.resize(R.n * K);
  res.size.assign(K, 0.0);
  const int ref = order[0];
  for (int kn = 0; kn < K; ++kn) {
    const int k = order[kn];
    std::copy(bf.W.begin() + k * D, bf.W.begin() + (k + 1) * D, res.weights.begin() + kn * D);
    for (int l = 0; l < m1; ++l) res.gate[kn * m1 + l] = bf.V[k * m1 + l] - bf.V[ref * m1 + l];
    if (has_sigma(family)) res.sigma[kn] = bf.sigma[k] * scaling.y_scale;
    for (std::size_t i = 0; i < R.n; ++i) {
      res.posterior[i * K + kn] = bf.r[i * K + k];
      res.prior[i * K + kn] = std::exp(bf.lp[i * K + k]);
      res.size[kn] += R.s[i] * bf.r[i * K + k];
    }
  }

  // Per-sample parameters and coefficients in the user's units.
  res.theta.resize(static_cast<std::size_t>(K) * R.n * q);
  res.coef.assign(static_cast<std::size_t>(K) * q * m1, 0.0);
  res.gate_coef.assign(static_cast<std::size_t>(K) * m1, 0.0);
  std::vector<double> b(m1), t0(q), t1(q);
  for (int k = 0; k < K; ++k) {
    const double* W = res.weights.data() + k * D;
    for (std::size_t i = 0; i < R.n; ++i)
      theta_internal(W, R.B.data() + i * m1, q, m1, res.theta.data() + (k * R.n + i) * q);
    theta_to_original(scaling, res.theta.data() + k * R.n * q, R.n);
    // theta'(c) = W [1, (c - cm) / cs]: at c = 0, and its slope in c_j (the linear part of the
    // map to user units: theta_to_original without y_mean).
    b[0] = 1.0;
    for (int j = 0; j < data.m; ++j) b[1 + j] = -scaling.c_mean[j] / scaling.c_scale[j];
    theta_internal(W, b.data(), q, m1, t0.data());
    theta_to_original(scaling, t0.data(), 1);
    for (int a = 0; a < q; ++a) res.coef[(k * q + a) * m1] = t0[a];
    for (int j = 0; j < data.m; ++j) {
      std::fill(b.begin(), b.end(), 0.0);
      b[1 + j] = 1.0 / scaling.c_scale[j];
      theta_internal(W, b.data(), q, m1, t1.data());
      theta_to_original(scaling, t1.data(), 1);
      t1[0] -= scaling.y_mean;
      for (int a = 0; a < q; ++a) res.coef[(k * q + a) * m1 + 1 + j] = t1[a];
    }
    double icpt = res.gate[k * m1];
    for (int j = 0; j < data.m; ++j) {
      res.gate_coef[k * m1 + 1 + j] = res.gate[k * m1 + 1 + j] / scaling.c_scale[j];
      icpt -= res.gate[k * m1 + 1 + j] * scaling.c_mean[j] / scaling.c_scale[j];
    }
    res.gate_coef[k * m1] = icpt;
  }

  res.loglik = bf.loglik - R.total * std::log(scaling.y_scale);
  res.df = df;
  res.nobs = R.total;
  res.aic = -2.0 * res.loglik + 2.0 * df;
  res.bic = -2.0 * res.loglik + df * std::log(R.total);
  res.n_iter = bf.iter;
  res.converged = bf.status == 0;
  res.sigma_floored = bf.status == 2;
  res.best_start = best;
  if (bf.status == 2) {
    res.message = "every start of the mixture with n_components=" + std::to_string(K) +
                  " that kept all its components has a component whose residual standard deviation reached the "
                  "floor (" + format_number(kMixtureSigmaFloor) +
                  " times the response's standard deviation): it fits a few rows exactly and the log-likelihood is "
                  "not meaningful; use fewer components or more starts (n_starts)";
  } else if (bf.status == 1) {
    res.message = "the mixture's EM reached max_iter=" + std::to_string(o.max_iter) +
                  " before the relative change in log-likelihood fell below tol=" + format_number(o.tol) +
                  "; raise max_iter or loosen tol";
  }
  return res;
}

std::vector<MixtureResult> select_mixture_components(const DataView& data, const MixtureOptions& o, int k_min,
                                                     int k_max, int* chosen) {
  require(k_min >= 1 && k_max >= k_min && k_max <= 20,
          "the range of n_components to choose from must satisfy 1 <= k_min <= k_max <= 20");
  std::vector<MixtureResult> fits;
  int best = -1;
  for (int k = k_min; k <= k_max; ++k) {
    MixtureOptions ok = o;
    ok.k = k;
    if (k == k_min) {
      fits.push_back(fit_mixture(data, ok));
    } else {
      try {
        fits.push_back(fit_mixture(data, ok));
      } catch (const InvalidArgument&) {
        continue;  // not fittable with k components: left out of the choice
      }
    }
    const MixtureResult& f = fits.back();
    if (!f.sigma_floored && (best < 0 || f.bic < fits[best].bic)) best = static_cast<int>(fits.size()) - 1;
  }
  if (best < 0) best = 0;
  *chosen = best;
  return fits;
}

double mixture_loglik(const DataView& data, int K, const std::vector<double>& params, std::vector<double>* grad,
                      const std::string& family_name) {
  require(K >= 1, "n_components must be at least 1");
  const Family family = parse_family(family_name);
  const Scaling scaling = mixture_scaling(data, family);
  const Rows R = load_all(data, scaling);
  const int q = R.q, m1 = R.m1, D = q * m1;
  const int S = has_sigma(family) ? K : 0;  // the log sigmas' block
  const std::size_t G = static_cast<std::size_t>(K) * D + S;  // where the gating block starts
  const std::size_t P = G + static_cast<std::size_t>(K - 1) * m1;
  require(params.size() == P, "the mixture's parameters must have length " + std::to_string(P));
  std::vector<double> sigma(S), V(static_cast<std::size_t>(K) * m1, 0.0), mu(static_cast<std::size_t>(K) * R.n),
      lp(R.n * K), r(R.n * K);
  for (int k = 0; k < K; ++k) {
    if (S > 0) sigma[k] = std::exp(params[static_cast<std::size_t>(K) * D + k]);
    component_means(R, params.data() + k * D, mu.data() + k * R.n, 1);
  }
  for (int k = 1; k < K; ++k)
    for (int l = 0; l < m1; ++l) V[k * m1 + l] = params[G + (k - 1) * m1 + l];
  log_prior(R, K, V.data(), lp.data(), 1);
  const double l = e_step(R, family, K, mu, sigma, lp, &r, 1);
  if (grad != nullptr) {
    grad->assign(P, 0.0);
    for (std::size_t i = 0; i < R.n; ++i) {
      const double* x = R.X.data() + i * q;
      const double* b = R.B.data() + i * m1;
      for (int k = 0; k < K; ++k) {
        const double w = R.s[i] * r[i * K + k];
        // d log f / d eta: (y - eta) / sigma^2 (gaussian), y - e^eta (poisson)
        const double res = R.y[i] - inverse_link(family, mu[k * R.n + i]);
        const double d = S > 0 ? w * res / (sigma[k] * sigma[k]) : w * res;
        for (int a = 0; a < q; ++a)
          for (int j = 0; j < m1; ++j) (*grad)[k * D + a * m1 + j] += d * x[a] * b[j];
        if (S > 0) (*grad)[static_cast<std::size_t>(K) * D + k] += w * (res * res / (sigma[k] * sigma[k]) - 1.0);
        if (k > 0) {
          const double e = R.s[i] * (r[i * K + k] - std::exp(lp[i * K + k]));
          for (int j = 0; j < m1; ++j) (*grad)[G + (k - 1) * m1 + j] += e * b[j];
        }
      }
    }
  }
  return l;
}

MixturePrediction predict_mixture(const std::string& family_name, const Scaling& scaling, int K,
                                  const std::vector<double>& weights, const std::vector<double>& gate,
                                  const std::vector<double>& sigma, const double* X, const double* C, const double* y,
                                  std::size_t rows, int p, int m) {
  const Family family = parse_family(family_name);
  require(family == Family::kGaussian || family == Family::kPoisson,
          "a mixture's family is 'gaussian' or 'poisson', not '" + family_name + "'");
  validate_scaling(scaling);
  require(scaling.intercept, "a mixture's scaling has an intercept");
  require(m == static_cast<int>(scaling.c_mean.size()),
          "context has " + std::to_string(m) + " columns; the mixture was fitted with " +
              std::to_string(scaling.c_mean.size()));
  require(p == static_cast<int>(scaling.x_mean.size()),
          "exog has " + std::to_string(p) + " columns; the mixture was fitted with " +
              std::to_string(scaling.x_mean.size()));
  const int q = scaling.q(), m1 = m + 1, D = q * m1;
  const auto Ks = static_cast<std::size_t>(K);
  require(K >= 1 && weights.size() == Ks * D && gate.size() == Ks * m1 &&
              sigma.size() == (has_sigma(family) ? Ks : 0),
          "the mixture's weights, gate and sigma do not match n_components and the data's columns");
  require(has_sigma(family) || (scaling.y_mean == 0.0 && scaling.y_scale == 1.0),
          "a poisson mixture's scaling leaves the response as it is");
  for (double v : sigma) require(std::isfinite(v) && v > 0.0, "the mixture's sigma must be positive");
  check_finite(X, rows, p, "exog");
  check_finite(C, rows, m, "context");
  if (y != nullptr) check_finite(y, rows, 1, "endog");
  std::vector<double> zeros;
  if (y == nullptr) zeros.assign(rows, scaling.y_mean);
  DataView d;
  d.n = rows;
  d.p = p;
  d.m = m;
  d.X = X;
  d.C = C;
  d.y = y != nullptr ? y : zeros.data();
  const Rows R = load_all(d, scaling);
  MixturePrediction out;
  std::vector<double> mu(static_cast<std::size_t>(K) * rows), lp(rows * K);
  for (int k = 0; k < K; ++k) component_means(R, weights.data() + k * D, mu.data() + k * rows, 1);
  log_prior(R, K, gate.data(), lp.data(), 1);
  out.prior.resize(rows * K);
  out.means.resize(rows * K);
  out.mean.assign(rows, 0.0);
  for (std::size_t i = 0; i < rows; ++i)
    for (int k = 0; k < K; ++k) {
      const double pk = std::exp(lp[i * K + k]);
      const double mk = inverse_link(family, mu[k * rows + i]) * scaling.y_scale + scaling.y_mean;
      out.prior[i * K + k] = pk;
      out.means[i * K + k] = mk;
      out.mean[i] += pk * mk;
    }
  if (y != nullptr) {
    if (!has_sigma(family)) validate_response(family, y, rows);
    std::vector<double> s(sigma.size());
    for (std::size_t k = 0; k < s.size(); ++k) s[k] = sigma[k] / scaling.y_scale;
    out.posterior.resize(rows * K);
    e_step(R, family, K, mu, s, lp, &out.posterior, 1);
  }
  return out;
}

}  // namespace ctxstats
