#include "inference/linear_projection.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.hpp"
#include "glm/bootstrap.hpp"
#include "inference/bootstrap_summary.hpp"

namespace ctxstats {

ContextProjection::ContextProjection(const double* C, std::size_t rows, int m) : m_(m), mean_(m, 0.0), scale_(m, 0.0) {
  require(m >= 1, "the projection on the context needs at least one context column");
  require(rows > static_cast<std::size_t>(m) + 1,
          "the projection on " + std::to_string(m) + " context columns needs more than " + std::to_string(m + 1) +
              " samples, not " + std::to_string(rows));
  check_finite(C, rows, m, "context");
  for (std::size_t i = 0; i < rows; ++i)
    for (int l = 0; l < m; ++l) mean_[l] += C[i * m + l];
  for (int l = 0; l < m; ++l) mean_[l] /= static_cast<double>(rows);
  for (std::size_t i = 0; i < rows; ++i)
    for (int l = 0; l < m; ++l) scale_[l] += (C[i * m + l] - mean_[l]) * (C[i * m + l] - mean_[l]);
  for (int l = 0; l < m; ++l) {
    scale_[l] = std::sqrt(scale_[l] / static_cast<double>(rows));
    require(scale_[l] > 0.0, "context column " + std::to_string(l + 1) +
                                 " is constant over the samples: its slope in the projection is not identified");
  }
  const int d = m + 1;
  Eigen::MatrixXd G = Eigen::MatrixXd::Zero(d, d);
  std::vector<double> z(d);
  for (std::size_t i = 0; i < rows; ++i) {
    design_row(C + i * m, z.data());
    for (int a = 0; a < d; ++a)
      for (int b = 0; b < d; ++b) G(a, b) += z[a] * z[b];
  }
  const Eigen::LLT<Eigen::MatrixXd> llt(G);
  require(llt.info() == Eigen::Success && llt.matrixLLT().diagonal().minCoeff() > 1e-7 * std::sqrt(G.maxCoeff()),
          "the context columns are collinear over the samples: the projection's slopes are not identified");
  const Eigen::MatrixXd inv = llt.solve(Eigen::MatrixXd::Identity(d, d));
  gram_inv_.resize(static_cast<std::size_t>(d) * d);
  for (int a = 0; a < d; ++a)
    for (int b = 0; b < d; ++b) gram_inv_[static_cast<std::size_t>(a) * d + b] = 0.5 * (inv(a, b) + inv(b, a));
}

void ContextProjection::design_row(const double* c, double* out) const {
  out[0] = 1.0;
  for (int l = 0; l < m_; ++l) out[l + 1] = (c[l] - mean_[l]) / scale_[l];
}

std::vector<double> ContextProjection::coefficients(const std::vector<double>& R, int k) const {
  const int d = m_ + 1;
  require(R.size() == static_cast<std::size_t>(d) * k, "the projection's right-hand side has the wrong size");
  std::vector<double> out(static_cast<std::size_t>(k) * d);
  for (int j = 0; j < k; ++j) {
    // scaled coefficients, then slope_l = beta~_l / s_l and intercept beta~_0 - sum_l slope_l cbar_l
    std::vector<double> beta(d, 0.0);
    for (int a = 0; a < d; ++a)
      for (int b = 0; b < d; ++b) beta[a] += gram_inv_[static_cast<std::size_t>(a) * d + b] * R[static_cast<std::size_t>(b) * k + j];
    double intercept = beta[0];
    for (int l = 0; l < m_; ++l) {
      const double slope = beta[l + 1] / scale_[l];
      out[static_cast<std::size_t>(j) * d + l + 1] = slope;
      intercept -= slope * mean_[l];
    }
    out[static_cast<std::size_t>(j) * d] = intercept;
  }
  return out;
}

std::vector<double> linear_projection(const double* theta, std::size_t rows, int q, const double* C, int m) {
  require(q >= 1, "there are no parameters to project");
  const ContextProjection P(C, rows, m);
  check_finite(theta, rows, q, "theta");
  const int d = P.dim();
  std::vector<double> R(static_cast<std::size_t>(d) * q, 0.0), z(d);
  for (std::size_t i = 0; i < rows; ++i) {
    P.design_row(C + i * m, z.data());
    for (int a = 0; a < d; ++a)
      for (int k = 0; k < q; ++k) R[static_cast<std::size_t>(a) * q + k] += z[a] * theta[i * q + k];
  }
  return P.coefficients(R, q);
}

std::vector<double> bootstrap_projections(const EncoderSpec& spec, const Scaling& scaling, const double* W,
                                          std::size_t B, std::size_t nw, const double* C, std::size_t rows, int m,
                                          int threads) {
  require(B >= 1, "the projection's bootstrap needs replicates: refit with n_bootstraps=B (e.g. 200)");
  const ContextProjection P(C, rows, m);
  const int q = scaling.q(), d = P.dim();
  const std::size_t width = static_cast<std::size_t>(d) * q;
  std::vector<double> R(B * width, 0.0), z(d);
  // Rows in chunks (bounded memory), each chunk's replicate parameters from the encoder, the
  // sums taken in row order for every replicate: the same result for any thread count.
  const std::size_t step = bootstrap_chunk_rows(B, q, rows);
  for (std::size_t s = 0; s < rows; s += step) {
    const std::size_t count = std::min(step, rows - s);
    const std::vector<double> tb = bootstrap_theta(spec, scaling, W, B, nw, C + s * m, count, m, threads);
    for (std::size_t i = 0; i < count; ++i) {
      P.design_row(C + (s + i) * m, z.data());
      for (std::size_t b = 0; b < B; ++b) {
        const double* t = tb.data() + (b * count + i) * q;
        double* r = R.data() + b * width;
        for (int a = 0; a < d; ++a)
          for (int k = 0; k < q; ++k) r[static_cast<std::size_t>(a) * q + k] += z[a] * t[k];
      }
    }
  }
  std::vector<double> out(B * width);
  for (std::size_t b = 0; b < B; ++b) {
    const std::vector<double> Rb(R.begin() + static_cast<std::ptrdiff_t>(b * width),
                                 R.begin() + static_cast<std::ptrdiff_t>((b + 1) * width));
    const std::vector<double> coef = P.coefficients(Rb, q);
    std::copy(coef.begin(), coef.end(), out.begin() + static_cast<std::ptrdiff_t>(b * width));
  }
  return out;
}

}  // namespace ctxstats
