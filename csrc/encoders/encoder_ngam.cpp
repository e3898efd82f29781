// The neural additive (ngam) encoder: theta = sum_j g_j(c_j), one small network per context
// feature, so context features do not interact and each feature's effect can be plotted.
#include <algorithm>
#include <cstring>
#include <vector>

#include "encoders/encoder.hpp"
#include "encoders/mlp.hpp"

namespace ctxstats {

namespace {
class NgamEncoder final : public Encoder {
 public:
  NgamEncoder(int m, int q, const Mlp& net)
      : Encoder(m, q, net.n_weights() * static_cast<std::size_t>(m)), net_(net) {}

  // Per feature: its input column, its output block and the network's own workspace.
  std::size_t workspace_size(int rows) const override {
    const std::size_t per = net_.workspace_size(rows);
    return static_cast<std::size_t>(rows) * (1 + q()) + static_cast<std::size_t>(m()) * per;
  }

  void init(std::uint64_t seed, double* w) const override {
    for (int j = 0; j < m(); ++j) {
      CounterRng rng(seed, Stream::kInit, static_cast<std::uint64_t>(j));
      net_.init(rng, w + j * net_.n_weights());
    }
  }

  void forward(const double* w, const double* C, int rows, double* theta, double* work) const override {
    const int m = this->m(), q = this->q();
    double* col = work;
    double* part = work + rows;
    const std::size_t per = net_.workspace_size(rows);
    double* nets = work + static_cast<std::size_t>(rows) * (1 + q);
    std::fill(theta, theta + static_cast<std::size_t>(rows) * q, 0.0);
    for (int j = 0; j < m; ++j) {
      for (int r = 0; r < rows; ++r) col[r] = C[static_cast<std::size_t>(r) * m + j];
      net_.forward(w + j * net_.n_weights(), col, rows, part, nets + j * per);
      for (std::size_t k = 0; k < static_cast<std::size_t>(rows) * q; ++k) theta[k] += part[k];
    }
  }

  void backward(const double* w, const double* C, int rows, const double* dtheta, double* grad,
                double* work) const override {
    const int m = this->m(), q = this->q();
    double* col = work;
    const std::size_t per = net_.workspace_size(rows);
    double* nets = work + static_cast<std::size_t>(rows) * (1 + q);
    for (int j = 0; j < m; ++j) {
      for (int r = 0; r < rows; ++r) col[r] = C[static_cast<std::size_t>(r) * m + j];
      net_.backward(w + j * net_.n_weights(), col, rows, dtheta, grad + j * net_.n_weights(), nets + j * per,
                    nullptr);
    }
  }
  // f = [h_1(c_1), ..., h_m(c_m), 1]: every feature network's last hidden layer, then the
  // constant, whose weights are feature network 0's output biases (the other networks'
  // output biases stay outside V, in the offset).
  int output_features() const override { return m() * net_.last_hidden_size() + 1; }
  std::size_t output_weight(int k, int l) const override {
    const int H = net_.last_hidden_size();
    if (l == m() * H) return net_.output_weight(k, H);
    return static_cast<std::size_t>(l / H) * net_.n_weights() + net_.output_weight(k, l % H);
  }
  void features(const double* w, const double* C, int rows, double* F, double* work) const override {
    std::vector<double> theta(static_cast<std::size_t>(rows) * q());
    forward(w, C, rows, theta.data(), work);
    const int H = net_.last_hidden_size(), nf = output_features();
    const std::size_t per = net_.workspace_size(rows);
    const double* col = work;  // the last feature's column: only used when the network has no hidden layer
    const double* nets = work + static_cast<std::size_t>(rows) * (1 + q());
    for (int j = 0; j < m(); ++j) {
      const double* h = net_.last_hidden(col, rows, nets + j * per);
      for (int r = 0; r < rows; ++r)
        for (int l = 0; l < H; ++l)
          F[static_cast<std::size_t>(r) * nf + j * H + l] =
              H == 1 && h == col ? C[static_cast<std::size_t>(r) * m() + j] : h[static_cast<std::size_t>(r) * H + l];
    }
    for (int r = 0; r < rows; ++r) F[static_cast<std::size_t>(r) * nf + nf - 1] = 1.0;
  }

 private:
  Mlp net_;
};
}  // namespace

std::unique_ptr<Encoder> make_ngam_encoder(int m, int q, int width, int depth, Activation act) {
  std::vector<int> sizes{1};
  for (int l = 0; l < depth; ++l) sizes.push_back(width);
  sizes.push_back(q);
  return std::make_unique<NgamEncoder>(m, q, Mlp(sizes, act));
}

}  // namespace ctxstats
