// The nonparametric (pairs) bootstrap of a contextualized GLM fit.
//
// Replicate r refits the model on the same rows with case weights
//   s_i^(r) = k_i^(r) * s_i,   (k_1^(r), ..., k_n^(r)) ~ Multinomial(n; 1/n, ..., 1/n),
// where s_i are the user's weights (1 when there are none). The counts come from the
// counter-based generator keyed (seed, Stream::kBootstrap, r), so replicate r sees the same
// resample whatever the thread count or the order in which replicates run; the data are
// never copied (each fit reads the borrowed arrays through a DataView whose weights point
// at the replicate's own n-vector).
//
// Warm start: every replicate starts from the full-data fit's weights `start`. For the
// exact solver this changes nothing (normal equations; IRLS restarts from its own point);
// for the iterative solvers it keeps each replicate in the basin of the full-data optimum,
// so the replicates measure the sampling variability of that solution rather than the
// spread between the local optima that different random initialisations reach.
// Early-stopped ngam networks: when `start` is on the plateau of the
// likelihood (at_likelihood_plateau), the replicates warm-start from it without early
// stopping and are converged by the networks' log-likelihood criterion (solver.hpp), as a fit
// is -- early stopping did not bind, and repeating it costs ~80x one fit (public benchmark,
// gaussian ngam, n = 10,000) where the warm start costs ~15x; otherwise (early stopping ended
// the fit short of the plateau, as on binomial data) each replicate repeats the whole
// procedure from its own seeded start and held-out split, since a warm start would run on
// past the point early stopping chose. Early-stopped mlp replicates always repeat the procedure
// (warm-started, they creep on towards the iteration cap).
//
// Parallelism: with at least as many replicates as threads, replicates run in parallel,
// one per thread, each with a single-threaded fit; otherwise replicates run one after the
// other, each fit using all the threads. Each fit is bitwise identical for any thread count
// and replicate r always writes slot r, so the result is too.
//
// Progress: replicates run in rounds (4 per thread, or one at a time when they run in
// turn); after each round `progress(replicates_done, nan)` is called on the calling thread,
// and returning false stops after that round (`interrupted`, with `n_replicates` the number
// finished). The replicate fits themselves never call the solver callback.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "glm/fit.hpp"

namespace ctxstats {

struct BootstrapResult {
  std::size_t n_replicates = 0;       // replicates finished (all of them unless interrupted)
  std::size_t n_weights = 0;
  std::vector<double> weights;        // n_replicates x n_weights, replicate r in row r
  std::vector<int> n_iter;            // per replicate
  std::vector<unsigned char> converged;
  std::vector<double> objective;
  bool interrupted = false;
  // bootstrap_convergence_message (convergence.hpp): empty when every replicate converged.
  std::string message;
  // A range of replicates (bootstrap_fit_range, e.g. one task on a cluster): the index of its
  // first replicate, and the solver message of its first unconverged replicate ('' if none),
  // which bootstrap_merge needs to word the message of the whole bootstrap.
  std::size_t first_replicate = 0;
  std::string first_unconverged;
  // The number of clusters the replicates resampled (the cluster bootstrap), 0 when they
  // resampled rows.
  std::size_t clusters = 0;
  // The replicate rule the core chose (bootstrap_rule_note words it for summary()):
  // kRuleWarmStart, kRulePlateau or kRuleRepeat; "" for results saved before it was recorded.
  std::string rule;
};

// Replicate rules. warm_start: every replicate starts from the full-data fit's weights and is
// converged by the fit's own criterion (every fit that does not early-stop). plateau: an
// early-stopped ngam fit on the likelihood's plateau; replicates warm-start from it without early
// stopping, each for at most kPlateauReplicateIter L-BFGS iterations, converged by the networks'
// log-likelihood criterion (kPlateauReplicateLoglikTol; one that reaches the budget is not).
// Both are the fit's own: cheaper ones (a looser tolerance, 40-80 iterations) keep the average
// effects' spread but narrow the per-sample coefficients' by 10-27% (benchmarks/results_neural.md,
// 2026-12-01), where the fit's own give SEs at 0.98 of the Monte Carlo SD. repeat: every other
// early-stopped network; each replicate repeats the whole early-stopping procedure from its own
// seeded start.
inline constexpr const char* kRuleWarmStart = "warm_start";
inline constexpr const char* kRulePlateau = "plateau";
inline constexpr const char* kRuleRepeat = "repeat";
// The plateau rule's budget and log-likelihood tolerance (over kLoglikWindow iterations, as the
// networks' criterion in solver.hpp).
extern const int kPlateauReplicateIter;
extern const double kPlateauReplicateLoglikTol;
// One sentence for summary(): how the replicates of `rule` started and stopped ("" when the rule
// was not recorded).
std::string bootstrap_rule_note(const std::string& rule);

// What the replicates resample: the rows (the default), or whole clusters of rows -- the
// cluster bootstrap, as R's sandwich::vcovBS(cluster = ) and the "pairs cluster bootstrap"
// of Cameron, Gelbach & Miller (2008): replicate r draws G clusters with replacement from the
// G clusters, and every row gets the count of its cluster, so within-cluster dependence is
// carried into the replicates.
struct Resampling {
  std::vector<std::size_t> cluster_of;  // row -> its cluster 0..G-1 (empty: rows are resampled)
  std::size_t n_clusters = 0;           // G (0: rows)
};
// Cluster labels (one per row, as the bindings hand them over) as the clusters of a
// Resampling, numbered in order of first appearance; at least 2 distinct labels.
Resampling cluster_resampling(const std::vector<long long>& labels, std::size_t n);

// The counts of replicate r, written to counts (length n): n draws with replacement from n
// rows (multinomial; entries sum to n), or, with a cluster Resampling, G draws from the G
// clusters with each row given its cluster's count.
void bootstrap_counts(std::uint64_t seed, std::uint64_t replicate, std::size_t n, double* counts,
                      const Resampling* units = nullptr);

// Whether the weights w (the full-data fit's) sit on the plateau of the likelihood: L-BFGS on
// all rows from w meets the networks' criterion -- the log-likelihood rises by at most
// kNeuralLoglikTol over its first kLoglikWindow iterations -- (or the gradient criterion)
// within kLoglikWindow iterations. Deterministic, bitwise for any thread count.
bool at_likelihood_plateau(const DataView& data, const FitOptions& options, const std::vector<double>& w);

// The solver seed replicate r's fit uses (adam's shuffles and validation split differ
// between replicates; the initialisation is the warm start, not a seeded draw).
std::uint64_t bootstrap_replicate_seed(std::uint64_t seed, std::uint64_t replicate);

// The scheduling every bootstrap shares (this file's, the networks'): replicate r's case
// weights are bootstrap_counts(seed, r) times the user's weights (nullptr: ones), and
// fit_replicate(r, weights, threads) fits it with `threads` threads and stores its own
// results. Replicates run in parallel one per thread when there are at least as many as
// threads (rounds of 4 per thread), otherwise in turn with every thread each; progress(done, nan)
// is called on the calling thread between rounds and after the last, and returning false
// stops after that round. An exception of a replicate is rethrown as InvalidArgument naming it
// once no thread runs. Returns the number of replicates finished (all unless stopped).
// `first` offsets the replicates: slot r (0 <= r < n_replicates) is replicate first + r, whose
// counts and error message use that index (fit_replicate still receives the slot r).
// `units`: a cluster Resampling (nullptr: rows).
int run_replicates(int n_replicates, std::size_t n, const double* user_weights, std::uint64_t seed, int threads,
                   const std::function<void(int, const double*, int)>& fit_replicate,
                   const std::function<bool(int, double)>& progress, std::uint64_t first = 0,
                   const Resampling* units = nullptr);

// Refits `n_replicates` resamples from `start`. options.solver_options.seed keys the
// resamples; options.solver_options.threads is the total thread budget.
// `units`: the clusters of a cluster bootstrap (nullptr: rows), one per row of data.
BootstrapResult bootstrap_fit(const DataView& data, const FitOptions& options, const std::vector<double>& start,
                              int n_replicates, const std::function<bool(int, double)>& progress = nullptr,
                              const Resampling* units = nullptr);

// Replicates first, ..., first + count - 1 of the same bootstrap: each is bitwise the replicate
// bootstrap_fit computes (its resample and solver seed are keyed by its own index), so ranges
// fitted anywhere -- other processes, other machines -- and merged in order by bootstrap_merge
// equal bootstrap_fit(first + count replicates) bit for bit.
BootstrapResult bootstrap_fit_range(const DataView& data, const FitOptions& options, const std::vector<double>& start,
                                    std::size_t first, int count,
                                    const std::function<bool(int, double)>& progress = nullptr,
                                    const Resampling* units = nullptr);

// Consecutive ranges (in any order: sorted by first_replicate) joined into one bootstrap of
// replicates 0 .. total - 1: InvalidArgument when they leave a gap, overlap, differ in
// n_weights or one of them was interrupted. The message counts the unconverged replicates of
// the whole bootstrap and quotes the first one's, as bootstrap_fit's does.
BootstrapResult bootstrap_merge(std::vector<BootstrapResult> parts);

// Per-sample parameters of every replicate for contexts C (rows x m, user units):
// out[(r * rows + i) * q + k] is coefficient k of sample i under replicate r (user units).
// Replicates are encoded in parallel; callers pass C in chunks to bound memory.
std::vector<double> bootstrap_theta(const EncoderSpec& spec, const Scaling& scaling, const double* replicate_weights,
                                    std::size_t n_replicates, std::size_t n_weights, const double* C,
                                    std::size_t rows, int m, int threads);

}  // namespace ctxstats
