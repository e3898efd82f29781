// The bootstrap of personalized regression (personalized.hpp): B refits on multinomial
// resamples, and the check of their modes. One implementation for both front ends.
#include <algorithm>
#include <string>

#include "common/error.hpp"
#include "personalized/personalized.hpp"

namespace ctxstats {

PersonalizedBootstrap personalized_bootstrap(const DataView& data, const PersonalizedOptions& options, std::size_t B,
                                             const std::vector<double>* init, std::size_t first) {
  require(B >= 1, "n_bootstraps must be positive");
  PersonalizedBootstrap out;
  out.n = data.n;
  out.m = data.m;
  out.first = first;
  const std::size_t n = data.n;
  for (std::size_t b = first; b < first + B; ++b) {
    std::vector<double> w = personalized_bootstrap_counts(n, options.seed, b);
    if (data.weights)
      for (std::size_t i = 0; i < n; ++i) w[i] *= data.weights[i];
    DataView d = data;
    d.weights = w.data();
    const PersonalizedFit f = fit_personalized(d, options, init);
    if (f.interrupted) {
      out.interrupted = true;
      return out;
    }
    const std::size_t q = f.theta_bar.size();
    if (b == first) {
      out.q = static_cast<int>(q);
      out.theta.reserve(B * n * q);
    }
    out.theta.insert(out.theta.end(), f.theta.begin(), f.theta.end());
    out.phi.insert(out.phi.end(), f.phi.begin(), f.phi.end());
    for (std::size_t c = 0; c < q; ++c) {
      double s = 0.0;
      for (std::size_t i = 0; i < n; ++i) s += f.theta[i * q + c];
      out.means.push_back(s / static_cast<double>(n));
    }
    out.rank.push_back(f.rank);
    out.converged.push_back(f.converged);
    out.messages.push_back(f.message);
    ++out.B;
  }
  out.effect_modes = bootstrap_modes(out.means.data(), out.B, static_cast<std::size_t>(out.q), 0.0);
  out.metric_modes = bootstrap_modes(out.phi.data(), out.B, static_cast<std::size_t>(out.m), 0.1);
  return out;
}

PersonalizedBootstrap personalized_bootstrap_merge(std::vector<PersonalizedBootstrap> parts) {
  require(!parts.empty(), "there are no bootstrap replicates to merge");
  std::stable_sort(parts.begin(), parts.end(),
                   [](const PersonalizedBootstrap& a, const PersonalizedBootstrap& b) { return a.first < b.first; });
  PersonalizedBootstrap out;
  out.n = parts[0].n;
  out.q = parts[0].q;
  out.m = parts[0].m;
  for (const PersonalizedBootstrap& p : parts) {
    require(p.first == out.B, "the bootstrap ranges do not join: replicate " + std::to_string(out.B) + " is " +
                                  (p.first < out.B ? "in two of them" : "in none of them"));
    require(!p.interrupted, "a bootstrap range starting at replicate " + std::to_string(p.first) +
                                " was interrupted; it cannot be merged");
    require(p.n == out.n && p.q == out.q && p.m == out.m, "the bootstrap ranges are of different models");
    const std::size_t nq = p.n * static_cast<std::size_t>(p.q);
    require(p.theta.size() == p.B * nq && p.phi.size() == p.B * static_cast<std::size_t>(p.m) &&
                p.means.size() == p.B * static_cast<std::size_t>(p.q) && p.rank.size() == p.B &&
                p.converged.size() == p.B && p.messages.size() == p.B,
            "a bootstrap range starting at replicate " + std::to_string(p.first) +
                " is malformed: its arrays do not have one entry per replicate");
    out.theta.insert(out.theta.end(), p.theta.begin(), p.theta.end());
    out.phi.insert(out.phi.end(), p.phi.begin(), p.phi.end());
    out.means.insert(out.means.end(), p.means.begin(), p.means.end());
    out.rank.insert(out.rank.end(), p.rank.begin(), p.rank.end());
    out.converged.insert(out.converged.end(), p.converged.begin(), p.converged.end());
    out.messages.insert(out.messages.end(), p.messages.begin(), p.messages.end());
    out.B += p.B;
  }
  out.effect_modes = bootstrap_modes(out.means.data(), out.B, static_cast<std::size_t>(out.q), 0.0);
  out.metric_modes = bootstrap_modes(out.phi.data(), out.B, static_cast<std::size_t>(out.m), 0.1);
  return out;
}

std::string personalized_modes_message(const PersonalizedBootstrap& boot, const std::vector<std::string>& param_names,
                                       const std::vector<std::string>& context_names) {
  std::string what = describe_modes(boot.metric_modes, context_names, "metric weight of ");
  const std::string effects = describe_modes(boot.effect_modes, param_names, "average effect of ");
  if (!effects.empty()) what += (what.empty() ? "" : "; ") + effects;
  if (what.empty()) return what;
  return "the bootstrap replicates of personalized regression fall into several modes (the fit's optimum is not "
         "unique): " + what + ". The intervals span the modes and the estimate is one of them; more data, fewer "
         "context columns, a fixed rank or refine_metric=False may make the fit unique.";
}

}  // namespace ctxstats
