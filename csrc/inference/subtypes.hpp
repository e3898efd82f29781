// Subtypes from sample models (the "analysis clusters" of Lengerich et al. 2023, §2.3):
// samples grouped by their estimated per-sample parameters (coefficients, or a network's
// edges) rather than by their contexts, each group summarised by its average model.
//
// Standardisation. Column j of the n x d parameter matrix is centred at its mean over the
// samples and divided by its standard deviation (ddof 0), so every parameter weighs the same
// whatever its units; a column whose standard deviation is below 1e-12 max(1, max_i |theta_ij|)
// (a parameter that does not vary) is only centred, so it contributes nothing.
//
// Clustering. k-means (Lloyd's iterations, squared Euclidean distance on the standardised
// parameters) from n_starts k-means++ seedings (Arthur & Vassilvitskii 2007); the start with
// the smallest within-cluster sum of squares is kept (the first such start on ties). An
// empty cluster takes the sample farthest from its centre. Labels are put in a canonical
// order: by decreasing size, ties by the first sample of each cluster.
//
// Choosing k. When k is not given, for k = 2 .. k_max the mean silhouette width (Rousseeuw
// 1987) of the k-means partition; k is the maximiser (the smaller k on ties). When the
// largest mean silhouette is below 0.25 -- "no substantial structure" in Kaufman &
// Rousseeuw's (1990) reading of the silhouette -- k = 1 (no subtypes). With more than
// kSilhouetteSample samples the silhouettes are computed on a seeded subsample of that size
// (the clustering itself always uses every sample). The silhouette measures how well
// separated a partition is; it can favour splitting a continuum (a single elongated cloud
// splits with silhouette near 0.5), so k > 1 says the models form separated groups at that
// resolution, not that discrete subtypes exist.
//
// Randomness. Every draw comes from CounterRng(seed, Stream::kSubtypes, sub1, sub2) with sub1
// = 0 for the point clustering and b + 1 for bootstrap replicate b, and sub2 naming k and
// the start, so the result is bitwise the same for any thread count and in both languages.
//
// Bootstrap stability (replicates given). Each replicate's per-sample parameters are
// standardised with the point estimate's centres and scales and clustered with the same k
// (its own seeded starts). Reported: the adjusted Rand index (Hubert & Arabie 1985) between
// the point labels and each replicate's; each replicate's clusters matched to the point
// subtypes by maximal overlap (the Hungarian algorithm on the contingency table); per sample,
// the share of replicates whose matched label equals its point label (co-assignment
// confidence); and per subtype and parameter the average of the replicate's parameters over
// the replicate's matched members, with percentile intervals over the replicates.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ctxstats {

constexpr std::size_t kSilhouetteSample = 2000;
constexpr double kSilhouetteNoStructure = 0.25;

struct SubtypeOptions {
  int k = 0;            // 0: choose by the silhouette over 2 .. k_max
  int k_max = 8;
  int n_starts = 10;
  int max_iter = 300;   // Lloyd iterations per start
  std::uint64_t seed = 0;
  double alpha = 0.05;  // level of the bootstrap intervals
  int threads = 0;      // 0: all cores
};

struct SubtypeResult {
  std::size_t n = 0, d = 0, B = 0;
  int k = 1;
  std::vector<int> labels;                // n, 0 .. k-1
  std::vector<int> candidates;            // the k whose silhouette was computed
  std::vector<double> criterion;          // mean silhouette width per candidate
  std::vector<double> center, scale;      // d: the standardisation
  std::vector<double> centroids;          // k x d, standardised units
  std::vector<double> means;              // k x d, each subtype's average parameters (user units)
  std::vector<long long> sizes;           // k
  double within_ss = 0.0;                 // of the kept start, standardised units
  int unconverged_starts = 0;             // starts of the point clustering that hit max_iter
  std::vector<double> scores;             // n x 2: standardised parameters on 2 principal components
  std::vector<double> explained;          // 2: share of the standardised variance
  // bootstrap (B > 0)
  std::vector<double> replicate_ari;      // B
  std::vector<double> coassignment;       // n
  std::vector<double> replicate_means;    // B x (k d)
  std::vector<double> se, lower, upper;   // k x d
};

// theta: n x d, row-major; replicates: B x n x d (replicate b's per-sample parameters for
// the same samples), or nullptr with B = 0.
SubtypeResult find_subtypes(const double* theta, std::size_t n, std::size_t d, const double* replicates,
                            std::size_t B, const SubtypeOptions& options);

// k-means on an n x d matrix (already scaled as wanted): the canonical labels of the best of
// n_starts k-means++ starts, its centroids (k x d) and within-cluster sum of squares.
struct KMeansResult {
  std::vector<int> labels;
  std::vector<double> centroids;
  double within_ss = 0.0;
  int unconverged_starts = 0;
};
KMeansResult kmeans(const double* Z, std::size_t n, std::size_t d, int k, int n_starts, int max_iter,
                    std::uint64_t seed, std::uint64_t stream_sub, int threads);

// The mean silhouette width of a partition (labels 0 .. k-1) of the rows of Z (n x d).
double mean_silhouette(const double* Z, std::size_t n, std::size_t d, const int* labels, int k, int threads);

// The adjusted Rand index of two partitions of n items (Hubert & Arabie 1985); 1 when both
// put every item in one cluster, or every item in its own.
double adjusted_rand_index(const int* a, const int* b, std::size_t n);

// The permutation of b's labels (0 .. k-1) that maximises the overlap with a's: match[j] is
// the a-label given to b-label j (the Hungarian algorithm on the k x k contingency table).
std::vector<int> match_labels(const int* a, const int* b, std::size_t n, int k);

}  // namespace ctxstats
