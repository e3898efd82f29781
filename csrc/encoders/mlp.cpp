#include "encoders/mlp.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

namespace ctxstats {

namespace {
using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Map = Eigen::Map<RowMat>;
using CMap = Eigen::Map<const RowMat>;
using CVec = Eigen::Map<const Eigen::VectorXd>;
using Vec = Eigen::Map<Eigen::VectorXd>;
}  // namespace

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
    CMap W(w + offsets_[l], no, ni);
    CVec b(w + offsets_[l] + static_cast<std::size_t>(no) * ni, no);
    double* dst = (l == layers - 1) ? out : act_store;
    Map Z(dst, rows, no);
    Z.noalias() = CMap(a_prev, rows, ni) * W.transpose();
    Z.rowwise() += b.transpose();
    if (l < layers - 1) {
      if (act_ == Activation::kRelu) Z = Z.cwiseMax(0.0);
      // tanh(z) = 1 - 2 / (exp(2z) + 1): Eigen vectorises exp for doubles, not tanh.
      else Z = (1.0 - 2.0 / ((2.0 * Z.array()).exp() + 1.0)).matrix();
      a_prev = act_store;
      act_store += static_cast<std::size_t>(rows) * no;
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
    CMap D(delta, rows, no);
    CMap A(acts[l], rows, ni);
    Map gW(grad + offsets_[l], no, ni);
    Vec gb(grad + offsets_[l] + static_cast<std::size_t>(no) * ni, no);
    gW.noalias() += D.transpose() * A;
    gb += D.colwise().sum().transpose();
    if (l == 0 && din == nullptr) break;
    CMap W(w + offsets_[l], no, ni);
    double* next = (l == 0) ? din : buf_a;
    Map dA(next, rows, ni);
    dA.noalias() = D * W;
    if (l > 0) {
      if (act_ == Activation::kRelu) dA = (A.array() > 0.0).select(dA.array(), 0.0).matrix();
      else dA = (dA.array() * (1.0 - A.array().square())).matrix();
      delta = next;
      std::swap(buf_a, buf_b);
    }
  }
}

}  // namespace ctxstats
