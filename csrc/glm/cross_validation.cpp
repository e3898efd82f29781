#include "glm/cross_validation.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "common/error.hpp"
#include "common/family.hpp"
#include "common/rng.hpp"
#include "inference/fit_statistics.hpp"

namespace ctxstats {

std::vector<int> cross_validation_folds(std::size_t n, int folds, std::uint64_t seed) {
  require(folds >= 2, "folds must be an integer >= 2, not " + std::to_string(folds));
  require(static_cast<std::size_t>(folds) <= n,
          "folds (" + std::to_string(folds) + ") cannot exceed the number of rows (" + std::to_string(n) + ")");
  std::vector<std::size_t> perm(n);
  for (std::size_t i = 0; i < n; ++i) perm[i] = i;
  CounterRng rng(seed, Stream::kCrossValidation);
  for (std::size_t i = n; i > 1; --i) {                  // Fisher-Yates
    const std::size_t j = static_cast<std::size_t>(rng.below(i));
    std::swap(perm[i - 1], perm[j]);
  }
  std::vector<int> fold(n);
  for (std::size_t j = 0; j < n; ++j) fold[perm[j]] = static_cast<int>(j % static_cast<std::size_t>(folds));
  return fold;
}

CrossValidation cross_validate(const DataView& data, const FitOptions& options, int folds, std::uint64_t seed,
                               const std::function<bool(int, double)>& progress) {
  const Family family = parse_family(options.family);
  validate_data(data, family);
  const std::size_t n = data.n;
  const int m = data.m, p = data.p;
  CrossValidation out;
  out.folds = folds;
  out.fold_of_row = cross_validation_folds(n, folds, seed);
  out.predicted_mean.assign(n, std::numeric_limits<double>::quiet_NaN());
  out.q = p + (options.intercept ? 1 : 0);
  out.held_out_theta.assign(n * static_cast<std::size_t>(out.q), std::numeric_limits<double>::quiet_NaN());
  // The folds run one after another, so the binding's callback (Ctrl-C, progress) stays in
  // place for each fold's fit (options are passed on unchanged).
  for (int k = 0; k < folds; ++k) {
    std::vector<double> Ct, Xt, yt, wt, Ch, Xh, yh, wh;
    std::vector<std::size_t> held;
    for (std::size_t i = 0; i < n; ++i) {
      const bool out_of_fold = out.fold_of_row[i] != k;
      auto& C = out_of_fold ? Ct : Ch;
      auto& X = out_of_fold ? Xt : Xh;
      C.insert(C.end(), data.C + i * m, data.C + (i + 1) * m);
      X.insert(X.end(), data.X + i * p, data.X + (i + 1) * p);
      (out_of_fold ? yt : yh).push_back(data.y[i]);
      (out_of_fold ? wt : wh).push_back(data.weights ? data.weights[i] : 1.0);
      if (!out_of_fold) held.push_back(i);
    }
    DataView train = data;
    train.n = yt.size();
    train.C = Ct.data();
    train.X = Xt.data();
    train.y = yt.data();
    train.weights = data.weights ? wt.data() : nullptr;
    FitResult fr;
    try {
      fr = fit(train, options);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument("cross-validation fold " + std::to_string(k + 1) + " of " + std::to_string(folds) +
                            ": " + e.what());
    }
    const int threads = options.solver_options.threads;
    const std::vector<double> theta = predict_theta(fr.encoder, fr.scaling, fr.weights, Ch.data(), yh.size(), m,
                                                    threads);
    const int q = fr.scaling.q();
    std::vector<double> mu(yh.size());
    for (std::size_t r = 0; r < yh.size(); ++r) {
      const double* t = theta.data() + r * q;
      double eta = options.intercept ? t[0] : 0.0;
      const int off = options.intercept ? 1 : 0;
      for (int j = 0; j < p; ++j) eta += Xh[r * p + j] * t[off + j];
      mu[r] = inverse_link(family, eta);
      out.predicted_mean[held[r]] = mu[r];
      std::copy(t, t + q, out.held_out_theta.begin() + static_cast<std::ptrdiff_t>(held[r] * q));
    }
    const FitStatistics s = fit_statistics(family, yh.data(), mu.data(), data.weights ? wh.data() : nullptr,
                                           yh.size(), options.intercept);
    double weight = 0.0;
    for (double w : wh) weight += w;
    out.fold_deviance.push_back(s.deviance);
    out.fold_weight.push_back(weight);
    out.fold_rows.push_back(yh.size());
    out.fold_converged.push_back(fr.solve.converged ? 1 : 0);
    out.fold_message.push_back(fr.solve.converged ? std::string() : fr.solve.message);
    out.deviance += s.deviance;
    if (fr.solve.interrupted || (progress && !progress(k + 1, out.deviance))) {
      out.interrupted = true;
      break;
    }
  }
  return out;
}

}  // namespace ctxstats
