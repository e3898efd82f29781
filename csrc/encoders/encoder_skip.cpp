// A linear skip path around a network (option linear_skip):
//   theta_i = net(c_i) + B c_i,      B q x m, after the network's weights (row-major),
// so the network adds to the linear varying-coefficient model what it misses. The skip has no
// bias of its own (the network's output bias is the constant), so the output layer of the
// whole encoder is the network's with the context columns appended to its features:
// f = [network features, c], and the exact output-layer machinery (glm/output_layer.hpp) and
// variable projection solve B with the network's output layer.
#include <algorithm>
#include <vector>

#include "encoders/encoder.hpp"

namespace ctxstats {

namespace {
class SkipEncoder final : public Encoder {
 public:
  SkipEncoder(std::unique_ptr<Encoder> base, int m, int q)
      : Encoder(m, q, base->n_weights() + static_cast<std::size_t>(q) * m), base_(std::move(base)) {}

  std::size_t workspace_size(int rows) const override {
    return base_->workspace_size(rows) + static_cast<std::size_t>(rows) * base_->output_features();
  }
  // The network's seeded weights; the skip starts at zero (fit() sets it from the linear fit).
  void init(std::uint64_t seed, double* w) const override {
    base_->init(seed, w);
    std::fill(w + base_->n_weights(), w + n_weights(), 0.0);
  }
  void forward(const double* w, const double* C, int rows, double* theta, double* work) const override {
    base_->forward(w, C, rows, theta, work);
    const int m = this->m(), q = this->q();
    const double* B = w + base_->n_weights();
    for (int r = 0; r < rows; ++r) {
      const double* c = C + static_cast<std::size_t>(r) * m;
      double* t = theta + static_cast<std::size_t>(r) * q;
      for (int k = 0; k < q; ++k) {
        const double* b = B + static_cast<std::size_t>(k) * m;
        double s = 0.0;
        for (int j = 0; j < m; ++j) s += b[j] * c[j];
        t[k] += s;
      }
    }
  }
  void backward(const double* w, const double* C, int rows, const double* dtheta, double* grad,
                double* work) const override {
    base_->backward(w, C, rows, dtheta, grad, work);
    const int m = this->m(), q = this->q();
    double* gB = grad + base_->n_weights();
    for (int r = 0; r < rows; ++r) {
      const double* c = C + static_cast<std::size_t>(r) * m;
      const double* d = dtheta + static_cast<std::size_t>(r) * q;
      for (int k = 0; k < q; ++k) {
        double* g = gB + static_cast<std::size_t>(k) * m;
        for (int j = 0; j < m; ++j) g[j] += d[k] * c[j];
      }
    }
  }
  int output_features() const override { return base_->output_features() + m(); }
  std::size_t output_weight(int k, int l) const override {
    const int nb = base_->output_features();
    if (l < nb) return base_->output_weight(k, l);
    return base_->n_weights() + static_cast<std::size_t>(k) * m() + (l - nb);
  }
  void features(const double* w, const double* C, int rows, double* F, double* work) const override {
    const int nb = base_->output_features(), nf = output_features(), m = this->m();
    double* Fb = work + base_->workspace_size(rows);
    base_->features(w, C, rows, Fb, work);
    for (int r = 0; r < rows; ++r) {
      std::copy(Fb + static_cast<std::size_t>(r) * nb, Fb + static_cast<std::size_t>(r + 1) * nb,
                F + static_cast<std::size_t>(r) * nf);
      std::copy(C + static_cast<std::size_t>(r) * m, C + static_cast<std::size_t>(r + 1) * m,
                F + static_cast<std::size_t>(r) * nf + nb);
    }
  }

 private:
  std::unique_ptr<Encoder> base_;
};
}  // namespace

std::unique_ptr<Encoder> make_skip_encoder(std::unique_ptr<Encoder> base, int m, int q) {
  return std::make_unique<SkipEncoder>(std::move(base), m, q);
}

}  // namespace ctxstats
