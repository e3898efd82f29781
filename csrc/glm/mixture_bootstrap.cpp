#include "glm/mixture_bootstrap.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "common/error.hpp"
#include "glm/bootstrap.hpp"

namespace ctxstats {

std::vector<int> best_matching(const std::vector<double>& agreement, int K) {
  require(K >= 1 && agreement.size() == static_cast<std::size_t>(K) * K, "the agreement matrix must be K x K");
  std::vector<int> perm(K), best;
  std::iota(perm.begin(), perm.end(), 0);
  if (K <= 8) {
    double top = -std::numeric_limits<double>::infinity();
    do {
      double total = 0.0;
      for (int k = 0; k < K; ++k) total += agreement[static_cast<std::size_t>(k) * K + perm[k]];
      if (total > top) {  // strict: ties keep the first permutation in lexicographic order
        top = total;
        best = perm;
      }
    } while (std::next_permutation(perm.begin(), perm.end()));
    return best;
  }
  // Greedy: the largest remaining entry fixes a pair, until every component is matched.
  best.assign(K, -1);
  std::vector<char> used_row(K, 0), used_col(K, 0);
  for (int step = 0; step < K; ++step) {
    int bk = -1, bl = -1;
    double top = -std::numeric_limits<double>::infinity();
    for (int k = 0; k < K; ++k)
      for (int l = 0; l < K && !used_row[k]; ++l)
        if (!used_col[l] && agreement[static_cast<std::size_t>(k) * K + l] > top) {
          top = agreement[static_cast<std::size_t>(k) * K + l];
          bk = k;
          bl = l;
        }
    best[bk] = bl;
    used_row[bk] = used_col[bl] = 1;
  }
  return best;
}

MixtureBootstrap bootstrap_mixture(const DataView& data, const MixtureOptions& options,
                                   const std::vector<double>& full_posterior, int n_bootstraps, double alpha) {
  validate_mixture_options(options, true);
  require(n_bootstraps >= 2, "n_bootstraps must be at least 2");
  require(alpha > 0.0 && alpha < 1.0, "alpha must be between 0 and 1");
  const int K = options.k;
  const std::size_t n = data.n;
  require(full_posterior.size() == n * static_cast<std::size_t>(K),
          "the full fit's posterior must be nobs x n_components");
  const int m1 = data.m + 1, q = data.p + 1;
  const std::size_t P = static_cast<std::size_t>(K) * q * m1, G = static_cast<std::size_t>(K) * m1;
  const auto B = static_cast<std::size_t>(n_bootstraps);
  const std::size_t S = mixture_has_sigma(options.family) ? static_cast<std::size_t>(K) : 0;  // sigmas per replicate
  const double nan = std::numeric_limits<double>::quiet_NaN();

  MixtureBootstrap out;
  out.n_replicates = B;
  out.coef.assign(B * P, nan);
  out.sigma.assign(B * S, nan);
  out.gate_coef.assign(B * G, nan);
  out.loglik.assign(B, nan);

  MixtureOptions ro = options;
  ro.n_starts = 0;  // the full fit's posterior is the only start
  std::vector<double> counts(n), w(n);
  std::vector<std::size_t> usable;
  for (std::size_t r = 0; r < B; ++r) {
    bootstrap_counts(options.seed, r, n, counts.data(), nullptr);
    for (std::size_t i = 0; i < n; ++i) w[i] = counts[i] * (data.weights ? data.weights[i] : 1.0);
    DataView dr = data;
    dr.weights = w.data();
    MixtureResult fit;
    try {
      fit = fit_mixture(dr, ro, full_posterior.data());
    } catch (const InvalidArgument&) {
      ++out.failed;  // a component lost its rows in this resample
      continue;
    }
    if (!fit.converged) ++out.unconverged;
    // Match the replicate's components to the full fit's on the original rows.
    std::vector<double> agreement(static_cast<std::size_t>(K) * K, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      const double s = data.weights ? data.weights[i] : 1.0;
      for (int k = 0; k < K; ++k)
        for (int l = 0; l < K; ++l)
          agreement[static_cast<std::size_t>(k) * K + l] +=
              s * full_posterior[i * K + k] * fit.posterior[i * K + l];
    }
    const std::vector<int> perm = best_matching(agreement, K);
    for (int k = 0; k < K; ++k)
      if (perm[k] != k) {
        ++out.relabelled;
        break;
      }
    const std::size_t per = static_cast<std::size_t>(q) * m1;
    for (int k = 0; k < K; ++k) {
      std::copy(fit.coef.begin() + perm[k] * per, fit.coef.begin() + (perm[k] + 1) * per,
                out.coef.begin() + r * P + k * per);
      if (S > 0) out.sigma[r * S + k] = fit.sigma[perm[k]];
      for (int l = 0; l < m1; ++l)
        out.gate_coef[r * G + static_cast<std::size_t>(k) * m1 + l] =
            fit.gate_coef[static_cast<std::size_t>(perm[k]) * m1 + l] - fit.gate_coef[static_cast<std::size_t>(perm[0]) * m1 + l];
    }
    out.loglik[r] = fit.loglik;
    usable.push_back(r);
  }
  require(usable.size() >= 2, "fewer than 2 of the " + std::to_string(B) +
                                  " mixture bootstrap replicates could be fitted: in the others a component lost "
                                  "its rows; lower n_components or min_share");
  auto summary = [&](const std::vector<double>& all, std::size_t width) {
    std::vector<double> kept;
    kept.reserve(usable.size() * width);
    for (std::size_t r : usable) kept.insert(kept.end(), all.begin() + r * width, all.begin() + (r + 1) * width);
    return percentile_summary(kept.data(), usable.size(), width, alpha);
  };
  out.coef_summary = summary(out.coef, P);
  if (S > 0) out.sigma_summary = summary(out.sigma, S);
  out.gate_summary = summary(out.gate_coef, G);
  if (out.failed > 0 || out.unconverged > 0) {
    out.message = "mixture bootstrap: ";
    if (out.failed > 0)
      out.message += std::to_string(out.failed) + " of " + std::to_string(B) +
                     " replicates lost a component and are left out of the standard errors and intervals";
    if (out.unconverged > 0)
      out.message += std::string(out.failed > 0 ? "; " : "") + std::to_string(out.unconverged) + " of " +
                     std::to_string(B) + " stopped at max_iter before converging (raise max_iter)";
  }
  return out;
}

}  // namespace ctxstats
