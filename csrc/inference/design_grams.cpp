#include "inference/design_grams.hpp"

#include <omp.h>

#include <Eigen/Dense>
#include <algorithm>
#include <limits>

#include "glm/objective.hpp"

namespace ctxstats {

namespace {

constexpr int kGramBlock = 512;
constexpr int kGramGroups = 16;

struct GramParts {
  Eigen::MatrixXd gx, gc, gz;  // lower triangles
  std::vector<double> x_min, x_max, c_min, c_max;
};

// Zeroes row and column j of a full symmetric matrix.
void zero_index(Eigen::MatrixXd& G, int j) {
  G.row(j).setZero();
  G.col(j).setZero();
}

std::vector<double> to_row_major(const Eigen::MatrixXd& G) {
  std::vector<double> out(static_cast<std::size_t>(G.rows()) * G.cols());
  for (int i = 0; i < G.rows(); ++i)
    for (int j = 0; j < G.cols(); ++j) out[static_cast<std::size_t>(i) * G.cols() + j] = G(i, j);
  return out;
}

}  // namespace

DesignGrams design_grams(const DataView& data, const Scaling& scaling, bool interaction, int threads) {
  const int m = data.m, p = data.p, q = scaling.q(), m1 = m + 1, D = q * m1, off = scaling.intercept ? 1 : 0;
  const std::size_t n = data.n;
  const std::size_t blocks = (n + kGramBlock - 1) / kGramBlock;
  // Each group holds its own D x D sum: cap their total at about 256 MB for wide designs (the
  // count depends on n and D only, so results stay identical for any thread count).
  const double gram_bytes = 8.0 * static_cast<double>(interaction ? D : q) * (interaction ? D : q);
  const int max_groups = static_cast<int>(std::max(1.0, std::min<double>(kGramGroups, 268435456.0 / gram_bytes)));
  const int groups = reduction_groups(n, kGramBlock, max_groups);
  std::vector<GramParts> parts(groups);
  const double inf = std::numeric_limits<double>::infinity();

#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (int gi = 0; gi < groups; ++gi) {
    GramParts& a = parts[gi];
    a.gx = Eigen::MatrixXd::Zero(q, q);
    a.gc = Eigen::MatrixXd::Zero(m1, m1);
    if (interaction) a.gz = Eigen::MatrixXd::Zero(D, D);
    a.x_min.assign(p, inf);
    a.x_max.assign(p, -inf);
    a.c_min.assign(m, inf);
    a.c_max.assign(m, -inf);
    Eigen::MatrixXd Xt(q, kGramBlock), Ct(m1, kGramBlock), Zt(interaction ? D : 0, kGramBlock);
    const std::size_t b0 = blocks * gi / groups, b1 = blocks * (gi + 1) / groups;
    for (std::size_t blk = b0; blk < b1; ++blk) {
      const std::size_t start = blk * kGramBlock;
      const int rows = static_cast<int>(std::min<std::size_t>(kGramBlock, n - start));
      for (int r = 0; r < rows; ++r) {
        const double* x = data.X + (start + r) * p;
        for (int j = 0; j < p; ++j) {
          a.x_min[j] = std::min(a.x_min[j], x[j]);
          a.x_max[j] = std::max(a.x_max[j], x[j]);
        }
        const double* c = data.C + (start + r) * m;
        for (int j = 0; j < m; ++j) {
          a.c_min[j] = std::min(a.c_min[j], c[j]);
          a.c_max[j] = std::max(a.c_max[j], c[j]);
        }
      }
      for (int r = 0; r < rows; ++r) {
        const double* x = data.X + (start + r) * p;
        if (off) Xt(0, r) = 1.0;
        for (int j = 0; j < p; ++j) Xt(off + j, r) = (x[j] - scaling.x_mean[j]) / scaling.x_scale[j];
        const double* c = data.C + (start + r) * m;
        Ct(0, r) = 1.0;
        for (int l = 0; l < m; ++l) Ct(l + 1, r) = (c[l] - scaling.c_mean[l]) / scaling.c_scale[l];
        if (interaction)
          for (int k = 0; k < q; ++k)
            for (int l = 0; l < m1; ++l) Zt(k * m1 + l, r) = Xt(k, r) * Ct(l, r);
      }
      a.gx.selfadjointView<Eigen::Lower>().rankUpdate(Xt.leftCols(rows));
      a.gc.selfadjointView<Eigen::Lower>().rankUpdate(Ct.leftCols(rows));
      if (interaction) a.gz.selfadjointView<Eigen::Lower>().rankUpdate(Zt.leftCols(rows));
    }
  }
  GramParts total = std::move(parts[0]);
  for (int gi = 1; gi < groups; ++gi) {
    const GramParts& b = parts[gi];
    total.gx += b.gx;
    total.gc += b.gc;
    if (interaction) total.gz += b.gz;
    for (int j = 0; j < p; ++j) {
      total.x_min[j] = std::min(total.x_min[j], b.x_min[j]);
      total.x_max[j] = std::max(total.x_max[j], b.x_max[j]);
    }
    for (int j = 0; j < m; ++j) {
      total.c_min[j] = std::min(total.c_min[j], b.c_min[j]);
      total.c_max[j] = std::max(total.c_max[j], b.c_max[j]);
    }
  }
  Eigen::MatrixXd gx = total.gx.selfadjointView<Eigen::Lower>();
  Eigen::MatrixXd gc = total.gc.selfadjointView<Eigen::Lower>();
  Eigen::MatrixXd gz;
  if (interaction) gz = total.gz.selfadjointView<Eigen::Lower>();
  // Constant columns are zero once centred (up to the rounding of their mean): make them so.
  for (int j = 0; j < p; ++j) {
    if (!(off && total.x_min[j] == total.x_max[j])) continue;
    zero_index(gx, off + j);
    if (interaction)
      for (int l = 0; l < m1; ++l) zero_index(gz, (off + j) * m1 + l);
  }
  for (int j = 0; j < m; ++j) {
    if (total.c_min[j] != total.c_max[j]) continue;
    zero_index(gc, j + 1);
    if (interaction)
      for (int k = 0; k < q; ++k) zero_index(gz, k * m1 + j + 1);
  }
  DesignGrams out;
  out.q = q;
  out.m1 = m1;
  out.gx = to_row_major(gx);
  out.gc = to_row_major(gc);
  if (interaction) out.gz = to_row_major(gz);
  out.x_min = std::move(total.x_min);
  out.x_max = std::move(total.x_max);
  out.c_min = std::move(total.c_min);
  out.c_max = std::move(total.c_max);
  return out;
}

}  // namespace ctxstats
