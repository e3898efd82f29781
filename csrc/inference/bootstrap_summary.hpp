// Summaries of bootstrap replicates (csrc/glm/bootstrap.hpp): standard errors, percentile
// intervals and percentile p-values of any replicated quantity, and, from every replicate's
// per-sample parameters, the replicates' average effects, the sign-stability shares and the
// bootstrap heterogeneity test. The front ends only name and format these numbers.
//
// Replicate matrices are B x k, row-major (replicate b in row b). Per-sample parameters are
// never held for all samples at once: they are encoded in chunks of whole row blocks, so
// memory stays O(B x chunk) and the values do not depend on the chunk size, to the bit.
#pragma once
#include <cstddef>
#include <vector>

#include "encoders/encoder.hpp"
#include "common/data.hpp"

namespace ctxstats {

// The p-quantile of each column of `samples` (B x k) with linear interpolation between
// order statistics (numpy's default method, R's quantile type 7).
std::vector<double> column_quantiles(const double* samples, std::size_t B, std::size_t k, double p);

// The spread of each column of a matrix (rows x k): mean (summed in row order), standard
// deviation (ddof = 0), minimum, quartiles and median (type 7, as column_quantiles) and
// maximum. For per-sample parameters the means are the model's average effects (params,
// coef) and the whole is summary()'s "spread over samples" table. NaN where a column has one.
struct ColumnSpread {
  std::vector<double> mean, std, min, q25, median, q75, max;
};
ColumnSpread column_spread(const double* values, std::size_t rows, std::size_t k);

// Per column of `samples` (B x k): the standard deviation over replicates (ddof = 1), the
// percentile interval (the alpha/2 and 1 - alpha/2 quantiles) and the two-sided percentile
// p-value of "the quantity is 0", which inverts the percentile interval:
//   p = min(1, 2 (1 + min(#{b* <= 0}, #{b* >= 0})) / (B + 1)),
// an interval at level 1 - alpha excludes 0 about when p < alpha. The +1 terms keep it
// away from an impossible 0: it is never below 2 / (B + 1) (pvalue_floor).
struct PercentileSummary {
  std::vector<double> se, lower, upper, pvalue;
  double pvalue_floor = 0.0;
};
PercentileSummary percentile_summary(const double* samples, std::size_t B, std::size_t k, double alpha);

// Per column of `samples` (B x k): the one-sided bootstrap sign p-value of "the quantity's
// sign is not the sign of its replicates' mean" (the analysis helpers' p-value, as in
// ContextualizedML's analysis module):
//   p = min(1, (s + #{b : b* has the sign opposite to the mean}) / (B + s)),
// with s the additive smoothing (s >= 0; 1 keeps p above 0). Zeros count as neither sign;
// a column whose mean is exactly 0 (or NaN) has p = 1. For a symmetric spread it is about
// half the two-sided percentile p-value above.
std::vector<double> sign_pvalues(const double* samples, std::size_t B, std::size_t k, double smoothing);

// The covariance of the columns of `samples` over the replicates (k x k, ddof = 1).
std::vector<double> replicate_covariance(const double* samples, std::size_t B, std::size_t k);

// A sample's coefficient "flips" when its sign differs from the full-data fit's in more
// than kSignFlipRate of the replicates.
constexpr double kSignFlipRate = 0.1;

// One fit's bootstrap in a pass over the samples (contexts C, rows x m, user units; theta:
// the full-data fit's per-sample parameters, rows x q):
// - means: each replicate's average effects (B x q): the average over the samples of its
//   per-sample parameters;
// - sign_flip_share: per coefficient, the share of samples whose coefficient flips;
// - the bootstrap heterogeneity test of H0 "coefficient k does not vary with context":
//   with d_ik = theta_ik - mean_j theta_jk and d*_bik the same for replicate b (centred at
//   the replicate's own average), s_ik the standard deviation of d*_bik over b,
//     T_k = mean_i (d_ik / s_ik)^2,  T*_bk = mean_i ((d*_bik - d_ik) / s_ik)^2,
//   p_k = (1 + #{T*_bk >= T_k}) / (B + 1) (never below 1 / (B + 1)); samples with s_ik = 0
//   (no bootstrap variation, below 1e-12 max_i |theta_ik|) are left out, and a coefficient
//   without any sample left has NaN statistic and p-value.
struct BootstrapPass {
  std::size_t B = 0;
  int q = 0;
  std::vector<double> means;            // B x q
  std::vector<double> sign_flip_share;  // q
  std::vector<double> het_statistic;    // q
  std::vector<double> het_pvalue;       // q
};
BootstrapPass bootstrap_pass(const EncoderSpec& spec, const Scaling& scaling, const double* replicate_weights,
                             std::size_t n_replicates, std::size_t n_weights, const double* C, std::size_t rows,
                             int m, const double* theta, int threads);

// The same pass over per-sample parameters the caller already holds (the networks' edges):
// replicates B x rows x q (replicate-major), theta the full-data fit's, rows x q.
BootstrapPass bootstrap_pass_values(const double* replicates, std::size_t B, std::size_t rows, int q,
                                    const double* theta, int threads);

// Per-sample percentile limits for contexts C (rows x m): lower and upper, rows x q.
struct SampleLimits {
  std::vector<double> lower, upper;
};
SampleLimits bootstrap_sample_limits(const EncoderSpec& spec, const Scaling& scaling, const double* replicate_weights,
                                     std::size_t n_replicates, std::size_t n_weights, const double* C,
                                     std::size_t rows, int m, double alpha, int threads);

// Every replicate's predicted mean for new rows (X: rows x p, C: rows x m): B x rows.
std::vector<double> bootstrap_predictions(const EncoderSpec& spec, const Scaling& scaling, Family family,
                                          const double* replicate_weights, std::size_t n_replicates,
                                          std::size_t n_weights, const double* X, int p, const double* C,
                                          std::size_t rows, int m, int threads);

// The rows of a chunk of per-sample parameters: whole multiples of the core's row block
// (kBlockRows), about 2^21 doubles for B replicates of q parameters.
std::size_t bootstrap_chunk_rows(std::size_t B, int q, std::size_t rows);

}  // namespace ctxstats
