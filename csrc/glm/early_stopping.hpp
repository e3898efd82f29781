// Early stopping on a held-out split: the neural encoders' default regularisation (issue 12,
// item 4). Fitted to convergence, networks overfit (public benchmark, binomial task,
// n = 10,000: mlp coefficient RMSE 4.2 unpenalised, 0.60 at weight_decay 1e-3), and a fixed
// weight decay does not transfer across sample sizes; the number of L-BFGS iterations from the
// seeded initial weights, chosen on held-out rows, does.
//
// The rule: a seeded 20% of the rows of positive weight is held out. L-BFGS runs from the
// initial weights on the other rows; after every iteration the held-out mean loss (the
// objective of objective.hpp on those rows without any penalty) is computed, and the run stops
// once it has not improved for max(100, k / 2) iterations, k being the iteration of least
// held-out loss so far; or once the held-out curve is flat: its least value over the last 100
// iterations improved the held-out rows' log-likelihood by at most the networks' tolerance
// (SolverOptions::loglik_tol, 0.5; the log-likelihood measured as the training criterion
// measures it); or when the training fit meets its own criterion, or at max_iter. (Without the
// flat-curve rule a held-out loss that creeps down by a few parts in a million per iteration
// reset the patience forever: the default mlp at n = 50,000 ran to the 1,000-iteration cap.) The fit
// then runs L-BFGS on all rows from the same initial weights for round(k S_all / S_train)
// iterations (S: total row weight; the all-rows fit has that much more data to support the
// longer path; at most max_iter), stopping sooner if it meets its criterion, and is converged
// by this rule. The fit's callback sees both runs' iterations with their training objective.
// It stops unconverged only when the held-out loss was still improving at max_iter.
//
// Deterministic for a seed: the split comes from the counter-based generator and every
// objective sums its rows in the fixed order of objective.hpp, so the choice and the weights
// are bitwise identical for any thread count.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "common/data.hpp"
#include "common/family.hpp"
#include "encoders/encoder.hpp"
#include "glm/fit.hpp"
#include "glm/objective.hpp"
#include "glm/solver.hpp"

namespace ctxstats {

constexpr double kEarlyStoppingShare = 0.2;
// The training-rows fit stops once the held-out loss has not improved for
// max(kEarlyStoppingPatience, best_iter / 2) iterations: on the public benchmark's gaussian task
// (n = 2,000, ngam) its curve has a plateau of 50 iterations before it falls again.
constexpr int kEarlyStoppingPatience = 100;

struct EarlyStopping {
  int best_iter = 0;              // k: iterations of least held-out loss (0: the initial weights)
  std::vector<double> val_loss;   // held-out mean loss at the initial weights and after each iteration
  int n_iter = 0;                 // L-BFGS iterations run on the training rows
  int all_rows_iter = 0;          // the iterations of the fit on all rows: round(best_iter S_all / S_train)
  bool stopped = false;           // the held-out loss stopped improving before max_iter
  bool interrupted = false;       // the callback asked to stop
};

// Runs the training-rows fit from the weights w. `options` are the fit's solver options (seed,
// threads, max_iter, tol, the log-likelihood criterion). With output_start (gaussian only, the
// option of that name) each run starts from w's hidden weights with the least-squares output
// layer of its own rows (glm/output_layer.hpp: gaussian_output_start, one pass for both row
// sets), and w returns the all-rows run's start; otherwise w is left unchanged.
EarlyStopping choose_iterations(const Encoder& encoder, Family family, const DataView& data, const Scaling& scaling,
                                const Penalty& penalty, const SolverOptions& options, double* w,
                                bool output_start = false);

// The split: the sorted ordinals, among the `used` rows of positive weight taken in row
// order, of the seeded kEarlyStoppingShare held out (at least one row, and one left).
std::vector<std::size_t> held_out_ordinals(std::uint64_t seed, std::size_t used);

// The rule over objectives summed elsewhere (the partitions of glm/network_passes.hpp; the
// overload above calls it): train(x, g) is the training rows' objective, held_out(x) their
// unpenalised held-out mean loss, s_train and s_all the training and all rows' total weights,
// x0 the start (n_weights values).
EarlyStopping choose_iterations(std::size_t n_weights, const ValueGrad& train,
                                const std::function<double(const double*)>& held_out, double s_train, double s_all,
                                const SolverOptions& options, const double* x0);

// What fit() does once the number of iterations is chosen: L-BFGS on all rows (all_rows) from
// w for es.all_rows_iter iterations (at most max_iter), converged by the early-stopping rule;
// fills out's solve and early-stopping fields, and leaves the fitted weights in w.
void fit_after_early_stopping(const EarlyStopping& es, std::size_t n_weights, const ValueGrad& all_rows,
                              const SolverOptions& options, double* w, FitResult* out);

}  // namespace ctxstats
