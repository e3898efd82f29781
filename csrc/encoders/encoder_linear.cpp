// The linear encoder: theta = [bias, W] [1; c], the classical linear varying-coefficient
// model. Weights are the q x (m+1) matrix row-major, so weight k*(m+1)+l multiplies the
// interaction x_k * c_l of the exact solver's design (c_0 = 1).
#include <Eigen/Dense>

#include "encoders/encoder.hpp"
#include "common/rng.hpp"

namespace ctxstats {

namespace {
using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

class LinearEncoder final : public Encoder {
 public:
  LinearEncoder(int m, int q) : Encoder(m, q, static_cast<std::size_t>(q) * (m + 1)) {}

  std::size_t workspace_size(int) const override { return 0; }

  void init(std::uint64_t, double* w) const override {
    for (std::size_t k = 0; k < n_weights(); ++k) w[k] = 0.0;
  }

  void forward(const double* w, const double* C, int rows, double* theta, double*) const override {
    const int m = this->m(), q = this->q();
    Eigen::Map<const RowMat> Wt(w, q, m + 1);
    Eigen::Map<const RowMat> Cm(C, rows, m);
    Eigen::Map<RowMat> T(theta, rows, q);
    T.noalias() = Cm * Wt.rightCols(m).transpose();
    T.rowwise() += Wt.col(0).transpose();
  }

  void backward(const double*, const double* C, int rows, const double* dtheta, double* grad,
                double*) const override {
    const int m = this->m(), q = this->q();
    Eigen::Map<const RowMat> Cm(C, rows, m);
    Eigen::Map<const RowMat> D(dtheta, rows, q);
    Eigen::Map<RowMat> G(grad, q, m + 1);
    G.rightCols(m).noalias() += D.transpose() * Cm;
    G.col(0) += D.colwise().sum().transpose();
  }

  bool is_linear() const override { return true; }
};
}  // namespace

std::unique_ptr<Encoder> make_linear_encoder(int m, int q) { return std::make_unique<LinearEncoder>(m, q); }

}  // namespace ctxstats
