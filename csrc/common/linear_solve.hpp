// Dense symmetric solves shared by the core's exact solvers.
#pragma once
#include <Eigen/Dense>

namespace ctxstats {

// Solves H x = g for symmetric positive semi-definite H: Cholesky when H is numerically
// non-singular (smallest Cholesky pivot above 1e-7 times the largest), otherwise the
// minimum-norm solution from the eigendecomposition (eigenvalues below
// 1e-12 * max(1, |largest|) * dim are treated as 0), and *rank_deficient is set.
Eigen::VectorXd solve_symmetric(const Eigen::MatrixXd& H, const Eigen::VectorXd& g, bool* rank_deficient);

}  // namespace ctxstats
