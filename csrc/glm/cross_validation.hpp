// K-fold cross-validation of a contextualized GLM: the held-out deviance of fits on the other
// folds, for choosing an encoder or its options by prediction (ctxstats.cross_validate in
// Python, ctx_cv in R).
//
// Folds: a permutation of the rows drawn by the counter-based generator keyed (seed, the
// cross-validation stream), row perm[j] in fold j mod K -- sizes differ by at most one and
// the assignment is the same in both languages and for any thread count. Each fold's model is
// fitted on the other rows with the same options (a spline places its knots from those rows)
// and predicts the held-out rows; the held-out deviance sums w_i d(y_i, mu_i) over them.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "common/data.hpp"
#include "glm/fit.hpp"

namespace ctxstats {

struct CrossValidation {
  int folds = 0;
  std::vector<int> fold_of_row;             // n
  std::vector<double> predicted_mean;       // n: each row's held-out prediction
  int q = 0;                                // parameters per sample (intercept first)
  std::vector<double> held_out_theta;       // n x q: each row's parameters from its fold's fit
  std::vector<double> fold_deviance;        // K: held-out deviance
  std::vector<double> fold_weight;          // K: the held-out rows' total weight
  std::vector<std::size_t> fold_rows;       // K
  std::vector<int> fold_converged;          // K: 1 when that fold's fit met its criterion
  std::vector<std::string> fold_message;    // K: the solver's message of an unconverged fit
  double deviance = 0.0;                    // the sum over folds
  bool interrupted = false;                 // the progress callback stopped it (folds done so far)
};

// The fold of each of n rows for `folds` folds and `seed`.
std::vector<int> cross_validation_folds(std::size_t n, int folds, std::uint64_t seed);

// progress(folds done, deviance so far) after each fold; returning false stops.
CrossValidation cross_validate(const DataView& data, const FitOptions& options, int folds, std::uint64_t seed,
                               const std::function<bool(int, double)>& progress = nullptr);

}  // namespace ctxstats
