// The starting point of a personalized fit: covariate-distance scales, the population GLM,
// and the initial latent coordinates. One-time O(n (m^2 + q^2)) passes, serial (and
// therefore deterministic); the per-epoch work lives in personalized.cpp.
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.hpp"
#include "personalized/personalized.hpp"
#include "common/rng.hpp"

namespace ctxstats {

// g_k: the mean of d_k over unordered pairs i < j before scaling. Numeric columns:
// sum_{i<j} (x_i - x_j)^2 = n sum_i (x_i - xbar)^2. Categorical columns: the share of pairs
// that differ, 1 - sum_l n_l (n_l - 1) / (n (n - 1)).
std::vector<double> distance_scales(const DataView& data, const std::vector<int>& categorical) {
  const std::size_t n = data.n;
  const int m = data.m;
  require(n >= 2, "personalized regression needs at least two rows");
  std::vector<double> scale(m, 1.0), col(n);
  const double nd = static_cast<double>(n), pairs = 0.5 * nd * (nd - 1.0);
  for (int k = 0; k < m; ++k) {
    for (std::size_t i = 0; i < n; ++i) col[i] = data.C[i * m + k];
    double g = 0.0;
    if (!categorical.empty() && categorical[k]) {
      std::sort(col.begin(), col.end());
      double same = 0.0;
      for (std::size_t a = 0; a < n;) {
        std::size_t b = a;
        while (b < n && col[b] == col[a]) ++b;
        const double c = static_cast<double>(b - a);
        same += 0.5 * c * (c - 1.0);
        a = b;
      }
      g = 1.0 - same / pairs;
    } else {
      double mean = 0.0;
      for (double v : col) mean += v;
      mean /= nd;
      double ss = 0.0;
      for (double v : col) ss += (v - mean) * (v - mean);
      g = nd * ss / pairs;
    }
    scale[k] = (g > 1e-300 && std::isfinite(g)) ? g : 1.0;
  }
  return scale;
}

namespace {

struct GlmPass {
  Eigen::MatrixXd H;
  Eigen::VectorXd g;
  double f = 0.0;
};

GlmPass glm_pass(const DataView& data, const Scaling& scaling, Family family, const std::vector<char>& role,
                 const Eigen::VectorXd& b, const Eigen::VectorXd& ridge, double total) {
  const int q = scaling.q(), m = data.m;
  GlmPass out;
  out.H = Eigen::MatrixXd::Zero(q, q);
  out.g = Eigen::VectorXd::Zero(q);
  std::vector<double> Cs(static_cast<std::size_t>(kBlockRows) * m), Xs(static_cast<std::size_t>(kBlockRows) * q),
      ys(kBlockRows), ws(kBlockRows);
  for (std::size_t start = 0; start < data.n; start += kBlockRows) {
    const int rows = static_cast<int>(std::min<std::size_t>(kBlockRows, data.n - start));
    load_rows(data, scaling, nullptr, start, rows, Cs.data(), Xs.data(), ys.data(), ws.data());
    for (int r = 0; r < rows; ++r) {
      if (role[start + r]) continue;
      Eigen::Map<const Eigen::VectorXd> x(Xs.data() + static_cast<std::size_t>(r) * q, q);
      const double eta = x.dot(b), s = ws[r];
      out.f += s * loss(family, ys[r], eta);
      out.g += (s * dloss(family, ys[r], eta)) * x;
      out.H.selfadjointView<Eigen::Lower>().rankUpdate(x, s * variance(family, eta));
    }
  }
  out.H = out.H.selfadjointView<Eigen::Lower>();
  out.f = out.f / total + 0.5 * b.dot(ridge.cwiseProduct(b));
  out.g = out.g / total + ridge.cwiseProduct(b);
  out.H = out.H / total;
  out.H.diagonal() += ridge;
  return out;
}

Eigen::VectorXd newton_step(const Eigen::MatrixXd& H, const Eigen::VectorXd& g) {
  Eigen::LDLT<Eigen::MatrixXd> ldlt(H);
  if (ldlt.info() == Eigen::Success && ldlt.isPositive()) {
    const Eigen::VectorXd d = ldlt.vectorD();
    if (d.minCoeff() > 1e-10 * std::max(1e-300, d.maxCoeff())) return ldlt.solve(g);
  }
  // Singular (collinear predictors): the minimum-norm step.
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(H);
  const Eigen::VectorXd& ev = eig.eigenvalues();
  const double cutoff = 1e-10 * std::max(1e-300, ev.cwiseAbs().maxCoeff());
  const Eigen::VectorXd inv = ev.unaryExpr([cutoff](double v) { return v > cutoff ? 1.0 / v : 0.0; });
  return eig.eigenvectors() * (inv.asDiagonal() * (eig.eigenvectors().transpose() * g));
}

}  // namespace

std::vector<double> population_glm(const DataView& data, const Scaling& scaling, Family family,
                                   const PersonalizedOptions& options, const std::vector<char>& role, bool* converged) {
  const int q = scaling.q(), off = scaling.intercept ? 1 : 0;
  double total = 0.0, sy = 0.0;
  for (std::size_t i = 0; i < data.n; ++i) {
    if (role[i]) continue;
    const double s = data.weights ? data.weights[i] : 1.0;
    total += s;
    sy += s * data.y[i];
  }
  require(total > 0.0, "the training rows have zero total weight");
  Eigen::VectorXd ridge(q);
  for (int c = 0; c < q; ++c)
    ridge[c] = options.alpha * (1.0 - options.l1_ratio) * ((off && c == 0) ? options.mu_ratio : 1.0 - options.mu_ratio);
  Eigen::VectorXd b = Eigen::VectorXd::Zero(q);
  if (family == Family::kPoisson && off && sy > 0.0) b[0] = std::log(sy / total);
  if (family == Family::kBinomial && off && sy > 0.0 && sy < total) b[0] = std::log(sy / (total - sy));
  GlmPass a = glm_pass(data, scaling, family, role, b, ridge, total);
  *converged = false;
  for (int it = 0; it < 100; ++it) {
    const Eigen::VectorXd step = newton_step(a.H, a.g);
    const double decrement = a.g.dot(step);
    if (!(decrement > 1e-20 * std::max(1.0, std::fabs(a.f)))) {
      *converged = true;
      break;
    }
    const Eigen::VectorXd b_old = b;
    bool moved = false;
    double t = 1.0;
    for (int h = 0; h < 40; ++h, t *= 0.5) {
      b = b_old - t * step;
      GlmPass trial = glm_pass(data, scaling, family, role, b, ridge, total);
      if (std::isfinite(trial.f) && trial.f <= a.f + 1e-15 * std::fabs(a.f)) {
        a = std::move(trial);
        moved = true;
        break;
      }
    }
    if (!moved) {
      b = b_old;
      *converged = decrement < 1e-12 * std::max(1.0, std::fabs(a.f));
      break;
    }
  }
  return std::vector<double>(b.data(), b.data() + q);
}

std::vector<double> personalized_init(const DataView& data, const PersonalizedLayout& layout,
                                      const std::vector<double>& dist_scale, const std::vector<double>& theta_pop,
                                      const PersonalizedOptions& options, const Scaling& scaling) {
  const std::size_t n = data.n;
  const int m = data.m, K = layout.K, q = layout.q;
  std::vector<double> w(layout.size(), 0.0);
  std::copy(theta_pop.begin(), theta_pop.end(), w.begin() + layout.theta_bar());

  // Principal components of the context, each column centred and divided by the square root
  // of its distance scale (categorical codes are treated as numbers here: this is only a
  // starting point).
  std::vector<double> root_inv(m);
  for (int k = 0; k < m; ++k) root_inv[k] = 1.0 / std::sqrt(dist_scale[k]);
  Eigen::MatrixXd S = Eigen::MatrixXd::Zero(m, m);
  Eigen::VectorXd f(m);
  for (std::size_t i = 0; i < n; ++i) {
    for (int k = 0; k < m; ++k) f[k] = (data.C[i * m + k] - scaling.c_mean[k]) * root_inv[k];
    S.selfadjointView<Eigen::Lower>().rankUpdate(f);
  }
  S = S.selfadjointView<Eigen::Lower>();
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(S);
  const int kp = std::min(K, m);
  Eigen::MatrixXd V(m, kp);
  for (int a = 0; a < kp; ++a) {
    Eigen::VectorXd v = eig.eigenvectors().col(m - 1 - a);  // descending eigenvalues
    // Fix the sign so that the largest entry is positive (the decomposition's sign is arbitrary).
    Eigen::Index imax;
    v.cwiseAbs().maxCoeff(&imax);
    if (v[imax] < 0) v = -v;
    V.col(a) = v;
  }
  double* Z = w.data() + layout.z();
  for (std::size_t i = 0; i < n; ++i) {
    for (int k = 0; k < m; ++k) f[k] = (data.C[i * m + k] - scaling.c_mean[k]) * root_inv[k];
    CounterRng rng(options.seed, Stream::kInit, i);
    for (int a = 0; a < K; ++a) Z[i * K + a] = (a < kp ? f.dot(V.col(a)) : 0.0) + 0.05 * rng.normal();
  }
  // Scale z so that the mean of rho over pairs equals the mean of D at the uniform metric.
  std::vector<double> phi(m, 1.0 / m), inv(m);
  for (int k = 0; k < m; ++k) inv[k] = 1.0 / dist_scale[k];
  std::vector<int> cat = options.categorical;
  if (cat.empty()) cat.assign(m, 0);
  CounterRng rng(options.seed, Stream::kInit, n, 1);
  const std::size_t draws = std::min<std::size_t>(20000, n * (n - 1) / 2 + 1);
  double sum_rho = 0.0, sum_D = 0.0;
  for (std::size_t a = 0; a < draws; ++a) {
    const std::size_t i = rng.below(n);
    std::size_t j = rng.below(n - 1);
    if (j >= i) ++j;
    double ss = 0.0;
    for (int k = 0; k < K; ++k) {
      const double d = Z[i * K + k] - Z[j * K + k];
      ss += d * d;
    }
    sum_rho += ss;
    sum_D += metric_distance(data.C + i * m, data.C + j * m, phi.data(), inv.data(), cat.data(), m);
  }
  if (sum_rho > 0.0 && sum_D > 0.0) {
    const double c = std::sqrt(sum_D / sum_rho);
    for (std::size_t a = 0; a < n * static_cast<std::size_t>(K); ++a) Z[a] *= c;
  }
  (void)q;
  return w;
}

}  // namespace ctxstats
