// The spline encoder: theta = W b(c), b the penalised B-spline context basis of
// context_basis.hpp, W the q x size weight matrix (row-major). Linear in W, so the exact
// solver fits it; forward and backward also let the gradient-based solvers use it.
#include <Eigen/Dense>

#include "encoders/context_basis.hpp"
#include "encoders/encoder.hpp"

namespace ctxstats {

namespace {
using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class SplineEncoder final : public Encoder {
 public:
  SplineEncoder(std::unique_ptr<ContextBasis> basis, int q)
      : Encoder(basis->m(), q, static_cast<std::size_t>(q) * basis->size()), basis_(std::move(basis)) {}

  // The basis values of the block.
  std::size_t workspace_size(int rows) const override { return static_cast<std::size_t>(rows) * basis_->size(); }

  void init(std::uint64_t, double* w) const override {
    for (std::size_t k = 0; k < n_weights(); ++k) w[k] = 0.0;
  }

  void forward(const double* w, const double* C, int rows, double* theta, double* work) const override {
    const int nb = basis_->size(), q = this->q();
    basis_->eval(C, rows, work);
    Eigen::Map<const RowMat> B(work, rows, nb);
    Eigen::Map<const RowMat> W(w, q, nb);
    Eigen::Map<RowMat> T(theta, rows, q);
    T.noalias() = B * W.transpose();
  }

  void backward(const double*, const double*, int rows, const double* dtheta, double* grad,
                double* work) const override {
    const int nb = basis_->size(), q = this->q();
    Eigen::Map<const RowMat> B(work, rows, nb);
    Eigen::Map<const RowMat> D(dtheta, rows, q);
    Eigen::Map<RowMat> G(grad, q, nb);
    G.noalias() += D.transpose() * B;
  }

  const ContextBasis* context_basis() const override { return basis_.get(); }

 private:
  std::unique_ptr<ContextBasis> basis_;
};
}  // namespace

std::unique_ptr<Encoder> make_spline_encoder(const EncoderSpec& spec, int m, int q) {
  return std::make_unique<SplineEncoder>(make_spline_basis(spec, m), q);
}

}  // namespace ctxstats
