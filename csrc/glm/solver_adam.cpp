// Mini-batch Adam (Kingma & Ba 2015; beta1 0.9, beta2 0.999, eps 1e-8). A seeded share of
// rows (val_split) is held out; after each epoch the validation objective decides early
// stopping and the best weights seen are returned.
// Stopping criterion (converged = true): patience consecutive epochs in which the validation
// objective (the training objective when val_split = 0) does not improve on its best value by
// more than tol (default 1e-6) relative to max(1, |best|). Otherwise the fit stops unconverged
// after max_iter epochs (default 500), with a message naming the criterion, the cap and what
// to change. An interrupted fit is never reported converged.
// Batches come from a counter-based shuffle keyed by (seed, epoch).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "common/convergence.hpp"
#include "common/error.hpp"
#include "common/rng.hpp"
#include "glm/solver.hpp"

namespace ctxstats {

namespace {
void shuffle(std::vector<std::size_t>& v, CounterRng& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(i)]);
}
}  // namespace

SolverResult solve_adam(Objective& obj, double* w, const SolverOptions& options) {
  const std::size_t n = obj.n_weights(), rows = obj.n_rows();
  const int epochs = options.max_iter > 0 ? options.max_iter : 500;
  const double tol = options.tol > 0.0 ? options.tol : 1e-6;
  const double lr = options.learning_rate;
  SolverResult res;

  // Rows of zero weight (e.g. left out of a bootstrap resample) carry no information; leaving
  // them out also keeps every mini-batch's total weight positive.
  std::vector<std::size_t> order;
  order.reserve(rows);
  for (std::size_t i = 0; i < rows; ++i)
    if (obj.row_weight(i) > 0.0) order.push_back(i);
  require(!order.empty(), "every row has zero weight");
  CounterRng split_rng(options.seed, Stream::kValidation);
  shuffle(order, split_rng);
  const std::size_t used = order.size();
  std::size_t n_val = static_cast<std::size_t>(std::llround(options.val_split * static_cast<double>(used)));
  if (n_val >= used) n_val = used - 1;
  std::vector<std::size_t> val(order.begin(), order.begin() + n_val);
  std::vector<std::size_t> train(order.begin() + n_val, order.end());
  std::sort(val.begin(), val.end());
  std::sort(train.begin(), train.end());

  std::vector<double> g(n), m1(n, 0.0), m2(n, 0.0), best(w, w + n);
  double best_val = std::numeric_limits<double>::infinity();
  int bad = 0;
  const std::size_t bs = static_cast<std::size_t>(std::max(1, options.batch_size));
  double b1t = 1.0, b2t = 1.0;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    CounterRng rng(options.seed, Stream::kShuffle, static_cast<std::uint64_t>(epoch));
    shuffle(train, rng);
    double epoch_loss = 0.0;
    std::size_t batches = 0;
    for (std::size_t start = 0; start < train.size(); start += bs) {
      const std::size_t count = std::min(bs, train.size() - start);
      const double f = obj.value_grad(w, g.data(), train.data() + start, count);
      require(std::isfinite(f), "the objective became non-finite during Adam; lower learning_rate");
      epoch_loss += f;
      ++batches;
      b1t *= 0.9;
      b2t *= 0.999;
      for (std::size_t j = 0; j < n; ++j) {
        m1[j] = 0.9 * m1[j] + 0.1 * g[j];
        m2[j] = 0.999 * m2[j] + 0.001 * g[j] * g[j];
        w[j] -= lr * (m1[j] / (1.0 - b1t)) / (std::sqrt(m2[j] / (1.0 - b2t)) + 1e-8);
      }
    }
    res.history.push_back(epoch_loss / static_cast<double>(batches));
    res.n_iter = epoch + 1;
    // Without a validation split the training objective on all training rows decides.
    const double v = n_val > 0 ? obj.value_grad(w, nullptr, val.data(), val.size())
                               : obj.value_grad(w, nullptr, train.data(), train.size());
    res.val_history.push_back(v);
    const bool stop = stop_requested(options, res, epoch + 1, v);
    if (epoch == 0 || v < best_val - tol * std::max(1.0, std::fabs(best_val))) {
      best_val = v;
      std::copy(w, w + n, best.begin());
      bad = 0;
    } else if (++bad >= options.patience && !stop) {
      res.converged = true;
      res.message = "early stopping after " + std::to_string(options.patience) + " epochs without improvement";
      break;
    }
    if (stop) break;
  }
  if (!res.converged && !res.interrupted)
    res.message = "Adam reached max_iter=" + std::to_string(epochs) + " epochs before early stopping: the " +
                  (n_val > 0 ? "validation" : "training") + " objective still improved by more than tol=" +
                  format_number(tol) + " (relative) within patience=" + std::to_string(options.patience) +
                  " epochs; " + neural_fit_advice();
  std::copy(best.begin(), best.end(), w);
  res.objective = best_val;
  return res;
}

}  // namespace ctxstats
