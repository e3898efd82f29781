// Bootstrap intervals centred on the estimate, and a check that the replicates form one mode
// (issue 14: personalized regression's replicates can fall on either of two optima, e.g. a
// metric weight near 0.03 in some replicates and 0.97 in others). Computed here once for
// both front ends, which only name and format the numbers.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace ctxstats {

// Percentile intervals re-centred on the estimate: with q_a the a-quantile of a column's
// replicates (B x k, row-major; type 7 as column_quantiles) and med its median,
//   lower = est + (q_{alpha/2} - med),   upper = est + (q_{1 - alpha/2} - med),
// clipped to [lo_bound, hi_bound] (e.g. [0, 1] for metric weights). They keep the spread and
// the skew of the replicates but not their shift: a refit on a resample of n rows, of which
// only about 63% are distinct, can sit systematically to one side of the estimate (plain
// percentile intervals then exclude it), and that shift is an artefact of the resampling,
// not uncertainty about the estimate. The interval always contains the estimate (when the
// estimate lies within the bounds). se is the replicates' standard deviation (ddof = 1).
struct CentredIntervals {
  std::vector<double> se, lower, upper;
};
// With `bias` (k entries, or null) -- an estimate of each quantity's bias that resampling
// does not see, such as a smoother's -- each side's half-width h becomes sqrt(h^2 + bias^2).
CentredIntervals centred_intervals(const double* estimate, const double* samples, std::size_t B, std::size_t k,
                                   double alpha, double lo_bound, double hi_bound, const double* bias = nullptr);

// Whether each column's replicates form two separated modes. The replicates are split in two
// at the cut (of the sorted values) with the least within-group sum of squares (exact 1-D
// 2-means), each side holding at least max(2, 10% of B) replicates; the separation is
// Ashman's D = sqrt(2) |m1 - m2| / sqrt(s1^2 + s2^2) (s: ddof-0 SDs of the sides). A column is
// multimodal when B >= 10, D > 4 and |m1 - m2| > min_gap. Why 4: the same split of a single
// normal gives D = 2.65, of a uniform 3.46; two normals are separated by a dip from D > 2.
// min_gap ignores splits too small to matter (metric weights: 0.1).
struct ModeSplit {
  std::vector<char> multimodal;
  std::vector<double> separation;      // D (inf when both sides are constant and differ; 0 without a split)
  std::vector<double> low_centre, high_centre;
  std::vector<double> low_count, high_count;  // replicates on each side
};
constexpr double kModeSeparation = 4.0;
ModeSplit bootstrap_modes(const double* samples, std::size_t B, std::size_t k, double min_gap);

// One sentence per multimodal column ("metric weight of Temp: 12 of 20 replicates near 0.03,
// 8 near 0.97"), joined by "; "; empty when none. what: e.g. "metric weight of ".
std::string describe_modes(const ModeSplit& split, const std::vector<std::string>& names, const std::string& what);

}  // namespace ctxstats
