// The nonparametric bootstrap of a mixture of contextualized regressions (glm/mixture.hpp).
//
// Replicate r refits the mixture on the same rows with case weights k_i^(r) s_i, the counts
// k^(r) ~ Multinomial(n; 1/n, ..., 1/n) drawn as the GLM bootstrap draws them
// (glm/bootstrap.hpp: bootstrap_counts, keyed (seed, Stream::kBootstrap, r)), so replicate r
// sees the same resample whatever the thread count.
//
// Label switching. A mixture's likelihood does not change when its components are relabelled,
// so replicate parameters must be matched to the full fit's components before they are
// summarised. Each replicate starts EM from the full fit's posterior probabilities (a single
// start, no random ones), which keeps it in the full fit's basin; its components are then
// matched to the full fit's by the permutation that maximises the agreement of the posterior
// probabilities over the original rows, sum_k sum_i s_i P_ik P^(r)_{i,perm(k)} (every
// permutation for K <= 8, greedily above), and its mixing model is re-referenced to the
// matched first component. `relabelled` counts the replicates whose canonical order (by mean
// fitted response) differed from that match.
//
// A replicate in which a component loses its rows (fit_mixture refuses the fit) is counted in
// `failed` and left out of the summaries; its rows are NaN.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/data.hpp"
#include "glm/mixture.hpp"
#include "inference/bootstrap_summary.hpp"

namespace ctxstats {

struct MixtureBootstrap {
  std::size_t n_replicates = 0;
  std::size_t failed = 0;
  std::size_t unconverged = 0;
  std::size_t relabelled = 0;
  std::vector<double> coef;       // B x (K q (m + 1)), user units, the full fit's component order
  std::vector<double> sigma;      // B x K (gaussian; empty for poisson)
  std::vector<double> gate_coef;  // B x (K (m + 1)), the matched first component the reference
  std::vector<double> loglik;     // B
  // Over the replicates that did not fail: standard errors and percentile intervals at alpha.
  PercentileSummary coef_summary, sigma_summary, gate_summary;
  std::string message;            // non-empty: a warning (failed or unconverged replicates)
};

// full_posterior: the full fit's n x K posterior probabilities (the start and the reference
// of the matching). options: those of the full fit, with options.k its number of components;
// the replicate seed is options.seed.
MixtureBootstrap bootstrap_mixture(const DataView& data, const MixtureOptions& options,
                                   const std::vector<double>& full_posterior, int n_bootstraps, double alpha);

// The permutation perm (component k of the reference is component perm[k] of the other fit)
// maximising sum_k agreement[k * K + perm[k]]: exhaustive for K <= 8, greedy above.
std::vector<int> best_matching(const std::vector<double>& agreement, int K);

}  // namespace ctxstats
