// Models for new samples: the D_phi-weighted average of the nearest training samples'
// models. Each new row is independent (its own distance buffer of n_train entries per
// thread), so the result does not depend on the number of threads.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.hpp"
#include "personalized/personalized.hpp"

namespace ctxstats {

std::vector<double> personalized_predict(const double* C_new, std::size_t rows, const double* C_train,
                                         std::size_t n_train, int m, const double* theta_train, int q,
                                         const std::vector<double>& phi, const std::vector<double>& dist_scale,
                                         const std::vector<int>& categorical, int n_neighbors, int threads) {
  require(n_train >= 1, "there are no training samples");
  require(static_cast<int>(phi.size()) == m && static_cast<int>(dist_scale.size()) == m,
          "context has " + std::to_string(m) + " columns; the model was fitted with " + std::to_string(phi.size()));
  require(n_neighbors >= 1, "n_neighbors must be a positive integer");
  std::vector<int> cat = categorical;
  if (cat.empty()) cat.assign(m, 0);
  require(static_cast<int>(cat.size()) == m, "categorical must have one flag per context column");
  for (std::size_t r = 0; r < rows; ++r)
    for (int k = 0; k < m; ++k)
      require(std::isfinite(C_new[r * m + k]), "context column " + std::to_string(k) +
                                                   " contains a non-finite value (NaN or inf) at row " +
                                                   std::to_string(r));
  std::vector<double> inv(m);
  for (int k = 0; k < m; ++k) inv[k] = 1.0 / dist_scale[k];
  const std::size_t k_nn = std::min<std::size_t>(static_cast<std::size_t>(n_neighbors), n_train);
  const double delta = 1e-8;  // D averages one over pairs (see distance_scales)
  std::vector<double> out(rows * static_cast<std::size_t>(q), 0.0);
  const int nthreads = resolve_threads(threads);

#pragma omp parallel num_threads(nthreads)
  {
    std::vector<std::pair<double, std::size_t>> dist(n_train);
#pragma omp for schedule(dynamic, 16)
    for (std::ptrdiff_t rr = 0; rr < static_cast<std::ptrdiff_t>(rows); ++rr) {
      const std::size_t r = static_cast<std::size_t>(rr);
      const double* c = C_new + r * m;
      for (std::size_t i = 0; i < n_train; ++i)
        dist[i] = {metric_distance(c, C_train + i * m, phi.data(), inv.data(), cat.data(), m), i};
      // Pairs compare by distance, then by row: ties are broken by training row order.
      std::nth_element(dist.begin(), dist.begin() + (k_nn - 1), dist.end());
      std::sort(dist.begin(), dist.begin() + k_nn);
      double wsum = 0.0;
      double* t = out.data() + r * q;
      for (std::size_t a = 0; a < k_nn; ++a) {
        const double w = 1.0 / (dist[a].first + delta);
        wsum += w;
        const double* th = theta_train + dist[a].second * q;
        for (int c2 = 0; c2 < q; ++c2) t[c2] += w * th[c2];
      }
      for (int c2 = 0; c2 < q; ++c2) t[c2] /= wsum;
    }
  }
  return out;
}

}  // namespace ctxstats
