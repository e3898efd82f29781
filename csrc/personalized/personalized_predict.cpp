// Models for new samples: the D_phi-weighted average of the nearest training samples'
// models; and the local GLMs that give the sample models in the learned metric. Neighbours
// come from the exact kd-tree of metric_tree.hpp; each row is independent, so the result
// does not depend on the number of threads.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "common/error.hpp"
#include "common/rng.hpp"
#include "personalized/metric_tree.hpp"
#include "personalized/personalized.hpp"

namespace ctxstats {

std::vector<double> personalized_predict(const double* C_new, std::size_t rows, const double* C_train,
                                         std::size_t n_train, int m, const double* theta_train, int q,
                                         const std::vector<double>& phi, const std::vector<double>& dist_scale,
                                         const std::vector<int>& categorical, int n_neighbors, int threads,
                                         const std::vector<double>* target_map) {
  require(n_train >= 1, "there are no training samples");
  require(n_train < (std::size_t(1) << 32) - 1, "personalized regression supports fewer than 2^32 - 1 training samples");
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
  // With a target map: the neighbours' deviations from it, added to it at the new context.
  const bool offset = target_map != nullptr && !target_map->empty();
  std::vector<double> base_train, dev;
  if (offset) {
    base_train = target_map_eval(*target_map, q, C_train, n_train, m, cat);
    dev.assign(theta_train, theta_train + n_train * static_cast<std::size_t>(q));
    for (std::size_t a = 0; a < dev.size(); ++a) dev[a] -= base_train[a];
    theta_train = dev.data();
  }
  const std::size_t k_nn = std::min<std::size_t>(static_cast<std::size_t>(n_neighbors), n_train);
  const double delta = 1e-8;  // D averages one over pairs (see distance_scales)
  std::vector<double> out(rows * static_cast<std::size_t>(q), 0.0);
  const int nthreads = resolve_threads(threads);

std::vector<std::uint32_t> all(n_train);
  for (std::size_t i = 0; i < n_train; ++i) all[i] = static_cast<std::uint32_t>(i);
  const MetricTree tree(C_train, m, std::move(all), phi.data(), inv.data(), cat.data());
#pragma omp parallel num_threads(nthreads)
  {
    std::vector<std::pair<double, std::uint32_t>> dist;
#pragma omp for schedule(dynamic, 16)
    for (std::ptrdiff_t rr = 0; rr < static_cast<std::ptrdiff_t>(rows); ++rr) {
      const std::size_t r = static_cast<std::size_t>(rr);
      // Sorted by distance, then by row: ties are broken by training row order.
      tree.nearest(C_new + r * m, static_cast<int>(k_nn), UINT32_MAX, dist);
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
  if (offset) {
    const std::vector<double> base_new = target_map_eval(*target_map, q, C_new, rows, m, cat);
    for (std::size_t a = 0; a < out.size(); ++a) out[a] += base_new[a];
  }
  return out;
}

}  // namespace ctxstats

// ---- local GLMs in the learned metric (see personalized.hpp) ----------------------------------

namespace ctxstats {

namespace {

// The largest k the grid tries: the final local fits cost O(n k q^2).
constexpr int kMaxLocalNeighbors = 4096;
// At most this many validation rows, or leave-one-out training rows, judge the candidate k.
constexpr std::size_t kMaxJudgedRows = 4000, kMaxLooRows = 2000;
// Every k up to this is tried; beyond it, the grid stops after kGridPatience doublings
// without a lower held-out loss.
constexpr int kAlwaysTried = 512, kGridPatience = 2;

// One local GLM: rows idx[0..k) of the internal-scale X (n x q), y, s with distances d
// (ascending); ridge lambda/2 ||theta - t0||^2 (lambda >= 1). Newton with step halving from
// `start` (nullptr: t0) -- the shrinkage candidates start from the previous strength's fit,
// which is close to theirs (a warm start costs fewer Newton steps; the optimum is the same).
void local_glm(Family family, const double* X, const double* y, const double* s, int q,
               const std::pair<double, std::uint32_t>* nb, int k, const double* t0, double lambda, double* theta,
               std::vector<double>& H, std::vector<double>& g, std::vector<double>& w, std::vector<double>& trial,
               const double* start = nullptr) {
  if (static_cast<int>(w.size()) < k) w.resize(k);
  const double dk = nb[k - 1].first;
  for (int a = 0; a < k; ++a) w[a] = s[nb[a].second] * (dk > 0.0 ? 1.0 - nb[a].first / (2.0 * dk) : 1.0);
  auto objective = [&](const double* t) {
    double f = 0.0;
    for (int a = 0; a < k; ++a) {
      const double* x = X + static_cast<std::size_t>(nb[a].second) * q;
      double eta = 0.0;
      for (int c = 0; c < q; ++c) eta += x[c] * t[c];
      f += w[a] * loss(family, y[nb[a].second], eta);
    }
    for (int c = 0; c < q; ++c) f += 0.5 * lambda * (t[c] - t0[c]) * (t[c] - t0[c]);
    return f;
  };
  if (start != theta) std::copy(start ? start : t0, (start ? start : t0) + q, theta);
  double f = objective(theta);
  for (int it = 0; it < 50; ++it) {
    std::fill(H.begin(), H.end(), 0.0);
    for (int c = 0; c < q; ++c) {
      g[c] = lambda * (theta[c] - t0[c]);
      H[static_cast<std::size_t>(c) * q + c] = lambda;
    }
    for (int a = 0; a < k; ++a) {
      const double* x = X + static_cast<std::size_t>(nb[a].second) * q;
      double eta = 0.0;
      for (int c = 0; c < q; ++c) eta += x[c] * theta[c];
      const double dl = w[a] * dloss(family, y[nb[a].second], eta), v = w[a] * variance(family, eta);
      for (int c = 0; c < q; ++c) {
        g[c] += dl * x[c];
        for (int e = 0; e <= c; ++e) H[static_cast<std::size_t>(c) * q + e] += v * x[c] * x[e];
      }
    }
    // Cholesky of H (lower; H >= I, so positive definite), then the step.
    for (int c = 0; c < q; ++c) {
      for (int e = 0; e <= c; ++e) {
        double sum = H[static_cast<std::size_t>(c) * q + e];
        for (int l = 0; l < e; ++l) sum -= H[static_cast<std::size_t>(c) * q + l] * H[static_cast<std::size_t>(e) * q + l];
        H[static_cast<std::size_t>(c) * q + e] = (c == e) ? std::sqrt(sum) : sum / H[static_cast<std::size_t>(e) * q + e];
      }
    }
    std::vector<double>& step = trial;  // solve L L' step = g in place (trial[q..2q) is the trial point)
    for (int c = 0; c < q; ++c) {
      double sum = g[c];
      for (int l = 0; l < c; ++l) sum -= H[static_cast<std::size_t>(c) * q + l] * step[l];
      step[c] = sum / H[static_cast<std::size_t>(c) * q + c];
    }
    for (int c = q - 1; c >= 0; --c) {
      double sum = step[c];
      for (int l = c + 1; l < q; ++l) sum -= H[static_cast<std::size_t>(l) * q + c] * step[l];
      step[c] = sum / H[static_cast<std::size_t>(c) * q + c];
    }
    double decrement = 0.0;
    for (int c = 0; c < q; ++c) decrement += g[c] * step[c];
    if (!(decrement > 1e-12 * (1.0 + std::fabs(f)))) break;
    double* cand = trial.data() + q;
    bool moved = false;
    double t = 1.0;
    for (int h = 0; h < 30; ++h, t *= 0.5) {
      for (int c = 0; c < q; ++c) cand[c] = theta[c] - t * step[c];
      const double fc = objective(cand);
      if (std::isfinite(fc) && fc <= f) {
        std::copy(cand, cand + q, theta);
        f = fc;
        moved = true;
        break;
      }
    }
    if (!moved) break;
  }
}

}  // namespace

LocalModels personalized_local_models(const DataView& data, const Scaling& scaling, Family family,
                                      const std::vector<char>& role, const std::vector<double>& theta_pop,
                                      const std::vector<double>& phi_in, const std::vector<double>& dist_scale,
                                      const std::vector<int>& categorical, int k_fixed, bool refine,
                                      std::uint64_t seed, int threads, bool final_fits) {
  const std::size_t n = data.n;
  const int m = data.m, q = scaling.q();
  std::vector<double> X(n * q), y(n), s(n), Cs(static_cast<std::size_t>(kBlockRows) * m);
  for (std::size_t start = 0; start < n; start += kBlockRows) {
    const int rows = static_cast<int>(std::min<std::size_t>(kBlockRows, n - start));
    load_rows(data, scaling, nullptr, start, rows, Cs.data(), X.data() + start * q, y.data() + start, s.data() + start);
  }
  std::vector<int> cat = categorical;
  if (cat.empty()) cat.assign(m, 0);
  std::vector<double> inv(m);
  for (int k = 0; k < m; ++k) inv[k] = 1.0 / dist_scale[k];
  // The neighbour pool: training rows with positive weight, in row order.
  std::vector<std::uint32_t> pool;
  for (std::size_t i = 0; i < n; ++i)
    if (!role[i] && s[i] > 0.0) pool.push_back(static_cast<std::uint32_t>(i));
  require(!pool.empty(), "the training rows have zero total weight");
  const int n_pool = static_cast<int>(pool.size());
  const int nthreads = resolve_threads(threads);

  // "k rows' worth" of data is a total weight of k times the mean weight of the training
  // rows (zero weights included): exactly k rows without weights; with bootstrap counts
  // (frequency weights) about k drawn rows, counted with their multiplicity, so that a
  // replicate's neighbourhoods span as much of the context as the fit's own (k distinct
  // drawn rows would span about k / 0.632 of the original rows and smooth more).
  double train_weight = 0.0, train_rows = 0.0;
  for (std::size_t i = 0; i < n; ++i)
    if (!role[i]) {
      train_weight += s[i];
      train_rows += 1.0;
    }
  const double mean_weight = train_weight / train_rows;
  // The neighbourhood of row i for k: the nearest pool rows (by distance, then row; leaving
  // out `skip`, or none: n) up to the first whose cumulative weight reaches k * mean_weight,
  // or the whole pool; from the kd-tree of the pool under the metric it was built for.
  // Returns its number of rows, whose (distance, row) pairs lead d.
  auto neighbours = [&](const MetricTree& tree, std::size_t i, std::size_t skip, int k,
                        std::vector<std::pair<double, std::uint32_t>>& d) {
    const double target = k * mean_weight;
    const std::uint32_t skip32 = static_cast<std::uint32_t>(std::min<std::size_t>(skip, UINT32_MAX));
    for (int kq = k;; kq *= 2) {
      const int got = tree.nearest(data.C + i * m, kq, skip32, d);
      double cum = 0.0;
      for (int a = 0; a < got; ++a) {
        cum += s[d[a].second];
        if (cum >= target) return a + 1;
      }
      if (got < kq || kq > n_pool) return got;  // the whole pool
    }
  };

  // The rows candidates are judged on: validation rows, else leave-one-out on training rows
  // (at most 4,000 validation rows or 2,000 training rows, seeded).
  std::vector<std::size_t> judge;
  bool loo = false;
  for (std::size_t i = 0; i < n; ++i)
    if (role[i] && s[i] > 0.0) judge.push_back(i);
  if (judge.empty()) {
    loo = true;
    judge.assign(pool.begin(), pool.end());
  }
  const std::size_t cap = loo ? kMaxLooRows : kMaxJudgedRows;
  if (judge.size() > cap) {
    // A seeded subset, so that choosing k costs O(cap) local fits at any n.
    CounterRng rng(seed, Stream::kValidation, 1);
    for (std::size_t a = judge.size(); a > 1; --a) std::swap(judge[a - 1], judge[rng.below(a)]);
    judge.resize(cap);
    std::sort(judge.begin(), judge.end());
  }
  // Weighted mean loss of the rows' local models, one entry per k of `grid` in turn; rows in
  // a fixed order, so the sums do not depend on the number of threads. Every k up to
  // kAlwaysTried is evaluated -- at small k the loss need not be U-shaped (RAND HIE, Poisson:
  // it rises from k = 8 to 32, then falls to its least at 1024) -- and beyond it the grid
  // stops after kGridPatience doublings without a lower loss (the large k cost the most, and
  // there the loss moves smoothly towards the population GLM's). The result has one entry
  // per k evaluated.
  struct Judged {
    std::vector<double> loss, se;  // per k evaluated
    std::vector<double> rows;      // the rows' losses at the last k evaluated
    std::vector<std::vector<double>> rows_by_k;  // the rows' losses at every k evaluated
  };
  // The weighted mean of the rows' losses and its standard error: the weighted variance of
  // the rows' losses over the effective number of rows (sum s)^2 / sum s^2.
  auto mean_se = [&](const std::vector<std::size_t>& rows, const std::vector<double>& per_row) {
    double total = 0.0, total2 = 0.0, f = 0.0, v = 0.0;
    for (std::size_t a = 0; a < rows.size(); ++a) {
      total += s[rows[a]];
      total2 += s[rows[a]] * s[rows[a]];
      f += s[rows[a]] * per_row[a];
    }
    f /= total;
    for (std::size_t a = 0; a < rows.size(); ++a) v += s[rows[a]] * (per_row[a] - f) * (per_row[a] - f);
    v /= total;
    return std::make_pair(f, std::sqrt(v * total2 / (total * total)));
  };
  // The rows of neighbourhood d (kk rows, from neighbours() at a larger k) that make up k rows'
  // worth: the start up to the first row whose cumulative weight reaches it, or all kk rows --
  // bitwise what neighbours() returns at k, the lists being sorted by distance, then row.
  auto prefix = [&](const std::vector<std::pair<double, std::uint32_t>>& d, int kk, int k) {
    int a = 0;
    for (double cum = 0.0; a < kk;) {
      cum += s[d[a++].second];
      if (cum >= k * mean_weight) break;
    }
    return a;
  };
  auto judged_loss = [&](const std::vector<double>& phi, const std::vector<std::size_t>& rows,
                         const std::vector<int>& grid) {
    const MetricTree tree(data.C, m, pool, phi.data(), inv.data(), cat.data());
    Judged out;
    int worse = 0;
    // Records k's losses; false when the grid stops there.
    auto record = [&](int k, std::vector<double> per_row) {
      const auto [f, se] = mean_se(rows, per_row);
      const bool better = out.loss.empty() || f < *std::min_element(out.loss.begin(), out.loss.end());
      out.loss.push_back(f);
      out.se.push_back(se);
      out.rows_by_k.push_back(std::move(per_row));
      worse = better ? 0 : worse + 1;
      return !(k >= kAlwaysTried && worse >= kGridPatience);
    };
    // The k up to kAlwaysTried (always tried): one neighbour search per row at the largest, the
    // smaller neighbourhoods its starts; each local GLM starts from the previous k's fit.
    bool go = true;
    std::size_t small = 0;
    while (small < grid.size() && grid[small] <= kAlwaysTried) ++small;
    if (small > 0) {
      std::vector<std::vector<double>> per_k(small, std::vector<double>(rows.size()));
#pragma omp parallel num_threads(nthreads)
      {
        std::vector<std::pair<double, std::uint32_t>> d;
        std::vector<double> H(static_cast<std::size_t>(q) * q), g(q), w(grid[small - 1]), trial(2 * q), theta(q);
#pragma omp for schedule(dynamic, 8)
        for (std::ptrdiff_t aa = 0; aa < static_cast<std::ptrdiff_t>(rows.size()); ++aa) {
          const std::size_t i = rows[static_cast<std::size_t>(aa)];
          const int kk_max = neighbours(tree, i, loo ? i : n, grid[small - 1], d);
          for (std::size_t t = 0; t < small; ++t) {
            const int kk = t + 1 == small ? kk_max : prefix(d, kk_max, grid[t]);
            local_glm(family, X.data(), y.data(), s.data(), q, d.data(), kk, theta_pop.data(), 1.0, theta.data(), H,
                      g, w, trial, t == 0 ? nullptr : theta.data());
            double eta = 0.0;
            for (int c = 0; c < q; ++c) eta += X[i * q + c] * theta[c];
            per_k[t][static_cast<std::size_t>(aa)] = loss(family, y[i], eta);
          }
        }
      }
      for (std::size_t t = 0; t < small && go; ++t) go = record(grid[t], std::move(per_k[t]));
    }
    std::vector<double> per_row(rows.size());
    for (std::size_t t = small; t < grid.size() && go; ++t) {
      const int k = grid[t];
#pragma omp parallel num_threads(nthreads)
      {
        std::vector<std::pair<double, std::uint32_t>> d;
        std::vector<double> H(static_cast<std::size_t>(q) * q), g(q), w(k), trial(2 * q), theta(q);
#pragma omp for schedule(dynamic, 8)
        for (std::ptrdiff_t aa = 0; aa < static_cast<std::ptrdiff_t>(rows.size()); ++aa) {
          const std::size_t i = rows[static_cast<std::size_t>(aa)];
          const int kk = neighbours(tree, i, loo ? i : n, k, d);
          local_glm(family, X.data(), y.data(), s.data(), q, d.data(), kk, theta_pop.data(), 1.0, theta.data(), H, g,
                    w, trial);
          double eta = 0.0;
          for (int c = 0; c < q; ++c) eta += X[i * q + c] * theta[c];
          per_row[static_cast<std::size_t>(aa)] = loss(family, y[i], eta);
        }
      }
      go = record(k, per_row);
    }
    out.rows = out.rows_by_k.back();
    return out;
  };

  LocalModels out;
  out.phi = phi_in;
  std::vector<int> grid;
  if (k_fixed > 0) {
    grid.push_back(std::min(k_fixed, n_pool));
  } else {
    for (int k = 8; k <= kMaxLocalNeighbors; k *= 2)
      if (k <= n_pool - 1) grid.push_back(k);
    if (grid.empty()) grid.push_back(std::max(1, n_pool - 1));
  }
  auto best_of = [](const std::vector<double>& v) {
    return static_cast<int>(std::min_element(v.begin(), v.end()) - v.begin());
  };
  if (refine && m > 1) {
    // Pattern search on the metric weights, from two starts -- the matching's weights and the
    // uniform ones: each column's weight set to 0, or divided or multiplied by 3 (then 1.5 in
    // a second stage), all renormalised to sum one; a change is kept when it lowers the judged
    // loss at the start's best k by more than 1e-6 relative; at most 3 sweeps over the columns
    // per stage. Judged on at most 500 of the rows (seeded). The uniform start's end is kept
    // unless the matching start's end is better by more than one standard error of the rows'
    // paired loss differences: the uniform start does not depend on the rank, the matching's
    // does, and two ends within noise of each other are not told apart -- so the metric does
    // not move between neighbouring ranks on noise alone (issue 14's stability target).
    std::vector<std::size_t> sub = judge;
    if (sub.size() > 500) {
      CounterRng rng(seed, Stream::kValidation, 2);
      for (std::size_t a = sub.size(); a > 1; --a) std::swap(sub[a - 1], sub[rng.below(a)]);
      sub.resize(500);
      std::sort(sub.begin(), sub.end());
    }
    std::vector<double> end_phi[2], end_rows[2];
    for (int start_no = 0; start_no < 2; ++start_no) {
      std::vector<double> cur = start_no == 0 ? out.phi : std::vector<double>(m, 1.0 / m);
      const std::vector<double> first = judged_loss(cur, sub, grid).loss;
      const int kb = best_of(first);
      const std::vector<int> kgrid = {grid[kb]};
      double best = first[kb];
      for (double factor : {3.0, 1.5}) {
        for (int sweep = 0; sweep < 3; ++sweep) {
          bool improved = false;
          for (int c = 0; c < m; ++c) {
            const double v = cur[c];
            for (double cand : {0.0, v / factor, std::max(factor * v, 1.0 / m)}) {
              if (cand == v) continue;
              std::vector<double> phi = cur;
              phi[c] = cand;
              double sum = 0.0;
              for (double p : phi) sum += p;
              if (!(sum > 0.0)) continue;
              for (double& p : phi) p /= sum;
              const double f = judged_loss(phi, sub, kgrid).loss[0];
              if (f < best - 1e-6 * std::fabs(best)) {
                best = f;
                cur = phi;
                improved = true;
              }
            }
          }
          if (!improved) break;
        }
      }
      end_rows[start_no] = judged_loss(cur, sub, kgrid).rows;
      end_phi[start_no] = std::move(cur);
    }
    // Paired difference matching - uniform over the judged rows (weighted), and its SE.
    double total = 0.0, total2 = 0.0, mean = 0.0, var = 0.0;
    for (std::size_t a = 0; a < sub.size(); ++a) {
      const double w = s[sub[a]];
      total += w;
      total2 += w * w;
      mean += w * (end_rows[0][a] - end_rows[1][a]);
    }
    mean /= total;
    for (std::size_t a = 0; a < sub.size(); ++a) {
      const double dd = end_rows[0][a] - end_rows[1][a] - mean;
      var += s[sub[a]] * dd * dd;
    }
    var /= total;
    const double se = std::sqrt(var * total2 / (total * total));
    out.phi = mean < -se ? end_phi[0] : end_phi[1];
  }
  std::vector<double> local_rows;  // the judged rows' losses of the local GLMs at k
  {
    Judged j = judged_loss(out.phi, judge, grid);
    const int best = best_of(j.loss);
    local_rows = std::move(j.rows_by_k[static_cast<std::size_t>(best)]);
    out.k = grid[best];
    out.held_out_loss = j.loss[best];
    out.held_out_se = j.se[best];
    if (grid.size() > 1) {
      out.loss = j.loss;
      out.grid.assign(grid.begin(), grid.begin() + out.loss.size());
    }
  }

  // The shrinkage (see personalized.hpp): candidates at k, judged on the same rows; the first
  // is the local GLMs above.
  const double inf = std::numeric_limits<double>::infinity();
  const LinearTarget linear = personalized_linear_target(data, scaling, family, role, cat, theta_pop);
  out.linear_converged = linear.converged;
  // Candidates in this order: the local GLMs above (population, 1; their rows' losses at k are
  // reused), the population GLM (population, inf), then, with a usable linear fit, (linear,
  // lambda) for lambda in kShrinkGrid and the linear fit itself (linear, inf). One pass over the
  // judged rows: each row's neighbourhood is searched once, and the linear candidates are fitted
  // from the strongest shrinkage to the weakest, each from the previous one's fit.
  const std::vector<double>& lambdas = kShrinkGrid();
  const std::size_t n_lin = linear.finite ? lambdas.size() + 1 : 0;
  std::vector<std::vector<double>> shrink_rows(2 + n_lin, std::vector<double>(judge.size()));
  shrink_rows[0] = local_rows;
  {
    const MetricTree tree(data.C, m, pool, out.phi.data(), inv.data(), cat.data());
#pragma omp parallel num_threads(nthreads)
    {
      std::vector<std::pair<double, std::uint32_t>> d;
      std::vector<double> H(static_cast<std::size_t>(q) * q), g(q), w(out.k), trial(2 * q), theta(q);
      auto row_loss = [&](std::size_t i, const double* t) {
        double eta = 0.0;
        for (int c = 0; c < q; ++c) eta += X[i * q + c] * t[c];
        return loss(family, y[i], eta);
      };
#pragma omp for schedule(dynamic, 8)
      for (std::ptrdiff_t aa = 0; aa < static_cast<std::ptrdiff_t>(judge.size()); ++aa) {
        const std::size_t a = static_cast<std::size_t>(aa), i = judge[a];
        shrink_rows[1][a] = row_loss(i, theta_pop.data());
        if (!n_lin) continue;
        const double* t0 = linear.theta.data() + i * q;
        shrink_rows[1 + n_lin][a] = row_loss(i, t0);
        const int kk = neighbours(tree, i, loo ? i : n, out.k, d);
        for (std::size_t l = lambdas.size(); l-- > 0;) {
          local_glm(family, X.data(), y.data(), s.data(), q, d.data(), kk, t0, lambdas[l], theta.data(), H, g, w,
                    trial, l + 1 == lambdas.size() ? t0 : theta.data());
          shrink_rows[2 + l][a] = row_loss(i, theta.data());
        }
      }
    }
  }
  std::vector<double> shrink_se;
  for (std::size_t c = 0; c < shrink_rows.size(); ++c) {
    const auto [f, se] = mean_se(judge, shrink_rows[c]);
    out.shrink_grid.push_back(c == 0 ? 1.0 : c == 1 || c == 1 + n_lin ? inf : lambdas[c - 2]);
    out.shrink_loss.push_back(f);
    out.shrink_linear.push_back(c >= 2 ? 1 : 0);
    shrink_se.push_back(se);
  }
  // The one-standard-error rule on paired differences: the simplest candidate whose loss
  // exceeds the least by at most the standard error of the rows' paired differences from
  // the least. Simplest first: the population GLM, the linear fit, the linear target from the
  // strongest shrinkage to the weakest, the local GLMs.
  const std::size_t n_cand = out.shrink_loss.size();
  const std::size_t least =
      static_cast<std::size_t>(std::min_element(out.shrink_loss.begin(), out.shrink_loss.end()) -
                               out.shrink_loss.begin());
  std::vector<std::size_t> simplest = {1};
  if (n_cand > 2) {
    simplest.push_back(n_cand - 1);
    for (std::size_t a = n_cand - 2; a >= 2; --a) simplest.push_back(a);
  }
  simplest.push_back(0);
  std::size_t chosen = least;
  {
    double total = 0.0, total2 = 0.0;
    for (std::size_t i : judge) {
      total += s[i];
      total2 += s[i] * s[i];
    }
    const std::vector<double>& best_rows = shrink_rows[least];
    for (std::size_t c : simplest) {
      double mean = 0.0, var = 0.0;
      for (std::size_t a = 0; a < judge.size(); ++a) mean += s[judge[a]] * (shrink_rows[c][a] - best_rows[a]);
      mean /= total;
      for (std::size_t a = 0; a < judge.size(); ++a) {
        const double dd = shrink_rows[c][a] - best_rows[a] - mean;
        var += s[judge[a]] * dd * dd;
      }
      var /= total;
      if (mean <= std::sqrt(var * total2 / (total * total))) {
        chosen = c;
        break;
      }
    }
  }
  out.shrinkage = out.shrink_grid[chosen];
  out.held_out_loss = out.shrink_loss[chosen];
  out.held_out_se = shrink_se[chosen];
  const bool use_linear = out.shrink_linear[chosen] != 0;
  out.shrink_target = use_linear ? "linear" : "population";
  const double lambda = out.shrinkage;

  int active = 0;
  for (double p : out.phi) active += p >= 0.05;
  out.bias_factor = 1.0 / (1.0 - std::pow(2.0, -1.0 / std::max(1, active)));
  if (!final_fits) return out;

  // The chosen linear target refitted on every row, validation rows included: their outcomes
  // served to choose it; the model chosen then uses all the data (as the linear encoder would).
  LinearTarget linear_all;
  if (use_linear && std::any_of(role.begin(), role.end(), [](char r) { return r != 0; })) {
    linear_all = personalized_linear_target(data, scaling, family, std::vector<char>(n, 0), cat, theta_pop);
    out.linear_converged = out.linear_converged && linear_all.converged;
  }
  const LinearTarget& chosen_linear = linear_all.finite ? linear_all : linear;
  if (use_linear) out.target_map = chosen_linear.map;
  const std::vector<double>* targets = use_linear ? &chosen_linear.theta : nullptr;

  // The sample models at k; for the bias estimate (see LocalModels::theta_weak), the local GLMs
  // shrunk with strength 1 towards the same target at k and at k / 2 (with strength 1 chosen,
  // the first are the sample models themselves). The neighbourhood at k / 2 is the start of
  // that at k (both sorted by distance, then row): its rows up to the first whose cumulative
  // weight reaches k / 2 rows' worth. Each fit starts from the previous one.
  out.theta.assign(n * q, 0.0);
  out.theta_weak.assign(n * q, 0.0);
  out.theta_half.assign(n * q, 0.0);
  const int k_half = std::max(1, out.k / 2);
  const MetricTree tree(data.C, m, pool, out.phi.data(), inv.data(), cat.data());
#pragma omp parallel num_threads(nthreads)
  {
    std::vector<std::pair<double, std::uint32_t>> d;
    std::vector<double> H(static_cast<std::size_t>(q) * q), g(q), w(out.k), trial(2 * q);
#pragma omp for schedule(dynamic, 8)
    for (std::ptrdiff_t ii = 0; ii < static_cast<std::ptrdiff_t>(n); ++ii) {
      const std::size_t i = static_cast<std::size_t>(ii);
      const double* t0 = targets ? targets->data() + i * q : theta_pop.data();
      double* theta = out.theta.data() + i * q;
      double* weak = out.theta_weak.data() + i * q;
      const int kk = neighbours(tree, i, n, out.k, d);
      if (std::isinf(lambda))  // the target itself
        std::copy(t0, t0 + q, theta);
      else
        local_glm(family, X.data(), y.data(), s.data(), q, d.data(), kk, t0, lambda, theta, H, g, w, trial);
      if (lambda == 1.0)
        std::copy(theta, theta + q, weak);
      else
        local_glm(family, X.data(), y.data(), s.data(), q, d.data(), kk, t0, 1.0, weak, H, g, w, trial, theta);
      const int kh = prefix(d, kk, k_half);
      local_glm(family, X.data(), y.data(), s.data(), q, d.data(), kh, t0, 1.0, out.theta_half.data() + i * q, H, g,
                w, trial, weak);
    }
  }
  return out;
}

}  // namespace ctxstats
