// The best linear projection of per-sample parameters on the context, the summary grf reports
// for heterogeneous effects: for each parameter k the least-squares coefficients of
// theta_k(c_i) on [1, c_i] over the samples, in user units -- q x (m+1), row-major, the
// intercept (the value at c = 0) first, then the slope in each context feature. For the linear
// encoder it is exactly the interaction coefficients; for the other encoders it is the linear
// trend of a non-linear coefficient function, with standard errors from the bootstrap
// replicates (bootstrap_projections) or, for a spline fit, from Vp (spline_projection in
// inference/spline_pointwise.hpp).
//
// Computed on the centred and scaled context [1, (c - cbar) / s] (rows summed in order; the
// Gram matrix solved by inference's symmetric solver) and mapped back to user units.
#pragma once
#include <cstddef>
#include <vector>

#include "common/data.hpp"
#include "encoders/encoder.hpp"

namespace ctxstats {

// The least-squares map of the context [1, c] (rows x m, user units) shared by the projections:
// rows enter as their centred and scaled design [1, (c - cbar) / s]; a right-hand side
// R = sum_i design(c_i) v_i' ((m+1) x k, row-major) becomes the user-unit coefficients of the k
// columns v on [1, c] (k x (m+1), row-major).
class ContextProjection {
 public:
  ContextProjection(const double* C, std::size_t rows, int m);
  int dim() const { return m_ + 1; }
  void design_row(const double* c, double* out) const;
  std::vector<double> coefficients(const std::vector<double>& R, int k) const;

 private:
  int m_;
  std::vector<double> mean_, scale_;
  std::vector<double> gram_inv_;  // (m+1) x (m+1), row-major
};

// theta (rows x q) on contexts C (rows x m). InvalidArgument for fewer rows than m + 1, a
// constant context column (its slope is not identified) or non-finite values.
std::vector<double> linear_projection(const double* theta, std::size_t rows, int q, const double* C, int m);

// Every bootstrap replicate's projection (B x q (m+1)) of its per-sample parameters at the
// contexts C, the replicate weights W (B x nw) evaluated by the encoder as the bootstrap
// summaries do.
std::vector<double> bootstrap_projections(const EncoderSpec& spec, const Scaling& scaling, const double* W,
                                          std::size_t B, std::size_t nw, const double* C, std::size_t rows, int m,
                                          int threads);

}  // namespace ctxstats
