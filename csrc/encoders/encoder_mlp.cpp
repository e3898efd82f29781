// The mlp encoder: a dense network from the whole context vector to theta, so context
// features may interact freely.
#include <algorithm>
#include <vector>

#include "encoders/encoder.hpp"
#include "encoders/mlp.hpp"

namespace ctxstats {

namespace {
class MlpEncoder final : public Encoder {
 public:
  MlpEncoder(int m, int q, std::vector<int> sizes, Activation act)
      : Encoder(m, q, Mlp(sizes, act).n_weights()), net_(std::move(sizes), act) {}

  std::size_t workspace_size(int rows) const override { return net_.workspace_size(rows); }
  void init(std::uint64_t seed, double* w) const override {
    CounterRng rng(seed, Stream::kInit);
    net_.init(rng, w);
  }
  void forward(const double* w, const double* C, int rows, double* theta, double* work) const override {
    net_.forward(w, C, rows, theta, work);
  }
  void backward(const double* w, const double* C, int rows, const double* dtheta, double* grad,
                double* work) const override {
    net_.backward(w, C, rows, dtheta, grad, work, nullptr);
  }
  // f = [last hidden layer, 1].
  int output_features() const override { return net_.last_hidden_size() + 1; }
  std::size_t output_weight(int k, int l) const override { return net_.output_weight(k, l); }
  void features(const double* w, const double* C, int rows, double* F, double* work) const override {
    std::vector<double> theta(static_cast<std::size_t>(rows) * q());
    net_.forward(w, C, rows, theta.data(), work);
    const double* h = net_.last_hidden(C, rows, work);
    const int H = net_.last_hidden_size();
    for (int r = 0; r < rows; ++r) {
      std::copy(h + static_cast<std::size_t>(r) * H, h + static_cast<std::size_t>(r + 1) * H,
                F + static_cast<std::size_t>(r) * (H + 1));
      F[static_cast<std::size_t>(r) * (H + 1) + H] = 1.0;
    }
  }

 private:
  Mlp net_;
};
}  // namespace

std::unique_ptr<Encoder> make_mlp_encoder(int m, int q, int width, int depth, Activation act) {
  std::vector<int> sizes{m};
  for (int l = 0; l < depth; ++l) sizes.push_back(width);
  sizes.push_back(q);
  return std::make_unique<MlpEncoder>(m, q, std::move(sizes), act);
}

}  // namespace ctxstats
