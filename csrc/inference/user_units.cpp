#include "inference/user_units.hpp"

namespace ctxstats {

Eigen::MatrixXd user_theta_map(const Scaling& s) {
  const int q = s.q(), off = s.intercept ? 1 : 0;
  Eigen::MatrixXd G = Eigen::MatrixXd::Zero(q, q);
  if (off) G(0, 0) = s.y_scale;
  for (int j = 0; j < static_cast<int>(s.x_scale.size()); ++j) {
    G(off + j, off + j) = s.y_scale / s.x_scale[j];
    if (off) G(0, off + j) = -s.y_scale * s.x_mean[j] / s.x_scale[j];
  }
  return G;
}

Eigen::MatrixXd user_design_map(const Scaling& s) {
  const int q = s.q(), off = s.intercept ? 1 : 0;
  Eigen::MatrixXd P = Eigen::MatrixXd::Zero(q, q);
  if (off) P(0, 0) = 1.0;
  for (int j = 0; j < static_cast<int>(s.x_scale.size()); ++j) {
    P(off + j, off + j) = s.x_scale[j];
    if (off) P(off + j, 0) = s.x_mean[j];
  }
  return P;
}

Eigen::MatrixXd combine_output_blocks(const double* A, const Eigen::MatrixXd& L, int k, int nb,
                                      const std::vector<int>& cols) {
  const int s = static_cast<int>(cols.size());
  const std::size_t D = static_cast<std::size_t>(L.cols()) * nb;
  Eigen::MatrixXd out = Eigen::MatrixXd::Zero(s, s);
  for (int a = 0; a < L.cols(); ++a) {
    if (L(k, a) == 0.0) continue;
    for (int c = 0; c < L.cols(); ++c) {
      if (L(k, c) == 0.0) continue;
      const double f = L(k, a) * L(k, c);
      for (int i = 0; i < s; ++i) {
        const double* row = A + (static_cast<std::size_t>(a) * nb + cols[i]) * D + static_cast<std::size_t>(c) * nb;
        for (int j = 0; j < s; ++j) out(i, j) += f * row[cols[j]];
      }
    }
  }
  return out;
}

}  // namespace ctxstats
