#include "glm/bootstrap.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <string>
#include <unordered_map>

#include "common/convergence.hpp"
#include "common/error.hpp"
#include "glm/objective.hpp"
#include "glm/solver.hpp"
#include "common/rng.hpp"

namespace ctxstats {

// The plateau rule's budget and tolerance: the fit's own (max_iter's default, kNeuralLoglikTol);
// see bootstrap.hpp for why not cheaper ones.
const int kPlateauReplicateIter = 1000;
const double kPlateauReplicateLoglikTol = kNeuralLoglikTol;

Resampling cluster_resampling(const std::vector<long long>& labels, std::size_t n) {
  require(labels.size() == n, "groups must have one label per row (" + std::to_string(n) + "), not " +
                                  std::to_string(labels.size()));
  Resampling out;
  out.cluster_of.resize(n);
  std::unordered_map<long long, std::size_t> index;
  for (std::size_t i = 0; i < n; ++i) out.cluster_of[i] = index.emplace(labels[i], index.size()).first->second;
  out.n_clusters = index.size();
  require(out.n_clusters >= 2, "the cluster bootstrap needs at least 2 groups, not " + std::to_string(out.n_clusters));
  return out;
}

void bootstrap_counts(std::uint64_t seed, std::uint64_t replicate, std::size_t n, double* counts,
                      const Resampling* units) {
  std::fill(counts, counts + n, 0.0);
  CounterRng rng(seed, Stream::kBootstrap, replicate);
  if (units == nullptr || units->n_clusters == 0) {
    for (std::size_t draw = 0; draw < n; ++draw) counts[rng.below(n)] += 1.0;
    return;
  }
  require(units->cluster_of.size() == n, "the clusters do not match the rows");
  const std::size_t G = units->n_clusters;
  std::vector<double> drawn(G, 0.0);
  for (std::size_t draw = 0; draw < G; ++draw) drawn[rng.below(G)] += 1.0;
  for (std::size_t i = 0; i < n; ++i) counts[i] = drawn[units->cluster_of[i]];
}

std::uint64_t bootstrap_replicate_seed(std::uint64_t seed, std::uint64_t replicate) {
  // sub2 = 1 separates this draw from the resampling stream (sub2 = 0) of the same replicate.
  return CounterRng(seed, Stream::kBootstrap, replicate, 1).next();
}

int run_replicates(int n_replicates, std::size_t n, const double* user_weights, std::uint64_t seed, int threads,
                   const std::function<void(int, const double*, int)>& fit_replicate,
                   const std::function<bool(int, double)>& progress, std::uint64_t first,
                   const Resampling* units) {
  threads = resolve_threads(threads);
  const bool outer = n_replicates >= threads;  // one replicate per thread
  std::vector<std::string> errors(n_replicates);
  const int round = outer ? 4 * threads : 1;
  int done = 0;
  while (done < n_replicates) {
    const int end = std::min(n_replicates, done + round);
#pragma omp parallel num_threads(outer ? threads : 1) if (outer)
    {
      std::vector<double> w(n);  // this thread's replicate weights, reused across its replicates
#pragma omp for schedule(dynamic, 1)
      for (int r = done; r < end; ++r) {
        // No exception may leave the parallel region: record it and rethrow afterwards.
        try {
          bootstrap_counts(seed, first + static_cast<std::uint64_t>(r), n, w.data(), units);
          if (user_weights)
            for (std::size_t i = 0; i < n; ++i) w[i] *= user_weights[i];
          fit_replicate(r, w.data(), outer ? 1 : threads);
        } catch (const std::exception& e) {
          errors[r] = e.what();
          if (errors[r].empty()) errors[r] = "unknown error";
        } catch (...) {
          errors[r] = "unknown error";
        }
      }
    }
    done = end;
    for (int r = 0; r < done; ++r)
      if (!errors[r].empty())
        throw InvalidArgument("bootstrap replicate " + std::to_string(first + static_cast<std::uint64_t>(r)) + ": " +
                              errors[r]);
    if (done < n_replicates && progress && !progress(done, std::numeric_limits<double>::quiet_NaN())) return done;
  }
  if (progress) progress(done, std::numeric_limits<double>::quiet_NaN());
  return done;
}

std::string bootstrap_rule_note(const std::string& rule) {
  if (rule == kRuleWarmStart) return "each starting from the full-data fit (warm start), converged by the fit's criterion";
  if (rule == kRulePlateau)
    return "each warm-started from the full-data fit, which early stopping left on the likelihood's plateau (10 more "
           "L-BFGS iterations raised the log-likelihood by at most 0.5), without early stopping, for at most " +
           std::to_string(kPlateauReplicateIter) + " iterations or until the log-likelihood criterion held";
  if (rule == kRuleRepeat)
    return "each repeating the early-stopping procedure (held-out split, then all rows) from its own seeded start, "
           "since early stopping ended the full-data fit short of the likelihood's plateau (or the encoder is mlp)";
  require(rule.empty(), "unknown bootstrap replicate rule '" + rule + "'");
  return "";
}

bool at_likelihood_plateau(const DataView& data, const FitOptions& options, const std::vector<double>& w) {
  const Family family = parse_family(options.family);
  const Scaling scaling = compute_scaling(data, family, options.intercept);
  auto encoder = make_encoder(options.encoder, data.m, scaling.q());
  require(w.size() == encoder->n_weights(), "the full-data weights have the wrong length for this model");
  Objective objective(*encoder, family, data, scaling, options.penalty, options.solver_options.threads);
  SolverOptions probe = options.solver_options;
  probe.callback = nullptr;
  probe.monitor = nullptr;
  probe.max_iter = kLoglikWindow;
  probe.loglik_tol = kNeuralLoglikTol;
  probe.loglik_rows = 0.0;
  for (std::size_t i = 0; i < data.n; ++i) probe.loglik_rows += data.weights ? data.weights[i] : 1.0;
  probe.loglik_gaussian = family == Family::kGaussian;
  std::vector<double> x = w;
  return solve_lbfgs(objective, x.data(), probe).converged;
}

BootstrapResult bootstrap_fit(const DataView& data, const FitOptions& options, const std::vector<double>& start,
                              int n_replicates, const std::function<bool(int, double)>& progress,
                              const Resampling* units) {
  return bootstrap_fit_range(data, options, start, 0, n_replicates, progress, units);
}

BootstrapResult bootstrap_fit_range(const DataView& data, const FitOptions& options, const std::vector<double>& start,
                                    std::size_t first, int n_replicates,
                                    const std::function<bool(int, double)>& progress, const Resampling* units) {
  require(n_replicates >= 1, "n_bootstraps must be a positive integer");
  const Family family = parse_family(options.family);
  validate_data(data, family);
  validate_solver_options(options.solver_options);
  const Scaling scaling = compute_scaling(data, family, options.intercept);
  const std::size_t nw = encoder_n_weights(options.encoder, data.m, scaling.q());
  require(start.size() == nw, "the full-data weights have the wrong length for this model");

  const std::uint64_t seed = options.solver_options.seed;
  const std::size_t n = data.n;

  BootstrapResult res;
  res.first_replicate = first;
  res.n_replicates = static_cast<std::size_t>(n_replicates);
  res.n_weights = nw;
  res.weights.assign(res.n_replicates * nw, 0.0);
  res.n_iter.assign(n_replicates, 0);
  res.converged.assign(n_replicates, 0);
  res.objective.assign(n_replicates, 0.0);
  std::vector<std::string> messages(n_replicates);

  // An early-stopped fit's regularisation is its path from the initial weights: a replicate
  // warm-started from a fit that early stopping ended short of the likelihood's plateau would
  // run on past the point early stopping chose (binomial ngam, n = 10,000: from 74 to ~860
  // iterations and twice the spread), so such replicates repeat the whole procedure (their own
  // seeded start and held-out split). An ngam fit that is already on the plateau
  // (at_likelihood_plateau) warm-starts its replicates, which stop by the same log-likelihood
  // criterion as a fit. Not the mlp: its gaussian fits pass the probe too, but warm-started
  // replicates creep on (n = 10,000: median 941 iterations, 70% converged, against 708 and 88%
  // repeating the procedure), so they keep repeating it.
  const bool early = options.encoder.type != "spline" &&
                     uses_early_stopping(options, *make_encoder(options.encoder, data.m, scaling.q()),
                                         resolve_solver(options));
  const bool repeat = early && !(options.encoder.type == "ngam" && at_likelihood_plateau(data, options, start));
  FitOptions replicate_options = options;
  replicate_options.solver_options.callback = nullptr;  // called from worker threads otherwise
  const bool plateau = early && !repeat;
  res.rule = !early ? kRuleWarmStart : plateau ? kRulePlateau : kRuleRepeat;
  // The plateau rule: L-BFGS on the resample from the full-data weights, no early stopping, at
  // most kPlateauReplicateIter iterations (max_iter if lower), converged when the log-likelihood
  // rose by at most kPlateauReplicateLoglikTol over the last kLoglikWindow iterations.
  int plateau_cap = kPlateauReplicateIter;
  const double plateau_tol = kPlateauReplicateLoglikTol;
  if (options.solver_options.max_iter > 0) plateau_cap = std::min(plateau_cap, options.solver_options.max_iter);
  const auto fit_replicate = [&](int r, const double* w, int inner_threads) {
    DataView view = data;
    view.weights = w;
    FitOptions o = replicate_options;
    o.solver_options.threads = inner_threads;
    o.solver_options.seed = bootstrap_replicate_seed(seed, first + static_cast<std::uint64_t>(r));
    double* out = res.weights.data() + static_cast<std::size_t>(r) * nw;
    SolverResult solve;
    if (plateau) {
      auto encoder = make_encoder(options.encoder, data.m, scaling.q());
      Objective objective(*encoder, family, view, scaling, options.penalty, inner_threads);
      SolverOptions so = o.solver_options;
      so.monitor = nullptr;
      so.max_iter = plateau_cap;
      so.loglik_tol = plateau_tol;
      so.loglik_rows = 0.0;
      for (std::size_t i = 0; i < n; ++i) so.loglik_rows += w[i];
      so.loglik_gaussian = family == Family::kGaussian;
      std::copy(start.begin(), start.end(), out);
      solve = solve_lbfgs(objective, out, so);
      for (std::size_t j = 0; j < nw; ++j)
        if (!std::isfinite(out[j]))
          throw InvalidArgument("the replicate's fit produced non-finite parameters (lbfgs solver): the optimisation "
                                "overflowed; add weight_decay or alpha, or rescale exog and context");
    } else {
      FitResult fr = fit(view, o, repeat ? nullptr : &start);
      std::copy(fr.weights.begin(), fr.weights.end(), out);
      solve = std::move(fr.solve);
    }
    res.n_iter[r] = solve.n_iter;
    res.converged[r] = solve.converged ? 1 : 0;
    if (!solve.converged) messages[r] = solve.message;
    res.objective[r] = solve.objective;
  };
  require(units == nullptr || units->cluster_of.size() == n, "groups must have one label per row of the data");
  res.clusters = units == nullptr ? 0 : units->n_clusters;
  const int done = run_replicates(n_replicates, n, data.weights, seed, options.solver_options.threads, fit_replicate,
                                  progress, first, units);
  res.interrupted = done < n_replicates;
  if (res.interrupted) {
    res.n_replicates = static_cast<std::size_t>(done);
    res.weights.resize(res.n_replicates * nw);
    res.n_iter.resize(done);
    res.converged.resize(done);
    res.objective.resize(done);
  }
  std::size_t unconverged = 0;
  std::string first_message;
  for (std::size_t r = 0; r < res.n_replicates; ++r)
    if (!res.converged[r] && unconverged++ == 0) first_message = messages[r];
  res.first_unconverged = first_message;
  res.message = bootstrap_convergence_message(unconverged, res.n_replicates, first_message);
  return res;
}

BootstrapResult bootstrap_merge(std::vector<BootstrapResult> parts) {
  require(!parts.empty(), "there are no bootstrap replicates to merge");
  std::stable_sort(parts.begin(), parts.end(), [](const BootstrapResult& a, const BootstrapResult& b) {
    return a.first_replicate < b.first_replicate;
  });
  BootstrapResult out;
  out.n_weights = parts[0].n_weights;
  out.clusters = parts[0].clusters;
  out.rule = parts[0].rule;
  std::size_t unconverged = 0;
  std::string first_message;
  for (const BootstrapResult& p : parts) {
    require(p.first_replicate == out.n_replicates,
            "the bootstrap ranges do not join: replicate " + std::to_string(out.n_replicates) + " is " +
                (p.first_replicate < out.n_replicates ? "in two of them" : "in none of them"));
    require(!p.interrupted, "a bootstrap range starting at replicate " + std::to_string(p.first_replicate) +
                                " was interrupted; it cannot be merged");
    require(p.rule == out.rule, "the bootstrap ranges took different replicate rules ('" + out.rule + "' and '" +
                                    p.rule + "'): they were not fitted from the same full-data fit and options");
    require(p.clusters == out.clusters, "the bootstrap ranges resampled different units (rows or clusters)");
    require(p.n_weights == out.n_weights, "the bootstrap ranges have different numbers of weights (" +
                                              std::to_string(p.n_weights) + " and " +
                                              std::to_string(out.n_weights) + ")");
    require(p.weights.size() == p.n_replicates * p.n_weights && p.n_iter.size() == p.n_replicates &&
                p.converged.size() == p.n_replicates && p.objective.size() == p.n_replicates,
            "a bootstrap range starting at replicate " + std::to_string(p.first_replicate) +
                " is malformed: its arrays do not have one entry per replicate");
    out.weights.insert(out.weights.end(), p.weights.begin(), p.weights.end());
    out.n_iter.insert(out.n_iter.end(), p.n_iter.begin(), p.n_iter.end());
    out.converged.insert(out.converged.end(), p.converged.begin(), p.converged.end());
    out.objective.insert(out.objective.end(), p.objective.begin(), p.objective.end());
    for (unsigned char c : p.converged)
      if (!c) ++unconverged;
    if (first_message.empty()) first_message = p.first_unconverged;
    out.n_replicates += p.n_replicates;
  }
  out.first_unconverged = first_message;
  out.message = bootstrap_convergence_message(unconverged, out.n_replicates, first_message);
  return out;
}

std::vector<double> bootstrap_theta(const EncoderSpec& spec, const Scaling& scaling, const double* replicate_weights,
                                    std::size_t n_replicates, std::size_t n_weights, const double* C,
                                    std::size_t rows, int m, int threads) {
  require(m == static_cast<int>(scaling.c_mean.size()),
          "context has " + std::to_string(m) + " columns; the model was fitted with " +
              std::to_string(scaling.c_mean.size()));
  const int q = scaling.q();
  auto encoder = make_encoder(spec, m, q);
  require(n_weights == encoder->n_weights(), "the replicate weights have the wrong length for this model");
  check_finite(C, rows, m, "context");  // before any parallel region
  std::vector<double> Cs(rows * static_cast<std::size_t>(m));
  for (std::size_t r = 0; r < rows; ++r)
    for (int j = 0; j < m; ++j) Cs[r * m + j] = (C[r * m + j] - scaling.c_mean[j]) / scaling.c_scale[j];

  std::vector<double> out(n_replicates * rows * static_cast<std::size_t>(q));
  const std::size_t blocks = (rows + kBlockRows - 1) / kBlockRows;
  const std::ptrdiff_t tasks = static_cast<std::ptrdiff_t>(n_replicates * blocks);
  const int nthreads = resolve_threads(threads);
  const std::size_t need = encoder->workspace_size(kBlockRows);
#pragma omp parallel num_threads(nthreads)
  {
    std::vector<double> work(need);
#pragma omp for schedule(dynamic, 1)
    for (std::ptrdiff_t t = 0; t < tasks; ++t) {
      const std::size_t r = static_cast<std::size_t>(t) / blocks, blk = static_cast<std::size_t>(t) % blocks;
      const std::size_t start = blk * kBlockRows;
      const int count = static_cast<int>(std::min<std::size_t>(kBlockRows, rows - start));
      double* theta = out.data() + (r * rows + start) * q;
      encoder->forward(replicate_weights + r * n_weights, Cs.data() + start * m, count, theta, work.data());
      theta_to_original(scaling, theta, static_cast<std::size_t>(count));
    }
  }
  return out;
}

}  // namespace ctxstats
