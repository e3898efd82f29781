// Linear maps between the core's internal (standardised) parameterisation and the user's
// units, for the inference that works on encoder weights (spline tests, pointwise bands).
#pragma once
#include <Eigen/Dense>
#include <vector>

#include "common/data.hpp"

namespace ctxstats {

// G (q x q): theta_user_k = sum_a G(k, a) theta_internal_a, plus y_mean on the intercept
// (the map theta_to_original applies).
Eigen::MatrixXd user_theta_map(const Scaling& scaling);

// P (q x q): the user's predictor x_k = sum_a P(k, a) x~_a, x~ the internal design row
// (x~_0 = 1 when there is an intercept).
Eigen::MatrixXd user_design_map(const Scaling& scaling);

// sum_a sum_c L(k, a) L(k, c) A[a*nb + cols, c*nb + cols] for a square row-major A over the
// q outputs' weights (output major, nb basis columns each): the covariance (A = Vp, L = G) or
// Gram block (A = Z'WZ, L = P) of output k's combination of the columns cols.
Eigen::MatrixXd combine_output_blocks(const double* A, const Eigen::MatrixXd& L, int k, int nb,
                                      const std::vector<int>& cols);

}  // namespace ctxstats
