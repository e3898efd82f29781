// Solvers. exact: the linear encoder as a GLM on the interaction design (normal equations
// for gaussian, Newton/IRLS otherwise). lbfgs: full-batch quasi-Newton with a strong-Wolfe
// line search. adam: mini-batches, a validation split, early stopping that keeps the best
// weights. All are deterministic for a given seed and any thread count.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/data.hpp"
#include "encoders/encoder.hpp"
#include "common/family.hpp"
#include "glm/objective.hpp"
#include "smoothing/smoothing.hpp"

namespace ctxstats {

// Defaults: the option schema (options/schema.hpp).
struct SolverOptions {
  int max_iter{};            // 0: the solver's default (exact 100, lbfgs 1000, adam 500 epochs)
  double tol{};              // 0: the solver's default
  int batch_size{};          // adam
  double learning_rate{};    // adam
  double val_split{};        // adam: share of rows held out for early stopping
  int patience{};            // adam: epochs without improvement before stopping
  std::uint64_t seed{};
  int threads{};             // 0: all available
  // lbfgs, varpro: a second stopping criterion for the non-convex (neural) encoders, set by
  // fit(): converged when the log-likelihood rose by at most loglik_tol over the last
  // kLoglikWindow iterations (0: off). The rise is loglik_rows * (f_old - f_new) (the
  // objective is a mean over loglik_rows weighted rows), or, for gaussian (whose objective is
  // a mean squared error on the standardised scale), the profile log-likelihood's
  // loglik_rows / 2 * log(f_old / f_new).
  double loglik_tol{};
  double loglik_rows{};
  bool loglik_gaussian{};
  // exact solver, spline encoder, binomial/poisson: the dispersion is estimated (a quasi-
  // likelihood fit, FitOptions::quasi), so each PQL working model's smoothing is chosen with an
  // unknown scale, as mgcv's performance iteration does for quasibinomial and quasipoisson.
  bool quasi{};
  // Called on the calling thread after each iteration (adam: epoch) with its number and the
  // objective; returning false stops the fit, which then reports `interrupted`. Bindings use
  // it for progress bars and for user interrupts (Ctrl-C in Python, R's interrupt).
  std::function<bool(int, double)> callback;
  // lbfgs: called after each iteration (after callback) with its number and the iterate;
  // returning true stops the fit as converged (early stopping, glm/early_stopping.hpp).
  std::function<bool(int, const double*)> monitor;
};

constexpr int kLoglikWindow = 10;
// The default loglik_tol for neural encoders: half a unit of log-likelihood over the window,
// small next to any likelihood-ratio interval (chi-square(1) 95%: 1.92).
constexpr double kNeuralLoglikTol = 0.5;

struct SolverResult {
  int n_iter = 0;
  bool converged = false;
  double objective = 0.0;
  std::vector<double> history;      // objective per iteration (adam: mean training loss per epoch)
  std::vector<double> val_history;  // adam: validation objective per epoch
  std::string message;
  bool rank_deficient = false;      // exact: the normal equations were singular (pseudo-inverse used)
  bool interrupted = false;         // the callback asked to stop
  SmoothingReport smoothing;        // exact with a penalised basis (spline): smoothing parameters, edf, Vp
};

// Runs the callback, if any; true when the solver should stop.
inline bool stop_requested(const SolverOptions& o, SolverResult& r, int iteration, double objective) {
  if (o.callback && !o.callback(iteration, objective)) {
    r.interrupted = true;
    r.message = "interrupted after iteration " + std::to_string(iteration);
    return true;
  }
  return false;
}

void validate_solver_options(const SolverOptions& o);

SolverResult solve_exact(const Encoder& encoder, Family family, const DataView& data, const Scaling& scaling,
                         const Penalty& penalty, const SolverOptions& options, double* w);
SolverResult solve_lbfgs(Objective& objective, double* w, const SolverOptions& options);
// L-BFGS on any smooth function of n variables: value, and the gradient into g.
using ValueGrad = std::function<double(const double* x, double* g)>;
SolverResult solve_lbfgs(std::size_t n, const ValueGrad& f, double* w, const SolverOptions& options);
SolverResult solve_adam(Objective& objective, double* w, const SolverOptions& options);

}  // namespace ctxstats
