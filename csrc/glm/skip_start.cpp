#include "glm/skip_start.hpp"

#include <cmath>
#include <vector>

#include "common/error.hpp"

namespace ctxstats {

void linear_skip_start(const Encoder& encoder, Family family, const DataView& data, const Scaling& scaling,
                       const Penalty& penalty, const SolverOptions& options, double* w) {
  const int m = data.m, q = scaling.q();
  const int nf = encoder.output_features();
  const int nb = nf - m;  // the network's own features; its last one is the constant
  require(nb >= 1, "linear_skip_start: the encoder has no skip path");
  auto linear = make_linear_encoder(m, q);
  std::vector<double> lw(linear->n_weights(), 0.0);
  SolverOptions o;
  o.seed = options.seed;
  o.threads = options.threads;
  Penalty pen = penalty;
  pen.weight_decay = 0.0;  // the linear model's weights are not the network's
  // The exact solver takes the L2 part of the elastic net; the L1 part is left to the network's fit.
  pen.alpha *= 1.0 - pen.l1_ratio;
  pen.l1_ratio = 0.0;
  solve_exact(*linear, family, data, scaling, pen, o, lw.data());
  for (double v : lw)
    require(std::isfinite(v), "linear_skip: the exact linear varying-coefficient fit that starts the network is not "
                              "finite (separated or collinear data?); use linear_skip=False");
  // The network's output layer to zero: what remains of theta is its offset (e.g. the other
  // ngam feature networks' output biases), a constant, which the constant feature cancels.
  for (int k = 0; k < q; ++k)
    for (int l = 0; l < nf; ++l) w[encoder.output_weight(k, l)] = 0.0;
  std::vector<double> theta(q), work(encoder.workspace_size(1));
  std::vector<double> c0(m, 0.0);
  encoder.forward(w, c0.data(), 1, theta.data(), work.data());
  for (int k = 0; k < q; ++k) {
    const double* row = lw.data() + static_cast<std::size_t>(k) * (m + 1);
    w[encoder.output_weight(k, nb - 1)] = row[0] - theta[k];
    for (int j = 0; j < m; ++j) w[encoder.output_weight(k, nb + j)] = row[1 + j];
  }
}

}  // namespace ctxstats
