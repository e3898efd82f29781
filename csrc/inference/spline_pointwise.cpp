#include "inference/spline_pointwise.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <string>

#include "encoders/context_basis.hpp"
#include "common/error.hpp"
#include "inference/linear_projection.hpp"
#include "inference/user_units.hpp"
#include "glm/objective.hpp"

namespace ctxstats {

namespace {

// The spline basis of a fit, after checking that the weights, Vp and contexts belong to it.
auto checked_basis(const EncoderSpec& spec, const Scaling& scaling, const std::vector<double>& weights,
                   const std::vector<double>& Vp, const double* C, std::size_t rows, int m) {
  require(spec.type == "spline", "the model's encoder is not 'spline'");
  require(m == static_cast<int>(scaling.c_mean.size()), "context has " + std::to_string(m) +
                                                            " columns; the model was fitted with " +
                                                            std::to_string(scaling.c_mean.size()));
  check_finite(C, rows, m, "context");
  auto basis = make_spline_basis(spec, m);
  const std::size_t D = static_cast<std::size_t>(scaling.q()) * basis->size();
  require(weights.size() == D, "the weights have the wrong length for this spline basis");
  require(Vp.size() == D * D, "Vp has the wrong size for this spline basis");
  return basis;
}

// Evaluates the basis at the contexts C (user units) in row blocks of bounded memory, calling
// f(first_row, n, B) with the block's basis rows (n x nb, row-major) in row order.
template <typename Basis, typename F>
void for_basis_blocks(const Basis& basis, const Scaling& scaling, const double* C, std::size_t rows, int m, F f) {
  constexpr std::size_t kChunk = 4096;
  const int nb = basis.size();
  std::vector<double> Cs, B;
  for (std::size_t start = 0; start < rows; start += kChunk) {
    const std::size_t n = std::min(kChunk, rows - start);
    Cs.resize(n * static_cast<std::size_t>(m));
    B.resize(n * static_cast<std::size_t>(nb));
    scale_context(scaling, C + start * m, n, m, Cs.data());
    basis.eval(Cs.data(), static_cast<int>(n), B.data());
    f(start, n, B);
  }
}

// A linear map L of the weights: its value L w (+ y_mean on the first entry, the intercept's,
// when the fit has an intercept) and its covariance L Vp L' (symmetrised, row-major).
void map_of_weights(const Eigen::MatrixXd& L, const std::vector<double>& weights, const std::vector<double>& Vp,
                    const Scaling& scaling, std::vector<double>& estimate, std::vector<double>& cov) {
  using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Index D = L.cols(), K = L.rows();
  const Eigen::Map<const RowMat> V(Vp.data(), D, D);
  const Eigen::Map<const Eigen::VectorXd> w(weights.data(), D);
  Eigen::VectorXd est = L * w;
  if (scaling.intercept) est[0] += scaling.y_mean;
  const Eigen::MatrixXd c = L * V * L.transpose();
  estimate.assign(est.data(), est.data() + K);
  cov.resize(static_cast<std::size_t>(K * K));
  for (Eigen::Index a = 0; a < K; ++a)
    for (Eigen::Index b = 0; b < K; ++b) cov[static_cast<std::size_t>(a * K + b)] = 0.5 * (c(a, b) + c(b, a));
}

}  // namespace

Pointwise spline_pointwise(const EncoderSpec& spec, const Scaling& scaling, const std::vector<double>& weights,
                           const std::vector<double>& Vp, const double* C, std::size_t rows, int m, int term,
                           int threads) {
  const auto basis = checked_basis(spec, scaling, weights, Vp, C, rows, m);
  const int q = scaling.q(), nb = basis->size();
  const auto& terms = basis->terms();
  require(term < static_cast<int>(terms.size()), "term " + std::to_string(term) + " is not a term of the basis");
  std::vector<int> cols;
  if (term < 0) {
    cols.resize(nb);
    for (int i = 0; i < nb; ++i) cols[i] = i;
  } else {
    for (int i = 0; i < terms[term].size; ++i) cols.push_back(terms[term].offset + i);
  }
  const int s = static_cast<int>(cols.size());

  std::vector<double> Cs(rows * static_cast<std::size_t>(m));
  scale_context(scaling, C, rows, m, Cs.data());
  std::vector<double> Bfull(rows * static_cast<std::size_t>(nb));
  basis->eval(Cs.data(), static_cast<int>(rows), Bfull.data());
  using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMat> Bf(Bfull.data(), static_cast<Eigen::Index>(rows), nb);
  RowMat B(static_cast<Eigen::Index>(rows), s);
  for (int j = 0; j < s; ++j) B.col(j) = Bf.col(cols[j]);

  const int nthreads = resolve_threads(threads);
  const Eigen::MatrixXd G = user_theta_map(scaling);
  const Eigen::Map<const RowMat> W(weights.data(), q, nb);
  Pointwise out;
  out.estimate.assign(rows * static_cast<std::size_t>(q), 0.0);
  out.se.assign(rows * static_cast<std::size_t>(q), 0.0);
  for (int k = 0; k < q; ++k) {
    Eigen::VectorXd gamma = Eigen::VectorXd::Zero(s);
    for (int a = 0; a < q; ++a)
      if (G(k, a) != 0.0)
        for (int j = 0; j < s; ++j) gamma[j] += G(k, a) * W(a, cols[j]);
    const Eigen::MatrixXd M = combine_output_blocks(Vp.data(), G, k, nb, cols);
    const double shift = (term < 0 && k == 0 && scaling.intercept) ? scaling.y_mean : 0.0;
    const auto n = static_cast<std::ptrdiff_t>(rows);
#pragma omp parallel for num_threads(nthreads) schedule(static)
    for (std::ptrdiff_t i = 0; i < n; ++i) {
      const auto b = B.row(i);
      const double var = b * M * b.transpose();
      out.estimate[static_cast<std::size_t>(i) * q + k] = b.dot(gamma) + shift;
      out.se[static_cast<std::size_t>(i) * q + k] = std::sqrt(std::max(var, 0.0));
    }
  }
  return out;
}

std::vector<double> spline_linear_predictor_se(const EncoderSpec& spec, const Scaling& scaling,
                                               const std::vector<double>& weights, const std::vector<double>& Vp,
                                               const double* X, const double* C, std::size_t rows, int p, int m,
                                               int threads) {
  const auto basis = checked_basis(spec, scaling, weights, Vp, C, rows, m);
  const int q = scaling.q(), nb = basis->size(), off = scaling.intercept ? 1 : 0;
  require(p + off == q, "exog has " + std::to_string(p) + " columns; the model was fitted with " +
                            std::to_string(q - off));
  check_finite(X, rows, p, "exog");
  const Eigen::Index D = static_cast<Eigen::Index>(q) * nb;
  using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMat> V(Vp.data(), D, D);
  const Eigen::MatrixXd Gt = user_theta_map(scaling).transpose();
  std::vector<double> out(rows);
  const int nthreads = resolve_threads(threads);
  // Each block's basis at once, then one z' Vp z per row (independent rows: the result does not
  // depend on the thread count).
  for_basis_blocks(*basis, scaling, C, rows, m, [&](std::size_t start, std::size_t n, const std::vector<double>& B) {
    const auto nn = static_cast<std::ptrdiff_t>(n);
#pragma omp parallel for num_threads(nthreads) schedule(static)
    for (std::ptrdiff_t i = 0; i < nn; ++i) {
      Eigen::VectorXd xt(q);
      if (off) xt[0] = 1.0;
      for (int j = 0; j < p; ++j) xt[off + j] = X[(start + static_cast<std::size_t>(i)) * p + j];
      const Eigen::VectorXd u = Gt * xt;
      Eigen::VectorXd z(D);
      for (int a = 0; a < q; ++a)
        for (int j = 0; j < nb; ++j)
          z[static_cast<Eigen::Index>(a) * nb + j] = u[a] * B[static_cast<std::size_t>(i) * nb + j];
      out[start + static_cast<std::size_t>(i)] = std::sqrt(std::max(z.dot(V * z), 0.0));
    }
  });
  return out;
}

namespace {

// The sum of the basis rows at the contexts C, in row order.
Eigen::VectorXd basis_row_sum(const ContextBasis& basis, const Scaling& scaling, const double* C, std::size_t rows,
                              int m) {
  const int nb = basis.size();
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(nb);
  for_basis_blocks(basis, scaling, C, rows, m, [&](std::size_t, std::size_t n, const std::vector<double>& B) {
    for (std::size_t i = 0; i < n; ++i)
      for (int j = 0; j < nb; ++j) sum[j] += B[i * nb + j];
  });
  return sum;
}

// L of average_effects_map at the mean basis row bbar.
Eigen::MatrixXd average_effects_map_at(int nb, const Scaling& scaling, const Eigen::VectorXd& bbar) {
  const int q = scaling.q();
  const Eigen::MatrixXd G = user_theta_map(scaling);
  Eigen::MatrixXd L = Eigen::MatrixXd::Zero(q, static_cast<Eigen::Index>(q) * nb);
  for (int k = 0; k < q; ++k)
    for (int a = 0; a < q; ++a)
      if (G(k, a) != 0.0) L.block(k, static_cast<Eigen::Index>(a) * nb, 1, nb) = G(k, a) * bbar.transpose();
  return L;
}

}  // namespace

Eigen::MatrixXd average_effects_map(const ContextBasis& basis, const Scaling& scaling, const double* C,
                                    std::size_t rows, int m) {
  require(rows > 0, "context has zero rows");
  const Eigen::VectorXd bbar = basis_row_sum(basis, scaling, C, rows, m) / static_cast<double>(rows);
  return average_effects_map_at(basis.size(), scaling, bbar);
}

std::vector<double> spline_basis_sum(const EncoderSpec& spec, const Scaling& scaling, const double* C,
                                     std::size_t rows, int m) {
  require(spec.type == "spline", "the model's encoder is not 'spline'");
  require(m == static_cast<int>(scaling.c_mean.size()), "context has the wrong number of columns for this fit");
  check_finite(C, rows, m, "context");
  const Eigen::VectorXd sum = basis_row_sum(*make_spline_basis(spec, m), scaling, C, rows, m);
  return std::vector<double>(sum.data(), sum.data() + sum.size());
}

SplineAverageEffects spline_average_effects_at(const EncoderSpec& spec, const Scaling& scaling,
                                               const std::vector<double>& weights, const std::vector<double>& Vp,
                                               const std::vector<double>& bbar) {
  const int m = static_cast<int>(scaling.c_mean.size());
  const double none = 0.0;  // no contexts: the mean basis row stands for them
  const auto basis = checked_basis(spec, scaling, weights, Vp, &none, 0, m);
  require(bbar.size() == static_cast<std::size_t>(basis->size()), "the mean basis row has the wrong length");
  SplineAverageEffects out;
  map_of_weights(average_effects_map_at(basis->size(), scaling, Eigen::Map<const Eigen::VectorXd>(bbar.data(),
                                                                                                  basis->size())),
                 weights, Vp, scaling, out.estimate, out.cov);
  return out;
}

SplineAverageEffects spline_average_effects(const EncoderSpec& spec, const Scaling& scaling,
                                            const std::vector<double>& weights, const std::vector<double>& Vp,
                                            const double* C, std::size_t rows, int m) {
  require(rows > 0, "context has zero rows");
  const auto basis = checked_basis(spec, scaling, weights, Vp, C, rows, m);
  SplineAverageEffects out;
  map_of_weights(average_effects_map(*basis, scaling, C, rows, m), weights, Vp, scaling, out.estimate, out.cov);
  return out;
}

SplineProjection spline_projection(const EncoderSpec& spec, const Scaling& scaling, const std::vector<double>& weights,
                                   const std::vector<double>& Vp, const double* C, std::size_t rows, int m) {
  const auto basis = checked_basis(spec, scaling, weights, Vp, C, rows, m);
  const ContextProjection P(C, rows, m);
  const int q = scaling.q(), nb = basis->size(), d = P.dim();
  // A = sum_i design(c_i) b(c_i)' (d x nb), summed in row order.
  std::vector<double> A(static_cast<std::size_t>(d) * nb, 0.0), z(d);
  for_basis_blocks(*basis, scaling, C, rows, m, [&](std::size_t start, std::size_t n, const std::vector<double>& B) {
    for (std::size_t i = 0; i < n; ++i) {
      P.design_row(C + (start + i) * m, z.data());
      for (int a = 0; a < d; ++a)
        for (int j = 0; j < nb; ++j) A[static_cast<std::size_t>(a) * nb + j] += z[a] * B[i * nb + j];
    }
  });
  const std::vector<double> M = P.coefficients(A, nb);  // nb x d: basis column j's projection
  const Eigen::MatrixXd G = user_theta_map(scaling);
  Eigen::MatrixXd L = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(q) * d, static_cast<Eigen::Index>(q) * nb);
  for (int k = 0; k < q; ++k)
    for (int l = 0; l < d; ++l)
      for (int a = 0; a < q; ++a)
        if (G(k, a) != 0.0)
          for (int j = 0; j < nb; ++j)
            L(static_cast<Eigen::Index>(k) * d + l, static_cast<Eigen::Index>(a) * nb + j) =
                G(k, a) * M[static_cast<std::size_t>(j) * d + l];
  SplineProjection out;  // the constant y_mean projects on the intercept's value at c = 0
  map_of_weights(L, weights, Vp, scaling, out.estimate, out.cov);
  return out;
}

}  // namespace ctxstats
