#include "inference/bootstrap_summary.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "glm/bootstrap.hpp"
#include "common/error.hpp"
#include "glm/objective.hpp"

namespace ctxstats {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kChunkDoubles = std::size_t{1} << 21;

// The p-quantile of sorted values x[0..B) by linear interpolation (numpy's `linear`
// method: virtual index (B - 1) p, numpy's two-sided lerp).
double sorted_quantile(const double* x, std::size_t B, double p) {
  const double h = static_cast<double>(B - 1) * p;
  const double lo = std::floor(h);
  const std::size_t i = static_cast<std::size_t>(lo), j = std::min(i + 1, B - 1);
  const double t = h - lo, a = x[i], b = x[j], diff = b - a;
  return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

// Sorts `values` (B entries) and returns its lower and upper percentile limits; NaN when a
// value is NaN (as numpy).
void limits(std::vector<double>& values, double alpha, double& lower, double& upper) {
  for (double v : values)
    if (std::isnan(v)) {
      lower = upper = kNaN;
      return;
    }
  std::sort(values.begin(), values.end());
  lower = sorted_quantile(values.data(), values.size(), alpha / 2.0);
  upper = sorted_quantile(values.data(), values.size(), 1.0 - alpha / 2.0);
}

void check_alpha(double alpha) {
  require(alpha > 0.0 && alpha < 1.0, "alpha must lie in (0, 1), not " + std::to_string(alpha));
}

void check_replicates(std::size_t B, std::size_t k) {
  require(B >= 1, "there are no bootstrap replicates to summarise");
  require(k >= 1, "the replicates hold no quantity to summarise");
}

// Calls f(start, count, theta) for chunks of the rows of C with theta every replicate's
// per-sample parameters (B x count x q) of those rows, in row order.
template <typename F>
void for_theta_chunks(const EncoderSpec& spec, const Scaling& scaling, const double* W, std::size_t B,
                      std::size_t nw, const double* C, std::size_t rows, int m, int threads, F f) {
  const std::size_t step = bootstrap_chunk_rows(B, scaling.q(), rows);
  for (std::size_t s = 0; s < rows; s += step) {
    const std::size_t count = std::min(step, rows - s);
    const std::vector<double> tb = bootstrap_theta(spec, scaling, W, B, nw, C + s * m, count, m, threads);
    f(s, count, tb);
  }
}

}  // namespace

std::size_t bootstrap_chunk_rows(std::size_t B, int q, std::size_t rows) {
  const std::size_t width = std::max<std::size_t>(1, B * static_cast<std::size_t>(q));
  const std::size_t fit = std::max<std::size_t>(1, std::min(rows, kChunkDoubles / width));
  const std::size_t block = static_cast<std::size_t>(kBlockRows);
  return std::max(block, fit / block * block);
}

std::vector<double> column_quantiles(const double* samples, std::size_t B, std::size_t k, double p) {
  check_replicates(B, k);
  require(p >= 0.0 && p <= 1.0, "a quantile's probability must lie in [0, 1]");
  std::vector<double> out(k), col(B);
  for (std::size_t j = 0; j < k; ++j) {
    bool nan = false;
    for (std::size_t b = 0; b < B; ++b) {
      col[b] = samples[b * k + j];
      nan = nan || std::isnan(col[b]);
    }
    if (nan) {
      out[j] = kNaN;
      continue;
    }
    std::sort(col.begin(), col.end());
    out[j] = sorted_quantile(col.data(), B, p);
  }
  return out;
}

ColumnSpread column_spread(const double* values, std::size_t rows, std::size_t k) {
  require(rows >= 1 && k >= 1, "there are no values to summarise");
  ColumnSpread out;
  for (auto* v : {&out.mean, &out.std, &out.min, &out.q25, &out.median, &out.q75, &out.max}) v->assign(k, kNaN);
  std::vector<double> col(rows);
  for (std::size_t j = 0; j < k; ++j) {
    bool nan = false;
    double sum = 0.0;
    for (std::size_t i = 0; i < rows; ++i) {
      col[i] = values[i * k + j];
      nan = nan || std::isnan(col[i]);
      sum += col[i];
    }
    if (nan) continue;
    const double mean = sum / static_cast<double>(rows);
    double ss = 0.0;
    for (std::size_t i = 0; i < rows; ++i) ss += (col[i] - mean) * (col[i] - mean);
    std::sort(col.begin(), col.end());
    out.mean[j] = mean;
    out.std[j] = std::sqrt(ss / static_cast<double>(rows));
    out.min[j] = col.front();
    out.q25[j] = sorted_quantile(col.data(), rows, 0.25);
    out.median[j] = sorted_quantile(col.data(), rows, 0.5);
    out.q75[j] = sorted_quantile(col.data(), rows, 0.75);
    out.max[j] = col.back();
  }
  return out;
}

PercentileSummary percentile_summary(const double* samples, std::size_t B, std::size_t k, double alpha) {
  check_replicates(B, k);
  check_alpha(alpha);
  PercentileSummary out;
  out.se.resize(k);
  out.lower.resize(k);
  out.upper.resize(k);
  out.pvalue.resize(k);
  out.pvalue_floor = 2.0 / (static_cast<double>(B) + 1.0);
  std::vector<double> col(B);
  for (std::size_t j = 0; j < k; ++j) {
    double sum = 0.0;
    std::size_t below = 0, above = 0;
    for (std::size_t b = 0; b < B; ++b) {
      const double v = samples[b * k + j];
      col[b] = v;
      sum += v;
      below += v <= 0.0;
      above += v >= 0.0;
    }
    const double mean = sum / static_cast<double>(B);
    double ss = 0.0;
    for (double v : col) ss += (v - mean) * (v - mean);
    out.se[j] = std::sqrt(ss / (static_cast<double>(B) - 1.0));
    out.pvalue[j] =
        std::min(1.0, 2.0 * (1.0 + static_cast<double>(std::min(below, above))) / (static_cast<double>(B) + 1.0));
    limits(col, alpha, out.lower[j], out.upper[j]);
  }
  return out;
}

std::vector<double> sign_pvalues(const double* samples, std::size_t B, std::size_t k, double smoothing) {
  check_replicates(B, k);
  require(std::isfinite(smoothing) && smoothing >= 0.0,
          "laplace_smoothing must be a finite number >= 0, not " + std::to_string(smoothing));
  std::vector<double> out(k);
  for (std::size_t j = 0; j < k; ++j) {
    double sum = 0.0;
    std::size_t below = 0, above = 0;
    for (std::size_t b = 0; b < B; ++b) {
      const double v = samples[b * k + j];
      require(!std::isnan(v), "bootstrap estimates contain NaN (column " + std::to_string(j) + ")");
      sum += v;
      below += v < 0.0;
      above += v > 0.0;
    }
    const double opposite = sum > 0.0 ? static_cast<double>(below)
                            : sum < 0.0 ? static_cast<double>(above)
                                        : static_cast<double>(B);
    const double denom = static_cast<double>(B) + smoothing;
    out[j] = denom > 0.0 ? std::min(1.0, (smoothing + opposite) / denom) : 1.0;
  }
  return out;
}

std::vector<double> replicate_covariance(const double* samples, std::size_t B, std::size_t k) {
  check_replicates(B, k);
  std::vector<double> mean(k, 0.0), out(k * k, 0.0);
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t j = 0; j < k; ++j) mean[j] += samples[b * k + j];
  for (double& v : mean) v /= static_cast<double>(B);
  for (std::size_t b = 0; b < B; ++b)
    for (std::size_t i = 0; i < k; ++i) {
      const double di = samples[b * k + i] - mean[i];
      for (std::size_t j = 0; j <= i; ++j) out[i * k + j] += di * (samples[b * k + j] - mean[j]);
    }
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j <= i; ++j) {
      out[i * k + j] /= static_cast<double>(B) - 1.0;
      out[j * k + i] = out[i * k + j];
    }
  return out;
}

namespace {

// bootstrap_pass over chunks of every replicate's per-sample parameters: for_chunks(f) calls
// f(start, count, tb) with tb B x count x q, in row order.
template <typename Chunks>
BootstrapPass bootstrap_pass_over(Chunks for_chunks, std::size_t B, int q, std::size_t rows, const double* theta,
                                  int threads) {
  require(B >= 1, "the bootstrap summaries need replicates: refit with n_bootstraps=B (e.g. 200)");
  require(rows > 0, "context has zero rows");
  const int nthreads = resolve_threads(threads);
  check_finite(theta, rows, q, "theta");
  BootstrapPass out;
  out.B = B;
  out.q = q;
  // Pass 1: the replicates' average effects and the sign flips.
  std::vector<double> sums(B * q, 0.0), flips(q, 0.0);
  for_chunks([&](std::size_t s, std::size_t count, const std::vector<double>& tb) {
#pragma omp parallel for num_threads(nthreads) schedule(static)
                     for (int k = 0; k < q; ++k) {
                       for (std::size_t b = 0; b < B; ++b)
                         for (std::size_t i = 0; i < count; ++i) sums[b * q + k] += tb[(b * count + i) * q + k];
                       for (std::size_t i = 0; i < count; ++i) {
                         const double s0 = (theta[(s + i) * q + k] > 0) - (theta[(s + i) * q + k] < 0);
                         std::size_t differ = 0;
                         for (std::size_t b = 0; b < B; ++b) {
                           const double v = tb[(b * count + i) * q + k];
                           differ += static_cast<double>((v > 0) - (v < 0)) != s0;
                         }
                         flips[k] += static_cast<double>(differ) / static_cast<double>(B) > kSignFlipRate;
                       }
                     }
                   });
  out.means.resize(B * q);
  for (std::size_t j = 0; j < B * q; ++j) out.means[j] = sums[j] / static_cast<double>(rows);
  out.sign_flip_share.resize(q);
  for (int k = 0; k < q; ++k) out.sign_flip_share[k] = flips[k] / static_cast<double>(rows);

  // Pass 2: the heterogeneity statistic and its bootstrap null distribution.
  std::vector<double> full_mean(q, 0.0), scale(q, 0.0);
  for (std::size_t i = 0; i < rows; ++i)
    for (int k = 0; k < q; ++k) {
      full_mean[k] += theta[i * q + k];
      scale[k] = std::max(scale[k], std::fabs(theta[i * q + k]));
    }
  for (int k = 0; k < q; ++k) {
    full_mean[k] /= static_cast<double>(rows);
    scale[k] += 1e-300;
  }
  std::vector<double> num(q, 0.0), num_b(B * q, 0.0), used(q, 0.0);
  for_chunks([&](std::size_t s, std::size_t count, const std::vector<double>& tb) {
#pragma omp parallel for num_threads(nthreads) schedule(static)
                     for (int k = 0; k < q; ++k) {
                       std::vector<double> db(B);
                       for (std::size_t i = 0; i < count; ++i) {
                         const double d = theta[(s + i) * q + k] - full_mean[k];
                         double mb = 0.0;
                         for (std::size_t b = 0; b < B; ++b) {
                           db[b] = tb[(b * count + i) * q + k] - out.means[b * q + k];
                           mb += db[b];
                         }
                         mb /= static_cast<double>(B);
                         double ss = 0.0;
                         for (double v : db) ss += (v - mb) * (v - mb);
                         const double sd = std::sqrt(ss / (static_cast<double>(B) - 1.0));
                         if (!(sd > 1e-12 * scale[k])) continue;
                         const double inv = 1.0 / sd;
                         num[k] += (d * inv) * (d * inv);
                         for (std::size_t b = 0; b < B; ++b) {
                           const double e = (db[b] - d) * inv;
                           num_b[b * q + k] += e * e;
                         }
                         used[k] += 1.0;
                       }
                     }
                   });
  out.het_statistic.assign(q, kNaN);
  out.het_pvalue.assign(q, kNaN);
  for (int k = 0; k < q; ++k) {
    if (used[k] == 0.0) continue;
    const double T = num[k] / used[k];
    std::size_t exceed = 0;
    for (std::size_t b = 0; b < B; ++b) exceed += num_b[b * q + k] / used[k] >= T;
    out.het_statistic[k] = T;
    out.het_pvalue[k] = (1.0 + static_cast<double>(exceed)) / (static_cast<double>(B) + 1.0);
  }
  return out;
}

}  // namespace

BootstrapPass bootstrap_pass(const EncoderSpec& spec, const Scaling& scaling, const double* W, std::size_t B,
                             std::size_t nw, const double* C, std::size_t rows, int m, const double* theta,
                             int threads) {
  const auto chunks = [&](const auto& f) { for_theta_chunks(spec, scaling, W, B, nw, C, rows, m, threads, f); };
  return bootstrap_pass_over(chunks, B, scaling.q(), rows, theta, threads);
}

BootstrapPass bootstrap_pass_values(const double* replicates, std::size_t B, std::size_t rows, int q,
                                    const double* theta, int threads) {
  require(q >= 1, "the replicates hold no quantity to summarise");
  const std::vector<double> all(replicates, replicates + B * rows * static_cast<std::size_t>(q));
  const auto chunks = [&](const auto& f) { f(std::size_t{0}, rows, all); };
  return bootstrap_pass_over(chunks, B, q, rows, theta, threads);
}

SampleLimits bootstrap_sample_limits(const EncoderSpec& spec, const Scaling& scaling, const double* W, std::size_t B,
                                     std::size_t nw, const double* C, std::size_t rows, int m, double alpha,
                                     int threads) {
  require(B >= 1, "per-sample intervals need bootstrap replicates: refit with n_bootstraps=B (e.g. 200)");
  check_alpha(alpha);
  const int q = scaling.q();
  const int nthreads = resolve_threads(threads);
  SampleLimits out;
  out.lower.resize(rows * q);
  out.upper.resize(rows * q);
  for_theta_chunks(spec, scaling, W, B, nw, C, rows, m, threads,
                   [&](std::size_t s, std::size_t count, const std::vector<double>& tb) {
#pragma omp parallel num_threads(nthreads)
                     {
                       std::vector<double> col(B);
#pragma omp for schedule(static)
                       for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(count); ++i)
                         for (int k = 0; k < q; ++k) {
                           for (std::size_t b = 0; b < B; ++b) col[b] = tb[(b * count + i) * q + k];
                           const std::size_t at = (s + i) * q + k;
                           limits(col, alpha, out.lower[at], out.upper[at]);
                         }
                     }
                   });
  return out;
}

std::vector<double> bootstrap_predictions(const EncoderSpec& spec, const Scaling& scaling, Family family,
                                          const double* W, std::size_t B, std::size_t nw, const double* X, int p,
                                          const double* C, std::size_t rows, int m, int threads) {
  require(B >= 1, "bootstrap predictions need replicates: refit with n_bootstraps=B (e.g. 200)");
  require(p == static_cast<int>(scaling.x_mean.size()),
          "exog has " + std::to_string(p) + " columns; the model was fitted with " +
              std::to_string(scaling.x_mean.size()));
  check_finite(X, rows, p, "exog");
  const int q = scaling.q(), off = scaling.intercept ? 1 : 0;
  std::vector<double> out(B * rows);
  for_theta_chunks(spec, scaling, W, B, nw, C, rows, m, threads,
                   [&](std::size_t s, std::size_t count, const std::vector<double>& tb) {
                     for (std::size_t b = 0; b < B; ++b)
                       for (std::size_t i = 0; i < count; ++i) {
                         const double* t = tb.data() + (b * count + i) * q;
                         const double* x = X + (s + i) * p;
                         double eta = 0.0;
                         for (int j = 0; j < p; ++j) eta += t[off + j] * x[j];
                         out[b * rows + s + i] = inverse_link(family, off ? t[0] + eta : eta);
                       }
                   });
  return out;
}

}  // namespace ctxstats
