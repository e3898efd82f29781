#include "inference/smooth_tests.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

#include "common/error.hpp"
#include "inference/user_units.hpp"

namespace ctxstats {

namespace {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// mgcv's testStat(type = 1) on T = (R gamma)' (R V R')^{r-} (R gamma) with R'R = gram.
void wood_statistic(const Eigen::VectorXd& gamma, const Eigen::MatrixXd& V, const Eigen::MatrixXd& gram,
                    double ref_df, SmoothTest* out) {
  const int s = static_cast<int>(gamma.size());
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eg(0.5 * (gram + gram.transpose()));
  if (eg.info() != Eigen::Success) throw InvalidArgument("the eigen-decomposition of a smooth term's Gram matrix failed");
  // R = diag(sqrt(ev)) U': any R with R'R = gram gives the same statistic.
  const Eigen::MatrixXd R = eg.eigenvalues().cwiseMax(0.0).cwiseSqrt().asDiagonal() * eg.eigenvectors().transpose();
  Eigen::MatrixXd M = R * V * R.transpose();
  M = 0.5 * (M + M.transpose());
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> em(M);
  if (em.info() != Eigen::Success) throw InvalidArgument("the eigen-decomposition of a smooth term's covariance failed");
  const Eigen::VectorXd lam = em.eigenvalues().reverse();  // descending
  const Eigen::MatrixXd E = em.eigenvectors().rowwise().reverse();
  const double lmax = s > 0 ? lam[0] : 0.0;
  int r_est = 0;
  if (lmax > 0.0) {
    const double floor = lmax * std::pow(std::numeric_limits<double>::epsilon(), 0.9);
    for (int j = 0; j < s; ++j) r_est += lam[j] > floor ? 1 : 0;
  }
  const double rank = std::min(static_cast<double>(s), std::max(ref_df, 0.0));
  int k = static_cast<int>(std::floor(rank));
  if (rank > k + 0.05 || k == 0) ++k;
  k = std::min(k, r_est);
  out->ref_df = ref_df;
  out->rank = k;
  out->statistic = 0.0;
  if (k == 0) return;
  const Eigen::VectorXd z = E.leftCols(k).transpose() * (R * gamma);
  for (int j = 0; j < k; ++j) out->statistic += z[j] * z[j] / lam[j];
}

}  // namespace

SmoothTests smooth_tests(const SmoothingReport& report, const ContextBasis& basis, const Scaling& scaling,
                         const std::vector<double>& weights, bool estimated_scale) {
  const int q = scaling.q(), nb = basis.size(), D = q * nb;
  const auto& terms = basis.terms();
  const int nterms = static_cast<int>(terms.size());
  require(report.present, "the fit has no smoothing report");
  require(static_cast<int>(weights.size()) == D && static_cast<int>(report.Vp.size()) == D * D &&
              static_cast<int>(report.H.size()) == D * D &&
              static_cast<int>(report.edf.size()) == q * nterms,
          "the spline fit's weights, covariance and edf do not match its basis");
  require(report.scale > 0.0 && std::isfinite(report.scale), "the spline fit's scale is not positive");
  const Eigen::Map<const RowMat> Vp(report.Vp.data(), D, D), H(report.H.data(), D, D);
  const Eigen::Map<const RowMat> W(weights.data(), q, nb);
  // F = (H + S)^-1 H = Vp H / scale; tr(2F - F^2) over a block gives its reference df.
  const Eigen::MatrixXd F = (Vp * H) / report.scale;
  const Eigen::MatrixXd G = user_theta_map(scaling), P = user_design_map(scaling);

  SmoothTests out;
  out.df_resid = std::max(report.n - report.edf_total, 1.0);
  out.estimated_scale = estimated_scale;

  const auto test = [&](int k, int term, const std::vector<int>& cols, double edf) {
    SmoothTest t;
    t.output = k;
    t.term = term;
    t.edf = edf;
    double ref_df = 0.0;
    for (int i : cols) {
      const int a = k * nb + i;
      ref_df += 2.0 * F(a, a);
      ref_df -= F.row(a).dot(F.col(a));  // (F^2)(a, a)
    }
    const int s = static_cast<int>(cols.size());
    Eigen::VectorXd gamma = Eigen::VectorXd::Zero(s);
    for (int a = 0; a < q; ++a)
      if (G(k, a) != 0.0)
        for (int i = 0; i < s; ++i) gamma[i] += G(k, a) * W(a, cols[i]);
    wood_statistic(gamma, combine_output_blocks(report.Vp.data(), G, k, nb, cols),
                   combine_output_blocks(report.H.data(), P, k, nb, cols), ref_df, &t);
    return t;
  };

  for (int k = 0; k < q; ++k) {
    std::vector<int> all;
    double edf_all = 0.0;
    for (int t = 0; t < nterms; ++t) {
      const BasisTerm& term = terms[t];
      if (term.kind != BasisTerm::kMain && term.kind != BasisTerm::kTensor) continue;
      std::vector<int> cols(term.size);
      for (int i = 0; i < term.size; ++i) cols[i] = term.offset + i;
      const double edf = report.edf[static_cast<std::size_t>(k) * nterms + t];
      out.terms.push_back(test(k, t, cols, edf));
      all.insert(all.end(), cols.begin(), cols.end());
      edf_all += edf;
    }
    if (!all.empty()) out.coefficients.push_back(test(k, -1, all, edf_all));
  }
  return out;
}

}  // namespace ctxstats
