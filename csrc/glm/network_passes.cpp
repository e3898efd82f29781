// fit_network_passes: the neural encoders' fit over rows held elsewhere (network_passes.hpp).
#include "glm/network_passes.hpp"

#include <cmath>
#include <string>

#include "common/error.hpp"
#include "glm/early_stopping.hpp"
#include "glm/objective.hpp"
#include "glm/reduction.hpp"
#include "options/schema.hpp"

namespace ctxstats {

std::size_t positive_rows(const DataView& data) {
  if (!data.weights) return data.n;
  std::size_t k = 0;
  for (std::size_t i = 0; i < data.n; ++i) k += data.weights[i] > 0.0 ? 1 : 0;
  return k;
}

NetworkSums network_pass(const DataView& data, const FitOptions& options, const Scaling& scaling,
                         const std::vector<double>& w, bool grad, RowSet rows,
                         const std::vector<std::size_t>& held_out) {
  const Family family = parse_family(options.family);
  require(data.m == static_cast<int>(scaling.c_mean.size()) && data.p == static_cast<int>(scaling.x_mean.size()),
          "the partition's columns do not match the scaling's");
  const auto encoder = make_encoder(options.encoder, data.m, scaling.q());
  require(w.size() == encoder->n_weights(), "the weights have the wrong length");
  std::vector<std::size_t> idx;
  if (rows != RowSet::kAll) {
    const std::size_t positive = positive_rows(data);
    for (std::size_t h = 0; h < held_out.size(); ++h)
      require(held_out[h] < positive && (h == 0 || held_out[h - 1] < held_out[h]),
              "the held-out rows must be increasing ordinals of the partition's rows of positive weight");
    idx.reserve(rows == RowSet::kHeldOut ? held_out.size() : positive - held_out.size());
    for (std::size_t i = 0, k = 0, h = 0; i < data.n; ++i) {
      if (data.weights && !(data.weights[i] > 0.0)) continue;
      const bool held = h < held_out.size() && held_out[h] == k;
      if (held) ++h;
      ++k;
      if (held == (rows == RowSet::kHeldOut)) idx.push_back(i);
    }
  }
  Penalty penalty = options.penalty;
  if (rows == RowSet::kHeldOut) {  // the rule's held-out loss: no penalty (early_stopping.cpp)
    penalty = Penalty{};
    penalty.mu_ratio = options.penalty.mu_ratio;
  }
  Objective objective(*encoder, family, data, scaling, penalty, options.solver_options.threads);
  NetworkSums out;
  if (grad) out.grad.assign(encoder->n_weights(), 0.0);
  out.f = rows == RowSet::kAll
              ? objective.partial_sums(w.data(), grad ? out.grad.data() : nullptr, nullptr, data.n, &out.total)
              : objective.partial_sums(w.data(), grad ? out.grad.data() : nullptr, idx.data(), idx.size(), &out.total);
  return out;
}

void add_network_sums(NetworkSums* into, const NetworkSums& part) {
  require(into->grad.size() == part.grad.size(), "the partitions' gradients have different lengths");
  into->f += part.f;
  into->total += part.total;
  for (std::size_t k = 0; k < part.grad.size(); ++k) into->grad[k] += part.grad[k];
}

FitResult fit_network_passes(const FitOptions& options, const Scaling& scaling, int m, const NetworkPass& pass) {
  validate_fit_options(options);
  require(options.scale != "context", "scale='context' is not available for data held in partitions yet");
  const Family family = parse_family(options.family);
  validate_scaling(scaling);
  require(m == static_cast<int>(scaling.c_mean.size()), "the scaling does not match the context's columns");
  require(scaling.intercept == options.intercept, "the scaling was computed for another fit_intercept");
  FitResult out;
  out.solver = resolve_solver(options);
  require(options.encoder.type != "spline" && out.solver == "lbfgs",
          "data held in partitions are fitted by the exact solver (the linear and spline encoders) or, for the neural "
          "encoders, by L-BFGS (solver='lbfgs' or None); '" +
              options.encoder.type + "' with solver '" + out.solver + "' is not available for them");
  out.scaling = scaling;
  out.encoder = options.encoder;
  const auto encoder = make_encoder(out.encoder, m, scaling.q());
  require(!uses_output_start(options, *encoder, out.solver),
          "output_start is not available for data held in partitions (it needs every row at once)");
  require(!options.encoder.linear_skip,
          "linear_skip is not available for data held in partitions yet (its start is an exact linear fit of "
          "every row)");
  const std::size_t nw = encoder->n_weights();
  out.weights.assign(nw, 0.0);
  encoder->init(options.solver_options.seed, out.weights.data());

  // The objective over the rows of a RowSet, as Objective::value_grad computes it over rows in memory.
  const auto objective = [&pass, nw](RowSet rows, double weight_decay) -> ValueGrad {
    return [&pass, nw, rows, weight_decay](const double* x, double* g) {
      const NetworkSums s = pass(std::vector<double>(x, x + nw), g != nullptr, rows);
      require(g == nullptr || s.grad.size() == nw, "the partitions' gradients have the wrong length");
      return reduce_objective({s.f}, {s.total}, g ? s.grad.data() : nullptr, nw, x, 1.0, weight_decay, g,
                              "the rows used for this objective");
    };
  };
  const double decay = options.penalty.weight_decay;
  SolverOptions solver_options = options.solver_options;
  const double s_all = pass(out.weights, false, RowSet::kAll).total;
  require(s_all > 0.0, "the rows have zero total weight");
  if (encoder->output_features() > 0) {  // as fit(): stop when the likelihood no longer moves
    solver_options.loglik_tol = kNeuralLoglikTol;
    solver_options.loglik_rows = s_all;
    solver_options.loglik_gaussian = family == Family::kGaussian;
  }
  if (uses_early_stopping(options, *encoder, out.solver)) {
    const double s_train = pass(out.weights, false, RowSet::kTrain).total;
    const ValueGrad held_out = objective(RowSet::kHeldOut, 0.0);
    const EarlyStopping es =
        choose_iterations(nw, objective(RowSet::kTrain, decay), [&held_out](const double* x) { return held_out(x, nullptr); },
                          s_train, s_all, solver_options, out.weights.data());
    fit_after_early_stopping(es, nw, objective(RowSet::kAll, decay), solver_options, out.weights.data(), &out);
  } else {
    out.solve = solve_lbfgs(nw, objective(RowSet::kAll, decay), out.weights.data(), solver_options);
  }
  if (!out.solve.interrupted)
    for (double w : out.weights)
      require(std::isfinite(w), "the fit produced non-finite parameters (lbfgs solver): the optimisation overflowed; "
                                "add weight_decay or alpha, or rescale exog and context");
  return out;
}

}  // namespace ctxstats
