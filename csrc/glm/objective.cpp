#include "glm/objective.hpp"
#include "glm/reduction.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.hpp"

namespace ctxstats {

// 0 means every core; more threads than cores are capped at the core count (results do not
// depend on the count, and a request for thousands of threads must not reach the OpenMP
// runtime, whose failure to create one ends the process).
int resolve_threads(int threads) {
  const int cores = std::max(1, omp_get_num_procs());
  if (threads <= 0) return std::max(1, std::min(omp_get_max_threads(), cores));
  return std::min(threads, cores);
}

int reduction_groups(std::size_t rows, int block_rows, int max_groups) {
  const std::size_t blocks = (rows + block_rows - 1) / block_rows;
  return static_cast<int>(std::max<std::size_t>(1, std::min<std::size_t>(blocks, max_groups)));
}

namespace {

// Scratch for one block: standardised rows, theta and its adjoint, the encoder's workspace.
struct BlockBuffers {
  double *C, *X, *y, *s, *theta, *dtheta, *enc;
  static std::size_t size(const Encoder& e, int rows) {
    return static_cast<std::size_t>(rows) * (e.m() + 3 * e.q() + 2) + e.workspace_size(rows);
  }
  BlockBuffers(std::vector<double>& buf, const Encoder& e, int rows) {
    if (buf.size() < size(e, rows)) buf.resize(size(e, rows));
    C = buf.data();
    X = C + static_cast<std::size_t>(rows) * e.m();
    y = X + static_cast<std::size_t>(rows) * e.q();
    s = y + rows;
    theta = s + rows;
    dtheta = theta + static_cast<std::size_t>(rows) * e.q();
    enc = dtheta + static_cast<std::size_t>(rows) * e.q();
  }
};

}  // namespace

Objective::Objective(const Encoder& encoder, Family family, const DataView& data, const Scaling& scaling,
                     const Penalty& penalty, int threads)
    : encoder_(encoder),
      family_(family),
      data_(data),
      scaling_(scaling),
      penalty_(penalty),
      threads_(resolve_threads(threads)),
      work_(threads_),
      group_grad_(static_cast<std::size_t>(kMaxGroups) * encoder.n_weights()) {
  validate_penalty(penalty);
}

double Objective::value_grad(const double* w, double* grad, const std::size_t* idx, std::size_t count) {
  std::vector<double> group_f, group_s;
  accumulate(w, grad != nullptr, idx, count, group_f, group_s);
  return reduce_objective(group_f, group_s, group_grad_.data(), encoder_.n_weights(), w, 1.0, penalty_.weight_decay,
                          grad, "the rows used for this objective");
}

double Objective::partial_sums(const double* w, double* grad, const std::size_t* idx, std::size_t count,
                               double* total) {
  std::vector<double> group_f, group_s;
  accumulate(w, grad != nullptr, idx, count, group_f, group_s);
  const std::size_t nw = encoder_.n_weights();
  double f = 0.0, s = 0.0;
  if (grad) std::fill(grad, grad + nw, 0.0);
  for (std::size_t g = 0; g < group_f.size(); ++g) {
    f += group_f[g];
    s += group_s[g];
    if (grad) {
      const double* gg = group_grad_.data() + g * nw;
      for (std::size_t k = 0; k < nw; ++k) grad[k] += gg[k];
    }
  }
  *total = s;
  return f;
}

void Objective::accumulate(const double* w, bool with_grad, const std::size_t* idx, std::size_t count,
                           std::vector<double>& group_f, std::vector<double>& group_s) {
  const int q = encoder_.q();
  const std::size_t nw = encoder_.n_weights();
  const std::size_t blocks = (count + kBlockRows - 1) / kBlockRows;
  const int groups = reduction_groups(count, kBlockRows, kMaxGroups);
  group_f.assign(groups, 0.0);
  group_s.assign(groups, 0.0);
  const double alpha = penalty_.alpha, l1 = penalty_.l1_ratio;
  const int off = scaling_.intercept ? 1 : 0;

#pragma omp parallel for num_threads(threads_) schedule(dynamic, 1) if (groups > 1)
  for (int g = 0; g < groups; ++g) {
    std::vector<double>& buf = work_[omp_get_thread_num()];
    BlockBuffers b(buf, encoder_, kBlockRows);
    double* gg = group_grad_.data() + static_cast<std::size_t>(g) * nw;
    if (with_grad) std::fill(gg, gg + nw, 0.0);
    double f = 0.0, ssum = 0.0;
    const std::size_t b0 = blocks * g / groups, b1 = blocks * (g + 1) / groups;
    for (std::size_t blk = b0; blk < b1; ++blk) {
      const std::size_t start = blk * kBlockRows;
      const int rows = static_cast<int>(std::min<std::size_t>(kBlockRows, count - start));
      load_rows(data_, scaling_, idx, start, rows, b.C, b.X, b.y, b.s);
      encoder_.forward(w, b.C, rows, b.theta, b.enc);
      for (int r = 0; r < rows; ++r) {
        const double* t = b.theta + static_cast<std::size_t>(r) * q;
        const double* x = b.X + static_cast<std::size_t>(r) * q;
        double* dt = b.dtheta + static_cast<std::size_t>(r) * q;
        double eta = 0.0;
        for (int k = 0; k < q; ++k) eta += t[k] * x[k];
        const double s = b.s[r];
        double fr = loss(family_, b.y[r], eta);
        const double dl = dloss(family_, b.y[r], eta);
        for (int k = 0; k < q; ++k) dt[k] = s * dl * x[k];
        if (alpha > 0.0) {
          for (int k = 0; k < q; ++k) {
            const double ratio = (off && k == 0) ? penalty_.mu_ratio : 1.0 - penalty_.mu_ratio;
            fr += elastic_net_term(alpha * ratio, l1, t[k], s, &dt[k]);
          }
        }
        f += s * fr;
        ssum += s;
      }
      if (with_grad) encoder_.backward(w, b.C, rows, b.dtheta, gg, b.enc);
    }
    group_f[g] = f;
    group_s[g] = ssum;
  }
}

double reduce_objective(const std::vector<double>& group_f, const std::vector<double>& group_s,
                        const double* group_grad, std::size_t nw, const double* w, double divisor,
                        double weight_decay, double* grad, const char* what, double* total_out) {
  const std::size_t groups = group_f.size();
  double f = 0.0, total = 0.0;
  for (std::size_t g = 0; g < groups; ++g) {
    f += group_f[g];
    total += group_s[g];
  }
  if (!(total > 0.0)) throw InvalidArgument(std::string(what) + " have zero total weight");
  if (total_out) *total_out = total;
  const double inv = 1.0 / (total * divisor);
  f *= inv;
  double decay = 0.0;
  for (std::size_t k = 0; k < nw; ++k) decay += w[k] * w[k];
  f += 0.5 * weight_decay * decay;
  if (grad) {
    std::fill(grad, grad + nw, 0.0);
    for (std::size_t g = 0; g < groups; ++g) {
      const double* gg = group_grad + g * nw;
      for (std::size_t k = 0; k < nw; ++k) grad[k] += gg[k];
    }
    for (std::size_t k = 0; k < nw; ++k) grad[k] = grad[k] * inv + weight_decay * w[k];
  }
  return f;
}

void encode_samples(const Encoder& encoder, const Scaling& scaling, const double* w, const double* C,
                    std::size_t rows, double* theta, int threads) {
  const int m = encoder.m(), q = encoder.q();
  require(m == static_cast<int>(scaling.c_mean.size()), "context has the wrong number of columns");
  const std::size_t blocks = (rows + kBlockRows - 1) / kBlockRows;
  const int nthreads = resolve_threads(threads);
  std::vector<std::vector<double>> work(nthreads);
  // Validate before the parallel loop: an exception must not leave an OpenMP region.
  check_finite(C, rows, m, "context");
#pragma omp parallel for num_threads(nthreads) schedule(dynamic, 1) if (blocks > 1)
  for (std::ptrdiff_t blk = 0; blk < static_cast<std::ptrdiff_t>(blocks); ++blk) {
    std::vector<double>& buf = work[omp_get_thread_num()];
    const std::size_t start = static_cast<std::size_t>(blk) * kBlockRows;
    const int n = static_cast<int>(std::min<std::size_t>(kBlockRows, rows - start));
    const std::size_t need = static_cast<std::size_t>(kBlockRows) * m + encoder.workspace_size(kBlockRows);
    if (buf.size() < need) buf.resize(need);
    for (int r = 0; r < n; ++r)
      for (int j = 0; j < m; ++j)
        buf[static_cast<std::size_t>(r) * m + j] = (C[(start + r) * m + j] - scaling.c_mean[j]) / scaling.c_scale[j];
    encoder.forward(w, buf.data(), n, theta + start * q, buf.data() + static_cast<std::size_t>(kBlockRows) * m);
  }
  theta_to_original(scaling, theta, rows);
}

}  // namespace ctxstats
