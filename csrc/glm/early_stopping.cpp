#include "glm/early_stopping.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/convergence.hpp"
#include "common/error.hpp"
#include "common/rng.hpp"
#include "glm/output_layer.hpp"

namespace ctxstats {

std::vector<std::size_t> held_out_ordinals(std::uint64_t seed, std::size_t used) {
  require(used >= 2, "early stopping needs at least two rows of positive weight; pass early_stopping=False");
  std::vector<std::size_t> order(used);
  for (std::size_t i = 0; i < used; ++i) order[i] = i;
  CounterRng rng(seed, Stream::kValidation, 1);
  for (std::size_t i = used; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  const std::size_t n_val = std::clamp<std::size_t>(
      static_cast<std::size_t>(std::llround(kEarlyStoppingShare * static_cast<double>(used))), 1, used - 1);
  order.resize(n_val);
  std::sort(order.begin(), order.end());
  return order;
}

EarlyStopping choose_iterations(const Encoder& encoder, Family family, const DataView& data, const Scaling& scaling,
                                const Penalty& penalty, const SolverOptions& options, double* w, bool output_start) {
  // The split: a seeded share of the rows of positive weight, each part in row order.
  std::vector<std::size_t> positive;
  positive.reserve(data.n);
  for (std::size_t i = 0; i < data.n; ++i)
    if (!data.weights || data.weights[i] > 0.0) positive.push_back(i);
  const std::vector<std::size_t> held = held_out_ordinals(options.seed, positive.size());
  std::vector<std::size_t> val, train;
  val.reserve(held.size());
  train.reserve(positive.size() - held.size());
  for (std::size_t k = 0, h = 0; k < positive.size(); ++k) {
    if (h < held.size() && held[h] == k) {
      val.push_back(positive[k]);
      ++h;
    } else {
      train.push_back(positive[k]);
    }
  }
  double s_train = 0.0, s_all = 0.0;
  for (std::size_t i : train) s_train += data.weights ? data.weights[i] : 1.0;
  for (std::size_t i : positive) s_all += data.weights ? data.weights[i] : 1.0;

  Penalty none;
  none.mu_ratio = penalty.mu_ratio;
  Objective held_out(encoder, family, data, scaling, none, options.threads);
  Objective objective(encoder, family, data, scaling, penalty, options.threads);
  const std::size_t nw = encoder.n_weights();
  std::vector<double> x(w, w + nw);
  if (output_start) {  // x: the output layer of the training rows; w: that of all rows
    std::vector<char> is_held(data.n, 0);
    for (std::size_t i : val) is_held[i] = 1;
    gaussian_output_start(encoder, data, scaling, penalty, options.threads, &is_held, x.data(), w);
  }
  return choose_iterations(
      nw, [&](const double* xi, double* g) { return objective.value_grad(xi, g, train.data(), train.size()); },
      [&](const double* xi) { return held_out.value_grad(xi, nullptr, val.data(), val.size()); }, s_train, s_all,
      options, x.data());
}

EarlyStopping choose_iterations(std::size_t nw, const ValueGrad& train,
                                const std::function<double(const double*)>& held_out, double s_train, double s_all,
                                const SolverOptions& options, const double* x0) {
  EarlyStopping out;
  std::vector<double> x(x0, x0 + nw);
  double best = held_out(x.data());
  out.val_loss.push_back(best);
  // best_after[t]: the least held-out loss of iterations 0..t; the held-out rows' log-likelihood
  // gained from best_after[t - W] to best_after[t] (the objective's yardstick, solver.hpp).
  std::vector<double> best_after{best};
  const double s_held = s_all - s_train;
  const auto held_out_gain = [&](double before, double after) {
    return options.loglik_gaussian && before > 0.0 && after > 0.0 ? 0.5 * s_held * std::log(before / after)
                                                                   : s_held * (before - after);
  };

  SolverOptions o = options;
  o.loglik_rows = s_train;
  o.callback = [&](int it, double f) {
    if (options.callback && !options.callback(it, f)) {
      out.interrupted = true;
      return false;
    }
    return true;
  };
  o.monitor = [&](int it, const double* xi) {
    const double v = held_out(xi);
    out.val_loss.push_back(v);
    if (std::isfinite(v) && v < best) {
      best = v;
      out.best_iter = it;
    }
    best_after.push_back(best);
    if (it - out.best_iter >= std::max(kEarlyStoppingPatience, out.best_iter / 2)) {
      out.stopped = true;
      return true;
    }
    // The held-out curve has flattened: over the last kEarlyStoppingPatience iterations its best
    // rose by at most the networks' log-likelihood tolerance (on the held-out rows).
    if (options.loglik_tol > 0.0 && it >= kEarlyStoppingPatience &&
        held_out_gain(best_after[static_cast<std::size_t>(it - kEarlyStoppingPatience)], best) <= options.loglik_tol) {
      out.stopped = true;
      return true;
    }
    return false;
  };
  const SolverResult r = solve_lbfgs(nw, train, x.data(), o);
  out.n_iter = r.n_iter;
  out.all_rows_iter = static_cast<int>(std::llround(out.best_iter * s_all / s_train));
  // The training fit met its own criterion: the held-out loss has nothing more to say.
  if (r.converged) out.stopped = true;
  return out;
}

void fit_after_early_stopping(const EarlyStopping& es, std::size_t nw, const ValueGrad& all_rows,
                              const SolverOptions& options, double* w, FitResult* out) {
  out->early_stopped = true;
  out->early_best_iter = es.best_iter;
  out->early_val_loss = es.val_loss;
  out->early_split_iter = es.n_iter;
  if (es.interrupted) {
    out->solve.interrupted = true;
    out->solve.n_iter = es.n_iter;
    out->solve.message = "interrupted while choosing the number of iterations on the held-out rows";
    return;
  }
  // All rows from the same initial weights for the chosen number of iterations.
  SolverOptions all = options;
  all.max_iter = std::clamp(es.all_rows_iter, 1, options.max_iter > 0 ? options.max_iter : 1000);
  out->solve = solve_lbfgs(nw, all_rows, w, all);
  if (!out->solve.interrupted) {
    out->solve.converged = es.stopped;
    out->solve.message = es.stopped ? ""
                                    : "L-BFGS reached max_iter=" + std::to_string(es.n_iter) +
                                          " on the training rows while the held-out loss was still falling (early "
                                          "stopping); " +
                                          neural_fit_advice();
  }
}

}  // namespace ctxstats
