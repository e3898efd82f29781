// The penalised objective and its analytic gradient in the encoder weights:
//
//   L(w) = sum_i s_i [loss(y_i, eta_i) + pen(theta_i)] / sum_i s_i + weight_decay/2 ||w||^2
//   theta_i = Phi_w(c_i),  eta_i = theta_i . [1, x_i]
//   pen(t)  = alpha sum_k r_k [ l1_ratio |t_k|_eps + (1 - l1_ratio) t_k^2 / 2 ],
//             r_k = mu_ratio for the intercept, 1 - mu_ratio for the coefficients,
//             |t|_eps = sqrt(t^2 + eps^2) - eps, a smooth surrogate of |t| (eps = 1e-6).
//
// Everything is on the internal (standardised) scale. Rows are processed in fixed blocks
// that are gathered into a number of groups depending only on the row count; each group
// accumulates into its own buffer and the groups are added in order, so the value and
// gradient are bitwise identical for any number of threads.
#pragma once
#include <cmath>
#include <cstddef>
#include <vector>

#include "common/data.hpp"
#include "encoders/encoder.hpp"
#include "common/family.hpp"

namespace ctxstats {

// Defaults: the option schema (options/schema.hpp).
struct Penalty {
  double alpha{};
  double l1_ratio{};
  double mu_ratio{};
  double weight_decay{};
};

constexpr double kL1Smoothing = 1e-6;

// One sample parameter t's elastic-net term a [l1 |t|_eps + (1 - l1) t^2 / 2] (a = alpha times
// its mu_ratio share); adds s times its derivative to *dt. Shared by every objective that
// penalises sample parameters (the GLM's, the networks').
inline double elastic_net_term(double a, double l1, double t, double s, double* dt) {
  const double l2 = 1.0 - l1, root = std::sqrt(t * t + kL1Smoothing * kL1Smoothing);
  *dt += s * a * (l1 * t / root + l2 * t);
  return a * (l1 * (root - kL1Smoothing) + 0.5 * l2 * t * t);
}
constexpr int kBlockRows = 256;
constexpr int kMaxGroups = 32;

void validate_penalty(const Penalty& pen);

// Number of groups the reduction uses for `rows` rows; a function of rows alone.
int reduction_groups(std::size_t rows, int block_rows, int max_groups);

class Objective {
 public:
  Objective(const Encoder& encoder, Family family, const DataView& data, const Scaling& scaling,
            const Penalty& penalty, int threads);

  // Value and (when grad is not null) gradient over rows idx[0..count), or over all rows
  // when idx is null.
  double value_grad(const double* w, double* grad, const std::size_t* idx, std::size_t count);
  double value_grad(const double* w, double* grad) { return value_grad(w, grad, nullptr, data_.n); }
  // What value_grad divides and decays, for rows summed elsewhere too (glm/network_passes.hpp):
  // returns sum_i s_i [loss + pen] over the rows (idx as above; none gives 0), writes the
  // gradient of that sum (no weight decay) to grad when not null and sum_i s_i to *total.
  double partial_sums(const double* w, double* grad, const std::size_t* idx, std::size_t count, double* total);

  std::size_t n_weights() const { return encoder_.n_weights(); }
  // The case weight of row i (1 without weights).
  double row_weight(std::size_t i) const { return data_.weights ? data_.weights[i] : 1.0; }
  std::size_t n_rows() const { return data_.n; }
  int threads() const { return threads_; }

 private:
  const Encoder& encoder_;
  Family family_;
  DataView data_;
  const Scaling& scaling_;
  Penalty penalty_;
  int threads_;
  std::vector<std::vector<double>> work_;  // one per thread: contents never affect results
  std::vector<double> group_grad_;
  // The row groups' sums (objective.cpp), into group_f, group_s and group_grad_.
  void accumulate(const double* w, bool with_grad, const std::size_t* idx, std::size_t count,
                  std::vector<double>& group_f, std::vector<double>& group_s);
};

// theta for each row of C (rows x m, user units) in user units; blocks in parallel.
void encode_samples(const Encoder& encoder, const Scaling& scaling, const double* w, const double* C,
                    std::size_t rows, double* theta, int threads);

int resolve_threads(int threads);

}  // namespace ctxstats
