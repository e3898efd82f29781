// The objectives the network fits minimise (private to csrc/networks): the regressions'
// (network_fit.cpp) and the Bayesian networks' (bayesian_objective.cpp), behind one interface.
#pragma once
#include <algorithm>
#include <memory>
#include <vector>

#include "common/data.hpp"
#include "encoders/encoder.hpp"
#include "glm/objective.hpp"
#include "networks/networks.hpp"

namespace ctxstats {

class NetworkLoss {
 public:
  virtual ~NetworkLoss() = default;
  // L(w) and (grad not null) its gradient; rss (not null) receives each regression's weighted
  // mean squared residual (internal scale), one per regression of the layout.
  virtual double value_grad(const double* w, double* grad, std::vector<double>* rss = nullptr) const = 0;
  // Bayesian networks: the acyclicity at the weights of the latest value_grad -- the rows'
  // weighted mean h(W_i) and the sum over archetypes of h(A_k) (0 for a part without a
  // penalty); 0 for the other networks.
  virtual void last_acyclicity(double* sample, double* archetype) const { *sample = *archetype = 0.0; }
};

// The pass over the rows both network objectives make: fixed blocks of kBlockRows rows,
// gathered into `groups` groups (reduction_groups) run in parallel and reduced in order by the
// caller. For every row, row(g, t, z, dt, s) returns the row's loss and writes d loss / d theta
// (already times the row weight s) to dt, with t the encoder's outputs (q), z = [1, x'] on the
// internal scale and g the row's group (for the caller's per-group sums). group_f[g] receives
// sum_rows s * loss, group_s[g] sum_rows s, group_grad (groups x n_weights; null: no gradient)
// the encoder's backward pass.
template <typename Row>
void network_row_pass(const Encoder& encoder, const DataView& data, const Scaling& scaling, const double* w,
                      int threads, int groups, std::vector<double>& group_f, std::vector<double>& group_s,
                      double* group_grad, Row row) {
  const std::size_t n = data.n, nw = encoder.n_weights(), blocks = (n + kBlockRows - 1) / kBlockRows;
  const int m = data.m, p = data.p, q = encoder.q();
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (groups > 1)
  for (int g = 0; g < groups; ++g) {
    std::vector<double> Cs(static_cast<std::size_t>(kBlockRows) * m), Xs(static_cast<std::size_t>(kBlockRows) * (p + 1)),
        ys(kBlockRows), ws(kBlockRows), theta(static_cast<std::size_t>(kBlockRows) * q),
        dtheta(static_cast<std::size_t>(kBlockRows) * q), work(encoder.workspace_size(kBlockRows));
    double* gg = group_grad ? group_grad + static_cast<std::size_t>(g) * nw : nullptr;
    double f = 0.0, ssum = 0.0;
    const std::size_t b0 = blocks * g / groups, b1 = blocks * (g + 1) / groups;
    for (std::size_t blk = b0; blk < b1; ++blk) {
      const std::size_t start = blk * kBlockRows;
      const int rows = static_cast<int>(std::min<std::size_t>(kBlockRows, n - start));
      load_rows(data, scaling, nullptr, start, rows, Cs.data(), Xs.data(), ys.data(), ws.data());
      encoder.forward(w, Cs.data(), rows, theta.data(), work.data());
      for (int r = 0; r < rows; ++r) {
        const double s = ws[r];
        f += s * row(g, theta.data() + static_cast<std::size_t>(r) * q, Xs.data() + static_cast<std::size_t>(r) * (p + 1),
                     dtheta.data() + static_cast<std::size_t>(r) * q, s);
        ssum += s;
      }
      if (gg) encoder.backward(w, Cs.data(), rows, dtheta.data(), gg, work.data());
    }
    group_f[g] = f;
    group_s[g] = ssum;
  }
}

// rss = the groups' per-regression weighted sums of squared residuals (groups x R), summed in
// group order and divided by the total row weight.
inline void reduce_rss(const std::vector<double>& group_rss, int groups, int R, double total,
                       std::vector<double>* rss) {
  rss->assign(R, 0.0);
  for (int g = 0; g < groups; ++g)
    for (int k = 0; k < R; ++k) (*rss)[k] += group_rss[static_cast<std::size_t>(g) * R + k];
  for (double& v : *rss) v /= total;
}

std::unique_ptr<NetworkLoss> make_bayesian_loss(const Encoder& encoder, const NetworkLayout& layout,
                                                const DataView& data, const Scaling& scaling, const Penalty& penalty,
                                                const DagOptions& dag, int archetypes, int threads);

}  // namespace ctxstats
