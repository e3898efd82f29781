#include "glm/early_stopping.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.hpp"
#include "common/rng.hpp"
#include "glm/output_layer.hpp"

namespace ctxstats {

EarlyStopping choose_iterations(const Encoder& encoder, Family family, const DataView& data, const Scaling& scaling,
                                const Penalty& penalty, const SolverOptions& options, double* w, bool output_start) {
  EarlyStopping out;
  // The split: a seeded share of the rows of positive weight, each part in row order.
  std::vector<std::size_t> order;
  order.reserve(data.n);
  for (std::size_t i = 0; i < data.n; ++i)
    if (!data.weights || data.weights[i] > 0.0) order.push_back(i);
  const std::size_t used = order.size();
  require(used >= 2, "early stopping needs at least two rows of positive weight; pass early_stopping=False");
  CounterRng rng(options.seed, Stream::kValidation, 1);
  for (std::size_t i = used; i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  const std::size_t n_val = std::clamp<std::size_t>(
      static_cast<std::size_t>(std::llround(kEarlyStoppingShare * static_cast<double>(used))), 1, used - 1);
  std::vector<std::size_t> val(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_val));
  std::vector<std::size_t> train(order.begin() + static_cast<std::ptrdiff_t>(n_val), order.end());
  std::sort(val.begin(), val.end());
  std::sort(train.begin(), train.end());
  double s_train = 0.0, s_all = 0.0;
  for (std::size_t i : train) s_train += data.weights ? data.weights[i] : 1.0;
  for (std::size_t i : order) s_all += data.weights ? data.weights[i] : 1.0;

  Penalty none;
  none.mu_ratio = penalty.mu_ratio;
  Objective held_out(encoder, family, data, scaling, none, options.threads);
  Objective objective(encoder, family, data, scaling, penalty, options.threads);
  const std::size_t nw = encoder.n_weights();
  std::vector<double> x(w, w + nw);
  if (output_start) {  // x: the output layer of the training rows; w: that of all rows
    std::vector<char> held(data.n, 0);
    for (std::size_t i : val) held[i] = 1;
    gaussian_output_start(encoder, data, scaling, penalty, options.threads, &held, x.data(), w);
  }
  double best = held_out.value_grad(x.data(), nullptr, val.data(), val.size());
  out.val_loss.push_back(best);

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
    const double v = held_out.value_grad(xi, nullptr, val.data(), val.size());
    out.val_loss.push_back(v);
    if (std::isfinite(v) && v < best) {
      best = v;
      out.best_iter = it;
    }
    if (it - out.best_iter >= std::max(kEarlyStoppingPatience, out.best_iter / 2)) {
      out.stopped = true;
      return true;
    }
    return false;
  };
  const ValueGrad f = [&](const double* xi, double* g) {
    return objective.value_grad(xi, g, train.data(), train.size());
  };
  const SolverResult r = solve_lbfgs(nw, f, x.data(), o);
  out.n_iter = r.n_iter;
  out.all_rows_iter = static_cast<int>(std::llround(out.best_iter * s_all / s_train));
  // The training fit met its own criterion: the held-out loss has nothing more to say.
  if (r.converged) out.stopped = true;
  return out;
}

}  // namespace ctxstats
