#include "inference/cv_comparison.hpp"

#include <cmath>
#include <string>

#include "common/error.hpp"

namespace ctxstats {
namespace {

// The standard deviation (ddof 1) over sqrt(K).
double standard_error(const std::vector<double>& v) {
  const double K = static_cast<double>(v.size());
  double mean = 0.0;
  for (double x : v) mean += x;
  mean /= K;
  double ss = 0.0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / (K - 1.0)) / std::sqrt(K);
}

}  // namespace

CrossValidationComparison compare_cross_validation(const std::vector<double>& fold_deviance,
                                                   const std::vector<double>& fold_weight, int models) {
  require(models >= 1, "there are no models to compare");
  const std::size_t K = fold_weight.size();
  require(K >= 2, "the comparison needs at least 2 folds");
  require(fold_deviance.size() == static_cast<std::size_t>(models) * K,
          "fold_deviance must hold one row of " + std::to_string(K) + " folds per model");
  double total_weight = 0.0;
  for (double w : fold_weight) {
    require(std::isfinite(w) && w > 0.0, "every fold's held-out weight must be positive");
    total_weight += w;
  }
  for (double d : fold_deviance) require(std::isfinite(d), "the folds' deviances must be finite");
  CrossValidationComparison out;
  std::vector<std::vector<double>> per_fold(models, std::vector<double>(K));
  for (int a = 0; a < models; ++a) {
    double total = 0.0;
    for (std::size_t k = 0; k < K; ++k) {
      const double d = fold_deviance[a * K + k];
      total += d;
      per_fold[a][k] = d / fold_weight[k];
    }
    out.mean_deviance.push_back(total / total_weight);
    out.se.push_back(standard_error(per_fold[a]));
    if (out.mean_deviance[a] < out.mean_deviance[out.best]) out.best = a;
  }
  for (int a = 0; a < models; ++a) {
    std::vector<double> d(K);
    for (std::size_t k = 0; k < K; ++k) d[k] = per_fold[a][k] - per_fold[out.best][k];
    out.diff.push_back(out.mean_deviance[a] - out.mean_deviance[out.best]);
    out.diff_se.push_back(standard_error(d));
  }
  return out;
}

}  // namespace ctxstats
