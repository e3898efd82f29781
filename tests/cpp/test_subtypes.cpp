// Tests of the subtypes (csrc/inference/subtypes.hpp) against known answers: well-separated
// clusters are recovered with the right k, the adjusted Rand index of hand-computed
// partitions, label matching of permuted labels, bitwise the same result for any thread
// count, bootstrap stability of an unchanged replicate, and InvalidArgument for bad input.
// The ARI is held against scikit-learn's in tests/test_subtypes.py.
// Prints "N passed, M failed" and exits non-zero on failure.
#include <cmath>
#include <vector>

#include "common/error.hpp"
#include "common/rng.hpp"
#include "harness.hpp"
#include "inference/subtypes.hpp"

using namespace ctxstats;
using namespace ctxstats_test;

namespace {

// n samples in 3 dimensions around `k` centres 10 apart (SD 1 around each), truth in `truth`.
std::vector<double> blobs(std::size_t n, int k, std::vector<int>& truth, std::uint64_t seed = 1) {
  CounterRng rng(seed, Stream::kInit, 7);
  std::vector<double> t;
  truth.clear();
  for (std::size_t i = 0; i < n; ++i) {
    const int g = static_cast<int>(i % static_cast<std::size_t>(k));
    truth.push_back(g);
    t.push_back(10.0 * g + rng.normal());
    t.push_back(100.0 * (g % 2) + 10.0 * rng.normal());  // larger units: standardisation matters
    t.push_back(5.0 * (g >= 2) + 0.5 * rng.normal());
  }
  return t;
}

void ari_checks() {
  const std::vector<int> a = {0, 0, 0, 1, 1, 1}, b = {1, 1, 1, 0, 0, 0}, c = {0, 0, 1, 1, 2, 2};
  check(std::fabs(adjusted_rand_index(a.data(), b.data(), 6) - 1.0) < 1e-15, "ARI of relabelled partition is 1");
  // By hand: contingency [[2,1,0],[0,1,2]]: index 2, sum a 6, sum b 3, n pairs 15:
  // expected 6*3/15 = 1.2, max 4.5, ARI = 0.8 / 3.3.
  check(std::fabs(adjusted_rand_index(a.data(), c.data(), 6) - 0.8 / 3.3) < 1e-14, "ARI by hand");
  const std::vector<int> one(6, 0);
  check(adjusted_rand_index(one.data(), one.data(), 6) == 1.0, "ARI of two single clusters is 1");
  const std::vector<int> match = match_labels(a.data(), b.data(), 6, 2);
  check(match[0] == 1 && match[1] == 0, "labels matched by overlap");
  const std::vector<int> x = {0, 0, 1, 1, 2, 2, 2}, y = {2, 2, 0, 0, 1, 1, 0};
  const std::vector<int> m3 = match_labels(x.data(), y.data(), 7, 3);
  check(m3[2] == 0 && m3[0] == 1 && m3[1] == 2, "three labels matched (Hungarian)");
}

void recovery_checks() {
  std::vector<int> truth;
  const std::size_t n = 600;
  const std::vector<double> t = blobs(n, 4, truth);
  SubtypeOptions o;
  o.seed = 3;
  o.threads = 1;
  const SubtypeResult r = find_subtypes(t.data(), n, 3, nullptr, 0, o);
  check(r.k == 4, "k = 4 chosen by the silhouette for 4 separated clusters");
  check(adjusted_rand_index(r.labels.data(), truth.data(), n) == 1.0, "the 4 clusters are recovered exactly");
  check(r.candidates.size() == 7 && r.criterion.size() == 7, "silhouettes for k = 2 .. 8");
  check(r.sizes[0] == 150 && r.sizes[3] == 150, "sizes");
  // subtype means in user units: the first coordinate of each is 10 g up to noise
  bool means_ok = true;
  for (int c = 0; c < 4; ++c) {
    const double m = r.means[static_cast<std::size_t>(c) * 3];
    means_ok = means_ok && std::fabs(m - 10.0 * std::round(m / 10.0)) < 0.5;
  }
  check(means_ok, "subtype means in user units");
  // any thread count: bitwise the same
  o.threads = 2;
  const SubtypeResult r2 = find_subtypes(t.data(), n, 3, nullptr, 0, o);
  check(r2.labels == r.labels && r2.criterion == r.criterion && r2.scores == r.scores, "same for 1 and 2 threads");
  // k given
  o.k = 2;
  const SubtypeResult r3 = find_subtypes(t.data(), n, 3, nullptr, 0, o);
  check(r3.k == 2 && r3.candidates.size() == 1, "k given is used");
  // parameters that do not vary at all: nothing to cluster, k = 1 without any silhouette
  std::vector<double> flat(60, 2.5);
  SubtypeOptions of;
  const SubtypeResult rf = find_subtypes(flat.data(), 20, 3, nullptr, 0, of);
  check(rf.k == 1 && rf.labels == std::vector<int>(20, 0), "constant parameters: one subtype");
}

void bootstrap_checks() {
  std::vector<int> truth;
  const std::size_t n = 300;
  const std::vector<double> t = blobs(n, 3, truth);
  // replicate 0 = the point estimate itself; replicate 1 = points slightly perturbed
  std::vector<double> reps(t);
  CounterRng rng(9, Stream::kInit, 2);
  for (double v : t) reps.push_back(v + 0.01 * rng.normal());
  SubtypeOptions o;
  o.seed = 1;
  o.threads = 1;
  const SubtypeResult r = find_subtypes(t.data(), n, 3, reps.data(), 2, o);
  check(r.k == 3, "k = 3");
  check(r.replicate_ari.size() == 2 && r.replicate_ari[0] == 1.0 && r.replicate_ari[1] == 1.0,
        "stable replicates have ARI 1");
  bool co = true;
  for (double v : r.coassignment) co = co && v == 1.0;
  check(co, "co-assignment 1 for every sample");
  check(r.lower.size() == 9 && r.lower[0] <= r.means[0] + 0.01 && r.upper[0] >= r.means[0] - 0.01 &&
            r.upper[0] - r.lower[0] < 0.1,
        "subtype mean intervals bracket the means");
  o.threads = 2;
  const SubtypeResult r2 = find_subtypes(t.data(), n, 3, reps.data(), 2, o);
  check(r2.replicate_means == r.replicate_means && r2.coassignment == r.coassignment, "bootstrap thread-invariant");
}

void input_checks() {
  std::vector<double> t = {1, 2, 3, 4};
  SubtypeOptions o;
  check(throws_invalid([&] { find_subtypes(t.data(), 1, 4, nullptr, 0, o); }), "one sample refused");
  o.k = 5;
  check(throws_invalid([&] { find_subtypes(t.data(), 4, 1, nullptr, 0, o); }), "k > n refused");
  o.k = 0;
  t[1] = std::nan("");
  check(throws_invalid([&] { find_subtypes(t.data(), 4, 1, nullptr, 0, o); }), "NaN refused");
  t[1] = 2;
  o.k_max = 1;
  check(throws_invalid([&] { find_subtypes(t.data(), 4, 1, nullptr, 0, o); }), "k_max < 2 refused");
}

}  // namespace

int main() {
  ari_checks();
  recovery_checks();
  bootstrap_checks();
  input_checks();
  return report();
}
