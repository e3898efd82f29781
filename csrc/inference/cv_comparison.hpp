// Comparing models by K-fold cross-validation on the same folds (ctxstats.choose_encoder and
// compare_cross_validated in Python, ctx_choose_encoder in R): each model's held-out mean
// deviance, its standard error from the spread of the folds, and its difference from the best
// model with the standard error of the paired per-fold differences.
#pragma once
#include <vector>

namespace ctxstats {

struct CrossValidationComparison {
  int best = 0;                        // the model with the smallest mean deviance (first on ties)
  std::vector<double> mean_deviance;   // M: sum_k deviance_k / sum_k weight_k
  std::vector<double> se;              // M: sd_k(deviance_k / weight_k) / sqrt(K) (ddof 1)
  std::vector<double> diff;            // M: mean_deviance - mean_deviance[best]
  std::vector<double> diff_se;         // M: sd_k of the per-fold mean-deviance differences / sqrt(K)
};

// fold_deviance: M x K, row-major (model by fold); fold_weight: the folds' held-out weights
// (K, the same for every model: the same rows and folds). InvalidArgument for M < 1, K < 2,
// non-finite values or non-positive weights.
CrossValidationComparison compare_cross_validation(const std::vector<double>& fold_deviance,
                                                   const std::vector<double>& fold_weight, int models);

}  // namespace ctxstats
