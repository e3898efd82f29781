// The archetype head over any encoder: theta = softmax(z(C)) A, where z is the base encoder
// with K outputs and A (K x q) holds the archetype models, so every sample model is a convex
// mixture of K archetypes. Weights: the base encoder's, then A row-major.
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <vector>

#include "encoders/encoder.hpp"
#include "common/rng.hpp"

namespace ctxstats {

namespace {
using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Map = Eigen::Map<RowMat>;
using CMap = Eigen::Map<const RowMat>;

class ArchetypeEncoder final : public Encoder {
 public:
  ArchetypeEncoder(std::unique_ptr<Encoder> base, int q)
      : Encoder(base->m(), q, base->n_weights() + static_cast<std::size_t>(base->q()) * q),
        base_(std::move(base)) {}

  // z (rows x K), softmax weights (rows x K), d/da scratch (rows x K), then the base's own.
  std::size_t workspace_size(int rows) const override {
    return 3 * static_cast<std::size_t>(rows) * base_->q() + base_->workspace_size(rows);
  }

  void init(std::uint64_t seed, double* w) const override {
    base_->init(seed, w);
    const int K = base_->q();
    CounterRng rng(seed, Stream::kInit, 0xa7c4e7ULL);
    const double bound = 1.0 / std::sqrt(static_cast<double>(K));
    double* A = w + base_->n_weights();
    for (std::size_t k = 0; k < static_cast<std::size_t>(K) * q(); ++k) A[k] = bound * (2.0 * rng.uniform() - 1.0);
    // A linear base starting at zero would give every sample the same mixture; perturb it.
    if (base_->is_linear())
      for (std::size_t k = 0; k < base_->n_weights(); ++k) w[k] = 0.1 * (2.0 * rng.uniform() - 1.0);
  }

  void forward(const double* w, const double* C, int rows, double* theta, double* work) const override {
    const int K = base_->q(), q = this->q();
    double* z = work;
    double* a = work + static_cast<std::size_t>(rows) * K;
    double* base_work = work + 3 * static_cast<std::size_t>(rows) * K;
    base_->forward(w, C, rows, z, base_work);
    for (int r = 0; r < rows; ++r) {
      const double* zr = z + static_cast<std::size_t>(r) * K;
      double* ar = a + static_cast<std::size_t>(r) * K;
      double mx = zr[0];
      for (int k = 1; k < K; ++k) mx = std::max(mx, zr[k]);
      double sum = 0.0;
      for (int k = 0; k < K; ++k) sum += (ar[k] = std::exp(zr[k] - mx));
      for (int k = 0; k < K; ++k) ar[k] /= sum;
    }
    CMap Am(w + base_->n_weights(), K, q);
    Map(theta, rows, q).noalias() = CMap(a, rows, K) * Am;
  }

  void backward(const double* w, const double* C, int rows, const double* dtheta, double* grad,
                double* work) const override {
    const int K = base_->q(), q = this->q();
    double* z = work;  // reused for dL/dz once the softmax weights are known
    const double* a = work + static_cast<std::size_t>(rows) * K;
    double* da = work + 2 * static_cast<std::size_t>(rows) * K;
    double* base_work = work + 3 * static_cast<std::size_t>(rows) * K;
    CMap Am(w + base_->n_weights(), K, q);
    CMap D(dtheta, rows, q);
    CMap Aw(a, rows, K);
    Map(grad + base_->n_weights(), K, q).noalias() += Aw.transpose() * D;
    Map(da, rows, K).noalias() = D * Am.transpose();
    for (int r = 0; r < rows; ++r) {
      const double* ar = a + static_cast<std::size_t>(r) * K;
      const double* dar = da + static_cast<std::size_t>(r) * K;
      double dot = 0.0;
      for (int k = 0; k < K; ++k) dot += ar[k] * dar[k];
      double* dz = z + static_cast<std::size_t>(r) * K;
      for (int k = 0; k < K; ++k) dz[k] = ar[k] * (dar[k] - dot);
    }
    base_->backward(w, C, rows, z, grad, base_work);
  }
  // f = the softmax mixing weights; V = A'.
  int output_features() const override { return base_->q(); }
  std::size_t output_weight(int k, int l) const override {
    return base_->n_weights() + static_cast<std::size_t>(l) * q() + k;
  }
  void features(const double* w, const double* C, int rows, double* F, double* work) const override {
    std::vector<double> theta(static_cast<std::size_t>(rows) * q());
    forward(w, C, rows, theta.data(), work);
    const double* a = work + static_cast<std::size_t>(rows) * base_->q();
    std::copy(a, a + static_cast<std::size_t>(rows) * base_->q(), F);
  }

 private:
  std::unique_ptr<Encoder> base_;
};
}  // namespace

std::unique_ptr<Encoder> make_archetype_encoder(std::unique_ptr<Encoder> base, int q) {
  return std::make_unique<ArchetypeEncoder>(std::move(base), q);
}

}  // namespace ctxstats
