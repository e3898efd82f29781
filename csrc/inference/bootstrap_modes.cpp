#include "inference/bootstrap_modes.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "common/error.hpp"
#include "inference/bootstrap_summary.hpp"

namespace ctxstats {

CentredIntervals centred_intervals(const double* estimate, const double* samples, std::size_t B, std::size_t k,
                                   double alpha, double lo_bound, double hi_bound, const double* bias) {
  require(alpha > 0.0 && alpha < 1.0, "alpha must lie in (0, 1), not " + std::to_string(alpha));
  require(B >= 2, "intervals need at least two bootstrap replicates");
  const std::vector<double> lo = column_quantiles(samples, B, k, alpha / 2.0);
  const std::vector<double> med = column_quantiles(samples, B, k, 0.5);
  const std::vector<double> hi = column_quantiles(samples, B, k, 1.0 - alpha / 2.0);
  CentredIntervals out;
  out.se.resize(k);
  out.lower.resize(k);
  out.upper.resize(k);
  for (std::size_t j = 0; j < k; ++j) {
    double mean = 0.0;
    for (std::size_t b = 0; b < B; ++b) mean += samples[b * k + j];
    mean /= static_cast<double>(B);
    double ss = 0.0;
    for (std::size_t b = 0; b < B; ++b) ss += (samples[b * k + j] - mean) * (samples[b * k + j] - mean);
    out.se[j] = std::sqrt(ss / static_cast<double>(B - 1));
    double below = med[j] - lo[j], above = hi[j] - med[j];
    if (bias) {
      below = std::sqrt(below * below + bias[j] * bias[j]);
      above = std::sqrt(above * above + bias[j] * bias[j]);
    }
    out.lower[j] = std::min(std::max(estimate[j] - below, lo_bound), hi_bound);
    out.upper[j] = std::min(std::max(estimate[j] + above, lo_bound), hi_bound);
  }
  return out;
}

ModeSplit bootstrap_modes(const double* samples, std::size_t B, std::size_t k, double min_gap) {
  ModeSplit out;
  out.multimodal.assign(k, 0);
  out.separation.assign(k, 0.0);
  out.low_centre.assign(k, std::numeric_limits<double>::quiet_NaN());
  out.high_centre = out.low_centre;
  out.low_count.assign(k, 0.0);
  out.high_count.assign(k, 0.0);
  const std::size_t least = std::max<std::size_t>(2, static_cast<std::size_t>(std::ceil(0.1 * static_cast<double>(B))));
  if (B < 10 || 2 * least > B) return out;
  std::vector<double> x(B), prefix(B + 1), prefix2(B + 1);
  for (std::size_t j = 0; j < k; ++j) {
    bool finite = true;
    for (std::size_t b = 0; b < B; ++b) {
      x[b] = samples[b * k + j];
      finite = finite && std::isfinite(x[b]);
    }
    if (!finite) continue;
    std::sort(x.begin(), x.end());
    // Centred on the median, so the prefix sums of squares lose no precision.
    const double c = x[B / 2];
    for (std::size_t b = 0; b < B; ++b) {
      prefix[b + 1] = prefix[b] + (x[b] - c);
      prefix2[b + 1] = prefix2[b] + (x[b] - c) * (x[b] - c);
    }
    double best = std::numeric_limits<double>::infinity();
    std::size_t cut = 0;
    for (std::size_t a = least; a + least <= B; ++a) {  // sides [0, a) and [a, B)
      const double n1 = static_cast<double>(a), n2 = static_cast<double>(B - a);
      const double s1 = prefix[a], s2 = prefix[B] - prefix[a];
      const double within = prefix2[a] - s1 * s1 / n1 + (prefix2[B] - prefix2[a]) - s2 * s2 / n2;
      if (within < best) {
        best = within;
        cut = a;
      }
    }
    const double n1 = static_cast<double>(cut), n2 = static_cast<double>(B - cut);
    double m1 = 0.0, m2 = 0.0;
    for (std::size_t b = 0; b < cut; ++b) m1 += x[b];
    for (std::size_t b = cut; b < B; ++b) m2 += x[b];
    m1 /= n1;
    m2 /= n2;
    double v1 = 0.0, v2 = 0.0;
    for (std::size_t b = 0; b < cut; ++b) v1 += (x[b] - m1) * (x[b] - m1);
    for (std::size_t b = cut; b < B; ++b) v2 += (x[b] - m2) * (x[b] - m2);
    v1 /= n1;
    v2 /= n2;
    const double gap = m2 - m1;
    const double D = gap > 0.0 ? (v1 + v2 > 0.0 ? std::sqrt(2.0) * gap / std::sqrt(v1 + v2)
                                                : std::numeric_limits<double>::infinity())
                               : 0.0;
    out.separation[j] = D;
    out.low_centre[j] = m1;
    out.high_centre[j] = m2;
    out.low_count[j] = n1;
    out.high_count[j] = n2;
    out.multimodal[j] = D > kModeSeparation && gap > min_gap;
  }
  return out;
}

std::string describe_modes(const ModeSplit& split, const std::vector<std::string>& names, const std::string& what) {
  require(names.size() == split.multimodal.size(), "one name per column is needed");
  std::string out;
  char buf[160];
  for (std::size_t j = 0; j < names.size(); ++j) {
    if (!split.multimodal[j]) continue;
    std::snprintf(buf, sizeof buf, ": %.0f of %.0f replicates near %.4g, %.0f near %.4g", split.low_count[j],
                  split.low_count[j] + split.high_count[j], split.low_centre[j], split.high_count[j],
                  split.high_centre[j]);
    if (!out.empty()) out += "; ";
    out += what + names[j] + buf;
  }
  return out;
}

}  // namespace ctxstats
