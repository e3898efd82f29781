#include "encoders/mlp.hpp"

#include <algorithm>
#include <cmath>

#include "encoders/dense_kernels.hpp"

namespace ctxstats {

Mlp::Mlp(std::vector<int> sizes, Activation act) : sizes_(std::move(sizes)), act_(act) {
  for (std::size_t l = 0; l + 1 < sizes_.size(); ++l) {
    offsets_.push_back(n_weights_);
    n_weights_ += static_cast<std::size_t>(sizes_[l]) * sizes_[l + 1] + sizes_[l + 1];
  }
  for (std::size_t l = 1; l + 1 < sizes_.size(); ++l) {
    hidden_total_ += sizes_[l];
    max_hidden_ = std::max(max_hidden_, sizes_[l]);
  }
}

std::size_t Mlp::workspace_size(int rows) const {
  return static_cast<std::size_t>(rows) * (hidden_total_ + 2 * static_cast<std::size_t>(max_hidden_));
}

void Mlp::init(CounterRng& rng, double* w) const {
  for (std::size_t l = 0; l + 1 < sizes_.size(); ++l) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(sizes_[l]));
    const std::size_t count = static_cast<std::size_t>(sizes_[l]) * sizes_[l + 1] + sizes_[l + 1];
    for (std::size_t k = 0; k < count; ++k) w[offsets_[l] + k] = bound * (2.0 * rng.uniform() - 1.0);
  }
}

void Mlp::forward(const double* w, const double* in, int rows, double* out, double* work) const {
  const int layers = static_cast<int>(sizes_.size()) - 1;
  const double* a_prev = in;
  double* act_store = work;
  for (int l = 0; l < layers; ++l) {
    const int ni = sizes_[l], no = sizes_[l + 1];
    const double* W = w + offsets_[l];
    double* dst = (l == layers - 1) ? out : act_store;
    dense::affine(a_prev, rows, ni, W, W + static_cast<std::size_t>(no) * ni, no, dst);
    if (l < layers - 1) {
      const std::size_t count = static_cast<std::size_t>(rows) * no;
      if (act_ == Activation::kRelu) dense::relu_inplace(dst, count);
      else dense::tanh_inplace(dst, count);
      a_prev = act_store;
      act_store += count;
    }
  }
}

const double* Mlp::last_hidden(const double* in, int rows, const double* work) const {
  if (sizes_.size() == 2) return in;
  return work + static_cast<std::size_t>(rows) * (hidden_total_ - static_cast<std::size_t>(last_hidden_size()));
}

std::size_t Mlp::output_weight(int k, int l) const {
  const int h = last_hidden_size(), q = n_out();
  const std::size_t off = offsets_.back();
  return l < h ? off + static_cast<std::size_t>(k) * h + l : off + static_cast<std::size_t>(q) * h + k;
}

void Mlp::backward(const double* w, const double* in, int rows, const double* dout, double* grad, double* work,
                   double* din) const {
  const int layers = static_cast<int>(sizes_.size()) - 1;
  // Activation of each hidden layer, as stored by forward.
  std::vector<const double*> acts(layers);
  acts[0] = in;
  const double* p = work;
  for (int l = 1; l < layers; ++l) {
    acts[l] = p;
    p += static_cast<std::size_t>(rows) * sizes_[l];
  }
  double* buf_a = work + static_cast<std::size_t>(rows) * hidden_total_;
  double* buf_b = buf_a + static_cast<std::size_t>(rows) * max_hidden_;

  const double* delta = dout;  // dL/dZ of the current layer
  for (int l = layers - 1; l >= 0; --l) {
    const int ni = sizes_[l], no = sizes_[l + 1];
    double* gW = grad + offsets_[l];
    dense::accumulate_weight_grad(delta, acts[l], rows, ni, no, gW, gW + static_cast<std::size_t>(no) * ni);
    if (l == 0 && din == nullptr) break;
    double* next = (l == 0) ? din : buf_a;
    dense::input_grad(delta, w + offsets_[l], rows, ni, no, next);
    if (l > 0) {
      const std::size_t count = static_cast<std::size_t>(rows) * ni;
      if (act_ == Activation::kRelu) dense::relu_backward(acts[l], next, count);
      else dense::tanh_backward(acts[l], next, count);
      delta = next;
      std::swap(buf_a, buf_b);
    }
  }
}

}  // namespace ctxstats
