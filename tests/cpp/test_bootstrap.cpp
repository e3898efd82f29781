// Tests of the core's bootstrap on its own: multinomial counts, identical replicates for any
// thread count, per-replicate sample parameters equal to predict_theta, and errors from a
// replicate reaching the caller. Prints "N passed, M failed" and exits non-zero on failure.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "glm/bootstrap.hpp"
#include "encoders/encoder.hpp"
#include "options/schema.hpp"
#include "common/error.hpp"
#include "harness.hpp"
#include "common/rng.hpp"

using namespace ctxstats;
using namespace ctxstats_test;

namespace {

Data make_data(std::size_t n, int p, int m) {
  Data d{n, p, m, {}, {}, {}, {}};
  CounterRng rng(11, Stream::kInit, 7);
  for (std::size_t i = 0; i < n * m; ++i) d.C.push_back(rng.normal());
  for (std::size_t i = 0; i < n * p; ++i) d.X.push_back(rng.normal());
  for (std::size_t i = 0; i < n; ++i) {
    double eta = 0.3 * d.C[i * m];
    for (int j = 0; j < p; ++j) eta += d.X[i * p + j] * std::sin(d.C[i * m + (j % m)]);
    d.y.push_back(eta + 0.3 * rng.normal());
    d.w.push_back(0.5 + rng.uniform());
  }
  return d;
}

// Default options for a network encoder fitted by L-BFGS.
FitOptions network_options(const char* type, int width) {
  FitOptions o = default_fit_options();
  o.encoder.type = type;
  o.encoder.width = width;
  o.solver = "lbfgs";
  return o;
}

void counts_checks() {
  std::vector<double> c(37), again(37);
  double total_var = 0.0;
  for (int r = 0; r < 200; ++r) {
    bootstrap_counts(5, r, 37, c.data());
    double s = 0.0;
    for (double v : c) {
      s += v;
      total_var += (v - 1.0) * (v - 1.0);
    }
    check(s == 37.0, "counts of replicate " + std::to_string(r) + " sum to n");
  }
  check(std::fabs(total_var / (200 * 37) - (1.0 - 1.0 / 37)) < 0.1, "counts have multinomial variance 1 - 1/n");
  bootstrap_counts(5, 3, 37, c.data());
  bootstrap_counts(5, 3, 37, again.data());
  check(c == again, "counts are a function of (seed, replicate)");
}

void determinism_checks() {
  const Data d = make_data(600, 2, 2);
  for (const char* encoder : {"linear", "mlp"}) {
    FitOptions o = default_fit_options();
    o.encoder.type = encoder;
    o.encoder.width = 6;
    o.solver = std::string(encoder) == "linear" ? "exact" : "lbfgs";
    o.solver_options.max_iter = 20;
    o.solver_options.seed = 9;
    const FitResult full = fit(d.view(true), o);
    std::vector<std::vector<double>> W;
    for (int threads : {1, 2, 3}) {  // B = 3: parallel replicates for 1-3 threads; B = 2 < 3: in turn
      for (int B : {2, 3}) {
        o.solver_options.threads = threads;
        BootstrapResult r = bootstrap_fit(d.view(true), o, full.weights, B);
        check(r.n_replicates == static_cast<std::size_t>(B) && r.weights.size() == B * full.weights.size(),
              std::string(encoder) + ": replicate weights are B x n_weights");
        r.weights.resize(2 * full.weights.size());
        W.push_back(r.weights);
      }
    }
    bool same = true;
    for (const auto& w : W) same = same && w == W[0];
    check(same, std::string(encoder) + ": replicates identical for any thread count and B");
    // per-replicate sample parameters equal predict_theta of each replicate, to the bit
    const std::size_t nw = full.weights.size();
    const std::vector<double> T =
        bootstrap_theta(o.encoder, full.scaling, W[0].data(), 2, nw, d.C.data(), d.n, d.m, 2);
    const std::vector<double> w1(W[0].begin() + nw, W[0].begin() + 2 * nw);
    const std::vector<double> t1 = predict_theta(o.encoder, full.scaling, w1, d.C.data(), d.n, d.m, 1);
    check(std::vector<double>(T.begin() + t1.size(), T.end()) == t1,
          std::string(encoder) + ": bootstrap_theta equals predict_theta");
  }
}

// Ranges of replicates fitted apart (a cluster's tasks) and merged equal the whole bootstrap,
// bit for bit, whatever the split; bad ranges are refused.
void range_checks() {
  const Data d = make_data(300, 2, 2);
  FitOptions o = network_options("mlp", 4);
  o.solver_options.max_iter = 3;  // unconverged on purpose: the merged message must match
  o.solver_options.seed = 4;
  o.solver_options.threads = 2;
  const FitResult full = fit(d.view(true), o);
  const BootstrapResult whole = bootstrap_fit(d.view(true), o, full.weights, 5);
  o.solver_options.threads = 1;
  std::vector<BootstrapResult> parts;
  parts.push_back(bootstrap_fit_range(d.view(true), o, full.weights, 3, 2));  // out of order on purpose
  parts.push_back(bootstrap_fit_range(d.view(true), o, full.weights, 0, 1));
  parts.push_back(bootstrap_fit_range(d.view(true), o, full.weights, 1, 2));
  const BootstrapResult merged = bootstrap_merge(parts);
  check(merged.weights == whole.weights && merged.n_iter == whole.n_iter && merged.converged == whole.converged &&
            merged.objective == whole.objective,
        "merged ranges equal the whole bootstrap to the bit");
  check(!whole.message.empty() && merged.message == whole.message, "merged ranges give the whole bootstrap's message");
  const auto refused = [&](std::vector<BootstrapResult> ps, const char* what) {
    bool threw = false;
    try {
      bootstrap_merge(std::move(ps));
    } catch (const InvalidArgument&) {
      threw = true;
    }
    check(threw, what);
  };
  refused({parts[0], parts[2]}, "a gap between ranges is refused");
  refused({parts[1], parts[2], parts[2]}, "overlapping ranges are refused");
  refused({}, "no ranges are refused");
}

void boundary_checks() {
  Data d = make_data(40, 1, 1);
  for (auto& v : d.w) v = 0.0;
  d.w[0] = 1.0;  // most resamples miss row 0: their total weight is zero
  FitOptions o = default_fit_options();
  o.encoder.type = "linear";
  const FitResult full = fit(d.view(true), o);
  bool threw = false;
  try {
    bootstrap_fit(d.view(true), o, full.weights, 8);
  } catch (const InvalidArgument& e) {
    threw = std::string(e.what()).find("bootstrap replicate") != std::string::npos;
  }
  check(threw, "a failing replicate raises InvalidArgument naming it");
  threw = false;
  try {
    bootstrap_fit(d.view(false), o, std::vector<double>(3, 0.0), 2);
  } catch (const InvalidArgument&) {
    threw = true;
  }
  check(threw, "start weights of the wrong length raise");
}

// Early-stopped networks: a fit on the likelihood's plateau warm-starts its replicates (each is the
// weighted fit of its resample from the full-data weights, without early stopping); the seeded
// start, far from the plateau, is not on it; and the replicates move away from the start.
void plateau_checks() {
  const Data d = make_data(800, 2, 2);
  FitOptions o = network_options("ngam", 6);
  o.solver_options.seed = 4;
  FitOptions no_es = o;
  no_es.early_stopping = false;
  const FitResult converged = fit(d.view(false), no_es);
  check(converged.solve.converged, "plateau: the unstopped gaussian ngam fit converges");
  bool same = true, on = true;
  for (int threads : {1, 2, 3}) {
    FitOptions t = o;
    t.solver_options.threads = threads;
    const bool p = at_likelihood_plateau(d.view(false), t, converged.weights);
    on = on && p;
    same = same && p == at_likelihood_plateau(d.view(false), o, converged.weights);
  }
  check(on && same, "plateau: a converged fit's weights are on the plateau, for any thread count");
  const Scaling scaling = compute_scaling(d.view(false), Family::kGaussian, o.intercept);
  std::vector<double> seeded(converged.weights.size());
  make_encoder(o.encoder, d.m, scaling.q())->init(o.solver_options.seed, seeded.data());
  check(!at_likelihood_plateau(d.view(false), o, seeded), "plateau: the seeded start is not on it");

  // An early-stopped model (o: early stopping on) bootstrapped from weights on the plateau.
  const FitResult& full = converged;
  const BootstrapResult boot = bootstrap_fit(d.view(false), o, full.weights, 2);
  std::vector<double> counts(d.n);
  bootstrap_counts(o.solver_options.seed, 1, d.n, counts.data());
  DataView view = d.view(false);
  view.weights = counts.data();
  FitOptions one = no_es;
  one.solver_options.threads = 1;
  one.solver_options.max_iter = kPlateauReplicateIter;
  check(boot.rule == kRulePlateau, "plateau: the bootstrap records the plateau rule");
  for (int threads : {1, 2}) {  // the decision and the replicates, bitwise for any thread count
    FitOptions t = o;
    t.solver_options.threads = threads;
    const BootstrapResult again = bootstrap_fit(d.view(false), t, full.weights, 2);
    check(again.rule == boot.rule && again.weights == boot.weights && again.n_iter == boot.n_iter,
          "plateau: the rule and the replicates are bitwise the same with " + std::to_string(threads) + " thread(s)");
  }
  // From the seeded start (not on the plateau) the replicates repeat the procedure; without early
  // stopping they warm-start. Ranges that took different rules are not merged.
  const BootstrapResult off = bootstrap_fit_range(d.view(false), o, seeded, 2, 1);
  check(off.rule == kRuleRepeat, "plateau: off the plateau the bootstrap records the repeat rule");
  const BootstrapResult warm = bootstrap_fit(d.view(false), no_es, full.weights, 1);
  check(warm.rule == kRuleWarmStart, "plateau: without early stopping the bootstrap records the warm-start rule");
  BootstrapResult first = bootstrap_fit_range(d.view(false), o, full.weights, 0, 2);
  bool threw = false;
  try {
    bootstrap_merge({first, off});
  } catch (const InvalidArgument&) {
    threw = true;
  }
  check(threw, "plateau: ranges with different replicate rules are refused");
  check(bootstrap_merge({first, bootstrap_fit_range(d.view(false), o, full.weights, 2, 1)}).rule == kRulePlateau,
        "plateau: merged ranges keep their rule");
  check(!bootstrap_rule_note(kRulePlateau).empty() && bootstrap_rule_note("").empty(),
        "plateau: the rule has a note, an unrecorded rule none");
  const FitResult ref = fit(view, one, &full.weights);
  const std::size_t nw = full.weights.size();
  const std::vector<double> w1(boot.weights.begin() + nw, boot.weights.end());
  check(w1 == ref.weights && boot.n_iter[1] == ref.solve.n_iter,
        "plateau: replicate 1 is its resample's fit from the full-data weights without early stopping");
  double moved = 0.0;
  for (std::size_t j = 0; j < nw; ++j) moved = std::max(moved, std::fabs(w1[j] - full.weights[j]));
  check(moved > 1e-4 && boot.converged[0] && boot.converged[1], "plateau: warm-started replicates move and converge");
}

}  // namespace

int main() {
  counts_checks();
  determinism_checks();
  range_checks();
  boundary_checks();
  plateau_checks();
  return report();
}
