// The mlp encoder: a dense network from the whole context vector to theta, so context
// features may interact freely.
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
