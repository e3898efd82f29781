// Dense symmetric solves (linear_solve.hpp).
#include "common/linear_solve.hpp"

#include <algorithm>

namespace ctxstats {

Eigen::VectorXd solve_symmetric(const Eigen::MatrixXd& H, const Eigen::VectorXd& g, bool* rank_deficient) {
  Eigen::LLT<Eigen::MatrixXd> llt(H);
  if (llt.info() == Eigen::Success) {
    const Eigen::VectorXd d = llt.matrixLLT().diagonal();
    if (d.minCoeff() > 1e-7 * d.maxCoeff()) return llt.solve(g);
  }
  *rank_deficient = true;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(H);
  const Eigen::VectorXd& ev = eig.eigenvalues();
  const double cutoff = 1e-12 * std::max(1.0, ev.cwiseAbs().maxCoeff()) * H.rows();
  const Eigen::VectorXd inv = ev.unaryExpr([cutoff](double v) { return v > cutoff ? 1.0 / v : 0.0; });
  return eig.eigenvectors() * (inv.asDiagonal() * (eig.eigenvectors().transpose() * g));
}

}  // namespace ctxstats
