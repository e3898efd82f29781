// Subtypes from sample models: k-means on standardised per-sample parameters, k by the
// silhouette, bootstrap stability by re-clustering each replicate (see subtypes.hpp).
#include "inference/subtypes.hpp"

#include <omp.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "common/error.hpp"
#include "common/rng.hpp"
#include "glm/objective.hpp"
#include "inference/bootstrap_summary.hpp"

namespace ctxstats {

namespace {

constexpr std::uint64_t kSilhouetteSubsampleSub = 0xffffffffULL;

double sq_dist(const double* a, const double* b, std::size_t d) {
  double s = 0.0;
  for (std::size_t j = 0; j < d; ++j) {
    const double t = a[j] - b[j];
    s += t * t;
  }
  return s;
}

// k-means++ seeding: the first centre uniformly, each next one with probability
// proportional to the squared distance to the nearest centre chosen so far.
std::vector<double> seed_centroids(const double* Z, std::size_t n, std::size_t d, int k, CounterRng& rng) {
  std::vector<double> cent(static_cast<std::size_t>(k) * d);
  std::vector<double> near(n, std::numeric_limits<double>::infinity());
  std::size_t pick = static_cast<std::size_t>(rng.below(n));
  for (int c = 0; c < k; ++c) {
    std::copy(Z + pick * d, Z + (pick + 1) * d, cent.begin() + static_cast<std::ptrdiff_t>(c * d));
    if (c + 1 == k) break;
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      near[i] = std::min(near[i], sq_dist(Z + i * d, cent.data() + c * d, d));
      total += near[i];
    }
    if (!(total > 0.0)) {
      pick = static_cast<std::size_t>(rng.below(n));
      continue;
    }
    const double u = rng.uniform() * total;
    double acc = 0.0;
    pick = n - 1;
    for (std::size_t i = 0; i < n; ++i) {
      acc += near[i];
      if (acc > u && near[i] > 0.0) {
        pick = i;
        break;
      }
    }
  }
  return cent;
}

struct Start {
  std::vector<int> labels;
  std::vector<double> centroids;
  double within_ss = 0.0;
  bool converged = false;
};

void centroid_means(const double* Z, std::size_t n, std::size_t d, int k, const std::vector<int>& labels,
                    std::vector<double>& cent, std::vector<long long>& count) {
  std::fill(cent.begin(), cent.end(), 0.0);
  count.assign(static_cast<std::size_t>(k), 0);
  for (std::size_t i = 0; i < n; ++i) {
    const int c = labels[i];
    ++count[c];
    for (std::size_t j = 0; j < d; ++j) cent[c * d + j] += Z[i * d + j];
  }
  for (int c = 0; c < k; ++c)
    if (count[c] > 0)
      for (std::size_t j = 0; j < d; ++j) cent[c * d + j] /= static_cast<double>(count[c]);
}

Start lloyd(const double* Z, std::size_t n, std::size_t d, int k, int max_iter, CounterRng& rng) {
  Start s;
  s.centroids = seed_centroids(Z, n, d, k, rng);
  s.labels.assign(n, -1);
  std::vector<long long> count;
  std::vector<double> dist(n);
  for (int it = 0; it < max_iter; ++it) {
    bool changed = false;
    for (std::size_t i = 0; i < n; ++i) {
      int best = 0;
      double bd = sq_dist(Z + i * d, s.centroids.data(), d);
      for (int c = 1; c < k; ++c) {
        const double t = sq_dist(Z + i * d, s.centroids.data() + c * d, d);
        if (t < bd) {
          bd = t;
          best = c;
        }
      }
      dist[i] = bd;
      if (s.labels[i] != best) {
        s.labels[i] = best;
        changed = true;
      }
    }
    if (!changed) {
      s.converged = true;
      break;
    }
    centroid_means(Z, n, d, k, s.labels, s.centroids, count);
    // An empty cluster takes the sample farthest from its centre (from a cluster with others).
    for (int c = 0; c < k; ++c) {
      if (count[c] > 0) continue;
      std::size_t far = n;
      for (std::size_t i = 0; i < n; ++i)
        if (count[s.labels[i]] > 1 && (far == n || dist[i] > dist[far])) far = i;
      if (far == n) break;
      --count[s.labels[far]];
      s.labels[far] = c;
      count[c] = 1;
      dist[far] = 0.0;
      std::copy(Z + far * d, Z + (far + 1) * d, s.centroids.begin() + static_cast<std::ptrdiff_t>(c * d));
    }
  }
  centroid_means(Z, n, d, k, s.labels, s.centroids, count);
  for (std::size_t i = 0; i < n; ++i) s.within_ss += sq_dist(Z + i * d, s.centroids.data() + s.labels[i] * d, d);
  return s;
}

// Labels ordered by decreasing cluster size, ties by each cluster's first sample.
void canonical_order(std::vector<int>& labels, std::vector<double>& cent, std::size_t d, int k) {
  std::vector<long long> size(static_cast<std::size_t>(k), 0);
  std::vector<std::size_t> first(static_cast<std::size_t>(k), labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    ++size[labels[i]];
    first[labels[i]] = std::min(first[labels[i]], i);
  }
  std::vector<int> order(static_cast<std::size_t>(k));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return size[a] != size[b] ? size[a] > size[b] : first[a] < first[b];
  });
  std::vector<int> rank(static_cast<std::size_t>(k));
  std::vector<double> c2(cent.size());
  for (int r = 0; r < k; ++r) {
    rank[order[r]] = r;
    std::copy(cent.begin() + static_cast<std::ptrdiff_t>(order[r] * d),
              cent.begin() + static_cast<std::ptrdiff_t>((order[r] + 1) * d),
              c2.begin() + static_cast<std::ptrdiff_t>(r * d));
  }
  for (int& l : labels) l = rank[l];
  cent.swap(c2);
}

// Hungarian algorithm (shortest augmenting paths with potentials) for a square cost matrix:
// assignment[row] = column of minimal total cost.
std::vector<int> hungarian(const std::vector<double>& cost, int k) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(k + 1, 0.0), v(k + 1, 0.0);
  std::vector<int> p(k + 1, 0), way(k + 1, 0);
  for (int i = 1; i <= k; ++i) {
    p[0] = i;
    int j0 = 0;
    std::vector<double> minv(k + 1, inf);
    std::vector<char> used(k + 1, 0);
    do {
      used[j0] = 1;
      const int i0 = p[j0];
      double delta = inf;
      int j1 = 0;
      for (int j = 1; j <= k; ++j) {
        if (used[j]) continue;
        const double cur = cost[(i0 - 1) * k + (j - 1)] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (int j = 0; j <= k; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      const int j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> assignment(static_cast<std::size_t>(k), 0);
  for (int j = 1; j <= k; ++j) assignment[p[j] - 1] = j - 1;
  return assignment;
}

double comb2(double x) { return x * (x - 1.0) / 2.0; }

void check_finite(const double* v, std::size_t count, const char* what) {
  for (std::size_t i = 0; i < count; ++i)
    if (!std::isfinite(v[i])) throw InvalidArgument(std::string(what) + " contain a non-finite value");
}

}  // namespace

KMeansResult kmeans(const double* Z, std::size_t n, std::size_t d, int k, int n_starts, int max_iter,
                    std::uint64_t seed, std::uint64_t stream_sub, int threads) {
  require(k >= 1 && static_cast<std::size_t>(k) <= n, "k must lie between 1 and the number of samples");
  require(n_starts >= 1, "n_starts must be at least 1");
  require(max_iter >= 1, "max_iter must be at least 1");
  std::vector<Start> starts(static_cast<std::size_t>(n_starts));
  const int nthreads = std::max(1, std::min(resolve_threads(threads), n_starts));
#pragma omp parallel for num_threads(nthreads) schedule(static)
  for (int s = 0; s < n_starts; ++s) {
    CounterRng rng(seed, Stream::kSubtypes, stream_sub,
                   static_cast<std::uint64_t>(k) * 1000003ULL + static_cast<std::uint64_t>(s));
    starts[s] = lloyd(Z, n, d, k, max_iter, rng);
  }
  int best = 0;
  KMeansResult r;
  for (int s = 0; s < n_starts; ++s) {
    if (starts[s].within_ss < starts[best].within_ss) best = s;
    if (!starts[s].converged) ++r.unconverged_starts;
  }
  r.labels = std::move(starts[best].labels);
  r.centroids = std::move(starts[best].centroids);
  r.within_ss = starts[best].within_ss;
  canonical_order(r.labels, r.centroids, d, k);
  return r;
}

double mean_silhouette(const double* Z, std::size_t n, std::size_t d, const int* labels, int k, int threads) {
  std::vector<long long> count(static_cast<std::size_t>(k), 0);
  for (std::size_t i = 0; i < n; ++i) ++count[labels[i]];
  std::vector<double> s(n, 0.0);
  const int nthreads = resolve_threads(threads);
#pragma omp parallel num_threads(nthreads)
  {
    std::vector<double> sum(static_cast<std::size_t>(k));
#pragma omp for schedule(static)
    for (std::ptrdiff_t ii = 0; ii < static_cast<std::ptrdiff_t>(n); ++ii) {
      const std::size_t i = static_cast<std::size_t>(ii);
      std::fill(sum.begin(), sum.end(), 0.0);
      for (std::size_t j = 0; j < n; ++j) sum[labels[j]] += std::sqrt(sq_dist(Z + i * d, Z + j * d, d));
      const int own = labels[i];
      if (count[own] <= 1) continue;  // a singleton's silhouette is 0
      const double a = sum[own] / static_cast<double>(count[own] - 1);
      double b = std::numeric_limits<double>::infinity();
      for (int c = 0; c < k; ++c)
        if (c != own && count[c] > 0) b = std::min(b, sum[c] / static_cast<double>(count[c]));
      const double m = std::max(a, b);
      if (std::isfinite(b) && m > 0.0) s[i] = (b - a) / m;
    }
  }
  double total = 0.0;
  for (double v : s) total += v;
  return n > 0 ? total / static_cast<double>(n) : 0.0;
}

double adjusted_rand_index(const int* a, const int* b, std::size_t n) {
  if (n == 0) return 1.0;
  const int ka = *std::max_element(a, a + n) + 1, kb = *std::max_element(b, b + n) + 1;
  std::vector<double> table(static_cast<std::size_t>(ka) * kb, 0.0), ra(ka, 0.0), rb(kb, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    table[static_cast<std::size_t>(a[i]) * kb + b[i]] += 1.0;
    ra[a[i]] += 1.0;
    rb[b[i]] += 1.0;
  }
  double index = 0.0, sa = 0.0, sb = 0.0;
  for (double t : table) index += comb2(t);
  for (double t : ra) sa += comb2(t);
  for (double t : rb) sb += comb2(t);
  const double expected = sa * sb / comb2(static_cast<double>(n));
  const double maximum = 0.5 * (sa + sb);
  if (maximum == expected) return 1.0;
  return (index - expected) / (maximum - expected);
}

std::vector<int> match_labels(const int* a, const int* b, std::size_t n, int k) {
  std::vector<double> overlap(static_cast<std::size_t>(k) * k, 0.0);
  for (std::size_t i = 0; i < n; ++i) overlap[static_cast<std::size_t>(b[i]) * k + a[i]] += 1.0;
  std::vector<double> cost(overlap.size());
  for (std::size_t t = 0; t < cost.size(); ++t) cost[t] = -overlap[t];
  return hungarian(cost, k);  // row = b-label, column = a-label
}

SubtypeResult find_subtypes(const double* theta, std::size_t n, std::size_t d, const double* replicates,
                            std::size_t B, const SubtypeOptions& o) {
  require(n >= 2, "subtypes need at least 2 samples");
  require(d >= 1, "subtypes need at least one parameter per sample");
  require(o.k >= 0, "k must be a positive integer (or None/NULL to choose it)");
  require(o.k == 0 || static_cast<std::size_t>(o.k) <= n, "k must not exceed the number of samples");
  require(o.k_max >= 2, "k_max must be at least 2");
  require(o.n_starts >= 1, "n_starts must be at least 1");
  require(o.max_iter >= 1, "max_iter must be at least 1");
  require(o.alpha > 0.0 && o.alpha < 1.0, "alpha must lie in (0, 1)");
  require(B == 0 || replicates != nullptr, "the bootstrap replicates are missing");
  check_finite(theta, n * d, "the per-sample parameters");
  if (B > 0) check_finite(replicates, B * n * d, "the bootstrap replicates' per-sample parameters");

  SubtypeResult r;
  r.n = n;
  r.d = d;
  r.B = B;
  // standardisation
  r.center.assign(d, 0.0);
  r.scale.assign(d, 1.0);
  bool varies = false;
  for (std::size_t j = 0; j < d; ++j) {
    double sum = 0.0, big = 1.0;
    for (std::size_t i = 0; i < n; ++i) {
      sum += theta[i * d + j];
      big = std::max(big, std::fabs(theta[i * d + j]));
    }
    const double mean = sum / static_cast<double>(n);
    double ss = 0.0;
    for (std::size_t i = 0; i < n; ++i) ss += (theta[i * d + j] - mean) * (theta[i * d + j] - mean);
    const double sd = std::sqrt(ss / static_cast<double>(n));
    r.center[j] = mean;
    if (sd > 1e-12 * big) {
      r.scale[j] = sd;
      varies = true;
    }
  }
  const auto standardise = [&](const double* t, std::vector<double>& Z) {
    Z.resize(n * d);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j) Z[i * d + j] = (t[i * d + j] - r.center[j]) / r.scale[j];
  };
  std::vector<double> Z;
  standardise(theta, Z);

  // choosing k: silhouettes on (a seeded subsample of) the samples
  std::vector<std::size_t> sub(n);
  std::iota(sub.begin(), sub.end(), std::size_t{0});
  if (n > kSilhouetteSample) {
    CounterRng rng(o.seed, Stream::kSubtypes, 0, kSilhouetteSubsampleSub);
    for (std::size_t t = 0; t < kSilhouetteSample; ++t)
      std::swap(sub[t], sub[t + static_cast<std::size_t>(rng.below(n - t))]);
    sub.resize(kSilhouetteSample);
    std::sort(sub.begin(), sub.end());
  }
  const auto silhouette = [&](const std::vector<int>& labels, int c) {
    std::vector<double> Zs(sub.size() * d);
    std::vector<int> ls(sub.size());
    for (std::size_t t = 0; t < sub.size(); ++t) {
      std::copy(Z.begin() + static_cast<std::ptrdiff_t>(sub[t] * d),
                Z.begin() + static_cast<std::ptrdiff_t>((sub[t] + 1) * d),
                Zs.begin() + static_cast<std::ptrdiff_t>(t * d));
      ls[t] = labels[sub[t]];
    }
    return mean_silhouette(Zs.data(), sub.size(), d, ls.data(), c, o.threads);
  };
  int k = o.k;
  if (k == 0) {
    k = 1;
    const int kmax = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(o.k_max), n - 1));
    if (varies && kmax >= 2) {
      double best = -std::numeric_limits<double>::infinity();
      for (int c = 2; c <= kmax; ++c) {
        const KMeansResult km = kmeans(Z.data(), n, d, c, o.n_starts, o.max_iter, o.seed, 0, o.threads);
        const double sil = silhouette(km.labels, c);
        r.candidates.push_back(c);
        r.criterion.push_back(sil);
        if (sil > best) {
          best = sil;
          k = c;
        }
      }
      if (best < kSilhouetteNoStructure) k = 1;
    }
  }
  r.k = k;
  const KMeansResult km = kmeans(Z.data(), n, d, k, o.n_starts, o.max_iter, o.seed, 0, o.threads);
  r.labels = km.labels;
  r.centroids = km.centroids;
  r.within_ss = km.within_ss;
  r.unconverged_starts = km.unconverged_starts;
  if (o.k != 0 && k >= 2) {
    r.candidates.push_back(k);
    r.criterion.push_back(silhouette(r.labels, k));
  }
  const std::size_t kk = static_cast<std::size_t>(k);
  r.sizes.assign(kk, 0);
  r.means.assign(kk * d, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    ++r.sizes[r.labels[i]];
    for (std::size_t j = 0; j < d; ++j) r.means[r.labels[i] * d + j] += theta[i * d + j];
  }
  for (std::size_t c = 0; c < kk; ++c)
    for (std::size_t j = 0; j < d; ++j) r.means[c * d + j] /= static_cast<double>(r.sizes[c]);

  // two principal components of the standardised parameters (for the plot)
  {
    Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> Zm(Z.data(), n, d);
    const Eigen::MatrixXd S = (Zm.transpose() * Zm) / static_cast<double>(n);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(S);
    const double trace = S.trace();
    r.scores.assign(n * 2, 0.0);
    r.explained.assign(2, 0.0);
    for (int c = 0; c < 2 && c < static_cast<int>(d); ++c) {
      const int col = static_cast<int>(d) - 1 - c;
      Eigen::VectorXd v = eig.eigenvectors().col(col);
      Eigen::Index arg = 0;
      v.cwiseAbs().maxCoeff(&arg);
      if (v(arg) < 0) v = -v;
      r.explained[c] = trace > 0 ? std::max(0.0, eig.eigenvalues()(col)) / trace : 0.0;
      for (std::size_t i = 0; i < n; ++i) {
        double s = 0.0;
        for (std::size_t j = 0; j < d; ++j) s += Z[i * d + j] * v(static_cast<Eigen::Index>(j));
        r.scores[i * 2 + c] = s;
      }
    }
  }

  if (B == 0) return r;
  // bootstrap stability
  r.replicate_ari.assign(B, 1.0);
  r.replicate_means.assign(B * kk * d, 0.0);
  std::vector<long long> same(n, 0);
  const int nthreads = std::max(1, std::min<int>(resolve_threads(o.threads), static_cast<int>(B)));
#pragma omp parallel num_threads(nthreads)
  {
    std::vector<long long> same_t(n, 0);
    std::vector<double> Zb;
#pragma omp for schedule(static)
    for (std::ptrdiff_t bb = 0; bb < static_cast<std::ptrdiff_t>(B); ++bb) {
      const std::size_t b = static_cast<std::size_t>(bb);
      const double* tb = replicates + b * n * d;
      std::vector<int> matched(n, 0);
      if (k >= 2) {
        standardise(tb, Zb);
        const KMeansResult kb = kmeans(Zb.data(), n, d, k, o.n_starts, o.max_iter, o.seed, b + 1, 1);
        r.replicate_ari[b] = adjusted_rand_index(r.labels.data(), kb.labels.data(), n);
        const std::vector<int> match = match_labels(r.labels.data(), kb.labels.data(), n, k);
        for (std::size_t i = 0; i < n; ++i) matched[i] = match[kb.labels[i]];
      }
      std::vector<long long> cnt(kk, 0);
      double* mb = r.replicate_means.data() + b * kk * d;
      for (std::size_t i = 0; i < n; ++i) {
        if (matched[i] == r.labels[i]) ++same_t[i];
        ++cnt[matched[i]];
        for (std::size_t j = 0; j < d; ++j) mb[matched[i] * d + j] += tb[i * d + j];
      }
      for (std::size_t c = 0; c < kk; ++c)
        for (std::size_t j = 0; j < d; ++j)
          mb[c * d + j] = cnt[c] > 0 ? mb[c * d + j] / static_cast<double>(cnt[c])
                                     : std::numeric_limits<double>::quiet_NaN();
    }
#pragma omp critical
    for (std::size_t i = 0; i < n; ++i) same[i] += same_t[i];  // integer counts: order-free
  }
  r.coassignment.resize(n);
  for (std::size_t i = 0; i < n; ++i) r.coassignment[i] = static_cast<double>(same[i]) / static_cast<double>(B);
  const PercentileSummary ps = percentile_summary(r.replicate_means.data(), B, kk * d, o.alpha);
  r.se = ps.se;
  r.lower = ps.lower;
  r.upper = ps.upper;
  return r;
}

}  // namespace ctxstats
